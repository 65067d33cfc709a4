//! Documents (văn bản) as NĐ 30/2020 describes them: kinds with their abbreviations, the
//! states of incoming and outgoing documents and the moves between them, how an outgoing
//! document's notation is made. Pure rules, no storage.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Incoming (văn bản đến) or outgoing (văn bản đi).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Incoming,
    Outgoing,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Incoming => "incoming",
            Direction::Outgoing => "outgoing",
        }
    }

    pub fn parse(s: &str) -> Option<Direction> {
        match s {
            "incoming" => Some(Direction::Incoming),
            "outgoing" => Some(Direction::Outgoing),
            _ => None,
        }
    }
}

/// Where a document stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocState {
    /// Incoming: a package arrived through the exchange, not yet in the register.
    Arrived,
    /// Incoming: entered in the register with its number (vào sổ).
    Registered,
    /// Incoming: the leader assigned it (phân công).
    Assigned,
    /// Incoming: a handler is working on it.
    Processing,
    /// Incoming: handled (hoàn thành).
    Done,
    /// Incoming: refused and returned to the sender.
    Rejected,
    /// Incoming: the sender recalled it and the recall was accepted.
    Recalled,
    /// Outgoing: being drafted (dự thảo).
    Draft,
    /// Outgoing: waiting for the leader's approval (trình ký).
    Review,
    /// Outgoing: approved and signed by the leader, waiting for the clerk.
    Approved,
    /// Outgoing: numbered, signed by the agency and sent to its recipients (phát hành).
    Issued,
    /// Outgoing: recalled from its recipients (thu hồi).
    Withdrawn,
}

impl DocState {
    pub const ALL: [DocState; 12] = [
        DocState::Arrived,
        DocState::Registered,
        DocState::Assigned,
        DocState::Processing,
        DocState::Done,
        DocState::Rejected,
        DocState::Recalled,
        DocState::Draft,
        DocState::Review,
        DocState::Approved,
        DocState::Issued,
        DocState::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocState::Arrived => "arrived",
            DocState::Registered => "registered",
            DocState::Assigned => "assigned",
            DocState::Processing => "processing",
            DocState::Done => "done",
            DocState::Rejected => "rejected",
            DocState::Recalled => "recalled",
            DocState::Draft => "draft",
            DocState::Review => "review",
            DocState::Approved => "approved",
            DocState::Issued => "issued",
            DocState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<DocState> {
        DocState::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (DocState::Arrived, false) => "Mới đến, chờ vào sổ",
            (DocState::Registered, false) => "Đã vào sổ",
            (DocState::Assigned, false) => "Đã phân công",
            (DocState::Processing, false) => "Đang xử lý",
            (DocState::Done, false) => "Đã hoàn thành",
            (DocState::Rejected, false) => "Đã từ chối",
            (DocState::Recalled, false) => "Đã bị thu hồi",
            (DocState::Draft, false) => "Dự thảo",
            (DocState::Review, false) => "Chờ lãnh đạo ký",
            (DocState::Approved, false) => "Đã ký, chờ phát hành",
            (DocState::Issued, false) => "Đã phát hành",
            (DocState::Withdrawn, false) => "Đã thu hồi",
            (DocState::Arrived, true) => "Arrived, not registered",
            (DocState::Registered, true) => "Registered",
            (DocState::Assigned, true) => "Assigned",
            (DocState::Processing, true) => "Being handled",
            (DocState::Done, true) => "Done",
            (DocState::Rejected, true) => "Rejected",
            (DocState::Recalled, true) => "Recalled by the sender",
            (DocState::Draft, true) => "Draft",
            (DocState::Review, true) => "Awaiting the leader's signature",
            (DocState::Approved, true) => "Signed, awaiting issue",
            (DocState::Issued, true) => "Issued",
            (DocState::Withdrawn, true) => "Withdrawn",
        }
    }

    /// The edXML status the sender is told when an incoming document reaches this state.
    pub fn status_for_sender(self) -> Option<edxml::StatusCode> {
        use edxml::StatusCode as S;
        match self {
            DocState::Arrived => Some(S::Arrived),
            DocState::Registered => Some(S::Accepted),
            DocState::Assigned => Some(S::Assigned),
            DocState::Processing => Some(S::Processing),
            DocState::Done => Some(S::Done),
            DocState::Rejected => Some(S::Rejected),
            _ => None,
        }
    }
}

/// A kind of document (thể loại văn bản, NĐ 30/2020 appendix III) with its abbreviation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocKind {
    /// The TypeDetail code used in edXML.
    pub code: u16,
    pub name: &'static str,
    /// Abbreviation in the notation (QĐ in `45/QĐ-UBND`); empty for official letters.
    pub abbr: &'static str,
    /// 1: legal normative document (văn bản quy phạm pháp luật); 2: administrative document.
    pub doc_type: u8,
}

