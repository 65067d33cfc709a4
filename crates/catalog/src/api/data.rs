//! The GovStack Digital Registries API (`/data/{registry}/{version}/...`) over the generic
//! registries. The specification's hyphenated paths (`read-value`, `update-entries`,
//! `update-or-create`, `MyPersonalDataUsage/1.0`) and the camel-case spellings
//! (`readValue`, `updateEntries`, `updateOrCreate`, `myPersonalDataUsage`) are both served.
//!
//! Access: writes need the administrator. Reads of a registry about people (one with a
//! `personal_field`) need the administrator too until callers are authenticated by the
//! integration platform; other registries are public. Every read is logged with the
//! `Information-Mediator-Client` that made it.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kernel::authz::Permission;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use web::Path;
use web::problem::OrProblem;
use web::{Admin, ApiResult, Caller, ImClient, Json, Problem, Query};

use super::created;
use crate::Catalog;
use crate::model::registry::{Registry, RegistryInput};
use crate::service::{DrQuery, DrWrite, UsageEntry};

pub fn router() -> OpenApiRouter<Catalog> {
    OpenApiRouter::new()
        .routes(routes!(list_registries, define_registry))
        .routes(routes!(list))
        .routes(routes!(create))
        .routes(routes!(exists))
        .routes(routes!(read))
        .routes(routes!(update))
        .routes(routes!(update_entries))
        .routes(routes!(update_entries_hyphen))
        .routes(routes!(update_or_create))
        .routes(routes!(update_or_create_hyphen))
        .routes(routes!(delete))
        .routes(routes!(read_value))
        .routes(routes!(read_value_hyphen))
        .routes(routes!(personal_usage))
        .routes(routes!(personal_usage_spec))
}

/// Maps errors to problem+json; "not found" says `no record found` as the specification does.
fn dr(e: kernel::Error) -> Problem {
    match e {
        kernel::Error::NotFound(what) if what == "no record found" => Problem::new("not-found", Some(what)),
        other => Problem::from(other),
    }
}

