//! JSON API of the one-stop engine under `/api/onestop`. Every refusal is problem+json: 409
//! for actions the dossier's state does not allow or a stale version (nothing changed), 422
//! listing each bad field, 403/404 for what the caller may not do or see.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use web::Path;
use web::problem::OrProblem;
use web::{ApiResult, Authed, Json, PageQuery, Paged, Problem, Query};

use crate::Onestop;
use crate::model::process::ProcessDefinition;
use crate::model::{Dossier, Status};
use crate::service::actions::{ApologyInput, Payment, Reasoned, ReturnInput, SupplementInput, SupplementRequest, Versioned};
use crate::service::ratings::{Rating, RatingInput, Satisfaction};
use crate::service::stats::Tracking;
use crate::service::tasks::{Assign, Complete, InboxFilter, SendBack, TaskVersion};
use crate::service::{Attachment, StatRow, Statistics, SubmitInput};
use crate::store::{HistoryEntry, Task};

pub fn router() -> OpenApiRouter<Onestop> {
    OpenApiRouter::new()
        .routes(routes!(submit, list))
        .routes(routes!(get_one))
        .routes(routes!(by_code))
        .routes(routes!(accept))
        .routes(routes!(refuse))
        .routes(routes!(request_supplement))
        .routes(routes!(supplement))
        .routes(routes!(pay))
        .routes(routes!(withdraw))
        .routes(routes!(stop))
        .routes(routes!(return_result))
        .routes(routes!(propose_apology))
        .routes(routes!(approve_apology))
        .routes(routes!(history))
        .routes(routes!(dossier_tasks))
        .routes(routes!(upload, attachments))
        .routes(routes!(download))
        .routes(routes!(inbox))
        .routes(routes!(claim))
        .routes(routes!(assign))
        .routes(routes!(complete))
        .routes(routes!(send_back))
        .routes(routes!(track))
        .routes(routes!(verify_result))
        .routes(routes!(statistics))
        .routes(routes!(rate, rating))
        .routes(routes!(satisfaction))
        .routes(routes!(get_process, put_process))
        .routes(routes!(paper))
        .routes(routes!(internal_processes))
        .routes(routes!(start_case))
        .routes(routes!(internal_cases))
}

type D = ApiResult<Json<Dossier>>;

/// Submit a dossier: citizens and businesses online; reception officers for walk-in and
/// postal applicants.
#[utoipa::path(post, path = "/api/onestop/dossiers", tag = "onestop", request_body = SubmitInput,
    responses((status = 201, body = Dossier), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn submit(State(o): State<Onestop>, Authed(p): Authed, Json(b): Json<SubmitInput>) -> ApiResult<Response> {
    let d = o.submit(&p, &b).await.or_problem()?;
    Ok((StatusCode::CREATED, axum::Json(d)).into_response())
}

#[derive(Deserialize, IntoParams)]
struct ListFilter {
    /// National status code 1–10.
    status: Option<i64>,
}

/// Dossiers the caller may see: their own, or their agencies'.
#[utoipa::path(get, path = "/api/onestop/dossiers", tag = "onestop", params(PageQuery, ListFilter),
    responses((status = 200, body = Paged<Dossier>), (status = 401, body = Problem)))]
async fn list(
    State(o): State<Onestop>,
    Authed(p): Authed,
    Query(q): Query<PageQuery>,
    Query(f): Query<ListFilter>,
) -> ApiResult<Json<Paged<Dossier>>> {
    let status = match f.status {
        None => None,
        Some(c) => Some(Status::from_code(c).ok_or_else(|| Problem::from(kernel::Error::invalid("status", "1–10")))?),
    };
    let (items, total) = o.dossiers(&p, status, q.offset(), q.limit()).await.or_problem()?;
    Ok(Json(Paged::new(items, total, &q)))
}

