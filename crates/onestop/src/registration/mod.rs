//! The GovStack Registration building block API over the same engine, under `/registration`
//! (the spec's server base): services are procedures (`serviceKey` = national procedure code),
//! e-forms their JSON Schemas, applications dossiers (`fileId` = dossier id), tasks the
//! engine's tasks. Statuses map from ours: PENDING (1, 2, 4, 6), SENDBACK (5), REJECTED (3, 7,
//! 8), APPROVED (9, 10).

mod engine;
mod services;

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::header;
use kernel::authz::PrincipalKind;
use kernel::db::q;
use kernel::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use web::Path;
use web::problem::OrProblem;
use web::{ApiResult, Authed, Json, Problem, Query};

use crate::Onestop;
use crate::model::{Dossier, Status};
use crate::service::SubmitInput;
use crate::service::tasks::{Complete, InboxFilter};
use crate::store::{self, Task};

pub fn router() -> OpenApiRouter<Onestop> {
    OpenApiRouter::new()
        .merge(services::router())
        .routes(routes!(apply))
        .routes(routes!(upload_document))
        .routes(routes!(applications))
        .routes(routes!(application, update_application))
        .routes(routes!(tasks))
        .routes(routes!(task))
        .routes(routes!(complete_task))
        .routes(routes!(statistics))
}

#[derive(Serialize, ToSchema)]
struct StatusModel {
    code: &'static str,
    title: String,
}