/// The registry, checking that the caller may read it.
async fn readable(c: &Catalog, name: &str, version: &str, caller: &Caller) -> ApiResult<Registry> {
    let reg = c.registry(name, version).await.map_err(dr)?;
    if reg.personal_field.is_some() {
        match &caller.principal {
            None => {
                return Err(Problem::new(
                    "unauthorized",
                    Some("registry chứa dữ liệu cá nhân: cần xác thực (this registry holds personal data; authentication required)".into()),
                ));
            }
            Some(p) if !p.allows(Permission::RegistryReadPersonal, None) => {
                return Err(Problem::new(
                    "forbidden",
                    Some("không có quyền đọc dữ liệu cá nhân (not allowed to read personal data)".into()),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(reg)
}

/// Who the access log records: the calling system, else the signed-in principal.
fn client(im: &ImClient, caller: &Caller) -> Option<String> {
    im.0.clone().or_else(|| caller.principal.as_ref().map(|p| format!("{:?}:{}", p.kind, p.id).to_lowercase()))
}

/// Who the access log records for a write.
fn writer(im: &ImClient, admin: &Admin) -> String {
    im.0.clone().unwrap_or_else(|| format!("{:?}:{}", admin.0.kind, admin.0.id).to_lowercase())
}

/// Registries this deployment serves.
#[utoipa::path(get, path = "/api/registries", tag = "registries", responses((status = 200, body = Vec<Registry>)))]
async fn list_registries(State(c): State<Catalog>) -> ApiResult<Json<Vec<Registry>>> {
    Ok(Json(c.registries().await.or_problem()?))
}

/// Define (or redefine) a registry and the JSON Schema of its records (administrator).
#[utoipa::path(post, path = "/api/registries", tag = "registries", request_body = RegistryInput, security(("admin" = [])),
    responses((status = 201, body = Registry), (status = 422, body = web::Problem)))]
async fn define_registry(State(c): State<Catalog>, _: Admin, Json(input): Json<RegistryInput>) -> ApiResult<Response> {
    Ok(created(c.define_registry(&input).await.or_problem()?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// Text anywhere in a record.
    search: Option<String>,
    /// `descending` orders by key from the end.
    ordering: Option<String>,
    page: Option<u32>,
    page_size: Option<u32>,
}

#[derive(Serialize, ToSchema)]
struct ListAnswer {
    count: i64,
    next: Option<String>,
    previous: Option<String>,
    #[schema(value_type = Vec<Object>)]
    results: Vec<Value>,
}

/// List records, with `search`, paging and `query.<field>=value` filters.
#[utoipa::path(get, path = "/data/{registry}/{version}", tag = "registries", params(("registry" = String, Path), ("version" = String, Path), ListParams),
    responses((status = 200, body = ListAnswer), (status = 404, body = web::Problem)))]
async fn list(
    State(c): State<Catalog>,
    caller: Caller,
    im: ImClient,
    Path((name, version)): Path<(String, String)>,
    Query(p): Query<ListParams>,
    Query(all): Query<HashMap<String, String>>,
) -> ApiResult<Json<ListAnswer>> {
    let reg = readable(&c, &name, &version, &caller).await?;
    let page = p.page.unwrap_or(1).max(1);
    let size = p.page_size.unwrap_or(20).clamp(1, 200);
    let filters: Map<String, Value> =
        all.iter().filter_map(|(k, v)| k.strip_prefix("query.").map(|f| (f.to_owned(), Value::String(v.clone())))).collect();
    let descending = p.ordering.as_deref() == Some("descending");
    let (results, count) = c
        .dr_list(
            &reg,
            p.search.as_deref(),
            &filters,
            (page as i64 - 1) * size as i64,
            size as i64,
            descending,
            client(&im, &caller).as_deref(),
        )
        .await
        .map_err(dr)?;
    let base = format!("/data/{name}/{version}?page_size={size}");
    let next = ((page as i64) * (size as i64) < count).then(|| format!("{base}&page={}", page + 1));
    let previous = (page > 1).then(|| format!("{base}&page={}", page - 1));
    Ok(Json(ListAnswer { count, next, previous, results }))
}

#[derive(Deserialize, ToSchema)]
struct WriteBody {
    write: DrWrite,
}

#[derive(Deserialize, ToSchema)]
struct QueryBody {
    query: DrQuery,
}

#[derive(Deserialize, ToSchema)]
struct UpdateBody {
    query: Option<DrQuery>,
    write: DrWrite,
}

#[derive(Serialize, ToSchema)]
struct ContentAnswer {
    #[schema(value_type = Object)]
    content: Value,
}

/// Create a record (administrator).
#[utoipa::path(post, path = "/data/{registry}/{version}/create", tag = "registries", params(("registry" = String, Path), ("version" = String, Path)),
    request_body = WriteBody, security(("admin" = [])),
    responses((status = 200, body = ContentAnswer), (status = 409, body = web::Problem), (status = 422, body = web::Problem)))]
async fn create(
    State(c): State<Catalog>,
    admin: Admin,
    im: ImClient,
    Path((name, version)): Path<(String, String)>,
    Json(b): Json<WriteBody>,
) -> ApiResult<Json<ContentAnswer>> {
    let reg = c.registry(&name, &version).await.map_err(dr)?;
    let content = c.dr_create(&reg, &b.write, Some(&writer(&im, &admin))).await.map_err(dr)?;
    Ok(Json(ContentAnswer { content }))
}

#[derive(Serialize, ToSchema)]
struct ExistsAnswer {
    answer: Answer,
}

#[derive(Serialize, ToSchema)]
struct Answer {
    status: bool,
    message: String,
}

/// Whether a record matching the query exists.
#[utoipa::path(post, path = "/data/{registry}/{version}/exists", tag = "registries", params(("registry" = String, Path), ("version" = String, Path)),
    request_body = QueryBody, responses((status = 200, body = ExistsAnswer)))]
async fn exists(
    State(c): State<Catalog>,
    caller: Caller,
    im: ImClient,
    Path((name, version)): Path<(String, String)>,
    Json(b): Json<QueryBody>,
) -> ApiResult<Json<ExistsAnswer>> {
    let reg = readable(&c, &name, &version, &caller).await?;
    let status = c.dr_exists(&reg, &b.query, client(&im, &caller).as_deref()).await.map_err(dr)?;
    let message = if status { "Object found from database" } else { "Object not found from database" }.to_string();
    Ok(Json(ExistsAnswer { answer: Answer { status, message } }))
}

/// The first record matching the query.
#[utoipa::path(post, path = "/data/{registry}/{version}/read", tag = "registries", params(("registry" = String, Path), ("version" = String, Path)),
    request_body = QueryBody, responses((status = 200, body = ContentAnswer), (status = 404, body = web::Problem)))]
async fn read(
    State(c): State<Catalog>,
    caller: Caller,
    im: ImClient,
    Path((name, version)): Path<(String, String)>,
    Json(b): Json<QueryBody>,
) -> ApiResult<Json<ContentAnswer>> {
    let reg = readable(&c, &name, &version, &caller).await?;
    let content = c.dr_read(&reg, &b.query, client(&im, &caller).as_deref()).await.map_err(dr)?;
    Ok(Json(ContentAnswer { content }))
}

