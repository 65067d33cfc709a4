//! Pages of document management (quản lý văn bản): the registers with their filters and
//! spreadsheet export, the forms that register an incoming document and start a draft, "my
//! work", and a document's page with its history and, as forms, every step the caller may take
//! now. Officials only; everything works without JavaScript (uploads show their progress when
//! `/static/upload.js` runs).

use std::sync::Arc;

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use kernel::Error;
use kernel::authz::{Permission, Principal, PrincipalKind};
use web::{Caller, Shell};

use crate::Docflow;
use crate::model::{Direction, DocState, priority_label};
use crate::service::Document;

mod actions;
mod document;
mod forms;
mod inbox;
mod list;

pub fn router() -> Router<Docflow> {
    Router::new()
        .route("/documents", get(list::list))
        .route("/documents/export", get(list::export))
        .route("/documents/inbox", get(inbox::inbox))
        .route("/documents/incoming/new", get(forms::incoming_page).post(forms::incoming_post))
        .route("/documents/outgoing/new", get(forms::outgoing_page).post(forms::outgoing_post))
        .route("/documents/{id}", get(document::page))
        .route("/documents/{id}/edit", get(forms::edit_page).post(forms::edit_post))
        .route("/documents/{id}/act", get(document::back_to_page).post(actions::act))
        .route("/documents/{id}/files/{file}", get(document::download))
}

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// The signed-in official, or the answer to give instead: the sign-in page for visitors, a
/// readable 403 page for citizens, businesses and systems.
fn official(shell: &Shell, caller: &Caller, here: &str) -> Result<Arc<Principal>, Response> {
    match &caller.principal {
        None => Err(Redirect::to(&format!("/login?next={}", enc(here))).into_response()),
        Some(p) if p.kind == PrincipalKind::Official => Ok(p.clone()),
        Some(_) => Err(web::page::error_page(
            shell.clone(),
            Error::Forbidden("trang quản lý văn bản dành cho cán bộ, công chức (document management is for officials)".into()),
        )),
    }
}

/// As [`official`], for a posted form: its anti-forgery token must be the session's.
fn official_post(shell: &Shell, caller: &Caller, here: &str, posted: &Posted) -> Result<Arc<Principal>, Response> {
    let p = official(shell, caller, here)?;
    if !caller.csrf_ok(posted.get("_csrf")) {
        return Err(web::page::error_page(
            shell.clone(),
            Error::Forbidden(
                "biểu mẫu thiếu hoặc sai mã chống giả mạo; hãy tải lại trang (the form's anti-forgery token is wrong; reload the page)"
                    .into(),
            ),
        ));
    }
    Ok(p)
}

/// The official's own agency, the one whose registers the pages show.
async fn own_agency(d: &Docflow, p: &Principal) -> kernel::Result<crate::service::AgencyRef> {
    match &p.agency_id {
        Some(id) => d.agency_by_id(id).await,
        None => Err(Error::Forbidden("tài khoản không thuộc cơ quan nào (the account belongs to no agency)".into())),
    }
}

/// Whether `p` may change the details of `doc`: a draft, by its drafter or the department's
/// head (as [`crate::Docflow::edit_draft`] checks).
fn may_edit_draft(p: &Principal, doc: &Document) -> bool {
    doc.direction == crate::model::Direction::Outgoing && doc.state == crate::model::DocState::Draft && doc.drafted_by_or_reviewed(p)
}

/// True when `p` may start a draft at the agency (the service's rule).
fn may_draft(p: &Principal, agency_id: &str) -> bool {
    [Permission::DossierProcess, Permission::DossierApprove, Permission::DocumentNumber].into_iter().any(|x| p.allows(x, Some(agency_id)))
}

/// A file sent with a form.
struct Upload {
    field: String,
    name: String,
    content_type: String,
    bytes: Vec<u8>,
}

/// A posted form, urlencoded or multipart: its fields in order, and its files.
#[derive(Default)]
struct Posted {
    fields: Vec<(String, String)>,
    files: Vec<Upload>,
}

impl Posted {
    async fn read(req: Request) -> Result<Posted, String> {
        let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        if !ct.starts_with("multipart/form-data") {
            let Form(fields) = Form::<Vec<(String, String)>>::from_request(req, &()).await.map_err(|e| e.to_string())?;
            return Ok(Posted { fields, files: vec![] });
        }
        let mut mp = Multipart::from_request(req, &()).await.map_err(|e| e.to_string())?;
        let mut out = Posted::default();
        while let Some(field) = mp.next_field().await.map_err(|e| e.to_string())? {
            let name = field.name().unwrap_or("").to_owned();
            match field.file_name().map(str::to_owned) {
                Some(file_name) => {
                    let content_type = field.content_type().unwrap_or("application/octet-stream").to_owned();
                    let bytes = field.bytes().await.map_err(|e| e.to_string())?;
                    // An empty file input is sent as a part without a name or bytes.
                    if !file_name.is_empty() || !bytes.is_empty() {
                        out.files.push(Upload { field: name, name: file_name, content_type, bytes: bytes.to_vec() });
                    }
                }
                None => out.fields.push((name, field.text().await.map_err(|e| e.to_string())?)),
            }
        }
        Ok(out)
    }