#[utoipa::path(get, path = "/api/onestop/dossiers/{id}", tag = "onestop", params(("id" = String, Path)),
    responses((status = 200, body = Dossier), (status = 404, body = Problem)))]
async fn get_one(State(o): State<Onestop>, Authed(p): Authed, Path(id): Path<String>) -> D {
    Ok(Json(o.dossier(&p, &id).await.or_problem()?.d))
}

/// A dossier by its code (for those who may see it; anyone else uses tracking).
#[utoipa::path(get, path = "/api/onestop/dossiers/by-code/{code}", tag = "onestop", params(("code" = String, Path)),
    responses((status = 200, body = Dossier), (status = 404, body = Problem)))]
async fn by_code(State(o): State<Onestop>, Authed(p): Authed, Path(code): Path<String>) -> D {
    Ok(Json(o.dossier_by_code(&p, &code).await.or_problem()?.d))
}

/// Accept: the dossier code is issued and the appointment date set.
#[utoipa::path(post, path = "/api/onestop/dossiers/{id}/accept", tag = "onestop", params(("id" = String, Path)), request_body = Versioned,
    responses((status = 200, body = Dossier), (status = 403, body = Problem), (status = 409, body = Problem)))]
async fn accept(State(o): State<Onestop>, Authed(p): Authed, Path(id): Path<String>, Json(b): Json<Versioned>) -> D {
    Ok(Json(o.accept(&p, &id, &b).await.or_problem()?))
}

/// Refuse at reception, with the reasons.
#[utoipa::path(post, path = "/api/onestop/dossiers/{id}/refuse", tag = "onestop", params(("id" = String, Path)), request_body = Reasoned,
    responses((status = 200, body = Dossier), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn refuse(State(o): State<Onestop>, Authed(p): Authed, Path(id): Path<String>, Json(b): Json<Reasoned>) -> D {
    Ok(Json(o.refuse(&p, &id, &b).await.or_problem()?))
}

/// Ask for everything missing, once; the clock stops.
#[utoipa::path(post, path = "/api/onestop/dossiers/{id}/supplement-request", tag = "onestop", params(("id" = String, Path)), request_body = SupplementRequest,
    responses((status = 200, body = Dossier), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn request_supplement(State(o): State<Onestop>, Authed(p): Authed, Path(id): Path<String>, Json(b): Json<SupplementRequest>) -> D {
    Ok(Json(o.request_supplement(&p, &id, &b).await.or_problem()?))
}

/// Hand in the supplement (upload the files first); the clock restarts.
#[utoipa::path(post, path = "/api/onestop/dossiers/{id}/supplement", tag = "onestop", params(("id" = String, Path)), request_body = SupplementInput,
    responses((status = 200, body = Dossier), (status = 409, body = Problem)))]
async fn supplement(State(o): State<Onestop>, Authed(p): Authed, Path(id): Path<String>, Json(b): Json<SupplementInput>) -> D {
    Ok(Json(o.supplement(&p, &id, &b).await.or_problem()?))
}

/// Record the payment of the fees due.
#[utoipa::path(post, path = "/api/onestop/dossiers/{id}/pay", tag = "onestop", params(("id" = String, Path)), request_body = Payment,
    responses((status = 200, body = Dossier), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn pay(State(o): State<Onestop>, Authed(p): Authed, Path(id): Path<String>, Json(b): Json<Payment>) -> D {
    Ok(Json(o.pay(&p, &id, &b).await.or_problem()?))
}

/// The applicant withdraws the dossier.
#[utoipa::path(post, path = "/api/onestop/dossiers/{id}/withdraw", tag = "onestop", params(("id" = String, Path)), request_body = Reasoned,
    responses((status = 200, body = Dossier), (status = 409, body = Problem)))]
async fn withdraw(State(o): State<Onestop>, Authed(p): Authed, Path(id): Path<String>, Json(b): Json<Reasoned>) -> D {
    Ok(Json(o.withdraw(&p, &id, &b).await.or_problem()?))
}

