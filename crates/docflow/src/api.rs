//! JSON API of document management under `/api/docflow`: documents and every step of their
//! handling, files, registers and their spreadsheet export, signing keys and trusted
//! certificates. Versions in step bodies make two officers acting at once safe: the later
//! one gets 409 and nothing changes.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kernel::Error;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use web::Path;
use web::paging::{PageQuery, Paged};
use web::problem::OrProblem;
use web::{ApiResult, Authed, Json, Problem, Query};

use crate::Docflow;
use crate::model::Direction;
use crate::service::exchange::OutboxEntry;
use crate::service::incoming::{AssignInput, IncomingInput, StepInput};
use crate::service::keys::{KeyInput, TrustInput, TrustedCert};
use crate::service::outgoing::{DraftEdit, IssueInput, OutgoingInput, RecallAnswer};
use crate::service::read::DocumentFilter;
use crate::service::registers::{Register, RegisterInput};
use crate::service::{Document, DocumentView, FileInfo};

pub fn router() -> OpenApiRouter<Docflow> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(create_incoming))
        .routes(routes!(create_outgoing))
        .routes(routes!(get_one))
        .routes(routes!(upload))
        .routes(routes!(download))
        .routes(routes!(accept))
        .routes(routes!(reject))
        .routes(routes!(assign))
        .routes(routes!(opinion))
        .routes(routes!(complete))
        .routes(routes!(edit_draft))
        .routes(routes!(submit))
        .routes(routes!(send_back))
        .routes(routes!(approve))
        .routes(routes!(issue))
        .routes(routes!(withdraw))
        .routes(routes!(answer_recall))
        .routes(routes!(link))
        .routes(routes!(of_dossier))
        .routes(routes!(handlers))
        .routes(routes!(registers, create_register))
        .routes(routes!(export))
        .routes(routes!(outbox))
        .routes(routes!(retry))
        .routes(routes!(trusted, trust))
        .routes(routes!(certificate))
        .routes(routes!(set_key))
        .merge(crate::hub_api::router())
}

/// Documents the caller may see, newest first; `q` searches number, notation, subject and
/// sender with or without Vietnamese marks.
#[utoipa::path(get, path = "/api/docflow/documents", tag = "docflow", params(PageQuery, DocumentFilter),
    responses((status = 200, body = Paged<Document>), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn list(
    State(d): State<Docflow>,
    Authed(p): Authed,
    Query(pq): Query<PageQuery>,
    Query(f): Query<DocumentFilter>,
) -> ApiResult<Json<Paged<Document>>> {
    let (items, total) = d.search(&p, &f, pq.offset(), pq.limit()).await.or_problem()?;
    Ok(Json(Paged::new(items, total, &pq)))
}

/// Register an incoming document typed in or scanned (the clerk): it gets the next number.
#[utoipa::path(post, path = "/api/docflow/documents/incoming", tag = "docflow", request_body = IncomingInput,
    responses((status = 201, body = Document), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_incoming(State(d): State<Docflow>, Authed(p): Authed, Json(b): Json<IncomingInput>) -> ApiResult<Response> {
    Ok((StatusCode::CREATED, axum::Json(d.register_incoming(&p, &b).await.or_problem()?)).into_response())
}

/// Start an outgoing draft.
#[utoipa::path(post, path = "/api/docflow/documents/outgoing", tag = "docflow", request_body = OutgoingInput,
    responses((status = 201, body = Document), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_outgoing(State(d): State<Docflow>, Authed(p): Authed, Json(b): Json<OutgoingInput>) -> ApiResult<Response> {
    Ok((StatusCode::CREATED, axum::Json(d.draft(&p, &b).await.or_problem()?)).into_response())
}

/// A document with its files, recipients and their statuses, assignments and whole history.
#[utoipa::path(get, path = "/api/docflow/documents/{id}", tag = "docflow", params(("id" = String, Path)),
    responses((status = 200, body = DocumentView), (status = 404, body = Problem)))]
async fn get_one(State(d): State<Docflow>, Authed(p): Authed, Path(id): Path<String>) -> ApiResult<Json<DocumentView>> {
    Ok(Json(d.view(&p, &id).await.or_problem()?))
}

#[derive(Deserialize, IntoParams)]
struct UploadQuery {
    /// main, attachment or draft.
    role: String,
    /// File name.
    name: String,
}

/// Add a file (PDF, Word, ODT, Excel, JPEG, PNG; at most 50 MB) as the request body.
#[utoipa::path(post, path = "/api/docflow/documents/{id}/files", tag = "docflow", params(("id" = String, Path), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses((status = 201, body = FileInfo), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn upload(
    State(d): State<Docflow>,
    Authed(p): Authed,
    Path(id): Path<String>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let f = d.add_file(&p, &id, &q.role, &q.name, ct, &body).await.or_problem()?;
    Ok((StatusCode::CREATED, axum::Json(f)).into_response())
}

