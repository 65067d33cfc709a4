//! Dossiers, their statuses and the rules of the lifecycle, pure and testable without a
//! database.

pub mod deadline;
pub mod process;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// The national portal's dossier status codes (TrangThaiHoSo).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 1 Mới đăng ký.
    Submitted,
    /// 2 Được tiếp nhận.
    Accepted,
    /// 3 Không được tiếp nhận.
    NotAccepted,
    /// 4 Đang xử lý.
    Processing,
    /// 5 Yêu cầu bổ sung giấy tờ.
    SupplementRequested,
    /// 6 Yêu cầu thực hiện nghĩa vụ tài chính.
    FeesDue,
    /// 7 Công dân yêu cầu rút hồ sơ.
    Withdrawn,
    /// 8 Dừng xử lý.
    Stopped,
    /// 9 Đã xử lý xong.
    Processed,
    /// 10 Đã trả kết quả.
    Returned,
}

impl Status {
    pub const ALL: [Status; 10] = [
        Status::Submitted,
        Status::Accepted,
        Status::NotAccepted,
        Status::Processing,
        Status::SupplementRequested,
        Status::FeesDue,
        Status::Withdrawn,
        Status::Stopped,
        Status::Processed,
        Status::Returned,
    ];

    /// The national code, 1–10.
    pub fn code(self) -> i64 {
        Status::ALL.iter().position(|s| *s == self).map(|i| i as i64 + 1).unwrap_or(0)
    }

    pub fn from_code(c: i64) -> Option<Status> {
        c.checked_sub(1).and_then(|i| usize::try_from(i).ok()).and_then(|i| Status::ALL.get(i).copied())
    }

    pub fn label(self, en: bool) -> &'static str {
        let (vi, e) = match self {
            Status::Submitted => ("Mới đăng ký", "Submitted"),
            Status::Accepted => ("Được tiếp nhận", "Accepted"),
            Status::NotAccepted => ("Không được tiếp nhận", "Not accepted"),
            Status::Processing => ("Đang xử lý", "Processing"),
            Status::SupplementRequested => ("Yêu cầu bổ sung giấy tờ", "Supplement requested"),
            Status::FeesDue => ("Yêu cầu thực hiện nghĩa vụ tài chính", "Fees due"),
            Status::Withdrawn => ("Công dân yêu cầu rút hồ sơ", "Withdrawn"),
            Status::Stopped => ("Dừng xử lý", "Stopped"),
            Status::Processed => ("Đã xử lý xong", "Processed"),
            Status::Returned => ("Đã trả kết quả", "Result returned"),
        };
        if en { e } else { vi }
    }

    /// No more work happens on the dossier.
    pub fn is_final(self) -> bool {
        matches!(self, Status::NotAccepted | Status::Withdrawn | Status::Stopped | Status::Returned)
    }

    /// The GovStack Registration building block's application status.
    pub fn govstack(self) -> &'static str {
        match self {
            Status::Submitted | Status::Accepted | Status::Processing | Status::FeesDue => "PENDING",
            Status::SupplementRequested => "SENDBACK",
            Status::NotAccepted | Status::Withdrawn | Status::Stopped => "REJECTED",
            Status::Processed | Status::Returned => "APPROVED",
        }
    }
}

/// How the dossier came in (KenhThucHien).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = DossierChannel)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 1: at the counter.
    InPerson,
    /// 2: online.
    Online,
    /// 3: by public postal service.
    Post,
}

impl Channel {
    pub fn code(self) -> i64 {
        match self {
            Channel::InPerson => 1,
            Channel::Online => 2,
            Channel::Post => 3,
        }
    }

    pub fn from_code(c: i64) -> Option<Channel> {
        match c {
            1 => Some(Channel::InPerson),
            2 => Some(Channel::Online),
            3 => Some(Channel::Post),
            _ => None,
        }
    }
}

