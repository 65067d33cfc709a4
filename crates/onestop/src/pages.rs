//! Pages of the one-stop engine: public tracking (the QR code on every receipt leads here),
//! online submission from a procedure's e-form, "my dossiers" for applicants and the inbox
//! for officials, and a dossier's page with every action the caller may take as a form.
//! All work without JavaScript.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use kernel::authz::{Permission, Principal, PrincipalKind};
use serde::Deserialize;
use serde_json::{Map, Value};
use web::{Caller, Shell, render};

use crate::Onestop;
use crate::model::process::StepKind;
use crate::model::{Action, Dossier, Status};
use crate::service::actions::{ApologyInput, Payment, Reasoned, ReturnInput, SupplementInput, SupplementRequest, Versioned};
use crate::service::tasks::{Complete, InboxFilter, SendBack, TaskVersion, may_act};
use crate::service::{Attachment, SubmitInput};
use crate::store::{HistoryEntry, Task};

pub fn router() -> Router<Onestop> {
    Router::new()
        .route("/tracking", get(tracking))
        .route("/dossiers", get(dossiers))
        .route("/dossiers/{id}", get(dossier))
        .route("/dossiers/{id}/act", post(act))
        .route("/procedures/{code}/submit", get(submit_page).post(submit_post))
        .route("/counter", get(counter_page).post(counter_post))
        .route("/dashboard", get(dashboard))
        .route("/dashboard/export.csv", get(dashboard_csv))
}

fn date(s: &Option<String>) -> String {
    s.as_deref().and_then(kernel::time::parse_date).map(kernel::time::date_vi).unwrap_or_else(|| "—".into())
}