/// Stop processing (a leader), with the reasons.
#[utoipa::path(post, path = "/api/onestop/dossiers/{id}/stop", tag = "onestop", params(("id" = String, Path)), request_body = Reasoned,
    responses((status = 200, body = Dossier), (status = 403, body = Problem), (status = 409, body = Problem)))]
async fn stop(State(o): State<Onestop>, Authed(p): Authed, Path(id): Path<String>, Json(b): Json<Reasoned>) -> D {
    Ok(Json(o.stop(&p, &id, &b).await.or_problem()?))
}

/// Return the result to the applicant.
#[utoipa::path(post, path = "/api/onestop/dossiers/{id}/return", tag = "onestop", params(("id" = String, Path)), request_body = ReturnInput,
    responses((status = 200, body = Dossier), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn return_result(State(o): State<Onestop>, Authed(p): Authed, Path(id): Path<String>, Json(b): Json<ReturnInput>) -> D {
    Ok(Json(o.return_result(&p, &id, &b).await.or_problem()?))
}

#[derive(Serialize, ToSchema)]
struct ApologyCreated {
    id: String,
}

/// Propose an apology with a new date (before the due date); a leader approves it.
#[utoipa::path(post, path = "/api/onestop/dossiers/{id}/apologies", tag = "onestop", params(("id" = String, Path)), request_body = ApologyInput,
    responses((status = 201, body = ApologyCreated), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn propose_apology(
    State(o): State<Onestop>,
    Authed(p): Authed,
    Path(id): Path<String>,
    Json(b): Json<ApologyInput>,
) -> ApiResult<Response> {
    let id = o.propose_apology(&p, &id, &b).await.or_problem()?;
    Ok((StatusCode::CREATED, axum::Json(ApologyCreated { id })).into_response())
}

/// Approve an apology (the agency's leader): the appointment date moves.
#[utoipa::path(post, path = "/api/onestop/apologies/{id}/approve", tag = "onestop", params(("id" = String, Path)),
    responses((status = 200, body = Dossier), (status = 403, body = Problem), (status = 409, body = Problem)))]
async fn approve_apology(State(o): State<Onestop>, Authed(p): Authed, Path(id): Path<String>) -> D {
    Ok(Json(o.approve_apology(&p, &id).await.or_problem()?))
}

/// Every transition: who, when, from, to, reason.
#[utoipa::path(get, path = "/api/onestop/dossiers/{id}/history", tag = "onestop", params(("id" = String, Path)),
    responses((status = 200, body = Vec<HistoryEntry>), (status = 404, body = Problem)))]
async fn history(State(o): State<Onestop>, Authed(p): Authed, Path(id): Path<String>) -> ApiResult<Json<Vec<HistoryEntry>>> {
    Ok(Json(o.history(&p, &id).await.or_problem()?))
}

/// The dossier's tasks, open and closed.
#[utoipa::path(get, path = "/api/onestop/dossiers/{id}/tasks", tag = "onestop", params(("id" = String, Path)),
    responses((status = 200, body = Vec<Task>), (status = 404, body = Problem)))]
async fn dossier_tasks(State(o): State<Onestop>, Authed(p): Authed, Path(id): Path<String>) -> ApiResult<Json<Vec<Task>>> {
    Ok(Json(o.tasks_of(&p, &id).await.or_problem()?))
}

#[derive(Deserialize, IntoParams)]
struct UploadQuery {
    /// `application`, `supplement` or `result`.
    purpose: String,
    /// The required document it answers (`TP1`...).
    document: Option<String>,
    /// File name.
    name: String,
}

/// Upload a file (PDF, JPEG or PNG, at most 10 MB) as the request body.
#[utoipa::path(post, path = "/api/onestop/dossiers/{id}/attachments", tag = "onestop", params(("id" = String, Path), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses((status = 201, body = Attachment), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn upload(
    State(o): State<Onestop>,
    Authed(p): Authed,
    Path(id): Path<String>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let a = o.attach(&p, &id, &q.purpose, q.document.as_deref(), &q.name, ct, &body).await.or_problem()?;
    Ok((StatusCode::CREATED, axum::Json(a)).into_response())
}

