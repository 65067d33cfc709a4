//! The papers a dossier produces, as PDF in Vietnamese following the official forms of
//! TT 01/2018/TT-VPCP (as renumbered by TT 03/2025): receipt and appointment note with a QR
//! code of the tracking address, supplement request, refusal, apology with a new date, and
//! the processing control sheet built from the history.

use kernel::authz::Principal;
use kernel::{Error, Result};
use pdfdoc::{Align, Document, HEIGHT, WIDTH};

use crate::Onestop;
use crate::model::Status;
use crate::store::{self, DossierRow, HistoryEntry};

const LEFT: f32 = 56.0;
const RIGHT: f32 = WIDTH - 48.0;
const BOTTOM: f32 = 60.0;

/// Which paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paper {
    Receipt,
    SupplementRequest,
    Refusal,
    Apology,
    ControlSheet,
}

impl Paper {
    pub fn parse(s: &str) -> Option<Paper> {
        match s.trim_end_matches(".pdf") {
            "receipt" => Some(Paper::Receipt),
            "supplement-request" => Some(Paper::SupplementRequest),
            "refusal" => Some(Paper::Refusal),
            "apology" => Some(Paper::Apology),
            "control-sheet" => Some(Paper::ControlSheet),
            _ => None,
        }
    }

    pub fn file_name(self) -> &'static str {
        match self {
            Paper::Receipt => "giay-tiep-nhan-hen-tra.pdf",
            Paper::SupplementRequest => "phieu-yeu-cau-bo-sung.pdf",
            Paper::Refusal => "phieu-tu-choi.pdf",
            Paper::Apology => "phieu-xin-loi-hen-lai.pdf",
            Paper::ControlSheet => "phieu-kiem-soat-qua-trinh.pdf",
        }
    }
}

/// A page writer with a cursor that moves down and starts new pages.
struct Sheet {
    doc: Document,
    y: f32,
}

impl Sheet {
    fn new(title: &str) -> Sheet {
        let mut doc = Document::new(title);
        doc.add_page();
        Sheet { doc, y: HEIGHT - 56.0 }
    }

    fn room(&mut self, h: f32) {
        if self.y - h < BOTTOM {
            self.doc.add_page();
            self.y = HEIGHT - 56.0;
        }
    }

    fn para(&mut self, size: f32, bold: bool, align: Align, text: &str) {
        let width = RIGHT - LEFT;
        for line in self.doc.wrap(text, size, width) {
            self.room(size * 1.45);
            let x = match align {
                Align::Left => LEFT,
                Align::Center => (LEFT + RIGHT) / 2.0,
                Align::Right => RIGHT,
            };
            self.doc.text(x, self.y, size, bold, align, &line);
            self.y -= size * 1.45;
        }
    }

    /// "Label: value" with the value wrapped beside the label.
    fn field(&mut self, label: &str, value: &str) {
        let size = 11.0;
        let lw = self.doc.text_width(label, size) + 4.0;
        let lines = self.doc.wrap(value, size, RIGHT - LEFT - lw);
        self.room(size * 1.45 * lines.len() as f32);
        self.doc.text(LEFT, self.y, size, false, Align::Left, label);
        for l in lines {
            self.doc.text(LEFT + lw, self.y, size, false, Align::Left, &l);
            self.y -= size * 1.45;
        }
    }

    fn gap(&mut self, h: f32) {
        self.y -= h;
    }

