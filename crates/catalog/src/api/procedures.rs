//! The procedure catalog.

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use web::Path;
use web::problem::OrProblem;
use web::{Admin, ApiResult, Json, PageQuery, Paged, Query};

use super::created;
use crate::Catalog;
use crate::model::procedure::{ProcedureInput, ProcedureSummary, ProcedureVersion};
use crate::store::procedures::ProcedureFilter;

pub fn router() -> OpenApiRouter<Catalog> {
    OpenApiRouter::new()
        .routes(routes!(search, create))
        .routes(routes!(get_one))
        .routes(routes!(versions, add_version))
        .routes(routes!(get_version))
}

/// Search and list procedures in force. Words match with or without Vietnamese accents;
/// results are ranked (whole phrase in the name first, then relevance).
#[utoipa::path(get, path = "/api/procedures", tag = "procedures", params(ProcedureFilter, PageQuery),
    responses((status = 200, body = Paged<ProcedureSummary>)))]
async fn search(
    State(c): State<Catalog>,
    Query(f): Query<ProcedureFilter>,
    Query(p): Query<PageQuery>,
) -> ApiResult<Json<Paged<ProcedureSummary>>> {
    let (items, total) = c.search_procedures(&f, p.offset(), p.limit()).await.or_problem()?;
    Ok(Json(Paged::new(items, total, &p)))
}

/// Create a procedure with its first version (administrator).
#[utoipa::path(post, path = "/api/procedures", tag = "procedures", request_body = ProcedureInput, security(("admin" = [])),
    responses((status = 201, body = ProcedureVersion), (status = 422, body = web::Problem)))]
async fn create(State(c): State<Catalog>, _: Admin, Json(input): Json<ProcedureInput>) -> ApiResult<Response> {
    Ok(created(c.create_procedure(&input).await.or_problem()?))
}

#[derive(Serialize, ToSchema)]
struct ProcedureDetail {
    #[serde(flatten)]
    version: ProcedureVersion,
    /// Implementing agencies as (code, name).
    agencies: Vec<AgencyRef>,
    /// The code used by the national portal for each implementing agency.
    combined_codes: Vec<String>,
}

#[derive(Serialize, ToSchema)]
struct AgencyRef {
    code: String,
    name: String,
}

/// The version in force of a procedure.
#[utoipa::path(get, path = "/api/procedures/{code}", tag = "procedures", params(("code" = String, Path, example = "1.001193")),
    responses((status = 200, body = ProcedureDetail), (status = 404, body = web::Problem), (status = 422, body = web::Problem)))]
async fn get_one(State(c): State<Catalog>, Path(code): Path<String>) -> ApiResult<Json<ProcedureDetail>> {
    let pc = kernel::codes::ProcedureCode::parse(&code).map_err(|e| kernel::Error::invalid("code", e.to_string())).or_problem()?;
    let version = c.procedure(&code).await.or_problem()?;
    let agencies: Vec<AgencyRef> =
        c.procedure_agencies(&version.procedure_id).await.or_problem()?.into_iter().map(|(code, name)| AgencyRef { code, name }).collect();
    let combined_codes =
        agencies.iter().filter_map(|a| kernel::codes::AgencyCode::parse(&a.code).ok()).map(|a| pc.with_agency(&a)).collect();
    Ok(Json(ProcedureDetail { version, agencies, combined_codes }))
}

/// Every version of a procedure, oldest first.
#[utoipa::path(get, path = "/api/procedures/{code}/versions", tag = "procedures", params(("code" = String, Path)),
    responses((status = 200, body = Vec<ProcedureVersion>), (status = 404, body = web::Problem)))]
async fn versions(State(c): State<Catalog>, Path(code): Path<String>) -> ApiResult<Json<Vec<ProcedureVersion>>> {
    Ok(Json(c.procedure_versions(&code).await.or_problem()?))
}

/// Record a new decision about a procedure: a new version (administrator). It is in force from
/// its effective date; dossiers under earlier versions keep theirs.
#[utoipa::path(post, path = "/api/procedures/{code}/versions", tag = "procedures", params(("code" = String, Path)), request_body = ProcedureInput,
    security(("admin" = [])), responses((status = 201, body = ProcedureVersion), (status = 404, body = web::Problem), (status = 422, body = web::Problem)))]
async fn add_version(
    State(c): State<Catalog>,
    _: Admin,
    Path(code): Path<String>,
    Json(input): Json<ProcedureInput>,
) -> ApiResult<Response> {
    Ok(created(c.add_procedure_version(&code, &input).await.or_problem()?))
}

/// One version of a procedure.
#[utoipa::path(get, path = "/api/procedures/{code}/versions/{version}", tag = "procedures",
    params(("code" = String, Path), ("version" = i64, Path)),
    responses((status = 200, body = ProcedureVersion), (status = 404, body = web::Problem)))]
async fn get_version(State(c): State<Catalog>, Path((code, version)): Path<(String, i64)>) -> ApiResult<Json<ProcedureVersion>> {
    Ok(Json(c.procedure_version(&code, version).await.or_problem()?))
}