#[utoipa::path(get, path = "/api/onestop/dossiers/{id}/attachments", tag = "onestop", params(("id" = String, Path)),
    responses((status = 200, body = Vec<Attachment>), (status = 404, body = Problem)))]
async fn attachments(State(o): State<Onestop>, Authed(p): Authed, Path(id): Path<String>) -> ApiResult<Json<Vec<Attachment>>> {
    Ok(Json(o.attachments(&p, &id).await.or_problem()?))
}

/// Download a file.
#[utoipa::path(get, path = "/api/onestop/dossiers/{id}/attachments/{file}", tag = "onestop", params(("id" = String, Path), ("file" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = Problem)))]
async fn download(State(o): State<Onestop>, Authed(p): Authed, Path((id, file)): Path<(String, String)>) -> ApiResult<Response> {
    let (a, bytes) = o.attachment(&p, &id, &file).await.or_problem()?;
    Ok(web::page::stored_file(&a.name, &a.content_type, &a.sha256, bytes))
}

/// Open tasks for the caller's roles at their agencies.
#[utoipa::path(get, path = "/api/onestop/tasks", tag = "onestop", params(PageQuery, InboxFilter),
    responses((status = 200, body = Paged<Task>), (status = 401, body = Problem)))]
async fn inbox(
    State(o): State<Onestop>,
    Authed(p): Authed,
    Query(q): Query<PageQuery>,
    Query(f): Query<InboxFilter>,
) -> ApiResult<Json<Paged<Task>>> {
    let (items, total) = o.inbox(&p, &f, q.offset(), q.limit()).await.or_problem()?;
    Ok(Json(Paged::new(items, total, &q)))
}

#[utoipa::path(post, path = "/api/onestop/tasks/{id}/claim", tag = "onestop", params(("id" = String, Path)), request_body = TaskVersion,
    responses((status = 200, body = Task), (status = 409, body = Problem)))]
async fn claim(State(o): State<Onestop>, Authed(p): Authed, Path(id): Path<String>, Json(b): Json<TaskVersion>) -> ApiResult<Json<Task>> {
    Ok(Json(o.claim(&p, &id, &b).await.or_problem()?))
}

#[utoipa::path(post, path = "/api/onestop/tasks/{id}/assign", tag = "onestop", params(("id" = String, Path)), request_body = Assign,
    responses((status = 200, body = Task), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn assign(State(o): State<Onestop>, Authed(p): Authed, Path(id): Path<String>, Json(b): Json<Assign>) -> ApiResult<Json<Task>> {
    Ok(Json(o.assign(&p, &id, &b).await.or_problem()?))
}

/// Complete a task with an outcome; the dossier moves on.
#[utoipa::path(post, path = "/api/onestop/tasks/{id}/complete", tag = "onestop", params(("id" = String, Path)), request_body = Complete,
    responses((status = 200, body = Dossier), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn complete(State(o): State<Onestop>, Authed(p): Authed, Path(id): Path<String>, Json(b): Json<Complete>) -> D {
    Ok(Json(o.complete(&p, &id, &b).await.or_problem()?))
}

/// Send the dossier back to the previous step, with the reason.
#[utoipa::path(post, path = "/api/onestop/tasks/{id}/send-back", tag = "onestop", params(("id" = String, Path)), request_body = SendBack,
    responses((status = 200, body = Dossier), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn send_back(State(o): State<Onestop>, Authed(p): Authed, Path(id): Path<String>, Json(b): Json<SendBack>) -> D {
    Ok(Json(o.send_back(&p, &id, &b).await.or_problem()?))
}

/// Public tracking by dossier code: status, dates, the step; no personal data.
#[utoipa::path(get, path = "/api/onestop/tracking/{code}", tag = "onestop", params(("code" = String, Path)),
    responses((status = 200, body = Tracking), (status = 404, body = Problem)))]
async fn track(State(o): State<Onestop>, Path(code): Path<String>) -> ApiResult<Json<Tracking>> {
    Ok(Json(o.track(&code).await.or_problem()?))
}

#[derive(Deserialize, IntoParams)]
struct VerifyQuery {
    /// SHA-256 (hex) of the file to check.
    sha256: String,
}

#[derive(Serialize, ToSchema)]
struct Verified {
    genuine: bool,
}

/// Check that a file is the electronic result issued for a dossier.
#[utoipa::path(get, path = "/api/onestop/tracking/{code}/verify-result", tag = "onestop", params(("code" = String, Path), VerifyQuery),
    responses((status = 200, body = Verified), (status = 404, body = Problem)))]