fn when(ms: i64) -> String {
    let t = kernel::time::vn_datetime(ms);
    format!("{:02}:{:02} {:02}/{:02}/{:04}", t.hour(), t.minute(), t.day(), t.month() as u8, t.year())
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn sign_in(path: &str) -> Response {
    Redirect::to(&format!("/login?next={}", enc(path))).into_response()
}

#[derive(Template)]
#[template(path = "tracking.html")]
struct TrackingPage {
    shell: Shell,
    code: String,
    found: Option<crate::service::stats::Tracking>,
    error: Option<String>,
}

impl TrackingPage {
    fn date(&self, s: &Option<String>) -> String {
        date(s)
    }
}

#[derive(Deserialize, Default)]
struct CodeQuery {
    code: Option<String>,
}

async fn tracking(State(o): State<Onestop>, shell: Shell, web::Query(q): web::Query<CodeQuery>) -> Response {
    let title = shell.t("Tra cứu hồ sơ", "Track a dossier").to_owned();
    let shell = shell.titled(title, "tracking");
    let code = q.code.unwrap_or_default().trim().to_owned();
    let (found, error, status) = if code.is_empty() {
        (None, None, 200)
    } else if kernel::codes::DossierCode::parse(&code).is_err() {
        (
            None,
            Some(shell.t("Mã hồ sơ có dạng <mã cơ quan>-YYMMDD-XXXX.", "A dossier code looks like <agency code>-YYMMDD-XXXX.").to_owned()),
            422,
        )
    } else {
        match o.track(&code).await {
            Ok(t) => (Some(t), None, 200),
            Err(kernel::Error::NotFound(_)) => {
                (None, Some(shell.t("Không có hồ sơ với mã này.", "No dossier has this code.").to_owned()), 404)
            }
            Err(e) => return web::page::error_page(shell, e),
        }
    };
    let mut r = render(&TrackingPage { shell, code, found, error });
    *r.status_mut() = axum::http::StatusCode::from_u16(status).unwrap_or_default();
    r
}

#[derive(Template)]
#[template(path = "dossiers.html")]
struct DossiersPage {
    shell: Shell,
    official: bool,
    can_receive: bool,
    can_report: bool,
    view: String,
    /// (view, label, count)
    views: Vec<(&'static str, &'static str, i64)>,
    tasks: Vec<Task>,
    list_title: String,
    dossiers: Vec<Dossier>,
}

impl DossiersPage {
    fn when(&self, ms: &i64) -> String {
        when(*ms)
    }

    fn date(&self, s: &Option<String>) -> String {
        date(s)
    }
}

#[derive(Deserialize, Default)]
struct ViewQuery {
    view: Option<String>,
}

async fn dossiers(State(o): State<Onestop>, shell: Shell, caller: Caller, web::Query(q): web::Query<ViewQuery>) -> Response {
    let Some(p) = caller.principal.clone() else { return sign_in("/dossiers") };
    let official = p.kind == PrincipalKind::Official;
    let title = if official { shell.t("Xử lý hồ sơ", "Dossier work") } else { shell.t("Hồ sơ của tôi", "My dossiers") }.to_owned();
    let shell = shell.titled(title, "dossiers");
    let run = async {
        let view = q.view.clone().unwrap_or_else(|| "all".into());
        let mut views = Vec::new();
        let mut tasks = Vec::new();
        if official {
            let counts = o.inbox_counts(&p).await?;
            let names = [
                ("all", "Tất cả", "All"),
                ("new", "Chưa nhận", "New"),
                ("mine", "Của tôi", "Mine"),
                ("due_soon", "Sắp đến hạn", "Due soon"),
                ("overdue", "Quá hạn", "Overdue"),
            ];
            for ((v, vi, en), n) in names.into_iter().zip(counts) {
                views.push((v, if shell.lang.is_en() { en } else { vi }, n));
            }
            tasks = o.inbox(&p, &InboxFilter { view: Some(view.clone()) }, 0, 100).await?.0;
        }
        let status = (view == "submitted").then_some(Status::Submitted);
        let dossiers = if official { o.recent_dossiers(&p, status, 30).await? } else { o.dossiers(&p, status, 0, 100).await?.0 };
        let list_title = match (official, status) {
            (_, Some(_)) => shell.t("Hồ sơ chờ tiếp nhận", "Dossiers waiting for reception"),
            (true, None) => shell.t("Hồ sơ của cơ quan", "The agency's dossiers"),
            (false, None) => shell.t("Hồ sơ đã nộp", "Submitted dossiers"),
        }
        .to_owned();
        let can_receive = p.agencies_with(Permission::DossierReceive).is_none_or(|s| !s.is_empty());
        let can_report = p.agencies_with(Permission::ReportsView).is_none_or(|s| !s.is_empty());
        Ok::<_, kernel::Error>(render(&DossiersPage {
            shell: shell.clone(),
            official,
            can_receive,
            can_report,
            view,
            views,
            tasks,
            list_title,
            dossiers,
        }))
    };
    run.await.unwrap_or_else(|e| web::page::error_page(shell, e))
}

struct Input {
    name: &'static str,
    label: String,
    /// text, date, number, file, select, textarea, hidden
    kind: &'static str,
    value: String,
    required: bool,
    options: Vec<(String, String)>,
}

fn input(name: &'static str, label: &str, kind: &'static str, required: bool) -> Input {
    Input { name, label: label.to_owned(), kind, value: String::new(), required, options: vec![] }
}

fn select(name: &'static str, label: &str, options: Vec<(String, String)>) -> Input {
    Input { name, label: label.to_owned(), kind: "select", value: String::new(), required: true, options }
}

struct ActionForm {
    action: &'static str,
    title: String,
    button: String,
    /// (task id, task version)
    task: Option<(String, i64)>,
    upload: bool,
    fields: Vec<Input>,
}

#[derive(Template)]
#[template(path = "dossier.html")]
struct DossierPage {
    shell: Shell,
    d: Dossier,
    step_name: Option<String>,
    csrf: String,
    papers: Vec<(&'static str, &'static str)>,
    forms: Vec<ActionForm>,
    form_fields: Vec<(String, String)>,
    attachments: Vec<Attachment>,
    history: Vec<HistoryEntry>,
    notice: Option<String>,
    error: Option<String>,
}

impl DossierPage {
    fn when(&self, ms: &i64) -> String {
        when(*ms)
    }

    fn date(&self, s: &Option<String>) -> String {
        date(s)
    }

    fn money(&self, v: &i64) -> String {
        kernel::money::Vnd(*v).display_vi()
    }

    fn action_label(&self, a: &str) -> String {
        action_label(a, self.shell.lang.is_en())
    }
}

/// What a history entry's action means, for people.
pub fn action_label(a: &str, en: bool) -> String {
    let (vi, e) = match a {
        "submitted" => ("Nộp hồ sơ", "Submitted"),
        "case_started" => ("Mở hồ sơ công việc", "Case opened"),
        "file_added" => ("Thêm tệp", "File added"),
        "accepted" => ("Tiếp nhận, cấp mã", "Accepted, code issued"),
        "processing_started" => ("Bắt đầu xử lý", "Processing started"),
        "claimed" => ("Nhận việc", "Task taken"),
        "assigned" => ("Giao việc", "Task assigned"),
        "step_completed" => ("Hoàn thành bước", "Step completed"),
        "moved" => ("Chuyển bước", "Moved on"),
        "consultation_answered" => ("Cơ quan phối hợp trả lời", "Consulted agency answered"),
        "sent_back" => ("Trả lại bước trước", "Sent back"),
        "supplement_requested" => ("Yêu cầu bổ sung", "Supplement requested"),
        "supplemented" => ("Đã bổ sung", "Supplemented"),
        "paid" => ("Nộp phí, lệ phí", "Fees paid"),
        "refused" => ("Từ chối tiếp nhận", "Refused"),
        "withdrawn" => ("Rút hồ sơ", "Withdrawn"),
        "stopped" => ("Dừng xử lý", "Stopped"),
        "result_returned" => ("Trả kết quả", "Result returned"),
        "apology_proposed" => ("Đề xuất xin lỗi, hẹn lại", "Apology proposed"),
        "apology_approved" => ("Duyệt xin lỗi, hẹn lại", "Apology approved"),
        "due_soon" => ("Sắp đến hạn", "Due soon"),
        "overdue" => ("Quá hạn", "Overdue"),
        "form_corrected" => ("Sửa tờ khai", "Form corrected"),
        other => (other, other),
    };
    if en { e.to_owned() } else { vi.to_owned() }
}

#[derive(Deserialize, Default)]
struct Msg {
    ok: Option<String>,
    err: Option<String>,
}

/// The forms `p` may use on the dossier now.
async fn forms_for(
    o: &Onestop,
    p: &Principal,
    row: &crate::store::DossierRow,
    tasks: &[Task],
    en: bool,
) -> kernel::Result<Vec<ActionForm>> {
    let t = |vi: &str, e: &str| if en { e.to_owned() } else { vi.to_owned() };
    let d = &row.d;
    let own = row.account_id.as_deref() == Some(p.id.as_str());
    let at = |perm| p.allows(perm, Some(&row.agency_id));
    let mut f = Vec::new();
    let simple = |action: &'static str, title: String, button: String, fields: Vec<Input>| ActionForm {
        action,
        title,
        button,
        task: None,
        upload: false,
        fields,
    };
    let pv = o.catalog.procedure_version_by_id(&row.procedure_version_id).await?;
    let docs: Vec<(String, String)> = pv.body.documents.iter().map(|x| (x.code.clone(), format!("{} — {}", x.code, x.name))).collect();
    let reason = |label: String| input("reason", &label, "textarea", true);
    // Applicants.
    if own && matches!(d.status, Status::Submitted | Status::SupplementRequested) {
        let purpose = if d.status == Status::Submitted { "application" } else { "supplement" };
        let mut fields = vec![
            select("document", &t("Thành phần hồ sơ", "Required document"), docs.clone()),
            input("file", &t("Tệp (PDF, JPEG, PNG; tối đa 10 MB)", "File (PDF, JPEG, PNG; up to 10 MB)"), "file", true),
        ];
        fields.push(Input {
            name: "purpose",
            label: String::new(),
            kind: "hidden",
            value: purpose.into(),
            required: false,
            options: vec![],
        });
        f.push(ActionForm {
            action: "upload",
            title: t("Tải lên giấy tờ", "Upload a document"),
            button: t("Tải lên", "Upload"),
            task: None,
            upload: true,
            fields,
        });
    }
    if own && d.status == Status::SupplementRequested {
        f.push(simple(
            "supplement",
            t("Nộp bổ sung", "Hand in the supplement"),
            t("Đã bổ sung xong", "Supplement complete"),
            vec![input("note", &t("Ghi chú", "Note"), "textarea", false)],
        ));
    }
    if d.status == Status::FeesDue && (own || at(Permission::FeeCollect)) {
        let method = if own {
            ("payment_gateway", t("Cổng thanh toán", "Payment gateway"))
        } else {
            ("counter", t("Tại quầy", "At the counter"))
        };
        let mut fields = vec![select("method", &t("Hình thức", "Method"), vec![(method.0.into(), method.1)])];
        fields.push(Input {
            name: "amount",
            label: t("Số tiền (đồng)", "Amount (VND)"),
            kind: "number",
            value: (d.fee_total - d.paid).to_string(),
            required: true,
            options: vec![],
        });
        f.push(simple("pay", t("Nộp phí, lệ phí", "Pay the fees"), t("Thanh toán", "Pay"), fields));
    }
    if own && Action::Withdraw.allowed(d.status) {
        f.push(simple("withdraw", t("Rút hồ sơ", "Withdraw the dossier"), t("Rút hồ sơ", "Withdraw"), vec![reason(t("Lý do", "Reason"))]));
    }
    // Reception.
    if at(Permission::DossierReceive) {
        if d.status == Status::Submitted {
            f.push(simple(
                "accept",
                t("Tiếp nhận hồ sơ", "Accept the dossier"),
                t("Tiếp nhận và cấp mã", "Accept and issue the code"),
                vec![],
            ));
            f.push(simple(
                "supplement_request",
                t("Yêu cầu bổ sung (một lần, đủ mọi nội dung)", "Ask for a supplement (once, everything)"),
                t("Gửi yêu cầu", "Send"),
                vec![input(
                    "items",
                    &t("Các giấy tờ, nội dung cần bổ sung (mỗi dòng một mục)", "What is missing (one per line)"),
                    "textarea",
                    true,
                )],
            ));
            f.push(simple("refuse", t("Từ chối tiếp nhận", "Refuse"), t("Từ chối", "Refuse"), vec![reason(t("Lý do từ chối", "Reasons"))]));
        }
        if matches!(d.status, Status::Processing | Status::Processed) {
            let fields = vec![
                input("file", &t("Tệp kết quả điện tử (PDF)", "Electronic result (PDF)"), "file", true),
                Input { name: "purpose", label: String::new(), kind: "hidden", value: "result".into(), required: false, options: vec![] },
            ];
            f.push(ActionForm {
                action: "upload",
                title: t("Tải lên kết quả", "Upload the result"),
                button: t("Tải lên", "Upload"),
                task: None,
                upload: true,
                fields,
            });
        }
        if d.status == Status::Processed {
            let methods = vec![
                ("in_person".into(), t("Trực tiếp", "In person")),
                ("post".into(), t("Bưu chính", "By post")),
                ("electronic".into(), t("Điện tử", "Electronic")),
            ];
            f.push(simple(
                "return",
                t("Trả kết quả", "Return the result"),
                t("Trả kết quả", "Return"),
                vec![select("method", &t("Hình thức trả", "How"), methods)],
            ));
        }
    }
    // The last step of an internal case is done by its role, not by the reception.
    if d.kind == "internal" && d.status == Status::Processed && tasks.iter().any(|x| x.status == "open" && may_act(p, x)) {
        let methods =
            vec![("in_person".into(), t("Hoàn thành", "Complete")), ("electronic".into(), t("Phát hành điện tử", "Issue electronically"))];
        f.push(simple(
            "return",
            t("Kết thúc quy trình", "Finish the process"),
            t("Kết thúc", "Finish"),
            vec![select("method", &t("Hình thức", "How"), methods)],
        ));
    }
    // Heads of department hand out the open tasks of their agency.
    for task in
        tasks.iter().filter(|x| x.status == "open" && x.kind != "consult" && p.allows(Permission::DossierReview, Some(&x.agency_id)))
    {
        let people = o.holders(&task.agency_id, &task.role).await?;
        if !people.is_empty() {
            f.push(ActionForm {
                action: "assign",
                title: format!("{}: {}", t("Giao việc", "Assign"), task.step_name),
                button: t("Giao", "Assign"),
                task: Some((task.id.clone(), task.version)),
                upload: false,
                fields: vec![select("assignee", &t("Cán bộ", "Official"), people)],
            });
        }
    }
    // The current step's tasks.
    let def = o.process_by_id(&row.process_id).await?;
    for task in tasks.iter().filter(|x| x.status == "open" && may_act(p, x) && x.kind != "return" && x.kind != "payment") {
        if task.assignee_id.is_none() {
            f.push(ActionForm {
                action: "claim",
                title: format!("{}: {}", t("Nhận việc", "Take the task"), task.step_name),
                button: t("Nhận việc", "Take it"),
                task: Some((task.id.clone(), task.version)),
                upload: false,
                fields: vec![],
            });
        }
        let outcomes: Vec<(String, String)> = if task.kind == "consult" {
            vec![("done".into(), t("Đã cho ý kiến", "Answered"))]
        } else {
            def.outcomes(&task.step_id).into_iter().map(|x| (x.to_owned(), outcome_label(x, en))).collect()
        };
        f.push(ActionForm {
            action: "complete",
            title: format!("{}: {}", t("Hoàn thành bước", "Complete the step"), task.step_name),
            button: t("Chuyển tiếp", "Send on"),
            task: Some((task.id.clone(), task.version)),
            upload: false,
            fields: vec![select("outcome", &t("Kết quả", "Outcome"), outcomes), input("note", &t("Ý kiến", "Opinion"), "textarea", false)],
        });
        if def.previous(&task.step_id).is_some() && def.step(&task.step_id).is_some_and(|s| s.kind != StepKind::Consult) {
            f.push(ActionForm {
                action: "send_back",
                title: t("Trả lại bước trước", "Send back"),
                button: t("Trả lại", "Send back"),
                task: Some((task.id.clone(), task.version)),
                upload: false,
                fields: vec![reason(t("Lý do", "Reason"))],
            });
        }
        if d.status == Status::Processing && !at(Permission::DossierReceive) {
            f.push(simple(
                "supplement_request",
                t("Yêu cầu bổ sung", "Ask for a supplement"),
                t("Gửi yêu cầu", "Send"),
                vec![input("items", &t("Nội dung cần bổ sung (mỗi dòng một mục)", "What is missing (one per line)"), "textarea", true)],
            ));
        }
    }
    if Action::Apology.allowed(d.status) && (at(Permission::DossierProcess) || at(Permission::DossierReceive)) {
        f.push(simple(
            "apology",
            t("Xin lỗi và hẹn lại ngày trả (trước ngày hẹn)", "Apologise with a new date (before the due date)"),
            t("Đề xuất", "Propose"),
            vec![reason(t("Lý do chậm", "Why late")), input("new_due_on", &t("Ngày hẹn mới", "New date"), "date", true)],
        ));
    }
    if at(Permission::DossierApprove) && Action::Apology.allowed(d.status) {
        for a in o.apologies(p, &d.id).await?.into_iter().filter(|a| a.status == "proposed") {
            let fields = vec![Input {
                name: "apology",
                label: String::new(),
                kind: "hidden",
                value: a.id.clone(),
                required: false,
                options: vec![],
            }];
            let title = format!(
                "{} {}: {}",
                t("Duyệt thư xin lỗi, hẹn lại ngày", "Approve the apology, new date"),
                date(&Some(a.new_due_on.clone())),
                a.reason
            );
            f.push(simple("approve_apology", title, t("Duyệt", "Approve"), fields));
        }
    }
    if Action::Stop.allowed(d.status) && at(Permission::DossierApprove) {
        f.push(simple("stop", t("Dừng xử lý", "Stop processing"), t("Dừng", "Stop"), vec![reason(t("Lý do", "Reasons"))]));
    }
    Ok(f)
}