async fn do_update(c: &Catalog, admin: &Admin, im: &ImClient, name: &str, version: &str, b: UpdateBody, all: bool) -> ApiResult<Response> {
    let reg = c.registry(name, version).await.map_err(dr)?;
    let updated = c.dr_update(&reg, b.query.as_ref(), &b.write, all, Some(&writer(im, admin))).await.map_err(dr)?;
    Ok(Json(serde_json::json!({ "updated": updated.len() })).into_response())
}

/// Update the first record matching the query by merging `write` into it (administrator).
#[utoipa::path(put, path = "/data/{registry}/{version}/update", tag = "registries", params(("registry" = String, Path), ("version" = String, Path)),
    request_body = UpdateBody, security(("admin" = [])), responses((status = 200), (status = 404, body = web::Problem), (status = 422, body = web::Problem)))]
async fn update(
    State(c): State<Catalog>,
    admin: Admin,
    im: ImClient,
    Path((name, version)): Path<(String, String)>,
    Json(b): Json<UpdateBody>,
) -> ApiResult<Response> {
    do_update(&c, &admin, &im, &name, &version, b, false).await
}

/// Update every record matching the query (administrator).
#[utoipa::path(put, path = "/data/{registry}/{version}/updateEntries", tag = "registries", params(("registry" = String, Path), ("version" = String, Path)),
    request_body = UpdateBody, security(("admin" = [])), responses((status = 200), (status = 404, body = web::Problem)))]
async fn update_entries(
    State(c): State<Catalog>,
    admin: Admin,
    im: ImClient,
    Path((name, version)): Path<(String, String)>,
    Json(b): Json<UpdateBody>,
) -> ApiResult<Response> {
    do_update(&c, &admin, &im, &name, &version, b, true).await
}

/// Same as `updateEntries`, with the specification's spelling.
#[utoipa::path(put, path = "/data/{registry}/{version}/update-entries", tag = "registries", params(("registry" = String, Path), ("version" = String, Path)),
    request_body = UpdateBody, security(("admin" = [])), responses((status = 200), (status = 404, body = web::Problem)))]
async fn update_entries_hyphen(
    State(c): State<Catalog>,
    admin: Admin,
    im: ImClient,
    Path((name, version)): Path<(String, String)>,
    Json(b): Json<UpdateBody>,
) -> ApiResult<Response> {
    do_update(&c, &admin, &im, &name, &version, b, true).await
}

async fn do_upsert(c: &Catalog, admin: &Admin, im: &ImClient, name: &str, version: &str, b: UpdateBody) -> ApiResult<Response> {
    let reg = c.registry(name, version).await.map_err(dr)?;
    let (content, was_created) = c.dr_update_or_create(&reg, b.query.as_ref(), &b.write, Some(&writer(im, admin))).await.map_err(dr)?;
    Ok(if was_created { created(ContentAnswer { content }) } else { Json(ContentAnswer { content }).into_response() })
}

/// Update the matching record or create it (administrator).
#[utoipa::path(post, path = "/data/{registry}/{version}/updateOrCreate", tag = "registries", params(("registry" = String, Path), ("version" = String, Path)),
    request_body = UpdateBody, security(("admin" = [])), responses((status = 200, body = ContentAnswer), (status = 201, body = ContentAnswer)))]
async fn update_or_create(
    State(c): State<Catalog>,
    admin: Admin,
    im: ImClient,
    Path((name, version)): Path<(String, String)>,
    Json(b): Json<UpdateBody>,
) -> ApiResult<Response> {
    do_upsert(&c, &admin, &im, &name, &version, b).await
}

/// Same as `updateOrCreate`, with the specification's spelling.
#[utoipa::path(post, path = "/data/{registry}/{version}/update-or-create", tag = "registries", params(("registry" = String, Path), ("version" = String, Path)),
    request_body = UpdateBody, security(("admin" = [])), responses((status = 200, body = ContentAnswer), (status = 201, body = ContentAnswer)))]
async fn update_or_create_hyphen(
    State(c): State<Catalog>,
    admin: Admin,
    im: ImClient,
    Path((name, version)): Path<(String, String)>,
    Json(b): Json<UpdateBody>,
) -> ApiResult<Response> {
    do_upsert(&c, &admin, &im, &name, &version, b).await
}

