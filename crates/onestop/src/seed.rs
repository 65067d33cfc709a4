//! Dossiers of the demo province, so that `tinhso demo` opens on one-stop queues that are not
//! empty: one waiting at reception, one new in the specialist's inbox, one waiting for the
//! applicant's supplement, one waiting for its fee, one overdue at the head of department's
//! check, one at the head of department's review at the ward, one whose result was returned
//! electronically, and an internal case (an outgoing letter). Each is made through the same
//! use cases as the applicants' and officials' own actions (submission, files, acceptance,
//! tasks, supplement request, return), so its history, deadlines, events and notices are the
//! engine's; only when the province has no dossier yet.

use serde_json::json;

use kernel::authz::Principal;
use kernel::db::q;
use kernel::{Error, Result};

use crate::Onestop;
use crate::model::{Applicant, Channel, Dossier, deadline};
use crate::service::SubmitInput;
use crate::service::actions::{ReturnInput, SupplementRequest, Versioned};
use crate::service::internal::CaseInput;
use crate::service::ratings::RatingInput;
use crate::service::tasks::{Complete, TaskVersion};

/// The judicial record certificate: Department of Justice, 10 working days, a fee.
const JUDICIAL_RECORD: &str = "2.000505";
/// Birth registration: every commune and ward, one working day, free.
const BIRTH: &str = "1.001193";
/// Marriage registration, likewise at the commune or ward.
const MARRIAGE: &str = "1.000894";
const WARD: &str = "000.00.51.H99";
const DEPARTMENT: &str = "000.00.13.H99";
const DAY_MS: i64 = 86_400_000;

/// The demo accounts the dossiers are made by, in the order of [`demo`]'s `who`.
pub const ACTORS: &[&str] = &[
    "001090012345",
    "079185004321",
    "094300001122",
    "tiepnhan.stp",
    "chuyenvien.stp",
    "truongphong.stp",
    "lanhdao.stp",
    "vanthu.stp",
    "tiepnhan.pta",
    "chuyenvien.pta",
    "truongphong.pta",
    "lanhdao.pta",
    "vanthu.pta",
];

/// A one-page PDF standing for an applicant's form or an agency's result.
fn paper(title: &str, lines: &[&str]) -> Vec<u8> {
    let mut doc = pdfdoc::Document::new(title);
    doc.add_page();
    doc.text(297.0, 780.0, 11.0, true, pdfdoc::Align::Center, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM");
    doc.text(297.0, 764.0, 11.0, true, pdfdoc::Align::Center, "Độc lập - Tự do - Hạnh phúc");
    let mut y = 720.0;
    for line in doc.wrap(title, 14.0, 460.0) {
        doc.text(297.0, y, 14.0, true, pdfdoc::Align::Center, &line);
        y -= 20.0;
    }
    y -= 10.0;
    for l in lines {
        doc.text(70.0, y, 11.0, false, pdfdoc::Align::Left, l);
        y -= 16.0;
    }
    doc.text(70.0, y - 24.0, 10.0, false, pdfdoc::Align::Left, "(Giấy tờ mẫu của tỉnh Thái An — dữ liệu trình diễn)");
    doc.finish()
}

/// An applicant without an account, at the counter.
struct WalkIn<'a> {
    name: &'a str,
    citizen_id: &'a str,
    phone: &'a str,
    address: &'a str,
}

struct Seeder<'a> {
    o: &'a Onestop,
    who: &'a dyn Fn(&str) -> Result<Principal>,
}

