//! `/documents/{id}`: one document with its facts, files, recipients and the status each last
//! reported, assignments, linked dossiers and its whole history; below, as forms, the steps the
//! caller may take in the document's present state (see `actions` for what they post to).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use web::{Caller, Shell, render};

use super::actions::{ActionForm, forms_for};
use super::{date, official, state_label, status_label, when};
use crate::Docflow;
use crate::model::{ASSIGNMENT_ROLES, Direction, priority_label};
use crate::service::DocumentView;

#[derive(Deserialize, Default)]
pub(super) struct Msg {
    ok: Option<String>,
    err: Option<String>,
    /// The form the error belongs to.
    form: Option<String>,
}

struct FileRow {
    id: String,
    name: String,
    role: String,
    size: String,
    sha: String,
}

struct RecipientRow {
    name: String,
    organ_id: String,
    status: String,
    at: String,
    note: String,
}

struct AssignmentRow {
    name: String,
    role: String,
    deadline: String,
    state: String,
    note: String,
    at: String,
}

struct HistoryRow {
    at: String,
    who: String,
    action: String,
    change: String,
    status: String,
    note: String,
}

#[derive(Template)]
#[template(path = "document.html", config = "templates/askama.toml")]
struct DocumentPage {
    shell: Shell,
    id: String,
    csrf: String,
    version: i64,
    kind_number: String,
    subject: String,
    facts: Vec<(String, String)>,
    outgoing: bool,
    recall_pending: bool,
    files: Vec<FileRow>,
    recipients: Vec<RecipientRow>,
    assignments: Vec<AssignmentRow>,
    history: Vec<HistoryRow>,
    dossiers: Vec<String>,
    forms: Vec<ActionForm>,
    /// The caller may change the draft's details (`/documents/{id}/edit`).
    editable: bool,
    /// A form sends a file: the upload script comes with the page.
    has_upload: bool,
    notice: Option<String>,
    error: Option<String>,
}

/// What a history entry's action means, for people.
fn action_label(a: &str, en: bool) -> String {
    let (vi, e) = match a {
        "arrived" => ("Nhận gói tin qua trục liên thông", "Package received through the exchange"),
        "register" => ("Vào sổ, cấp số", "Registered and numbered"),
        "reject" => ("Từ chối tiếp nhận", "Refused"),
        "assign" => ("Phân công xử lý", "Assigned"),
        "opinion" => ("Ý kiến xử lý", "Handler's opinion"),
        "complete" => ("Hoàn thành xử lý", "Handling completed"),
        "draft" => ("Tạo dự thảo", "Draft started"),
        "edit" => ("Sửa dự thảo", "Draft edited"),
        "file" => ("Thêm tệp", "File added"),
        "submit" => ("Trình ký", "Submitted for signature"),
        "send_back" => ("Trả lại dự thảo", "Sent back to the drafter"),
        "approve" => ("Ký duyệt", "Approved and signed"),
        "issue" => ("Cấp số, phát hành", "Numbered and issued"),
        "withdraw" => ("Thu hồi", "Withdrawn"),
        "recall_accepted" => ("Đồng ý thu hồi", "Recall accepted"),
        "recall_refused" => ("Từ chối thu hồi", "Recall refused"),
        "link" => ("Liên kết hồ sơ", "Dossier linked"),
        "changed" => ("Được cập nhật, thay thế", "Updated or replaced"),
        "package_sent" => ("Gửi gói tin lên trục", "Package sent to the hub"),
        "status_sent" => ("Gửi trạng thái cho bên gửi", "Status sent to the sender"),
        "status_received" => ("Nhận trạng thái từ nơi nhận", "Status received"),
        "send_failed" => ("Không gửi được", "Could not be sent"),
        other => (other, other),
    };
    if en { e.to_owned() } else { vi.to_owned() }
}

/// The confirmation after a step succeeded.
fn done_label(action: &str, en: bool) -> Option<&'static str> {
    let (vi, e) = match action {
        "registered" => ("Đã vào sổ văn bản đến.", "The document is registered."),
        "drafted" => ("Đã lưu dự thảo.", "The draft is saved."),
        "edited" => ("Đã lưu các thay đổi của dự thảo.", "The draft's changes are saved."),
        "accept" => ("Đã vào sổ, cấp số đến.", "Registered and numbered."),
        "reject" => ("Đã từ chối tiếp nhận.", "Refused."),
        "assign" => ("Đã phân công xử lý.", "Assigned."),
        "opinion" => ("Đã ghi ý kiến xử lý.", "The opinion is recorded."),
        "complete" => ("Đã hoàn thành xử lý.", "Handling completed."),
        "upload" => ("Đã tải tệp lên.", "The file is uploaded."),
        "submit" => ("Đã trình ký.", "Submitted for signature."),
        "send_back" => ("Đã trả lại dự thảo.", "Sent back to the drafter."),
        "approve" => ("Đã ký duyệt.", "Approved and signed."),
        "issue" => ("Đã cấp số và phát hành.", "Numbered and issued."),
        "withdraw" => ("Đã thu hồi văn bản.", "Withdrawn."),
        "recall" => ("Đã trả lời yêu cầu thu hồi.", "The recall is answered."),
        "link" => ("Đã liên kết hồ sơ.", "The dossier is linked."),
        _ => return None,
    };
    Some(if en { e } else { vi })
}