/// What can be done to a dossier; `allowed` says from which statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Accept,
    Refuse,
    RequestSupplement,
    Supplement,
    CompleteStep,
    Pay,
    Withdraw,
    Stop,
    Return,
    Apology,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Refuse => "refuse",
            Action::RequestSupplement => "request_supplement",
            Action::Supplement => "supplement",
            Action::CompleteStep => "complete_step",
            Action::Pay => "pay",
            Action::Withdraw => "withdraw",
            Action::Stop => "stop",
            Action::Return => "return",
            Action::Apology => "apology",
        }
    }

    /// True when `self` may be done to a dossier in `status`.
    pub fn allowed(self, status: Status) -> bool {
        use Status::*;
        match self {
            Action::Accept | Action::Refuse => status == Submitted,
            Action::RequestSupplement => matches!(status, Submitted | Processing),
            Action::Supplement => status == SupplementRequested,
            Action::CompleteStep => status == Processing,
            Action::Pay => status == FeesDue,
            Action::Withdraw => matches!(status, Submitted | Accepted | Processing | SupplementRequested | FeesDue),
            Action::Stop => matches!(status, Processing | SupplementRequested | FeesDue),
            Action::Return => status == Processed,
            Action::Apology => matches!(status, Processing | SupplementRequested | FeesDue),
        }
    }
}

/// The person or business applying, as recorded on the dossier.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Applicant {
    /// `citizen` or `business`.
    pub kind: String,
    pub name: String,
    pub citizen_id: Option<String>,
    pub tax_code: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    /// Administrative unit code of the applicant's commune (for steps done there).
    pub commune_code: Option<String>,
}

/// Someone acting for the applicant (người được ủy quyền).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Proxy {
    pub name: String,
    pub citizen_id: String,
    pub relation: Option<String>,
}

/// A dossier as shown to those allowed to see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dossier {
    pub id: String,
    /// `dossier` (an application under a procedure) or `internal` (a case of an internal
    /// process: outgoing document, award proposal...).
    pub kind: String,
    /// What an internal case is about.
    pub subject: Option<String>,
    /// Issued on acceptance.
    pub code: Option<String>,
    pub procedure_code: String,
    pub procedure_version: i64,
    pub procedure_name: String,
    pub field_code: String,
    pub agency_code: String,
    pub applicant: Applicant,
    pub proxy: Option<Proxy>,
    pub channel: Channel,
    pub status: Status,
    /// National status code 1–10.
    pub status_code: i64,
    #[schema(value_type = Object)]
    pub form: Value,
    pub fee_total: i64,
    pub paid: i64,
    pub submitted_at: i64,
    pub accepted_at: Option<i64>,
    /// The day the legal time counts from (after-hours online submissions: the next working day).
    pub received_on: Option<String>,
    /// Appointment date for the result (ngày hẹn trả).
    pub due_on: Option<String>,
    /// The first appointment date, before supplements, payments and apologies moved it.
    pub original_due_on: Option<String>,
    pub processed_at: Option<i64>,
    pub returned_at: Option<i64>,
    pub return_method: Option<String>,
    pub current_step: Option<String>,
    /// Working days the clock was stopped (supplements, fees).
    pub paused_days: i64,
    pub supplement_count: i64,
    pub apology_count: i64,
    pub due_soon: bool,
    pub overdue: bool,
    pub result_sha256: Option<String>,
    /// Optimistic concurrency: send it back with every action.
    pub version: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_are_the_national_ones() {
        assert_eq!(Status::Submitted.code(), 1);
        assert_eq!(Status::SupplementRequested.code(), 5);
        assert_eq!(Status::Returned.code(), 10);
        for s in Status::ALL {
            assert_eq!(Status::from_code(s.code()), Some(s));
        }
        assert_eq!(Status::from_code(0), None);
        assert_eq!(Status::from_code(11), None);
    }

    #[test]
    fn transitions_not_allowed_from_the_current_state_are_refused() {
        assert!(Action::Accept.allowed(Status::Submitted));
        assert!(!Action::Accept.allowed(Status::Processing));
        assert!(!Action::Return.allowed(Status::Processing));
        assert!(!Action::Withdraw.allowed(Status::Returned));
        for s in Status::ALL.into_iter().filter(|s| s.is_final()) {
            assert!(
                [Action::Accept, Action::CompleteStep, Action::Pay, Action::Stop, Action::Return, Action::Withdraw]
                    .iter()
                    .all(|a| !a.allowed(s)),
                "{s:?} is final"
            );
        }
    }
}