impl Seeder<'_> {
    /// An online submission by the citizen `login`, with its filled-in form as a file.
    async fn online(&self, login: &str, procedure: &str, agency: Option<&str>, email: &str, form: serde_json::Value) -> Result<Dossier> {
        let p = (self.who)(login)?;
        let input = SubmitInput {
            procedure_code: procedure.into(),
            agency_code: agency.map(Into::into),
            channel: Channel::Online,
            applicant: Some(Applicant {
                kind: "citizen".into(),
                name: p.name.clone(),
                citizen_id: None,
                tax_code: None,
                email: Some(email.into()),
                phone: None,
                address: None,
                commune_code: None,
            }),
            proxy: None,
            form,
        };
        let d = self.o.submit(&p, &input).await?;
        let lines = [format!("Người yêu cầu: {}", p.name), format!("Số định danh cá nhân: {}", login)];
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        self.o
            .attach(
                &p,
                &d.id,
                "application",
                Some("TP1"),
                "to-khai.pdf",
                "application/pdf",
                &paper(&format!("TỜ KHAI — {}", d.procedure_name), &lines),
            )
            .await?;
        self.fresh(&p, &d.id).await
    }

    /// A walk-in applicant's dossier received at the counter by `login`: submitted with the
    /// scan of their form, and accepted.
    async fn at_counter(
        &self,
        login: &str,
        procedure: &str,
        agency: Option<&str>,
        person: &WalkIn<'_>,
        form: serde_json::Value,
        (file, scan): (&str, &[u8]),
    ) -> Result<Dossier> {
        let counter = (self.who)(login)?;
        let input = SubmitInput {
            procedure_code: procedure.into(),
            agency_code: agency.map(Into::into),
            channel: Channel::InPerson,
            applicant: Some(Applicant {
                kind: "citizen".into(),
                name: person.name.into(),
                citizen_id: Some(person.citizen_id.into()),
                tax_code: None,
                email: None,
                phone: Some(person.phone.into()),
                address: Some(person.address.into()),
                commune_code: None,
            }),
            proxy: None,
            form,
        };
        let d = self.o.submit(&counter, &input).await?;
        self.o.attach(&counter, &d.id, "application", Some("TP1"), file, "application/pdf", scan).await?;
        let d = self.fresh(&counter, &d.id).await?;
        self.accept(login, &d).await
    }

    async fn fresh(&self, p: &Principal, id: &str) -> Result<Dossier> {
        Ok(self.o.dossier(p, id).await?.d)
    }

    async fn accept(&self, login: &str, d: &Dossier) -> Result<Dossier> {
        self.o.accept(&(self.who)(login)?, &d.id, &Versioned { version: d.version }).await
    }

    /// Takes the dossier's open task as `login`: (their principal, the task id, its version).
    async fn claim(&self, login: &str, d: &Dossier) -> Result<(Principal, String, i64)> {
        let p = (self.who)(login)?;
        let (task, version) = self.o.open_task_of(&p, &d.id).await?;
        let t = self.o.claim(&p, &task, &TaskVersion { version }).await?;
        Ok((p, task, t.version))
    }

    /// Completes the dossier's open task as `login`, with `outcome`.
    async fn complete(&self, login: &str, d: &Dossier, outcome: &str, note: Option<&str>) -> Result<Dossier> {
        let (p, task, version) = self.claim(login, d).await?;
        self.o.complete(&p, &task, &Complete { version, outcome: outcome.into(), note: note.map(Into::into) }).await
    }
}

/// The latest time, a day or more ago, at which a dossier of `procedure` submitted online to
/// `agency` falls due tomorrow (or today, before a holiday): the inbox's "due soon".
async fn due_tomorrow(o: &Onestop, procedure: &str, agency: &str) -> Result<i64> {
    let time = o.catalog.procedure(procedure).await?.processing;
    let cal = o.calendar(agency).await?;
    let now = kernel::time::now_ms();
    let (today, _) = deadline::local(now);
    for days in 1..90 {
        let t = now - days * DAY_MS;
        let due = deadline::due_on(&cal, deadline::received_on(&cal, t), t, time.value, time.unit.as_str());
        if cal.working_days_between(today, due) <= 1 {
            return Ok(t);
        }
    }
    Err(Error::internal(format!("no time in the last 90 days makes {procedure} due tomorrow")))
}