/// Download a file of a document.
#[utoipa::path(get, path = "/api/docflow/documents/{id}/files/{file}", tag = "docflow", params(("id" = String, Path), ("file" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = Problem)))]
async fn download(State(d): State<Docflow>, Authed(p): Authed, Path((id, file)): Path<(String, String)>) -> ApiResult<Response> {
    let (f, bytes) = d.file(&p, &id, &file).await.or_problem()?;
    Ok(web::page::stored_file(&f.name, &f.content_type, &f.sha256, bytes))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
struct AcceptInput {
    version: i64,
    register_code: Option<String>,
}

macro_rules! step {
    ($name:ident, $path:literal, $body:ty, $doc:literal, |$d:ident, $p:ident, $id:ident, $b:ident| $call:expr) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "docflow", params(("id" = String, Path)), request_body = $body,
                            responses((status = 200, body = Document), (status = 403, body = Problem), (status = 404, body = Problem),
                                (status = 409, body = Problem), (status = 422, body = Problem)))]
        async fn $name(
            State($d): State<Docflow>,
            Authed($p): Authed,
            Path($id): Path<String>,
            Json($b): Json<$body>,
        ) -> ApiResult<Json<Document>> {
            Ok(Json($call.await.or_problem()?))
        }
    };
}

step!(
    accept,
    "/api/docflow/documents/{id}/accept",
    AcceptInput,
    "Register a document that arrived through the exchange (03 to the sender).",
    |d, p, id, b| d.accept_arrived(&p, &id, b.version, b.register_code.as_deref())
);
step!(
    reject,
    "/api/docflow/documents/{id}/reject",
    StepInput,
    "Refuse an incoming document with a reason (02 to the sender).",
    |d, p, id, b| d.reject_arrived(&p, &id, &b)
);
step!(assign, "/api/docflow/documents/{id}/assign", AssignInput, "Assign handlers (the leader; 04 to the sender).", |d, p, id, b| d
    .assign(&p, &id, &b));
step!(
    opinion,
    "/api/docflow/documents/{id}/opinion",
    StepInput,
    "A handler's opinion (05 to the sender the first time).",
    |d, p, id, b| d.opinion(&p, &id, &b)
);
step!(complete, "/api/docflow/documents/{id}/complete", StepInput, "Complete the handling (06 to the sender).", |d, p, id, b| d
    .complete(&p, &id, &b));
