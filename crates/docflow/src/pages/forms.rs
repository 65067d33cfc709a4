//! The forms that create a document: the clerk registers an incoming document typed in or
//! scanned (`/documents/incoming/new`), and a specialist, leader or clerk starts an outgoing
//! draft (`/documents/outgoing/new`); and the same drafting form changes a draft
//! (`/documents/{id}/edit`). A form with problems comes back with each one beside its
//! field and what was typed kept; nothing is stored until everything is right, the files
//! included.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kernel::Error;
use kernel::authz::{Permission, Principal};
use web::{Caller, Path, Shell, render};

use super::{ACCEPT, Posted, Upload, check_file, enc, may_draft, official, official_post, own_agency};
use crate::Docflow;
use crate::model::{Direction, KINDS, priority_label};
use crate::service::incoming::IncomingInput;
use crate::service::outgoing::{DraftEdit, OutgoingInput};

/// What was typed into a form and what is wrong with it, by field name.
#[derive(Default)]
pub(super) struct Typed {
    values: Vec<(String, String)>,
    errors: Vec<(String, String)>,
}

impl Typed {
    fn new(values: &[(&str, &str)]) -> Typed {
        Typed { values: values.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(), errors: vec![] }
    }

    fn value(&self, k: &str) -> &str {
        self.values.iter().find(|x| x.0 == k).map(|x| x.1.as_str()).unwrap_or("")
    }

    /// True when `v` is one of the values sent for `k` (selects, checkboxes).
    fn chosen(&self, k: &str, v: &str) -> bool {
        self.values.iter().any(|x| x.0 == k && x.1 == v)
    }

    /// The problems of field `k`; `recipients[2]` counts as `recipients`.
    fn error(&self, k: &str) -> String {
        self.errors.iter().filter(|e| e.0.split('[').next() == Some(k)).map(|e| e.1.clone()).collect::<Vec<_>>().join("; ")
    }

    fn failed(&self) -> bool {
        !self.errors.is_empty()
    }

    fn with_errors(mut self, e: Error) -> Typed {
        match e {
            Error::Invalid(list) => self.errors.extend(list.into_iter().map(|f| (f.field, f.message))),
            e => self.errors.push((String::new(), super::message(e))),
        }
        self
    }
}

fn kinds() -> Vec<(String, &'static str)> {
    KINDS.iter().map(|k| (k.code.to_string(), k.name)).collect()
}

fn priorities(en: bool) -> Vec<(String, &'static str)> {
    (0..=4).map(|p| (p.to_string(), priority_label(p, en))).collect()
}

/// A form with problems answers 422.
fn answer(mut r: Response, failed: bool) -> Response {
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// Checks every file of a form before anything is stored.
fn check_files<'a>(files: impl IntoIterator<Item = &'a Upload>, form: &mut Typed) {
    for f in files {
        if let Err(m) = check_file(f) {
            form.errors.push((f.field.clone(), m));
        }
    }
}

/// After the document exists: adds its files, then opens its page.
async fn finish(d: &Docflow, p: &Principal, id: &str, files: &[(&str, &Upload)], done: &str) -> Response {
    for (role, f) in files {
        if let Err(e) = d.add_file(p, id, role, &f.name, &f.content_type, &f.bytes).await {
            return Redirect::to(&format!("/documents/{id}?err={}&form=upload", enc(&super::message(e)))).into_response();
        }
    }
    Redirect::to(&format!("/documents/{id}?ok={done}")).into_response()
}

// ---- incoming ----