fn outcome_label(o: &str, en: bool) -> String {
    let (vi, e) = match o {
        "done" => ("Hoàn thành, chuyển bước sau", "Done, next step"),
        "approved" => ("Phê duyệt", "Approve"),
        "rejected" => ("Không duyệt, trả lại", "Reject, send back"),
        "returned" => ("Trả lại để làm lại", "Return for rework"),
        other => (other, other),
    };
    if en { e.to_owned() } else { vi.to_owned() }
}

async fn dossier(
    State(o): State<Onestop>,
    shell: Shell,
    caller: Caller,
    Path(id): Path<String>,
    web::Query(m): web::Query<Msg>,
) -> Response {
    let Some(p) = caller.principal.clone() else { return sign_in(&format!("/dossiers/{id}")) };
    let run = async {
        let row = o.dossier(&p, &id).await?;
        let tasks = o.tasks_of(&p, &id).await?;
        let history = o.history(&p, &id).await?;
        let attachments = o.attachments(&p, &id).await?;
        let en = shell.lang.is_en();
        let forms = forms_for(&o, &p, &row, &tasks, en).await?;
        let def = o.process_by_id(&row.process_id).await?;
        let step_name =
            row.d.current_step.as_deref().filter(|_| !row.d.status.is_final()).and_then(|s| def.step(s)).map(|s| s.name.clone());
        let pv = o.catalog.procedure_version_by_id(&row.procedure_version_id).await?;
        let titles: HashMap<String, String> = pv
            .eform
            .as_ref()
            .and_then(|s| s["properties"].as_object())
            .map(|props| props.iter().map(|(k, v)| (k.clone(), v["title"].as_str().unwrap_or(k).to_owned())).collect())
            .unwrap_or_default();
        let form_fields = row
            .d
            .form
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        (
                            titles.get(k).cloned().unwrap_or_else(|| k.clone()),
                            v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut papers = Vec::new();
        let t = |vi: &'static str, e: &'static str| if en { e } else { vi };
        if row.d.accepted_at.is_some() {
            papers.push(("receipt", t("Giấy tiếp nhận, hẹn trả", "Receipt")));
            papers.push(("control-sheet", t("Phiếu kiểm soát quá trình", "Control sheet")));
        }
        if history.iter().any(|h| h.action == "supplement_requested") {
            papers.push(("supplement-request", t("Phiếu yêu cầu bổ sung", "Supplement request")));
        }
        if row.d.status == Status::NotAccepted {
            papers.push(("refusal", t("Phiếu từ chối", "Refusal")));
        }
        if row.d.apology_count > 0 {
            papers.push(("apology", t("Phiếu xin lỗi, hẹn lại", "Apology")));
        }
        let title = format!("{} {}", shell.t("Hồ sơ", "Dossier"), row.d.code.clone().unwrap_or_default());
        Ok::<_, kernel::Error>(render(&DossierPage {
            shell: shell.clone().titled(title, "dossiers"),
            d: row.d,
            step_name,
            csrf: caller.csrf.clone().unwrap_or_default(),
            papers,
            forms,
            form_fields,
            attachments,
            history,
            notice: m.ok,
            error: m.err,
        }))
    };
    run.await.unwrap_or_else(|e| web::page::error_page(shell, e))
}

/// The posted fields (urlencoded or multipart) and the uploaded file, if any.
async fn fields(req: Request) -> Result<(HashMap<String, String>, Option<(String, String, Vec<u8>)>), String> {
    let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    if ct.starts_with("multipart/form-data") {
        let mut mp = Multipart::from_request(req, &()).await.map_err(|e| e.to_string())?;
        let (mut map, mut file) = (HashMap::new(), None);
        while let Some(field) = mp.next_field().await.map_err(|e| e.to_string())? {
            let name = field.name().unwrap_or("").to_owned();
            if name == "file" {
                let fname = field.file_name().unwrap_or("file").to_owned();
                let ctype = field.content_type().unwrap_or("application/octet-stream").to_owned();
                let bytes = field.bytes().await.map_err(|e| e.to_string())?;
                if !bytes.is_empty() {
                    file = Some((fname, ctype, bytes.to_vec()));
                }
            } else {
                map.insert(name, field.text().await.map_err(|e| e.to_string())?);
            }
        }
        Ok((map, file))
    } else {
        let Form(map) = Form::<HashMap<String, String>>::from_request(req, &()).await.map_err(|e| e.to_string())?;
        Ok((map, None))
    }
}

async fn act(State(o): State<Onestop>, caller: Caller, Path(id): Path<String>, req: Request) -> Response {
    let Some(p) = caller.principal.clone() else { return sign_in(&format!("/dossiers/{id}")) };
    let back = |q: String| Redirect::to(&format!("/dossiers/{id}?{q}")).into_response();
    let (f, file) = match fields(req).await {
        Ok(x) => x,
        Err(e) => return back(format!("err={}", enc(&e))),
    };
    if !caller.csrf_ok(f.get("_csrf").map(String::as_str).unwrap_or("")) {
        return (axum::http::StatusCode::FORBIDDEN, "anti-forgery token mismatch").into_response();
    }
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let version = get("version").parse().unwrap_or(-1);
    let task_version = get("task_version").parse().unwrap_or(-1);
    let reasoned = || Reasoned { version, reason: get("reason") };
    let result: kernel::Result<&str> = match get("action").as_str() {
        "accept" => o.accept(&p, &id, &Versioned { version }).await.map(|_| "Đã tiếp nhận, cấp mã hồ sơ."),
        "refuse" => o.refuse(&p, &id, &reasoned()).await.map(|_| "Đã từ chối tiếp nhận."),
        "supplement_request" => {
            let items = get("items").lines().map(str::to_owned).collect();
            o.request_supplement(&p, &id, &SupplementRequest { version, items, reason: None }).await.map(|_| "Đã gửi yêu cầu bổ sung.")
        }
        "supplement" => o
            .supplement(&p, &id, &SupplementInput { version, note: Some(get("note")).filter(|s| !s.is_empty()) })
            .await
            .map(|_| "Đã nộp bổ sung."),
        "upload" => match file {
            None => Err(kernel::Error::invalid("file", "chọn tệp (choose a file)")),
            Some((name, ct, bytes)) => {
                let doc = Some(get("document")).filter(|s| !s.is_empty());
                o.attach(&p, &id, &get("purpose"), doc.as_deref(), &name, &ct, &bytes).await.map(|_| "Đã tải lên.")
            }
        },
        "approve_apology" => {
            o.approve_apology(&p, &get("apology")).await.map(|_| "Đã duyệt thư xin lỗi; ngày hẹn mới đã báo cho người nộp.")
        }
        "assign" => o
            .assign(&p, &get("task"), &crate::service::tasks::Assign { version: task_version, assignee_id: get("assignee") })
            .await
            .map(|_| "Đã giao việc."),
        "claim" => o.claim(&p, &get("task"), &TaskVersion { version: task_version }).await.map(|_| "Đã nhận việc."),
        "complete" => o
            .complete(
                &p,
                &get("task"),
                &Complete { version: task_version, outcome: get("outcome"), note: Some(get("note")).filter(|s| !s.is_empty()) },
            )
            .await
            .map(|_| "Đã chuyển tiếp."),
        "send_back" => o
            .send_back(&p, &get("task"), &SendBack { version: task_version, reason: get("reason") })
            .await
            .map(|_| "Đã trả lại bước trước."),
        "pay" => o
            .pay(&p, &id, &Payment { version, amount: get("amount").parse().unwrap_or(-1), method: get("method"), reference: None })
            .await
            .map(|_| "Đã ghi nhận thanh toán."),
        "withdraw" => o.withdraw(&p, &id, &reasoned()).await.map(|_| "Đã rút hồ sơ."),
        "stop" => o.stop(&p, &id, &reasoned()).await.map(|_| "Đã dừng xử lý."),
        "return" => o.return_result(&p, &id, &ReturnInput { version, method: get("method"), note: None }).await.map(|_| "Đã trả kết quả."),
        "apology" => o
            .propose_apology(&p, &id, &ApologyInput { version, reason: get("reason"), new_due_on: get("new_due_on") })
            .await
            .map(|_| "Đã đề xuất thư xin lỗi; chờ lãnh đạo duyệt."),
        _ => Err(kernel::Error::BadRequest("unknown action".into())),
    };
    match result {
        Ok(msg) => back(format!("ok={}", enc(msg))),
        Err(e) => back(format!("err={}", enc(&web::Problem::from(e).detail.unwrap_or_default()))),
    }
}

/// A field of the e-form as the page shows it.
struct FieldSpec {
    name: String,
    key: String,
    label: String,
    input: &'static str,
    required: bool,
    options: Vec<String>,
    kind: String,
}

fn spec(schema: &Value) -> Vec<FieldSpec> {
    let required: Vec<&str> = schema["required"].as_array().map(|a| a.iter().filter_map(|v| v.as_str()).collect()).unwrap_or_default();
    let Some(props) = schema["properties"].as_object() else { return vec![] };
    props
        .iter()
        .map(|(k, v)| {
            let kind = v["type"].as_str().unwrap_or("string").to_owned();
            let input = match (kind.as_str(), v["format"].as_str()) {
                (_, Some("date")) => "date",
                (_, Some("email")) => "email",
                ("integer" | "number", _) => "number",
                _ => "text",
            };
            FieldSpec {
                name: k.clone(),
                key: format!("f.{k}"),
                label: v["title"].as_str().unwrap_or(k).to_owned(),
                input,
                required: required.contains(&k.as_str()),
                options: v["enum"].as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect()).unwrap_or_default(),
                kind,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "submit.html")]
struct SubmitPage {
    shell: Shell,
    code: String,
    name: String,
    csrf: String,
    agencies: Vec<(String, String)>,
    fields: Vec<FieldSpec>,
    values: HashMap<String, String>,
    errors: Vec<(String, String)>,
}

impl SubmitPage {
    fn error(&self, key: &str) -> String {
        let field = key.strip_prefix("f.").map(|k| format!("form.{k}")).unwrap_or_else(|| key.to_owned());
        self.errors.iter().filter(|e| e.0 == field || e.0 == key).map(|e| e.1.clone()).collect::<Vec<_>>().join("; ")
    }
}

async fn submit_view(
    o: &Onestop,
    shell: Shell,
    caller: &Caller,
    code: &str,
    values: HashMap<String, String>,
    errors: Vec<(String, String)>,
) -> Response {
    let run = async {
        let pv = o.catalog.procedure(code).await?;
        let agencies = o.catalog.procedure_agencies(&pv.procedure_id).await?;
        let fields = pv.eform.as_ref().map(spec).unwrap_or_default();
        let title = shell.t("Nộp hồ sơ trực tuyến", "Submit online").to_owned();
        let failed = !errors.is_empty();
        let mut r = render(&SubmitPage {
            shell: shell.clone().titled(title, "procedures"),
            code: pv.code.to_string(),
            name: pv.name.clone(),
            csrf: caller.csrf.clone().unwrap_or_default(),
            agencies: agencies.into_iter().map(|(c, n)| (c.clone(), format!("{n} ({c})"))).collect(),
            fields,
            values,
            errors,
        });
        if failed {
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        }
        Ok::<_, kernel::Error>(r)
    };
    run.await.unwrap_or_else(|e| web::page::error_page(shell, e))
}

async fn submit_page(State(o): State<Onestop>, shell: Shell, caller: Caller, Path(code): Path<String>) -> Response {
    match &caller.principal {
        None => sign_in(&format!("/procedures/{code}/submit")),
        Some(p) if !matches!(p.kind, PrincipalKind::Citizen | PrincipalKind::Business) => {
            web::page::error_page(shell, kernel::Error::Forbidden("người dân, doanh nghiệp nộp trực tuyến; cán bộ tiếp nhận tại quầy (applicants submit online; officers receive at the counter)".into()))
        }
        Some(_) => submit_view(&o, shell, &caller, &code, HashMap::new(), vec![]).await,
    }
}

async fn submit_post(
    State(o): State<Onestop>,
    shell: Shell,
    caller: Caller,
    Path(code): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let Some(p) = caller.principal.clone() else { return sign_in(&format!("/procedures/{code}/submit")) };
    if !caller.csrf_ok(f.get("_csrf").map(String::as_str).unwrap_or("")) {
        return (axum::http::StatusCode::FORBIDDEN, "anti-forgery token mismatch").into_response();
    }
    let schema = match o.catalog.procedure(&code).await {
        Ok(pv) => pv.eform.unwrap_or(Value::Null),
        Err(e) => return web::page::error_page(shell, e),
    };
    let mut form = Map::new();
    for s in spec(&schema) {
        let Some(v) = f.get(&s.key).map(|v| v.trim()).filter(|v| !v.is_empty()) else { continue };
        let value = match s.kind.as_str() {
            "integer" => v.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(v.into())),
            "number" => v.parse::<f64>().map(Value::from).unwrap_or_else(|_| Value::String(v.into())),
            _ => Value::String(v.into()),
        };
        form.insert(s.name, value);
    }
    let contact = |k: &str| f.get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let applicant = crate::model::Applicant {
        kind: String::new(),
        name: String::new(),
        citizen_id: None,
        tax_code: None,
        email: contact("email"),
        phone: contact("phone"),
        address: None,
        commune_code: None,
    };
    let input = SubmitInput {
        procedure_code: code.clone(),
        agency_code: contact("agency_code"),
        channel: crate::model::Channel::Online,
        applicant: Some(applicant),
        proxy: None,
        form: Value::Object(form),
    };
    match o.submit(&p, &input).await {
        Ok(d) => Redirect::to(&format!("/dossiers/{}?ok={}", d.id, enc("Đã nộp hồ sơ. Hãy tải lên các giấy tờ."))).into_response(),
        Err(kernel::Error::Invalid(list)) => {
            submit_view(&o, shell, &caller, &code, f, list.into_iter().map(|e| (e.field, e.message)).collect()).await
        }
        Err(e) => web::page::error_page(shell, e),
    }
}

#[derive(Template)]
#[template(path = "counter.html")]
struct CounterPage {
    shell: Shell,
    csrf: String,
    agencies: Vec<(String, String)>,
    agency: String,
    procedures: Vec<(String, String)>,
    procedure: String,
    fields: Vec<FieldSpec>,
    values: HashMap<String, String>,
    errors: Vec<(String, String)>,
}

impl CounterPage {
    fn value(&self, key: &str) -> String {
        self.values.get(key).cloned().unwrap_or_default()
    }

    fn error(&self, key: &str) -> String {
        let field = key.strip_prefix("f.").map(|k| format!("form.{k}")).unwrap_or_else(|| key.to_owned());
        self.errors.iter().filter(|e| e.0 == field || e.0 == key).map(|e| e.1.clone()).collect::<Vec<_>>().join("; ")
    }
}

#[derive(Deserialize, Default)]
struct CounterQuery {
    agency: Option<String>,
    procedure: Option<String>,
}

/// The counter: a reception officer receives a walk-in (or postal) dossier, which is accepted
/// at once, and prints the receipt.
async fn counter_view(
    o: &Onestop,
    shell: Shell,
    caller: &Caller,
    p: &Principal,
    q: CounterQuery,
    values: HashMap<String, String>,
    errors: Vec<(String, String)>,
) -> Response {
    let title = shell.t("Tiếp nhận hồ sơ tại quầy", "Counter reception").to_owned();
    let shell = shell.titled(title, "dossiers");
    let run = async {
        let scope = p.agencies_with(Permission::DossierReceive);
        let agencies: Vec<(String, String)> = o
            .catalog
            .all_agencies()
            .await?
            .into_iter()
            .filter(|a| scope.as_ref().is_none_or(|s| s.contains(&a.id)))
            .map(|a| (a.code.to_string(), a.name.clone()))
            .collect();
        let agency =
            q.agency.filter(|a| agencies.iter().any(|x| &x.0 == a)).or_else(|| agencies.first().map(|a| a.0.clone())).unwrap_or_default();
        let mut procedures = Vec::new();
        if !agency.is_empty() {
            let f = catalog::store::procedures::ProcedureFilter { agency: Some(agency.clone()), ..Default::default() };
            procedures = o
                .catalog
                .search_procedures(&f, 0, 500)
                .await?
                .0
                .into_iter()
                .map(|x| (x.code.clone(), format!("{} — {}", x.code, x.name)))
                .collect();
        }
        let procedure = q.procedure.filter(|c| procedures.iter().any(|x| &x.0 == c)).unwrap_or_default();
        let fields =
            if procedure.is_empty() { vec![] } else { o.catalog.procedure(&procedure).await?.eform.as_ref().map(spec).unwrap_or_default() };
        let failed = !errors.is_empty();
        let mut r = render(&CounterPage {
            shell: shell.clone(),
            csrf: caller.csrf.clone().unwrap_or_default(),
            agencies,
            agency,
            procedures,
            procedure,
            fields,
            values,
            errors,
        });
        if failed {
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        }
        Ok::<_, kernel::Error>(r)
    };
    run.await.unwrap_or_else(|e| web::page::error_page(shell, e))
}

async fn counter_page(State(o): State<Onestop>, shell: Shell, caller: Caller, web::Query(q): web::Query<CounterQuery>) -> Response {
    let Some(p) = caller.principal.clone() else { return sign_in("/counter") };
    counter_view(&o, shell, &caller, &p, q, HashMap::new(), vec![]).await
}

async fn counter_post(State(o): State<Onestop>, shell: Shell, caller: Caller, Form(f): Form<HashMap<String, String>>) -> Response {
    let Some(p) = caller.principal.clone() else { return sign_in("/counter") };
    if !caller.csrf_ok(f.get("_csrf").map(String::as_str).unwrap_or("")) {
        return (axum::http::StatusCode::FORBIDDEN, "anti-forgery token mismatch").into_response();
    }
    let get = |k: &str| f.get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let code = get("procedure").unwrap_or_default();
    let schema = match o.catalog.procedure(&code).await {
        Ok(pv) => pv.eform.unwrap_or(Value::Null),
        Err(e) => return web::page::error_page(shell, e),
    };
    let mut form = Map::new();
    for s in spec(&schema) {
        let Some(v) = get(&s.key) else { continue };
        let value = match s.kind.as_str() {
            "integer" => v.parse::<i64>().map(Value::from).unwrap_or(Value::String(v)),
            "number" => v.parse::<f64>().map(Value::from).unwrap_or(Value::String(v)),
            _ => Value::String(v),
        };
        form.insert(s.name, value);
    }
    let applicant = crate::model::Applicant {
        kind: "citizen".into(),
        name: get("a.name").unwrap_or_default(),
        citizen_id: get("a.citizen_id"),
        tax_code: None,
        email: get("a.email"),
        phone: get("a.phone"),
        address: get("a.address"),
        commune_code: None,
    };
    let channel = if get("channel").as_deref() == Some("post") { crate::model::Channel::Post } else { crate::model::Channel::InPerson };
    let input = SubmitInput {
        procedure_code: code.clone(),
        agency_code: get("agency"),
        channel,
        applicant: Some(applicant),
        proxy: None,
        form: Value::Object(form),
    };
    let accepted = async {
        let d = o.submit(&p, &input).await?;
        o.accept(&p, &d.id, &Versioned { version: d.version }).await
    };
    match accepted.await {
        Ok(d) => {
            Redirect::to(&format!("/dossiers/{}?ok={}", d.id, enc("Đã tiếp nhận. In giấy tiếp nhận và hẹn trả kết quả cho người nộp.")))
                .into_response()
        }
        Err(kernel::Error::Invalid(list)) => {
            let q = CounterQuery { agency: get("agency"), procedure: Some(code) };
            counter_view(&o, shell, &caller, &p, q, f, list.into_iter().map(|e| (e.field, e.message)).collect()).await
        }
        Err(e) => web::page::error_page(shell, e),
    }
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    shell: Shell,
    from: String,
    to: String,
    error: Option<String>,
    total: crate::service::StatRow,
    on_time_rate: f64,
    channel_chart: String,
    field_chart: String,
    by_field: Vec<crate::service::StatRow>,
    overdue: Vec<Dossier>,
}

impl DashboardPage {
    fn pct(&self, v: &f64) -> String {
        format!("{v:.1} %")
    }

    fn date(&self, s: &Option<String>) -> String {
        date(s)
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A horizontal bar chart as inline SVG, with a title and a description for screen readers
/// (the numbers are also in the table beside it).
fn bar_chart(title: &str, bars: &[(String, i64)]) -> String {
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f64;
    let row = 26.0;
    let h = (bars.len() as f64 * row + 10.0).max(40.0);
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" aria-labelledby=\"c-t\" viewBox=\"0 0 600 {h}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\"><title id=\"c-t\">{}</title>",
        esc(title)
    );
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = 5.0 + i as f64 * row;
        let w = (*v as f64 / max) * 330.0;
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\" font-size=\"13\" fill=\"#1d2733\">{}</text><rect x=\"210\" y=\"{y}\" width=\"{w:.1}\" height=\"18\" fill=\"#0b57a4\"></rect><text x=\"{:.1}\" y=\"{}\" font-size=\"13\" fill=\"#1d2733\">{v}</text>",
            y + 14.0,
            esc(&label.chars().take(28).collect::<String>()),
            215.0 + w,
            y + 14.0
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[derive(Deserialize, Default)]
struct Period {
    from: Option<String>,
    to: Option<String>,
}

fn period(q: &Period) -> (String, String) {
    let today = kernel::time::today_vn();
    (
        q.from.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| format!("{}-01-01", today.year())),
        q.to.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| kernel::time::date_text(today)),
    )
}

fn sum(rows: &[crate::service::StatRow]) -> crate::service::StatRow {
    let mut t = crate::service::StatRow { key: "total".into(), name: "Tổng".into(), ..Default::default() };
    for r in rows {
        t.carried_over += r.carried_over;
        t.new_online += r.new_online;
        t.new_in_person += r.new_in_person;
        t.new_post += r.new_post;
        t.received += r.received;
        t.early += r.early;
        t.on_time += r.on_time;
        t.late += r.late;
        t.resolved += r.resolved;
        t.pending_within_deadline += r.pending_within_deadline;
        t.pending_overdue += r.pending_overdue;
        t.pending += r.pending;
        t.withdrawn += r.withdrawn;
    }
    t.on_time_rate = if t.resolved > 0 { ((t.early + t.on_time) as f64 * 1000.0 / t.resolved as f64).round() / 10.0 } else { 100.0 };
    t
}

/// Leaders' dashboard: on-time rate, volumes by channel and field (charts and table), the
/// overdue dossiers.
async fn dashboard(State(o): State<Onestop>, shell: Shell, caller: Caller, web::Query(q): web::Query<Period>) -> Response {
    let Some(p) = caller.principal.clone() else { return sign_in("/dashboard") };
    let title = shell.t("Bảng điều hành", "Dashboard").to_owned();
    let shell = shell.titled(title, "dashboard");
    let (from, to) = period(&q);
    let run = async {
        let st = crate::service::Statistics { from: from.clone(), to: to.clone(), group: Some("field".into()), agency_code: None };
        let (by_field, error) = match o.statistics(&p, &st).await {
            Ok(rows) => (rows, None),
            Err(kernel::Error::Invalid(e)) => (vec![], Some(e.into_iter().map(|x| x.message).collect::<Vec<_>>().join("; "))),
            Err(e) => return Err(e),
        };
        let total = sum(&by_field);
        let en = shell.lang.is_en();
        let ch = |vi: &str, e: &str| if en { e.to_owned() } else { vi.to_owned() };
        let channel_chart = bar_chart(
            &ch("Hồ sơ tiếp nhận theo kênh", "Received by channel"),
            &[
                (ch("Trực tuyến", "Online"), total.new_online),
                (ch("Trực tiếp", "In person"), total.new_in_person),
                (ch("Bưu chính", "Post"), total.new_post),
            ],
        );
        let field_chart = bar_chart(
            &ch("Hồ sơ tiếp nhận theo lĩnh vực", "Received by field"),
            &by_field.iter().map(|r| (r.name.clone(), r.received)).collect::<Vec<_>>(),
        );
        let mut overdue: Vec<Dossier> = o
            .dossiers(&p, Some(Status::Processing), 0, 500)
            .await?
            .0
            .into_iter()
            .filter(|d| d.overdue || d.due_on.as_deref().is_some_and(|x| x < kernel::time::date_text(kernel::time::today_vn()).as_str()))
            .collect();
        overdue.truncate(50);
        Ok(render(&DashboardPage {
            shell: shell.clone(),
            from: from.clone(),
            to: to.clone(),
            error,
            on_time_rate: total.on_time_rate,
            total,
            channel_chart,
            field_chart,
            by_field,
            overdue,
        }))
    };
    match run.await {
        Ok(r) => r,
        Err(kernel::Error::Forbidden(m)) => web::page::error_page(shell, kernel::Error::Forbidden(m)),
        Err(e) => web::page::error_page(shell, e),
    }
}

/// The statistics by agency as CSV (opens in a spreadsheet), with the totals.
async fn dashboard_csv(State(o): State<Onestop>, shell: Shell, caller: Caller, web::Query(q): web::Query<Period>) -> Response {
    let Some(p) = caller.principal.clone() else { return sign_in("/dashboard") };
    let (from, to) = period(&q);
    let st = crate::service::Statistics { from: from.clone(), to: to.clone(), group: Some("agency".into()), agency_code: None };
    match o.statistics(&p, &st).await {
        Ok(rows) => {
            let total = sum(&rows);
            let mut csv = String::from(
                "\u{feff}Mã,Tên,Kỳ trước chuyển sang,Trực tuyến,Trực tiếp,Bưu chính,Tiếp nhận,Trước hạn,Đúng hạn,Trễ hạn,Đã giải quyết,Trong hạn,Quá hạn,Đang giải quyết,Rút hồ sơ,Đúng hạn (%)\r\n",
            );
            for r in rows.iter().chain(std::iter::once(&total)) {
                csv.push_str(&format!(
                    "{},\"{}\",{},{},{},{},{},{},{},{},{},{},{},{},{},{:.1}\r\n",
                    r.key,
                    r.name.replace('"', "\"\""),
                    r.carried_over,
                    r.new_online,
                    r.new_in_person,
                    r.new_post,
                    r.received,
                    r.early,
                    r.on_time,
                    r.late,
                    r.resolved,
                    r.pending_within_deadline,
                    r.pending_overdue,
                    r.pending,
                    r.withdrawn,
                    r.on_time_rate
                ));
            }
            let name = format!("thong-ke-{from}-{to}.csv");
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
                ],
                csv,
            )
                .into_response()
        }
        Err(e) => web::page::error_page(shell, e),
    }
}