/// Change a draft (still a draft, or sent back by the leader): its kind, subject, summary,
/// recipients, signer, priority and due date, at the version read. The drafter or the
/// department's head.
#[utoipa::path(put, path = "/api/docflow/documents/{id}/draft", tag = "docflow", params(("id" = String, Path)), request_body = DraftEdit,
    responses((status = 200, body = Document), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn edit_draft(
    State(d): State<Docflow>,
    Authed(p): Authed,
    Path(id): Path<String>,
    Json(b): Json<DraftEdit>,
) -> ApiResult<Json<crate::service::Document>> {
    Ok(Json(d.edit_draft(&p, &id, &b).await.or_problem()?))
}

step!(submit, "/api/docflow/documents/{id}/submit", StepInput, "Submit a draft for the leader's signature.", |d, p, id, b| d
    .submit(&p, &id, &b));
step!(send_back, "/api/docflow/documents/{id}/send-back", StepInput, "Send a draft back to the drafter with a reason.", |d, p, id, b| d
    .send_back(&p, &id, &b));
step!(
    approve,
    "/api/docflow/documents/{id}/approve",
    StepInput,
    "Approve and sign a draft (the leader, with a second factor).",
    |d, p, id, b| d.approve(&p, &id, &b)
);
step!(issue, "/api/docflow/documents/{id}/issue", IssueInput, "Number, sign with the agency's key and send (the clerk).", |d, p, id, b| d
    .issue(&p, &id, &b));
step!(withdraw, "/api/docflow/documents/{id}/withdraw", StepInput, "Recall an issued document from its recipients (13).", |d, p, id, b| d
    .withdraw(&p, &id, &b));
step!(
    answer_recall,
    "/api/docflow/documents/{id}/recall-answer",
    RecallAnswer,
    "Accept (15) or refuse (16) the sender's recall.",
    |d, p, id, b| d.answer_recall(&p, &id, &b)
);

#[derive(Debug, Clone, Deserialize, ToSchema)]
struct LinkInput {
    dossier_code: String,
}

/// Link a one-stop dossier to the document.
#[utoipa::path(post, path = "/api/docflow/documents/{id}/links", tag = "docflow", params(("id" = String, Path)), request_body = LinkInput,
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn link(State(d): State<Docflow>, Authed(p): Authed, Path(id): Path<String>, Json(b): Json<LinkInput>) -> ApiResult<StatusCode> {
    d.link_dossier(&p, &id, &b.dossier_code).await.or_problem()?;
    Ok(StatusCode::NO_CONTENT)
}

/// Documents linked to a one-stop dossier (those of agencies the caller may see).
#[utoipa::path(get, path = "/api/docflow/dossiers/{code}/documents", tag = "docflow", params(("code" = String, Path)),
    responses((status = 200, body = Vec<Document>), (status = 401, body = Problem)))]
async fn of_dossier(State(d): State<Docflow>, Authed(p): Authed, Path(code): Path<String>) -> ApiResult<Json<Vec<Document>>> {
    Ok(Json(d.documents_of_dossier(&p, &code).await.or_problem()?))
}

#[derive(Deserialize, IntoParams)]
struct AgencyQuery {
    agency_code: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, ToSchema)]
struct Handler {
    account_id: String,
    full_name: String,
}

/// Officials of an agency that documents can be assigned to.
#[utoipa::path(get, path = "/api/docflow/handlers", tag = "docflow", params(AgencyQuery),
    responses((status = 200, body = Vec<Handler>), (status = 403, body = Problem)))]
async fn handlers(State(d): State<Docflow>, Authed(p): Authed, Query(q): Query<AgencyQuery>) -> ApiResult<Json<Vec<Handler>>> {
    let agency = d.acting_agency(&p, q.agency_code.as_deref()).await.or_problem()?;
    let list = d.handlers(&p, &agency.id).await.or_problem()?;
    Ok(Json(list.into_iter().map(|(account_id, full_name)| Handler { account_id, full_name }).collect()))
}

/// An agency's registers with the numbers given this year.
#[utoipa::path(get, path = "/api/docflow/registers", tag = "docflow", params(AgencyQuery),
    responses((status = 200, body = Vec<Register>), (status = 403, body = Problem)))]
async fn registers(State(d): State<Docflow>, Authed(p): Authed, Query(q): Query<AgencyQuery>) -> ApiResult<Json<Vec<Register>>> {
    let agency = d.acting_agency(&p, q.agency_code.as_deref()).await.or_problem()?;
    Ok(Json(d.registers(&p, &agency).await.or_problem()?))
}