    fn get(&self, k: &str) -> &str {
        self.fields.iter().find(|x| x.0 == k).map(|x| x.1.as_str()).unwrap_or("")
    }

    /// The trimmed value, `None` when empty.
    fn opt(&self, k: &str) -> Option<String> {
        Some(self.get(k).trim().to_owned()).filter(|s| !s.is_empty())
    }

    fn all(&self, k: &str) -> Vec<String> {
        self.fields.iter().filter(|x| x.0 == k).map(|x| x.1.clone()).collect()
    }

    fn file(&self, field: &str) -> Option<&Upload> {
        self.files.iter().find(|f| f.field == field)
    }
}

/// What the file inputs accept.
const ACCEPT: &str = ".pdf,.jpg,.jpeg,.png,.doc,.docx,.odt,.xlsx";

/// The service's file rule, checked before anything is created so a form with a wrong file
/// stores nothing.
fn check_file(f: &Upload) -> Result<(), String> {
    crate::service::files::check_file(&f.name, &f.content_type, &f.bytes).map(|_| ()).map_err(|e| format!("{}: {}", f.name, message(e)))
}

/// The readable message of a failed step: the field messages of invalid input, else the detail.
fn message(e: Error) -> String {
    match e {
        Error::Invalid(list) => list.into_iter().map(|f| f.message).collect::<Vec<_>>().join("; "),
        e => {
            let p = web::Problem::from(e);
            p.detail.filter(|d| !d.is_empty()).unwrap_or(p.title)
        }
    }
}

fn when(ms: i64) -> String {
    let t = kernel::time::vn_datetime(ms);
    format!("{:02}:{:02} {:02}/{:02}/{:04}", t.hour(), t.minute(), t.day(), t.month() as u8, t.year())
}

fn date(s: Option<&str>) -> String {
    s.and_then(kernel::time::parse_date).map(kernel::time::date_vi).unwrap_or_default()
}

fn state_label(s: &str, en: bool) -> String {
    DocState::parse(s).map(|x| x.label(en).to_owned()).unwrap_or_else(|| s.to_owned())
}

/// `06 — Hoàn thành` for an edXML status code.
fn status_label(code: &str, en: bool) -> String {
    use edxml::StatusCode as S;
    let Ok(c) = code.parse::<S>() else { return code.to_owned() };
    let label = if !en {
        c.label_vi()
    } else {
        match c {
            S::Arrived => "Arrived",
            S::Rejected => "Refused",
            S::Accepted => "Accepted",
            S::Assigned => "Assigned",
            S::Processing => "Being handled",
            S::Done => "Done",
            S::Recalled => "Recalled",
            S::ChangeAccepted => "Change or recall accepted",
            S::ChangeRejected => "Change or recall refused",
        }
    };
    format!("{} — {label}", c.as_str())
}

/// One line of a document list, ready to show.
struct Row {
    id: String,
    /// The register number, `12/2026`.
    reg: String,
    date: String,
    /// The sender (incoming) or the recipients (outgoing).
    party: String,
    number: String,
    subject: String,
    kind: String,
    priority: String,
    urgent: bool,
    state: String,
    due: String,
    overdue: bool,
}

async fn rows(d: &Docflow, docs: Vec<Document>, en: bool) -> kernel::Result<Vec<Row>> {
    let today = kernel::time::today_vn();
    let mut out = Vec::with_capacity(docs.len());
    for x in docs {
        let party = match x.direction {
            Direction::Incoming => x.sender_name.clone().unwrap_or_default(),
            Direction::Outgoing => d.recipients(&x.id).await?.into_iter().map(|r| r.name).collect::<Vec<_>>().join("; "),
        };
        let day = match (x.direction, x.promulgation_date.as_deref()) {
            (Direction::Outgoing, Some(p)) => date(Some(p)),
            _ => kernel::time::date_vi(kernel::time::vn_datetime(x.created_at).date()),
        };
        let due_day = x.due_date.as_deref().and_then(kernel::time::parse_date);
        let open = !matches!(x.state, DocState::Done | DocState::Rejected | DocState::Recalled | DocState::Issued | DocState::Withdrawn);
        out.push(Row {
            reg: match (x.reg_number, x.reg_year) {
                (Some(n), Some(y)) => format!("{n}/{y}"),
                _ => String::new(),
            },
            date: day,
            party,
            number: x.number_notation(),
            kind: x.type_name.clone(),
            priority: priority_label(x.priority, en).to_owned(),
            urgent: x.priority > 0,
            state: x.state.label(en).to_owned(),
            due: due_day.map(kernel::time::date_vi).unwrap_or_default(),
            overdue: open && due_day.is_some_and(|d| d < today),
            subject: x.subject,
            id: x.id,
        });
    }
    Ok(out)
}