const fn k(code: u16, name: &'static str, abbr: &'static str, doc_type: u8) -> DocKind {
    DocKind { code, name, abbr, doc_type }
}

/// The kinds an agency issues, official letters (công văn) first.
pub const KINDS: &[DocKind] = &[
    k(1, "Công văn", "", 2),
    k(2, "Quyết định", "QĐ", 2),
    k(3, "Nghị quyết", "NQ", 2),
    k(4, "Chỉ thị", "CT", 2),
    k(5, "Quy chế", "QC", 2),
    k(6, "Quy định", "QyĐ", 2),
    k(7, "Thông cáo", "TC", 2),
    k(8, "Thông báo", "TB", 2),
    k(9, "Hướng dẫn", "HD", 2),
    k(10, "Chương trình", "CTr", 2),
    k(11, "Kế hoạch", "KH", 2),
    k(12, "Phương án", "PA", 2),
    k(13, "Đề án", "ĐA", 2),
    k(14, "Dự án", "DA", 2),
    k(15, "Báo cáo", "BC", 2),
    k(16, "Biên bản", "BB", 2),
    k(17, "Tờ trình", "TTr", 2),
    k(18, "Hợp đồng", "HĐ", 2),
    k(19, "Công điện", "CĐ", 2),
    k(20, "Bản ghi nhớ", "BGN", 2),
    k(21, "Bản thỏa thuận", "BTT", 2),
    k(22, "Giấy ủy quyền", "GUQ", 2),
    k(23, "Giấy mời", "GM", 2),
    k(24, "Giấy giới thiệu", "GGT", 2),
    k(25, "Giấy nghỉ phép", "GNP", 2),
    k(26, "Phiếu gửi", "PG", 2),
    k(27, "Phiếu chuyển", "PC", 2),
    k(28, "Phiếu báo", "PB", 2),
    k(29, "Thư công", "", 2),
    k(30, "Quyết định (quy phạm pháp luật)", "QĐ", 1),
    k(31, "Nghị quyết (quy phạm pháp luật)", "NQ", 1),
];

pub fn kind(code: u16) -> Option<&'static DocKind> {
    KINDS.iter().find(|k| k.code == code)
}

/// The number and notation of an outgoing document (số, ký hiệu): `123/UBND-VP` for an official
/// letter (the register's notation), `45/QĐ-UBND` for other kinds (abbreviation, then the
/// agency part of the register's notation).
pub fn notation(number: i64, kind: &DocKind, register_notation: &str) -> String {
    let reg = register_notation.trim().trim_matches('-');
    if kind.abbr.is_empty() {
        format!("{number}/{reg}")
    } else {
        let agency = reg.split('-').next().unwrap_or(reg);
        format!("{number}/{}-{agency}", kind.abbr)
    }
}

/// Handling roles on an incoming document.
pub const ASSIGNMENT_ROLES: [(&str, &str, &str); 3] =
    [("main", "Xử lý chính", "Lead handler"), ("cooperate", "Phối hợp", "Cooperating"), ("inform", "Nhận để biết", "For information")];

/// Priority (độ khẩn) as QCVN 102 numbers it.
pub fn priority_label(p: i64, en: bool) -> &'static str {
    match (p, en) {
        (1, false) => "Khẩn",
        (2, false) => "Thượng khẩn",
        (3, false) => "Hỏa tốc",
        (4, false) => "Hỏa tốc hẹn giờ",
        (_, false) => "Thường",
        (1, true) => "Urgent",
        (2, true) => "Very urgent",
        (3, true) => "Immediate",
        (4, true) => "Immediate, timed",
        (_, true) => "Normal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_official_letter_takes_the_registers_notation() {
        assert_eq!(notation(123, kind(1).unwrap(), "UBND-VP"), "123/UBND-VP");
    }

    #[test]
    fn other_kinds_put_their_abbreviation_before_the_agency() {
        assert_eq!(notation(45, kind(2).unwrap(), "UBND-VP"), "45/QĐ-UBND");
        assert_eq!(notation(7, kind(17).unwrap(), "STTTT"), "7/TTr-STTTT");
    }

    #[test]
    fn every_kind_code_is_unique_and_states_round_trip() {
        let mut codes: Vec<u16> = KINDS.iter().map(|k| k.code).collect();
        codes.dedup();
        assert_eq!(codes.len(), KINDS.len());
        for s in DocState::ALL {
            assert_eq!(DocState::parse(s.as_str()), Some(s));
        }
    }
}