async fn verify_result(State(o): State<Onestop>, Path(code): Path<String>, Query(q): Query<VerifyQuery>) -> ApiResult<Json<Verified>> {
    Ok(Json(Verified { genuine: o.verify_result(&code, &q.sha256).await.or_problem()? }))
}

/// Received, resolved (early, on time, late), pending and withdrawn dossiers per agency,
/// procedure or field for a period.
#[utoipa::path(get, path = "/api/onestop/statistics", tag = "onestop", params(Statistics),
    responses((status = 200, body = Vec<StatRow>), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn statistics(State(o): State<Onestop>, Authed(p): Authed, Query(s): Query<Statistics>) -> ApiResult<Json<Vec<StatRow>>> {
    Ok(Json(o.statistics(&p, &s).await.or_problem()?))
}

/// The applicant rates the returned dossier from 1 to 5, with feedback (again to change it).
#[utoipa::path(put, path = "/api/onestop/dossiers/{id}/rating", tag = "onestop", params(("id" = String, Path)), request_body = RatingInput,
    responses((status = 200, body = Rating), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn rate(State(o): State<Onestop>, Authed(p): Authed, Path(id): Path<String>, Json(b): Json<RatingInput>) -> ApiResult<Json<Rating>> {
    Ok(Json(o.rate(&p, &id, &b).await.or_problem()?))
}

/// A dossier's rating, if its applicant gave one.
#[utoipa::path(get, path = "/api/onestop/dossiers/{id}/rating", tag = "onestop", params(("id" = String, Path)),
    responses((status = 200, body = Option<Rating>), (status = 404, body = Problem)))]
async fn rating(State(o): State<Onestop>, Authed(p): Authed, Path(id): Path<String>) -> ApiResult<Json<Option<Rating>>> {
    Ok(Json(o.rating(&p, &id).await.or_problem()?))
}

#[derive(Deserialize, IntoParams)]
struct Period {
    /// First day, YYYY-MM-DD.
    from: String,
    /// Last day, YYYY-MM-DD.
    to: String,
}

/// Satisfaction with the agencies the caller sees reports of: count, average, spread, the
/// latest comments.
#[utoipa::path(get, path = "/api/onestop/satisfaction", tag = "onestop", params(Period),
    responses((status = 200, body = Satisfaction), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn satisfaction(State(o): State<Onestop>, Authed(p): Authed, Query(q): Query<Period>) -> ApiResult<Json<Satisfaction>> {
    let day = |f: &str, v: &str| kernel::time::parse_date(v).ok_or_else(|| kernel::Error::invalid(f, "YYYY-MM-DD"));
    let (from, to) = (day("from", &q.from).or_problem()?, day("to", &q.to).or_problem()?);
    let (a, b) = (crate::model::deadline::instant(from, 0), crate::model::deadline::instant(to + time::Duration::days(1), 0));
    Ok(Json(o.satisfaction(&p, a, b).await.or_problem()?))
}

#[derive(Serialize, ToSchema)]
struct ProcessVersion {
    version: i64,
    definition: ProcessDefinition,
}

/// The process definition in force for a procedure.
#[utoipa::path(get, path = "/api/onestop/procedures/{code}/process", tag = "onestop", params(("code" = String, Path)),
    responses((status = 200, body = ProcessVersion), (status = 404, body = Problem)))]