fn file_role(r: &str, en: bool) -> &str {
    match (r, en) {
        ("main", false) => "Văn bản chính",
        ("attachment", false) => "Phụ lục, kèm theo",
        ("draft", false) => "Dự thảo xử lý",
        ("main", true) => "Main text",
        ("attachment", true) => "Attachment",
        ("draft", true) => "Handler's draft",
        (other, _) => other,
    }
}

fn size(n: i64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.0} KB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

fn assignment_state(s: &str, en: bool) -> &str {
    match (s, en) {
        ("assigned", false) => "Đã giao",
        ("processing", false) => "Đang xử lý",
        ("done", false) => "Đã xong",
        ("replaced", false) => "Đã giao lại",
        ("assigned", true) => "Assigned",
        ("processing", true) => "In progress",
        ("done", true) => "Done",
        ("replaced", true) => "Reassigned",
        (other, _) => other,
    }
}

/// The document's facts as (label, value) lines, the empty ones left out.
fn facts(v: &DocumentView, en: bool) -> Vec<(String, String)> {
    let d = &v.document;
    let t = |vi: &str, e: &str| if en { e.to_owned() } else { vi.to_owned() };
    let mut out = vec![(t("Trạng thái", "State"), d.state.label(en).to_owned())];
    out.push((t("Cơ quan", "Agency"), d.agency_name.clone()));
    if let (Some(n), Some(y)) = (d.reg_number, d.reg_year) {
        let label = if d.direction == Direction::Incoming { t("Số đến", "Incoming number") } else { t("Số đi", "Outgoing number") };
        out.push((label, format!("{n}/{y} — {}", d.register_name.clone().unwrap_or_default())));
    }
    out.push((t("Số, ký hiệu", "Number and notation"), d.number_notation()));
    out.push((t("Loại văn bản", "Kind"), d.type_name.clone()));
    out.push((t("Ngày văn bản", "Date"), date(d.promulgation_date.as_deref())));
    if d.direction == Direction::Incoming {
        let sender = match (&d.sender_name, &d.sender_organ_id) {
            (Some(n), Some(o)) => format!("{n} ({o})"),
            (Some(n), None) => n.clone(),
            (None, o) => o.clone().unwrap_or_default(),
        };
        out.push((t("Nơi gửi", "Sender"), sender));
    }
    let signer = [d.signer_position.clone(), d.signer_name.clone()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    out.push((t("Người ký", "Signed by"), signer));
    out.push((t("Độ khẩn", "Priority"), priority_label(d.priority, en).to_owned()));
    out.push((t("Hạn xử lý", "Due"), date(d.due_date.as_deref())));
    out.push((t("Nội dung tóm tắt", "Summary"), d.content.clone().unwrap_or_default()));
    if let (Some(by), Some(at)) = (&d.approved_by, d.approved_at) {
        out.push((t("Ký duyệt", "Approved"), format!("{by}, {}", when(at))));
    }
    let source = match d.source.as_str() {
        "exchange" => t("Trục liên thông (edXML)", "The exchange (edXML)"),
        "typed" | "upload" => t("Văn thư nhập", "Entered by the clerk"),
        "drafted" => t("Soạn tại cơ quan", "Drafted here"),
        s => s.to_owned(),
    };
    out.push((t("Nguồn", "Source"), source));
    out.push((t("Mã văn bản liên thông", "Exchange document id"), d.edxml_id.clone().unwrap_or_default()));
    out.retain(|(_, v)| !v.trim().is_empty());
    out
}

pub(super) async fn page(
    State(d): State<Docflow>,
    shell: Shell,
    caller: Caller,
    Path(id): Path<String>,
    web::Query(m): web::Query<Msg>,
) -> Response {
    let p = match official(&shell, &caller, &format!("/documents/{id}")) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let en = shell.lang.is_en();
    let run = async {
        let v = d.view(&p, &id).await?;
        let mut forms = forms_for(&d, &p, &v, en).await?;
        let error = m.err.clone().filter(|e| !e.is_empty());
        if let (Some(e), Some(f)) = (&error, &m.form)
            && let Some(form) = forms.iter_mut().find(|x| x.action == f.as_str())
        {
            form.error = Some(e.clone());
        }
        let doc = &v.document;
        let heading = match (doc.direction, doc.number_notation()) {
            (Direction::Incoming, n) => format!("{} {} {n}", shell.t("Văn bản đến", "Incoming"), doc.type_name),
            (Direction::Outgoing, n) if n.is_empty() => format!("{} {}", shell.t("Dự thảo văn bản đi", "Outgoing draft"), doc.type_name),
            (Direction::Outgoing, n) => format!("{} {} {n}", shell.t("Văn bản đi", "Outgoing"), doc.type_name),
        };
        let recipients = v
            .recipients
            .iter()
            .map(|r| RecipientRow {
                name: r.name.clone(),
                organ_id: r.organ_id.clone(),
                status: r.status_code.as_deref().map(|c| status_label(c, en)).unwrap_or_else(|| shell.t("Chưa có", "None yet").to_owned()),
                at: r.status_at.map(when).unwrap_or_default(),
                note: r.description.clone().unwrap_or_default(),
            })
            .collect();
        let assignments = v
            .assignments
            .iter()
            .map(|a| AssignmentRow {
                name: a.account_name.clone(),
                role: ASSIGNMENT_ROLES
                    .iter()
                    .find(|r| r.0 == a.role)
                    .map(|r| if en { r.2 } else { r.1 }.to_owned())
                    .unwrap_or_else(|| a.role.clone()),
                deadline: date(a.deadline.as_deref()),
                state: assignment_state(&a.state, en).to_owned(),
                note: a.note.clone().unwrap_or_default(),
                at: when(a.assigned_at),
            })
            .collect();
        let history = v
            .history
            .iter()
            .map(|h| HistoryRow {
                at: when(h.at),
                who: h.actor_name.clone(),
                action: action_label(&h.action, en),
                change: match (&h.from_state, &h.to_state) {
                    (Some(a), Some(b)) => format!("{} → {}", state_label(a, en), state_label(b, en)),
                    (None, Some(b)) => format!("→ {}", state_label(b, en)),
                    _ => String::new(),
                },
                status: match (&h.status_code, &h.organ_id) {
                    (Some(c), Some(o)) => format!("{} ({o})", status_label(c, en)),
                    (Some(c), None) => status_label(c, en),
                    _ => String::new(),
                },
                note: h.note.clone().unwrap_or_default(),
            })
            .collect();
        let files = v
            .files
            .iter()
            .map(|f| FileRow {
                id: f.id.clone(),
                name: f.name.clone(),
                role: file_role(&f.role, en).to_owned(),
                size: size(f.size),
                sha: f.sha256.chars().take(12).collect(),
            })
            .collect();
        let title = if heading.trim().is_empty() { doc.subject.clone() } else { heading.clone() };
        Ok::<_, kernel::Error>(render(&DocumentPage {
            shell: shell.clone().titled(title, "documents"),
            id: doc.id.clone(),
            csrf: caller.csrf.clone().unwrap_or_default(),
            version: doc.version,
            kind_number: heading,
            subject: doc.subject.clone(),
            facts: facts(&v, en),
            outgoing: doc.direction == Direction::Outgoing,
            recall_pending: doc.direction == Direction::Incoming && doc.business_type == 1,
            files,
            recipients,
            assignments,
            history,
            dossiers: v.dossiers.clone(),
            editable: super::may_edit_draft(&p, &v.document),
            has_upload: forms.iter().any(|f| f.upload),
            forms,
            notice: m.ok.as_deref().and_then(|k| done_label(k, en)).map(str::to_owned),
            error,
        }))
    };
    run.await.unwrap_or_else(|e| web::page::error_page(shell, e))
}

/// `GET /documents/{id}/act` (a reload after a post): back to the document.
pub(super) async fn back_to_page(Path(id): Path<String>) -> Response {
    Redirect::to(&format!("/documents/{}", super::enc(&id))).into_response()
}

/// A file of a document the caller may see.
pub(super) async fn download(State(d): State<Docflow>, shell: Shell, caller: Caller, Path((id, file)): Path<(String, String)>) -> Response {
    let p = match official(&shell, &caller, &format!("/documents/{id}/files/{file}")) {
        Ok(p) => p,
        Err(r) => return r,
    };
    match d.file(&p, &id, &file).await {
        Ok((f, bytes)) => web::page::stored_file(&f.name, &f.content_type, &f.sha256, bytes),
        Err(e) => web::page::error_page(shell, e),
    }
}