/// Makes the demo dossiers, when there are none. `who` gives the principal of each login in
/// [`ACTORS`], as it is when that account signs in (second factor included).
pub async fn demo(o: &Onestop, who: &dyn Fn(&str) -> Result<Principal>) -> Result<()> {
    if q("SELECT COUNT(*) FROM dossiers").fetch_i64(&o.db).await? > 0 {
        return Ok(());
    }
    let s = Seeder { o, who };
    let judicial = |name: &str, number: &str| json!({"ho_ten": name, "so_dinh_danh": number, "dia_chi": "Phường Thái An, tỉnh Thái An"});

    // At reception: submitted online, not yet looked at.
    s.online("001090012345", JUDICIAL_RECORD, None, "an.nguyen@example.vn", judicial("Nguyễn Văn An", "001090012345")).await?;

    // Submitted nine or so working days ago and accepted that day: a new task in the
    // specialists' inbox, the appointment date tomorrow (due soon; an apology with a new date
    // may still be sent).
    let t = due_tomorrow(o, JUDICIAL_RECORD, DEPARTMENT).await?;
    let (then, later) = (o.at(t), o.at(t + 2 * 3_600_000));
    let d = Seeder { o: &then, who }
        .online("079185004321", JUDICIAL_RECORD, None, "binh.tran@example.vn", judicial("Trần Thị Bình", "079185004321"))
        .await?;
    Seeder { o: &later, who }.accept("tiepnhan.stp", &d).await?;

    // Accepted, then one supplement request: the applicant has files to add.
    let d = s.online("094300001122", JUDICIAL_RECORD, None, "chau.le@example.vn", judicial("Lê Hoàng Châu", "094300001122")).await?;
    let d = s.accept("tiepnhan.stp", &d).await?;
    let (p, _, _) = s.claim("chuyenvien.stp", &d).await?;
    let d = s.fresh(&p, &d.id).await?;
    let request = SupplementRequest {
        version: d.version,
        items: vec!["Bản sao Căn cước công dân còn hạn, rõ nét".into(), "Tờ khai có chữ ký của người yêu cầu".into()],
        reason: Some("Bản sao giấy tờ tùy thân bị mờ, tờ khai chưa ký".into()),
    };
    o.request_supplement(&p, &d.id, &request).await?;

    // Processed, approved and numbered: the fee is due, to pay online or at the counter.
    let d = s.online("079185004321", JUDICIAL_RECORD, None, "binh.tran@example.vn", judicial("Trần Thị Bình", "079185004321")).await?;
    let d = s.accept("tiepnhan.stp", &d).await?;
    let d = s.complete("chuyenvien.stp", &d, "done", Some("Đã tra cứu, không có án tích")).await?;
    let d = s.complete("truongphong.stp", &d, "done", None).await?;
    let d = s.complete("lanhdao.stp", &d, "approved", None).await?;
    s.complete("vanthu.stp", &d, "done", None).await?;

    // Received at the department's counter a month ago and processed the next day, but never
    // checked by the head of department since: overdue (the inbox's "Quá hạn" view, the
    // dashboard's overdue list).
    let month_ago = kernel::time::now_ms() - 30 * DAY_MS;
    let (then, next_day) = (o.at(month_ago), o.at(month_ago + DAY_MS));
    let late = Seeder { o: &then, who: s.who };
    let person =
        WalkIn { name: "Đỗ Văn Hùng", citizen_id: "001088003456", phone: "0987654321", address: "12 Lê Lợi, phường Thái An" };
    let scan = paper("TỜ KHAI YÊU CẦU CẤP PHIẾU LÝ LỊCH TƯ PHÁP", &["Người yêu cầu: Đỗ Văn Hùng", "Số định danh cá nhân: 001088003456"]);
    let form = judicial(person.name, person.citizen_id);
    let d = late.at_counter("tiepnhan.stp", JUDICIAL_RECORD, None, &person, form, ("to-khai.pdf", &scan)).await?;
    Seeder { o: &next_day, who: s.who }.complete("chuyenvien.stp", &d, "done", Some("Đã tra cứu, không có án tích")).await?;

    // At the ward's counter, for a walk-in couple: now at the head of department's review.
    let person =
        WalkIn { name: "Phạm Minh Đức", citizen_id: "001095006789", phone: "0912345678", address: "Tổ 3, phường Thái An" };
    let scan = paper("TỜ KHAI ĐĂNG KÝ KẾT HÔN", &["Bên nam: Phạm Minh Đức", "Bên nữ: Vũ Thị Hoa"]);
    let form = json!({"ho_ten": person.name, "so_dinh_danh": person.citizen_id, "ho_ten_nguoi_duoc_dang_ky": "Vũ Thị Hoa"});
    let d = s.at_counter("tiepnhan.pta", MARRIAGE, Some(WARD), &person, form, ("to-khai-ket-hon.pdf", &scan)).await?;
    s.complete("chuyenvien.pta", &d, "done", Some("Đủ điều kiện kết hôn")).await?;

    // A birth registered at the ward, its certificate returned electronically and rated.
    let form = json!({"ho_ten": "Nguyễn Văn An", "so_dinh_danh": "001090012345", "ho_ten_nguoi_duoc_dang_ky": "Nguyễn Minh Khang", "gioi_tinh": "Nam", "dan_toc": "Kinh", "quan_he": "Cha"});
    let d = s.online("001090012345", BIRTH, Some(WARD), "an.nguyen@example.vn", form).await?;
    let d = s.accept("tiepnhan.pta", &d).await?;
    let d = s.complete("chuyenvien.pta", &d, "done", None).await?;
    let d = s.complete("truongphong.pta", &d, "done", None).await?;
    let d = s.complete("lanhdao.pta", &d, "approved", None).await?;
    let d = s.complete("vanthu.pta", &d, "done", None).await?;
    let reception = (s.who)("tiepnhan.pta")?;
    let code = d.code.clone().ok_or_else(|| Error::internal("an accepted dossier without a code"))?;
    let certificate = paper(
        "GIẤY KHAI SINH",
        &[
            "Họ, chữ đệm, tên: Nguyễn Minh Khang",
            "Giới tính: Nam    Dân tộc: Kinh",
            "Họ, chữ đệm, tên người cha: Nguyễn Văn An",
            &format!("Hồ sơ: {code}"),
        ],
    );
    o.attach(&reception, &d.id, "result", None, "giay-khai-sinh.pdf", "application/pdf", &certificate).await?;
    let d = s.fresh(&reception, &d.id).await?;
    o.return_result(&reception, &d.id, &ReturnInput { version: d.version, method: "electronic".into(), note: None }).await?;
    let citizen = (s.who)("001090012345")?;
    o.rate(&citizen, &d.id, &RatingInput { score: 5, comment: Some("Nhanh, cán bộ hướng dẫn tận tình".into()) }).await?;

    // The department's own work: an outgoing letter drafted, at the head of department's check.
    let drafter = (s.who)("chuyenvien.stp")?;
    let letter = CaseInput {
        subject: "Về việc hướng dẫn cấp Phiếu lý lịch tư pháp trên Cổng dịch vụ công".into(),
        agency_code: None,
        data: json!({
            "doc_type": "Công văn",
            "recipients": ["UBND các phường, xã", "Công an tỉnh"],
            "summary": "Hướng dẫn người dân nộp hồ sơ, nộp phí và nhận Phiếu lý lịch tư pháp trực tuyến.",
        }),
    };
    let d = o.start_case(&drafter, "outgoing_document", &letter).await?;
    s.complete("chuyenvien.stp", &d, "done", Some("Dự thảo kèm theo")).await?;
    Ok(())
}