/// Open a register (the clerk).
#[utoipa::path(post, path = "/api/docflow/registers", tag = "docflow", request_body = RegisterInput,
    responses((status = 201, body = Register), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_register(State(d): State<Docflow>, Authed(p): Authed, Json(b): Json<RegisterInput>) -> ApiResult<Response> {
    Ok((StatusCode::CREATED, axum::Json(d.create_register(&p, &b).await.or_problem()?)).into_response())
}

#[derive(Deserialize, IntoParams)]
struct ExportQuery {
    agency_code: Option<String>,
    /// incoming or outgoing.
    direction: String,
    year: Option<i32>,
}

/// The incoming or outgoing register of a year as a spreadsheet (.xlsx).
#[utoipa::path(get, path = "/api/docflow/registers/export", tag = "docflow", params(ExportQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 422, body = Problem)))]
async fn export(State(d): State<Docflow>, Authed(p): Authed, Query(q): Query<ExportQuery>) -> ApiResult<Response> {
    let direction = Direction::parse(&q.direction).ok_or_else(|| Problem::from(Error::invalid("direction", "incoming | outgoing")))?;
    let year = q.year.unwrap_or_else(|| kernel::time::today_vn().year());
    let bytes = d.export_register(&p, q.agency_code.as_deref(), direction, year).await.or_problem()?;
    Ok(xlsx_response(bytes, &format!("so-van-ban-{}-{year}.xlsx", direction.as_str())))
}

pub(crate) fn xlsx_response(bytes: Vec<u8>, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        bytes,
    )
        .into_response()
}

#[derive(Deserialize, IntoParams)]
struct OutboxQuery {
    /// queued, sent or failed.
    state: Option<String>,
}

/// The exchange outbox (administrators): packages and statuses waiting, sent or failed, with the last error.
#[utoipa::path(get, path = "/api/docflow/outbox", tag = "docflow", params(OutboxQuery),
    responses((status = 200, body = Vec<OutboxEntry>), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn outbox(State(d): State<Docflow>, Authed(p): Authed, Query(q): Query<OutboxQuery>) -> ApiResult<Json<Vec<OutboxEntry>>> {
    Ok(Json(d.outbox(&p, q.state.as_deref(), 200).await.or_problem()?))
}

/// Send a failed exchange message again (administrators).
#[utoipa::path(post, path = "/api/docflow/outbox/{id}/retry", tag = "docflow", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 409, body = Problem)))]
async fn retry(State(d): State<Docflow>, Authed(p): Authed, Path(id): Path<String>) -> ApiResult<StatusCode> {
    d.retry_outbox(&p, &id).await.or_problem()?;
    Ok(StatusCode::NO_CONTENT)
}

/// Certificates trusted to sign packages received.
#[utoipa::path(get, path = "/api/docflow/trust", tag = "docflow", responses((status = 200, body = Vec<TrustedCert>), (status = 403, body = Problem)))]
async fn trusted(State(d): State<Docflow>, Authed(p): Authed) -> ApiResult<Json<Vec<TrustedCert>>> {
    Ok(Json(d.trusted(&p).await.or_problem()?))
}

/// Trust a certificate (another agency's, or a CA's) for packages received.
#[utoipa::path(post, path = "/api/docflow/trust", tag = "docflow", request_body = TrustInput,
    responses((status = 201, body = TrustedCert), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn trust(State(d): State<Docflow>, Authed(p): Authed, Json(b): Json<TrustInput>) -> ApiResult<Response> {
    Ok((StatusCode::CREATED, axum::Json(d.trust(&p, &b).await.or_problem()?)).into_response())
}

/// An agency's signing certificate (PEM), for other deployments to trust.
#[utoipa::path(get, path = "/api/docflow/agencies/{code}/certificate", tag = "docflow", params(("code" = String, Path)),
    responses((status = 200, content_type = "application/x-pem-file"), (status = 404, body = Problem)))]
async fn certificate(State(d): State<Docflow>, Path(code): Path<String>) -> ApiResult<Response> {
    let pem = d.agency_certificate(&code).await.or_problem()?;
    Ok(([(header::CONTENT_TYPE, "application/x-pem-file")], pem).into_response())
}

/// Replace an agency's signing key and certificate (administrators).
#[utoipa::path(put, path = "/api/docflow/agencies/{code}/key", tag = "docflow", params(("code" = String, Path)), request_body = KeyInput,
    responses((status = 204), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn set_key(State(d): State<Docflow>, Authed(p): Authed, Path(code): Path<String>, Json(b): Json<KeyInput>) -> ApiResult<StatusCode> {
    d.set_agency_key(&p, &code, &b).await.or_problem()?;
    Ok(StatusCode::NO_CONTENT)
}