/// Delete the record with this key (administrator).
#[utoipa::path(delete, path = "/data/{registry}/{version}/{id}/delete", tag = "registries",
    params(("registry" = String, Path), ("version" = String, Path), ("id" = String, Path)), security(("admin" = [])),
    responses((status = 204), (status = 404, body = web::Problem)))]
async fn delete(
    State(c): State<Catalog>,
    admin: Admin,
    im: ImClient,
    Path((name, version, id)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let reg = c.registry(&name, &version).await.map_err(dr)?;
    c.dr_delete(&reg, &id, Some(&writer(&im, &admin))).await.map_err(dr)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn do_read_value(
    c: &Catalog,
    caller: &Caller,
    im: &ImClient,
    name: &str,
    version: &str,
    id: &str,
    file: &str,
) -> ApiResult<Response> {
    let reg = readable(c, name, version, caller).await?;
    let (field, ext) = file
        .rsplit_once('.')
        .ok_or_else(|| Problem::new("malformed-request", Some("dùng {field}.{ext}, ví dụ FirstName.json (use {field}.{ext})".into())))?;
    if !matches!(ext, "json" | "txt") {
        return Err(Problem::new(
            "malformed-request",
            Some(format!("định dạng .{ext} chưa hỗ trợ; dùng .json hoặc .txt (use .json or .txt)")),
        ));
    }
    let value = c.dr_read_value(&reg, id, field, client(im, caller).as_deref()).await.map_err(dr)?;
    Ok(if ext == "json" {
        Json(serde_json::json!({ "value": value })).into_response()
    } else {
        let text = match value {
            Value::String(s) => s,
            other => other.to_string(),
        };
        ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
    })
}

/// One field of one record (by uuid or key), as `{"value": ...}` (.json) or plain text (.txt).
#[utoipa::path(get, path = "/data/{registry}/{version}/{id}/readValue/{file}", tag = "registries",
    params(("registry" = String, Path), ("version" = String, Path), ("id" = String, Path), ("file" = String, Path, example = "FirstName.json")),
    responses((status = 200, body = Object), (status = 404, body = web::Problem)))]
async fn read_value(
    State(c): State<Catalog>,
    caller: Caller,
    im: ImClient,
    Path((name, version, id, file)): Path<(String, String, String, String)>,
) -> ApiResult<Response> {
    do_read_value(&c, &caller, &im, &name, &version, &id, &file).await
}

/// Same as `readValue`, with the specification's spelling.
#[utoipa::path(get, path = "/data/{registry}/{version}/{id}/read-value/{file}", tag = "registries",
    params(("registry" = String, Path), ("version" = String, Path), ("id" = String, Path), ("file" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = web::Problem)))]
async fn read_value_hyphen(
    State(c): State<Catalog>,
    caller: Caller,
    im: ImClient,
    Path((name, version, id, file)): Path<(String, String, String, String)>,
) -> ApiResult<Response> {
    do_read_value(&c, &caller, &im, &name, &version, &id, &file).await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(non_snake_case)]
struct UsageParams {
    /// The person's identification number.
    userID: String,
    /// Restrict to one registry.
    DatabaseID: Option<String>,
}

async fn do_usage(c: &Catalog, p: UsageParams) -> ApiResult<Json<Vec<UsageEntry>>> {
    if p.userID.trim().is_empty() {
        return Err(Problem::new("invalid-input", Some("userID bắt buộc (userID is required)".into())));
    }
    Ok(Json(c.personal_data_usage(p.userID.trim(), p.DatabaseID.as_deref().filter(|s| !s.is_empty())).await.or_problem()?))
}

/// Who read the data of a person (administrator until citizens sign in).
#[utoipa::path(get, path = "/data/myPersonalDataUsage", tag = "registries", params(UsageParams), security(("admin" = [])),
    responses((status = 200, body = Vec<UsageEntry>)))]
async fn personal_usage(State(c): State<Catalog>, _: Admin, Query(p): Query<UsageParams>) -> ApiResult<Json<Vec<UsageEntry>>> {
    do_usage(&c, p).await
}

/// Same as `myPersonalDataUsage`, with the specification's path.
#[utoipa::path(get, path = "/data/MyPersonalDataUsage/1.0", tag = "registries", params(UsageParams), security(("admin" = [])),
    responses((status = 200, body = Vec<UsageEntry>)))]
async fn personal_usage_spec(State(c): State<Catalog>, _: Admin, Query(p): Query<UsageParams>) -> ApiResult<Json<Vec<UsageEntry>>> {
    do_usage(&c, p).await
}