fn status_model(s: Status) -> StatusModel {
    StatusModel { code: s.govstack(), title: s.label(true).into() }
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct FormData {
    #[serde(default)]
    #[schema(value_type = Object)]
    data: Value,
    e_form_id: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct ApplicationSubmit {
    /// The applicant: the caller's account id, personal number or tax code.
    applicant_id: String,
    application_name: Option<String>,
    form_data: Option<FormData>,
    /// URLs (or ids) returned by `POST /registration/documents`.
    #[serde(default)]
    document_urls: Vec<String>,
    /// The receiving agency, when several handle the service.
    agency_code: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct ApplicationFile {
    file_id: String,
    /// The dossier code, once accepted.
    dossier_code: Option<String>,
    registered: String,
    service_key: String,
    service_name: String,
    status: StatusModel,
    ended: bool,
    applicant_id: Option<String>,
    #[schema(value_type = Object)]
    application_data: Value,
}

fn file_of(d: &Dossier, applicant: Option<String>) -> ApplicationFile {
    ApplicationFile {
        file_id: d.id.clone(),
        dossier_code: d.code.clone(),
        registered: kernel::time::rfc3339_vn(d.submitted_at),
        service_key: d.procedure_code.clone(),
        service_name: d.procedure_name.clone(),
        status: status_model(d.status),
        ended: d.status.is_final(),
        applicant_id: applicant,
        application_data: json!({"formData": {"data": d.form, "eFormId": format!("{}@{}", d.procedure_code, d.procedure_version)}}),
    }
}

/// Submit an application (a dossier, online) with form data and uploaded documents.
#[utoipa::path(post, path = "/registration/services/{serviceKey}/applications", tag = "registration", params(("serviceKey" = String, Path)),
    request_body = ApplicationSubmit,
    responses((status = 200, body = ApplicationFile), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn apply(
    State(o): State<Onestop>,
    Authed(p): Authed,
    Path(key): Path<String>,
    Json(b): Json<ApplicationSubmit>,
) -> ApiResult<Json<ApplicationFile>> {
    let own = [Some(p.id.as_str()), p.citizen_id.as_deref(), p.tax_code.as_deref()].contains(&Some(b.applicant_id.as_str()));
    if !own || !matches!(p.kind, PrincipalKind::Citizen | PrincipalKind::Business) {
        return Err(Problem::from(Error::Forbidden(
            "chỉ người nộp tự nộp hồ sơ của mình (applicants submit their own applications)".into(),
        )));
    }
    if let Some(f) = b.form_data.as_ref().and_then(|f| f.e_form_id.as_deref())
        && !f.starts_with(&format!("{key}@"))
    {
        return Err(Problem::from(Error::invalid(
            "formData.eFormId",
            format!("e-form {f} không thuộc dịch vụ {key} (not this service's e-form)"),
        )));
    }
    let input = SubmitInput {
        procedure_code: key,
        agency_code: b.agency_code.clone(),
        channel: crate::model::Channel::Online,
        applicant: None,
        proxy: None,
        form: b.form_data.map(|f| f.data).unwrap_or(Value::Null),
    };
    let staged: Vec<String> = b.document_urls.iter().map(|u| u.rsplit('/').next().unwrap_or("").to_owned()).collect();
    for s in &staged {
        let n = q("SELECT COUNT(*) FROM staged_documents WHERE id = $1 AND uploaded_by = $2 AND used_by IS NULL")
            .bind(s.as_str())
            .bind(p.id.as_str())
            .fetch_i64(&o.db)
            .await
            .or_problem()?;
        if n != 1 {
            return Err(Problem::from(Error::invalid(
                "documentUrls",
                format!("không có tài liệu {s} đã tải lên (no such uploaded document)"),
            )));
        }
    }
    let d = o.submit(&p, &input).await.or_problem()?;
    for s in &staged {
        o.attach_staged(&p, &d.id, s).await.or_problem()?;
    }
    let _ = b.application_name;
    Ok(Json(file_of(&d, Some(b.applicant_id))))
}

#[derive(Serialize, ToSchema)]
struct UploadResponse {
    code: i32,
    #[serde(rename = "type")]
    kind: String,
    message: String,
    url: String,
}

/// Upload a document (multipart `file`, or the raw body with its content type) before the
/// application that names it.
#[utoipa::path(post, path = "/registration/documents", tag = "registration",
    request_body(content = Vec<u8>, content_type = "multipart/form-data"),
    responses((status = 200, body = UploadResponse), (status = 422, body = Problem)))]
async fn upload_document(State(o): State<Onestop>, Authed(p): Authed, req: Request) -> ApiResult<Json<UploadResponse>> {
    let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let (name, ctype, bytes) = if ct.starts_with("multipart/form-data") {
        let mut mp = Multipart::from_request(req, &()).await.map_err(|e| Problem::from(Error::BadRequest(e.to_string())))?;
        let mut found = None;
        while let Some(field) = mp.next_field().await.map_err(|e| Problem::from(Error::BadRequest(e.to_string())))? {
            if field.name() == Some("file") {
                let name = field.file_name().unwrap_or("document").to_owned();
                let ctype = field.content_type().unwrap_or("application/octet-stream").to_owned();
                let bytes = field.bytes().await.map_err(|e| Problem::from(Error::BadRequest(e.to_string())))?;
                found = Some((name, ctype, bytes.to_vec()));
                break;
            }
        }
        found.ok_or_else(|| Problem::from(Error::invalid("file", "thiếu phần «file» (the multipart body has no file part)")))?
    } else {
        let bytes = axum::body::to_bytes(req.into_body(), crate::service::blobs::MAX_BYTES + 1)
            .await
            .map_err(|e| Problem::from(Error::BadRequest(e.to_string())))?;
        ("document".to_owned(), ct.clone(), bytes.to_vec())
    };
    let id = o.stage_document(&p, &name, &ctype, &bytes).await.or_problem()?;
    Ok(Json(UploadResponse {
        code: 200,
        kind: "success".into(),
        message: format!("{name} uploaded"),
        url: format!("/registration/documents/{id}"),
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    service_key: Option<String>,
    first_result: Option<i64>,
    max_result: Option<i64>,
}

/// Applications the caller may see: their own, or their agencies'.
#[utoipa::path(get, path = "/registration/applications", tag = "registration", params(ListQuery),
    responses((status = 200, body = Vec<ApplicationFile>), (status = 401, body = Problem)))]
async fn applications(State(o): State<Onestop>, Authed(p): Authed, Query(l): Query<ListQuery>) -> ApiResult<Json<Vec<ApplicationFile>>> {
    let (list, _) =
        o.dossiers(&p, None, l.first_result.unwrap_or(0).max(0), l.max_result.unwrap_or(50).clamp(1, 500)).await.or_problem()?;
    Ok(Json(list.iter().filter(|d| l.service_key.as_ref().is_none_or(|k| *k == d.procedure_code)).map(|d| file_of(d, None)).collect()))
}

#[utoipa::path(get, path = "/registration/applications/{fileId}", tag = "registration", params(("fileId" = String, Path)),
    responses((status = 200, body = ApplicationFile), (status = 404, body = Problem)))]
async fn application(State(o): State<Onestop>, Authed(p): Authed, Path(id): Path<String>) -> ApiResult<Json<ApplicationFile>> {
    Ok(Json(file_of(&o.dossier(&p, &id).await.or_problem()?.d, None)))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct ApplicationUpdate {
    form_data: FormData,
}

/// An operator corrects the form data of an application not yet accepted.
#[utoipa::path(put, path = "/registration/applications/{fileId}", tag = "registration", params(("fileId" = String, Path)), request_body = ApplicationUpdate,
    responses((status = 200, body = ApplicationFile), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_application(
    State(o): State<Onestop>,
    Authed(p): Authed,
    Path(id): Path<String>,
    Json(b): Json<ApplicationUpdate>,
) -> ApiResult<Json<ApplicationFile>> {
    Ok(Json(file_of(&o.update_form(&p, &id, &b.form_data.data).await.or_problem()?, None)))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct UserTask {
    task_id: String,
    name: String,
    assignee_id: Option<String>,
    role_id: String,
    created: String,
    due: String,
    description: String,
    service_key: String,
    service_name: String,
    file_id: String,
    status: StatusModel,
}

async fn user_task(o: &Onestop, t: &Task) -> Result<UserTask> {
    let d = store::load(&o.db, &t.dossier_id, false).await?.ok_or_else(|| Error::not_found("hồ sơ"))?;
    Ok(UserTask {
        task_id: t.id.clone(),
        name: t.step_name.clone(),
        assignee_id: t.assignee_id.clone(),
        role_id: t.role.clone(),
        created: kernel::time::rfc3339_vn(t.started_at),
        due: kernel::time::rfc3339_vn(t.due_at),
        description: format!("{} — {}", t.dossier_code.clone().unwrap_or_default(), t.procedure_name),
        service_key: d.d.procedure_code.clone(),
        service_name: d.d.procedure_name.clone(),
        file_id: t.dossier_id.clone(),
        status: status_model(d.d.status),
    })
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
struct TaskQuery {
    file_id: Option<String>,
    assignee_id: Option<String>,
    first_result: Option<i64>,
    max_result: Option<i64>,
}

/// Open tasks for the caller (the engine's inbox).
#[utoipa::path(get, path = "/registration/tasks", tag = "registration", params(TaskQuery),
    responses((status = 200, body = Vec<UserTask>), (status = 401, body = Problem)))]
async fn tasks(State(o): State<Onestop>, Authed(p): Authed, Query(tq): Query<TaskQuery>) -> ApiResult<Json<Vec<UserTask>>> {
    let (list, _) = o
        .inbox(&p, &InboxFilter::default(), tq.first_result.unwrap_or(0).max(0), tq.max_result.unwrap_or(50).clamp(1, 500))
        .await
        .or_problem()?;
    let mut out = Vec::new();
    for t in list.iter().filter(|t| {
        tq.file_id.as_ref().is_none_or(|f| *f == t.dossier_id) && tq.assignee_id.as_ref().is_none_or(|a| t.assignee_id.as_ref() == Some(a))
    }) {
        out.push(user_task(&o, t).await.or_problem()?);
    }
    Ok(Json(out))
}

#[utoipa::path(get, path = "/registration/tasks/{taskId}", tag = "registration", params(("taskId" = String, Path)),
    responses((status = 200, body = UserTask), (status = 404, body = Problem)))]
async fn task(State(o): State<Onestop>, Authed(p): Authed, Path(id): Path<String>) -> ApiResult<Json<UserTask>> {
    let t = store::task_by_id(&o.db, &id).await.or_problem()?.ok_or_else(|| Problem::from(Error::not_found(format!("task {id}"))))?;
    o.dossier(&p, &t.dossier_id).await.or_problem()?;
    Ok(Json(user_task(&o, &t).await.or_problem()?))
}

#[derive(Deserialize, ToSchema)]
struct AdditionalData {
    /// `outcome` (default `done`; `approved`/`rejected` at approval steps) and `note`.
    #[serde(default)]
    #[schema(value_type = Object)]
    data: Map<String, Value>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct CompletedTask {
    task_id: String,
    file_id: String,
    service_key: String,
    status: StatusModel,
}

/// Complete a task; the application moves on.
#[utoipa::path(post, path = "/registration/tasks/{taskId}/complete", tag = "registration", params(("taskId" = String, Path)), request_body = AdditionalData,
    responses((status = 200, body = CompletedTask), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn complete_task(
    State(o): State<Onestop>,
    Authed(p): Authed,
    Path(id): Path<String>,
    Json(b): Json<AdditionalData>,
) -> ApiResult<Json<CompletedTask>> {
    let t = store::task_by_id(&o.db, &id).await.or_problem()?.ok_or_else(|| Problem::from(Error::not_found(format!("task {id}"))))?;
    let default = if t.kind == "approval" { "approved" } else { "done" };
    let outcome = b.data.get("outcome").and_then(|v| v.as_str()).unwrap_or(default).to_owned();
    let note = b.data.get("note").and_then(|v| v.as_str()).map(str::to_owned);
    let d = o.complete(&p, &id, &Complete { version: t.version, outcome, note }).await.or_problem()?;
    Ok(Json(CompletedTask { task_id: id, file_id: d.id.clone(), service_key: d.procedure_code.clone(), status: status_model(d.status) }))
}

#[derive(Deserialize, IntoParams)]
struct StatsQuery {
    /// `YYYY-MM-DD`; default: 1 January of this year.
    from: Option<String>,
    /// `YYYY-MM-DD`; default: today.
    to: Option<String>,
}

/// Operational statistics: applications received and processed per service.
#[utoipa::path(get, path = "/registration/data/statistics/1.0", tag = "registration", params(StatsQuery),
    responses((status = 200, body = Object), (status = 403, body = Problem)))]
async fn statistics(State(o): State<Onestop>, Authed(p): Authed, Query(s): Query<StatsQuery>) -> ApiResult<axum::Json<Value>> {
    let today = kernel::time::today_vn();
    let from = s.from.unwrap_or_else(|| format!("{}-01-01", today.year()));
    let to = s.to.unwrap_or_else(|| kernel::time::date_text(today));
    let rows = o
        .statistics(
            &p,
            &crate::service::Statistics { from: from.clone(), to: to.clone(), group: Some("procedure".into()), agency_code: None },
        )
        .await
        .or_problem()?;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| json!({"serviceKey": r.key, "serviceName": r.name, "received": r.received, "processed": r.resolved, "onTime": r.early + r.on_time, "late": r.late, "pending": r.pending, "withdrawn": r.withdrawn}))
        .collect();
    Ok(axum::Json(json!({"from": from, "to": to, "services": items})))
}