    /// The heading every form shares: the issuing agency on the left, the national motto on
    /// the right, the number and place/date beneath.
    fn heading(&mut self, agency: &str, number: &str, place_date: &str) {
        let mid_l = LEFT + 110.0;
        let mid_r = RIGHT - 140.0;
        let top = self.y;
        let mut y = top;
        for line in self.doc.wrap(&agency.to_uppercase(), 10.0, 210.0) {
            self.doc.text(mid_l, y, 10.0, true, Align::Center, &line);
            y -= 13.0;
        }
        self.doc.line(mid_l - 30.0, y + 8.0, mid_l + 30.0, y + 8.0, 0.6);
        self.doc.text(mid_l, y - 6.0, 10.0, false, Align::Center, number);
        self.doc.text(mid_r, top, 10.0, true, Align::Center, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM");
        self.doc.text(mid_r, top - 14.0, 11.0, true, Align::Center, "Độc lập - Tự do - Hạnh phúc");
        self.doc.line(mid_r - 62.0, top - 18.0, mid_r + 62.0, top - 18.0, 0.6);
        self.doc.text(mid_r, top - 34.0, 10.0, false, Align::Center, place_date);
        self.y = (y - 20.0).min(top - 56.0);
    }

    fn signatures(&mut self, left: &str, right: &str, right_name: &str) {
        self.room(90.0);
        self.gap(10.0);
        let (xl, xr) = (LEFT + 110.0, RIGHT - 120.0);
        if !left.is_empty() {
            self.doc.text(xl, self.y, 11.0, true, Align::Center, left);
            self.doc.text(xl, self.y - 14.0, 9.5, false, Align::Center, "(Ký và ghi rõ họ tên)");
        }
        self.doc.text(xr, self.y, 11.0, true, Align::Center, right);
        self.doc.text(xr, self.y - 14.0, 9.5, false, Align::Center, "(Ký và ghi rõ họ tên)");
        self.doc.text(xr, self.y - 70.0, 11.0, true, Align::Center, right_name);
        self.y -= 84.0;
    }
}

fn when(ms: i64) -> String {
    let t = kernel::time::vn_datetime(ms);
    format!("{:02} giờ {:02} phút, ngày {:02}/{:02}/{:04}", t.hour(), t.minute(), t.day(), t.month() as u8, t.year())
}

fn place_date(ms: i64) -> String {
    let t = kernel::time::vn_datetime(ms);
    format!("ngày {:02} tháng {:02} năm {:04}", t.day(), t.month() as u8, t.year())
}

fn date_vn(s: &Option<String>) -> String {
    s.as_deref().and_then(kernel::time::parse_date).map(kernel::time::date_vi).unwrap_or_else(|| "—".into())
}

impl Onestop {
    /// One of a dossier's papers as PDF, for those who may see the dossier.
    pub async fn paper(&self, p: &Principal, id: &str, paper: Paper) -> Result<Vec<u8>> {
        let d = self.dossier(p, id).await?;
        let history = store::history(&self.db, &d.d.id).await?;
        let agency = self.catalog.agency(&d.d.agency_code).await?;
        let code = d.d.code.clone().unwrap_or_else(|| "(chưa cấp)".into());
        let last = |action: &str| history.iter().rev().find(|h| h.action == action).cloned();
        match paper {
            Paper::Receipt => {
                let accepted =
                    last("accepted").ok_or_else(|| Error::conflict("hồ sơ chưa được tiếp nhận (the dossier is not accepted yet)"))?;
                Ok(self.receipt(&d, &agency.name, &accepted).await?)
            }
            Paper::SupplementRequest => {
                let req = last("supplement_requested")
                    .ok_or_else(|| Error::conflict("hồ sơ không có yêu cầu bổ sung (no supplement was requested)"))?;
                let items: Vec<String> = req.detail["items"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                    .unwrap_or_default();
                let mut s = Sheet::new("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ");
                s.heading(&agency.name, &format!("Số: {code}"), &place_date(req.at));
                s.para(13.0, true, Align::Center, "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ");
                s.gap(8.0);
                s.para(11.0, false, Align::Left, &format!("Hồ sơ của: {}", d.d.applicant.name));
                s.para(11.0, false, Align::Left, &format!("Nội dung yêu cầu giải quyết: {}", d.d.procedure_name));
                s.para(
                    11.0,
                    false,
                    Align::Left,
                    "Sau khi xem xét, cơ quan giải quyết đề nghị ông/bà bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:",
                );
                for (i, item) in items.iter().enumerate() {
                    s.para(11.0, false, Align::Left, &format!("{}. {item}", i + 1));
                }
                if let Some(r) = &req.reason {
                    s.para(11.0, false, Align::Left, &format!("Lý do: {r}"));
                }
                s.para(11.0, false, Align::Left, "Thời gian bổ sung hồ sơ không tính vào thời hạn giải quyết. Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, ông/bà liên hệ với bộ phận tiếp nhận và trả kết quả để được hướng dẫn.");
                s.signatures("", "NGƯỜI HƯỚNG DẪN", &req.actor_name);
                Ok(s.doc.finish())
            }
            Paper::Refusal => {
                if d.d.status != Status::NotAccepted {
                    return Err(Error::conflict("hồ sơ không bị từ chối (the dossier was not refused)"));
                }
                let r = last("refused").ok_or_else(|| Error::internal("refusal without history"))?;
                let mut s = Sheet::new("Phiếu từ chối tiếp nhận giải quyết hồ sơ");
                s.heading(&agency.name, "", &place_date(r.at));
                s.para(13.0, true, Align::Center, "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ");
                s.gap(8.0);
                s.para(11.0, false, Align::Left, &format!("Cơ quan tiếp nhận hồ sơ của: {}", d.d.applicant.name));
                s.para(11.0, false, Align::Left, &format!("Đề nghị giải quyết: {}", d.d.procedure_name));
                s.para(11.0, false, Align::Left, &format!("Nộp lúc: {}", when(d.d.submitted_at)));
                s.para(
                    11.0,
                    false,
                    Align::Left,
                    &format!("Cơ quan từ chối tiếp nhận, giải quyết hồ sơ với lý do: {}", r.reason.clone().unwrap_or_default()),
                );
                s.para(11.0, false, Align::Left, "Xin thông báo để ông/bà được biết và thực hiện.");
                s.signatures("", "NGƯỜI TIẾP NHẬN", &r.actor_name);
                Ok(s.doc.finish())
            }
            Paper::Apology => {
                let a =
                    last("apology_approved").ok_or_else(|| Error::conflict("hồ sơ không có thư xin lỗi đã duyệt (no approved apology)"))?;
                let mut s = Sheet::new("Phiếu xin lỗi và hẹn lại ngày trả kết quả");
                s.heading(&agency.name, &format!("Số: {code}"), &place_date(a.at));
                s.para(13.0, true, Align::Center, "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ");
                s.gap(8.0);
                s.para(
                    11.0,
                    false,
                    Align::Left,
                    &format!(
                        "Ngày {}, {} tiếp nhận giải quyết hồ sơ của ông/bà {}, mã hồ sơ {code}, về việc {}.",
                        date_vn(&d.d.received_on),
                        agency.name,
                        d.d.applicant.name,
                        d.d.procedure_name
                    ),
                );
                s.para(11.0, false, Align::Left, &format!("Ngày hẹn trả kết quả: {}.", date_vn(&d.d.original_due_on)));
                s.para(
                    11.0,
                    false,
                    Align::Left,
                    &format!(
                        "Tuy nhiên đến nay cơ quan chưa trả kết quả cho ông/bà đúng hẹn. Lý do: {}",
                        a.reason.clone().unwrap_or_default()
                    ),
                );
                s.para(
                    11.0,
                    false,
                    Align::Left,
                    &format!(
                        "Sự chậm trễ này đã gây phiền hà cho ông/bà. {} xin lỗi ông/bà và hẹn trả kết quả vào ngày {}.",
                        agency.name,
                        date_vn(&a.detail["new_due_on"].as_str().map(str::to_owned))
                    ),
                );
                s.para(11.0, false, Align::Left, "Xin trân trọng cảm ơn sự hợp tác của ông/bà.");
                s.signatures("", "THỦ TRƯỞNG CƠ QUAN", &a.actor_name);
                Ok(s.doc.finish())
            }
            Paper::ControlSheet => {
                if d.d.accepted_at.is_none() {
                    return Err(Error::conflict("hồ sơ chưa được tiếp nhận (the dossier is not accepted yet)"));
                }
                Ok(self.control_sheet(&d, &agency.name, &history).await?)
            }
        }
    }

    async fn receipt(&self, d: &DossierRow, agency: &str, accepted: &HistoryEntry) -> Result<Vec<u8>> {
        let pv = self.catalog.procedure_version_by_id(&d.procedure_version_id).await?;
        let code = d.d.code.clone().unwrap_or_default();
        let mut s = Sheet::new("Giấy tiếp nhận hồ sơ và hẹn trả kết quả");
        s.heading(agency, &format!("Mã hồ sơ: {code}"), &place_date(accepted.at));
        s.para(13.0, true, Align::Center, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ");
        s.gap(6.0);
        s.field("Bộ phận tiếp nhận và trả kết quả:", agency);
        s.field("Tiếp nhận hồ sơ của:", &d.d.applicant.name);
        if let Some(a) = &d.d.applicant.address {
            s.field("Địa chỉ:", a);
        }
        let contact = [d.d.applicant.phone.clone(), d.d.applicant.email.clone()].into_iter().flatten().collect::<Vec<_>>().join(" — ");
        if !contact.is_empty() {
            s.field("Số điện thoại, thư điện tử:", &contact);
        }
        s.field("Nội dung yêu cầu giải quyết:", &format!("{} (mã thủ tục {})", d.d.procedure_name, d.d.procedure_code));
        let channel = match d.d.channel {
            crate::model::Channel::InPerson => "trực tiếp",
            crate::model::Channel::Online => "trực tuyến",
            crate::model::Channel::Post => "qua dịch vụ bưu chính công ích",
        };
        s.field("Hình thức nộp:", channel);
        s.gap(4.0);
        s.para(11.0, true, Align::Left, "Thành phần hồ sơ nộp gồm:");
        for (i, doc) in pv.body.documents.iter().enumerate() {
            let kind = match (doc.originals, doc.copies) {
                (o, 0) if o > 0 => format!("{o} bản chính"),
                (0, c) if c > 0 => format!("{c} bản sao"),
                (o, c) => format!("{o} bản chính, {c} bản sao"),
            };
            s.para(11.0, false, Align::Left, &format!("{}. {} — {kind}", i + 1, doc.name));
        }
        s.gap(4.0);
        s.field("Số lượng hồ sơ:", "01 bộ");
        s.field("Thời gian giải quyết:", &pv.processing.display(false));
        s.field("Thời gian nhận hồ sơ:", &when(d.d.accepted_at.unwrap_or(accepted.at)));
        s.field("Thời gian trả kết quả:", &format!("ngày {}", date_vn(&d.d.due_on)));
        s.field("Nơi trả kết quả:", agency);
        if d.d.fee_total > 0 {
            s.field("Phí, lệ phí:", &kernel::money::Vnd(d.d.fee_total).display_vi());
        }
        s.para(10.0, false, Align::Left, "Tra cứu tình trạng hồ sơ bằng mã hồ sơ hoặc quét mã QR bên dưới.");
        s.room(110.0);
        let url = format!("{}/tracking?code={code}", self.public_url);
        let y = s.y - 100.0;
        s.doc.qr(LEFT - 8.0, y, 100.0, &url);
        s.doc.text(LEFT + 100.0, y + 50.0, 9.0, false, Align::Left, &url);
        s.y = y - 8.0;
        s.signatures("NGƯỜI NỘP HỒ SƠ", "NGƯỜI TIẾP NHẬN HỒ SƠ", &accepted.actor_name);
        Ok(s.doc.finish())
    }

    async fn control_sheet(&self, d: &DossierRow, agency: &str, history: &[HistoryEntry]) -> Result<Vec<u8>> {
        let tasks = store::tasks_of(&self.db, &d.d.id).await?;
        let code = d.d.code.clone().unwrap_or_default();
        let mut s = Sheet::new("Phiếu kiểm soát quá trình giải quyết hồ sơ");
        s.heading(agency, &format!("Mã hồ sơ: {code}"), &place_date(self.now()));
        s.para(13.0, true, Align::Center, "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ");
        s.gap(6.0);
        if d.d.kind == "internal" {
            s.field("Người lập:", &d.d.applicant.name);
            s.field("Trích yếu:", d.d.subject.as_deref().unwrap_or(""));
        } else {
            s.field("Kèm theo hồ sơ của:", &d.d.applicant.name);
        }
        s.field("Nội dung yêu cầu giải quyết:", &d.d.procedure_name);
        s.field("Ngày nhận:", &date_vn(&d.d.received_on));
        s.field("Ngày hẹn trả:", &date_vn(&d.d.due_on));
        s.gap(6.0);
        let cols = [LEFT, LEFT + 150.0, LEFT + 300.0, LEFT + 400.0];
        let heads = ["Bước / việc", "Người thực hiện", "Thời gian", "Kết quả"];
        s.room(40.0);
        for (x, h) in cols.iter().zip(heads) {
            s.doc.text(*x, s.y, 10.0, true, Align::Left, h);
        }
        s.doc.line(LEFT, s.y - 4.0, RIGHT, s.y - 4.0, 0.6);
        s.y -= 18.0;
        let row = |s: &mut Sheet, cells: [String; 4]| {
            let wrapped: Vec<Vec<String>> =
                cells.iter().enumerate().map(|(i, c)| s.doc.wrap(c, 9.5, if i < 3 { 145.0 } else { RIGHT - cols[3] })).collect();
            let h = wrapped.iter().map(Vec::len).max().unwrap_or(1) as f32 * 12.5;
            s.room(h + 6.0);
            for (x, lines) in cols.iter().zip(&wrapped) {
                for (k, l) in lines.iter().enumerate() {
                    s.doc.text(*x, s.y - k as f32 * 12.5, 9.5, false, Align::Left, l);
                }
            }
            s.y -= h + 4.0;
            s.doc.line(LEFT, s.y + 8.0, RIGHT, s.y + 8.0, 0.3);
        };
        for h in history {
            let label = match h.action.as_str() {
                "submitted" => "Nộp hồ sơ".to_owned(),
                "case_started" => "Mở hồ sơ công việc".to_owned(),
                "accepted" => "Tiếp nhận hồ sơ".to_owned(),
                "processing_started" | "moved" => {
                    format!("Chuyển xử lý: {}", h.detail["to_step"].as_str().or(h.detail["step"].as_str()).unwrap_or(""))
                }
                "step_completed" => format!("Hoàn thành bước {}", h.step.clone().unwrap_or_default()),
                "claimed" | "assigned" => format!("Nhận việc bước {}", h.step.clone().unwrap_or_default()),
                "supplement_requested" => "Yêu cầu bổ sung hồ sơ".to_owned(),
                "supplemented" => "Bổ sung hồ sơ".to_owned(),
                "sent_back" => "Trả lại bước trước".to_owned(),
                "paid" => "Nộp phí, lệ phí".to_owned(),
                "result_returned" => "Trả kết quả".to_owned(),
                "apology_approved" => "Xin lỗi, hẹn lại ngày trả".to_owned(),
                "file_added" => continue,
                other => other.replace('_', " "),
            };
            let outcome = match (&h.detail["on_time"], &h.reason) {
                (serde_json::Value::Bool(true), _) => "Đúng hạn".to_owned(),
                (serde_json::Value::Bool(false), _) => "Quá hạn".to_owned(),
                (_, Some(r)) => r.clone(),
                _ => h.to_status.and_then(Status::from_code).map(|s| s.label(false).to_owned()).unwrap_or_default(),
            };
            let t = kernel::time::vn_datetime(h.at);
            let at = format!("{:02}:{:02} {:02}/{:02}/{:04}", t.hour(), t.minute(), t.day(), t.month() as u8, t.year());
            row(&mut s, [label, h.actor_name.clone(), at, outcome]);
        }
        let late = tasks.iter().filter(|t| t.on_time == Some(false)).count();
        s.gap(6.0);
        s.para(
            10.5,
            false,
            Align::Left,
            &format!("Số bước xử lý: {}; quá hạn: {late}.", tasks.iter().filter(|t| t.status == "done").count()),
        );
        Ok(s.doc.finish())
    }
}