#[derive(Template)]
#[template(path = "incoming_new.html", config = "templates/askama.toml")]
struct IncomingPage {
    shell: Shell,
    csrf: String,
    agency: String,
    kinds: Vec<(String, &'static str)>,
    priorities: Vec<(String, &'static str)>,
    registers: Vec<(String, String)>,
    accept: &'static str,
    form: Typed,
}

async fn incoming_view(d: &Docflow, shell: Shell, caller: &Caller, p: &Principal, form: Typed) -> Response {
    let title = shell.t("Vào sổ văn bản đến", "Register an incoming document").to_owned();
    let shell = shell.titled(title, "documents");
    let run = async {
        let agency = own_agency(d, p).await?;
        if !p.allows(Permission::DocumentNumber, Some(&agency.id)) {
            return Err(Error::Forbidden(
                "chỉ văn thư của cơ quan vào sổ văn bản đến (only the agency's clerk registers incoming documents)".into(),
            ));
        }
        let registers = d
            .registers(p, &agency)
            .await?
            .into_iter()
            .filter(|r| r.direction == Direction::Incoming && r.active)
            .map(|r| (r.code, r.name))
            .collect();
        let failed = form.failed();
        let r = render(&IncomingPage {
            csrf: caller.csrf.clone().unwrap_or_default(),
            agency: agency.name,
            kinds: kinds(),
            priorities: priorities(shell.lang.is_en()),
            registers,
            accept: ACCEPT,
            shell: shell.clone(),
            form,
        });
        Ok(answer(r, failed))
    };
    match run.await {
        Ok(r) => r,
        Err(e) => web::page::error_page(shell, e),
    }
}

pub(super) async fn incoming_page(State(d): State<Docflow>, shell: Shell, caller: Caller) -> Response {
    let p = match official(&shell, &caller, "/documents/incoming/new") {
        Ok(p) => p,
        Err(r) => return r,
    };
    incoming_view(&d, shell, &caller, &p, Typed::new(&[("kind", "1"), ("priority", "0")])).await
}

pub(super) async fn incoming_post(State(d): State<Docflow>, shell: Shell, caller: Caller, req: Request) -> Response {
    let posted = match Posted::read(req).await {
        Ok(x) => x,
        Err(e) => return web::page::error_page(shell, Error::BadRequest(e)),
    };
    let p = match official_post(&shell, &caller, "/documents/incoming/new", &posted) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let input = IncomingInput {
        agency_code: None,
        register_code: posted.opt("register_code"),
        kind: posted.get("kind").trim().parse().unwrap_or(0),
        code_number: posted.opt("code_number"),
        code_notation: posted.opt("code_notation"),
        subject: posted.get("subject").to_owned(),
        content: posted.opt("content"),
        sender_name: posted.get("sender_name").to_owned(),
        sender_organ_id: None,
        promulgation_date: posted.opt("promulgation_date"),
        signer_name: posted.opt("signer_name"),
        signer_position: posted.opt("signer_position"),
        priority: posted.opt("priority").map(|s| s.parse().unwrap_or(-1)).unwrap_or(0),
        due_date: posted.opt("due_date"),
    };
    let mut form = Typed { values: posted.fields.iter().filter(|x| x.0 != "_csrf").cloned().collect(), errors: vec![] };
    let file = posted.file("file");
    check_files(file, &mut form);
    if form.failed() {
        return incoming_view(&d, shell, &caller, &p, form).await;
    }
    match d.register_incoming(&p, &input).await {
        Ok(doc) => {
            let files: Vec<(&str, &Upload)> = file.map(|f| ("main", f)).into_iter().collect();
            finish(&d, &p, &doc.id, &files, "registered").await
        }
        Err(e @ (Error::Forbidden(_) | Error::Db(_) | Error::Internal(_))) => web::page::error_page(shell, e),
        Err(e) => incoming_view(&d, shell, &caller, &p, form.with_errors(e)).await,
    }
}

// ---- outgoing ----

#[derive(Template)]
#[template(path = "outgoing_new.html", config = "templates/askama.toml")]
struct OutgoingPage {
    shell: Shell,
    csrf: String,
    /// Where the form posts: a new draft, or the changes of draft `id`.
    action: String,
    /// Changing a draft: its version as read (no files here; they are added on its page).
    version: Option<i64>,
    agency: String,
    kinds: Vec<(String, &'static str)>,
    priorities: Vec<(String, &'static str)>,
    /// (organ id, name) of every member of the exchange but the caller's agency.
    members: Vec<(String, String)>,
    accept: &'static str,
    form: Typed,
}

async fn outgoing_view(d: &Docflow, shell: Shell, caller: &Caller, p: &Principal, form: Typed) -> Response {
    let title = shell.t("Soạn văn bản đi", "Draft an outgoing document").to_owned();
    let shell = shell.titled(title, "documents");
    let run = async {
        let agency = own_agency(d, p).await?;
        if !may_draft(p, &agency.id) {
            return Err(Error::Forbidden("không soạn được văn bản của cơ quan này (you cannot draft for this agency)".into()));
        }
        draft_form(d, shell.clone(), caller, agency, "/documents/outgoing/new".into(), None, form).await
    };
    match run.await {
        Ok(r) => r,
        Err(e) => web::page::error_page(shell, e),
    }
}

/// The drafting form of `agency`'s outgoing document, posting to `action`.
async fn draft_form(
    d: &Docflow,
    shell: Shell,
    caller: &Caller,
    agency: crate::service::AgencyRef,
    action: String,
    version: Option<i64>,
    form: Typed,
) -> kernel::Result<Response> {
    let members = d.known_recipients().await?.into_iter().filter(|m| m.organ_id != agency.organ_id).map(|m| (m.organ_id, m.name)).collect();
    let failed = form.failed();
    let r = render(&OutgoingPage {
        csrf: caller.csrf.clone().unwrap_or_default(),
        action,
        version,
        agency: agency.name,
        kinds: kinds(),
        priorities: priorities(shell.lang.is_en()),
        members,
        accept: ACCEPT,
        shell,
        form,
    });
    Ok(answer(r, failed))
}

pub(super) async fn outgoing_page(State(d): State<Docflow>, shell: Shell, caller: Caller) -> Response {
    let p = match official(&shell, &caller, "/documents/outgoing/new") {
        Ok(p) => p,
        Err(r) => return r,
    };
    outgoing_view(&d, shell, &caller, &p, Typed::new(&[("kind", "1"), ("priority", "0")])).await
}

pub(super) async fn outgoing_post(State(d): State<Docflow>, shell: Shell, caller: Caller, req: Request) -> Response {
    let posted = match Posted::read(req).await {
        Ok(x) => x,
        Err(e) => return web::page::error_page(shell, Error::BadRequest(e)),
    };
    let p = match official_post(&shell, &caller, "/documents/outgoing/new", &posted) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let input = draft_input(&posted);
    let mut form = Typed { values: posted.fields.iter().filter(|x| x.0 != "_csrf").cloned().collect(), errors: vec![] };
    let main = posted.file("file");
    let attachments: Vec<&Upload> = posted.files.iter().filter(|f| f.field == "attachments").collect();
    check_files(main.into_iter().chain(attachments.iter().copied()), &mut form);
    if form.failed() {
        return outgoing_view(&d, shell, &caller, &p, form).await;
    }
    match d.draft(&p, &input).await {
        Ok(doc) => {
            let files: Vec<(&str, &Upload)> =
                main.map(|f| ("main", f)).into_iter().chain(attachments.into_iter().map(|f| ("attachment", f))).collect();
            finish(&d, &p, &doc.id, &files, "drafted").await
        }
        Err(e @ (Error::Forbidden(_) | Error::Db(_) | Error::Internal(_))) => web::page::error_page(shell, e),
        Err(e) => outgoing_view(&d, shell, &caller, &p, form.with_errors(e)).await,
    }
}

/// What the posted drafting form says of the draft (files aside).
fn draft_input(posted: &Posted) -> OutgoingInput {
    OutgoingInput {
        agency_code: None,
        kind: posted.get("kind").trim().parse().unwrap_or(0),
        subject: posted.get("subject").to_owned(),
        content: posted.opt("content"),
        recipients: posted.all("recipients"),
        signer_name: posted.opt("signer_name"),
        signer_position: posted.opt("signer_position"),
        priority: posted.opt("priority").map(|s| s.parse().unwrap_or(-1)).unwrap_or(0),
        due_date: posted.opt("due_date"),
        business_type: 0,
        business_of: None,
    }
}

// ---- a draft's changes ----

async fn edit_view(d: &Docflow, shell: Shell, caller: &Caller, p: &Principal, id: &str, form: Option<Typed>) -> Response {
    let title = shell.t("Sửa dự thảo", "Edit the draft").to_owned();
    let shell = shell.titled(title, "documents");
    let run = async {
        let v = d.view(p, id).await?;
        let doc = &v.document;
        if !super::may_edit_draft(p, doc) {
            return Err(Error::conflict(
                "chỉ người soạn hoặc lãnh đạo phòng sửa văn bản đang là dự thảo (only the drafter or the department head edits a draft)",
            ));
        }
        // As it stands, unless the form comes back with its mistakes.
        let form = form.unwrap_or_else(|| {
            let mut values: Vec<(String, String)> = [
                ("kind", doc.kind.to_string()),
                ("priority", doc.priority.to_string()),
                ("due_date", doc.due_date.clone().unwrap_or_default()),
                ("subject", doc.subject.clone()),
                ("content", doc.content.clone().unwrap_or_default()),
                ("signer_name", doc.signer_name.clone().unwrap_or_default()),
                ("signer_position", doc.signer_position.clone().unwrap_or_default()),
                ("version", doc.version.to_string()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
            values.extend(v.recipients.iter().map(|r| ("recipients".to_owned(), r.organ_id.clone())));
            Typed { values, errors: vec![] }
        });
        let version = form.value("version").parse().unwrap_or(doc.version);
        let agency = d.agency_by_id(&doc.agency_id).await?;
        draft_form(d, shell.clone(), caller, agency, format!("/documents/{id}/edit"), Some(version), form).await
    };
    match run.await {
        Ok(r) => r,
        Err(e) => web::page::error_page(shell, e),
    }
}

pub(super) async fn edit_page(State(d): State<Docflow>, shell: Shell, caller: Caller, Path(id): Path<String>) -> Response {
    let p = match official(&shell, &caller, &format!("/documents/{id}/edit")) {
        Ok(p) => p,
        Err(r) => return r,
    };
    edit_view(&d, shell, &caller, &p, &id, None).await
}

pub(super) async fn edit_post(State(d): State<Docflow>, shell: Shell, caller: Caller, Path(id): Path<String>, req: Request) -> Response {
    let posted = match Posted::read(req).await {
        Ok(x) => x,
        Err(e) => return web::page::error_page(shell, Error::BadRequest(e)),
    };
    let p = match official_post(&shell, &caller, &format!("/documents/{id}/edit"), &posted) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(version) = posted.get("version").trim().parse() else {
        return web::page::error_page(shell, Error::BadRequest("version".into()));
    };
    let form = Typed { values: posted.fields.iter().filter(|x| x.0 != "_csrf").cloned().collect(), errors: vec![] };
    match d.edit_draft(&p, &id, &DraftEdit { version, draft: draft_input(&posted) }).await {
        Ok(_) => Redirect::to(&format!("/documents/{id}?ok=edited")).into_response(),
        Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => edit_view(&d, shell, &caller, &p, &id, Some(form.with_errors(e))).await,
        Err(e) => web::page::error_page(shell, e),
    }
}