async fn get_process(State(o): State<Onestop>, Path(code): Path<String>) -> ApiResult<Json<ProcessVersion>> {
    let (version, definition) = o.process_of(&code).await.or_problem()?;
    Ok(Json(ProcessVersion { version, definition }))
}

/// Store a new version of a procedure's process (validated; running dossiers keep theirs).
#[utoipa::path(put, path = "/api/onestop/procedures/{code}/process", tag = "onestop", params(("code" = String, Path)), request_body = ProcessDefinition,
    responses((status = 200, body = ProcessVersion), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn put_process(
    State(o): State<Onestop>,
    Authed(p): Authed,
    Path(code): Path<String>,
    Json(def): Json<ProcessDefinition>,
) -> ApiResult<Json<ProcessVersion>> {
    let version = o.set_process(&p, &code, &def).await.or_problem()?;
    Ok(Json(ProcessVersion { version, definition: def }))
}

/// A paper of the dossier as PDF: `receipt`, `supplement-request`, `refusal`, `apology`,
/// `control-sheet`.
#[utoipa::path(get, path = "/api/onestop/dossiers/{id}/papers/{kind}", tag = "onestop", params(("id" = String, Path), ("kind" = String, Path)),
    responses((status = 200, content_type = "application/pdf"), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn paper(State(o): State<Onestop>, Authed(p): Authed, Path((id, kind)): Path<(String, String)>) -> ApiResult<Response> {
    let which = crate::documents::Paper::parse(&kind).ok_or_else(|| Problem::from(kernel::Error::not_found(format!("giấy tờ {kind}"))))?;
    let pdf = o.paper(&p, &id, which).await.or_problem()?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, format!("inline; filename=\"{}\"", which.file_name())),
        ],
        pdf,
    )
        .into_response())
}

/// Internal processes the engine runs for agencies (outgoing documents, award proposals,
/// asset procurement).
#[utoipa::path(get, path = "/api/onestop/internal-processes", tag = "onestop",
    responses((status = 200, body = Vec<crate::service::internal::InternalProcess>)))]
async fn internal_processes() -> Json<Vec<crate::service::internal::InternalProcess>> {
    Json(crate::service::internal::templates())
}

/// Internal cases of the agencies whose dossiers the official sees, newest first (officials
/// only; they are not in the dossier list).
#[utoipa::path(get, path = "/api/onestop/internal-cases", tag = "onestop", params(PageQuery),
    responses((status = 200, body = Paged<Dossier>), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn internal_cases(State(o): State<Onestop>, Authed(p): Authed, Query(q): Query<PageQuery>) -> ApiResult<Json<Paged<Dossier>>> {
    let (items, total) = o.internal_cases(&p, q.offset(), q.limit()).await.or_problem()?;
    Ok(Json(Paged::new(items, total, &q)))
}

/// Open a case of an internal process at the caller's agency. `data` holds the process's
/// fields (listed with it) by their kind; other keys are kept as they come.
#[utoipa::path(post, path = "/api/onestop/internal-processes/{key}/cases", tag = "onestop", params(("key" = String, Path)),
    request_body = crate::service::internal::CaseInput,
    responses((status = 201, body = Dossier), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn start_case(
    State(o): State<Onestop>,
    Authed(p): Authed,
    Path(key): Path<String>,
    Json(b): Json<crate::service::internal::CaseInput>,
) -> ApiResult<Response> {
    let d = o.start_case(&p, &key, &b).await.or_problem()?;
    Ok((StatusCode::CREATED, axum::Json(d)).into_response())
}
