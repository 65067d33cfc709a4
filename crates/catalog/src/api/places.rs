//! Administrative units and agencies.

use axum::extract::State;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use web::Path;
use web::problem::OrProblem;
use web::{Admin, ApiResult, Json, PageQuery, Paged, Query};

use super::created;
use crate::Catalog;
use crate::model::agency::{Agency, AgencyInput};
use crate::model::unit::{AdminUnit, UnitInput};
use crate::store::agencies::AgencyFilter;
use crate::store::units::UnitFilter;

pub fn router() -> OpenApiRouter<Catalog> {
    OpenApiRouter::new()
        .routes(routes!(list_units, create_unit))
        .routes(routes!(get_unit, put_unit))
        .routes(routes!(list_agencies, create_agency))
        .routes(routes!(get_agency, put_agency))
}

/// List administrative units, filtered by tier, parent, date of existence or name.
#[utoipa::path(get, path = "/api/units", tag = "catalog", params(UnitFilter, PageQuery),
    responses((status = 200, body = Paged<AdminUnit>), (status = 422, body = web::Problem)))]
async fn list_units(
    State(c): State<Catalog>,
    Query(f): Query<UnitFilter>,
    Query(p): Query<PageQuery>,
) -> ApiResult<Json<Paged<AdminUnit>>> {
    let (items, total) = c.units(&f, p.offset(), p.limit()).await.or_problem()?;
    Ok(Json(Paged::new(items, total, &p)))
}

/// Create or update an administrative unit (administrator).
#[utoipa::path(post, path = "/api/units", tag = "catalog", request_body = UnitInput, security(("admin" = [])),
    responses((status = 201, body = AdminUnit), (status = 422, body = web::Problem), (status = 401, body = web::Problem)))]
async fn create_unit(State(c): State<Catalog>, _: Admin, Json(input): Json<UnitInput>) -> ApiResult<Response> {
    Ok(created(c.upsert_unit(&input).await.or_problem()?))
}

/// One administrative unit by its code.
#[utoipa::path(get, path = "/api/units/{code}", tag = "catalog", params(("code" = String, Path)),
    responses((status = 200, body = AdminUnit), (status = 404, body = web::Problem)))]
async fn get_unit(State(c): State<Catalog>, Path(code): Path<String>) -> ApiResult<Json<AdminUnit>> {
    Ok(Json(c.unit(&code).await.or_problem()?))
}

/// Replace an administrative unit (administrator); the body's code must match the path.
#[utoipa::path(put, path = "/api/units/{code}", tag = "catalog", params(("code" = String, Path)), request_body = UnitInput,
    security(("admin" = [])), responses((status = 200, body = AdminUnit), (status = 422, body = web::Problem)))]
async fn put_unit(
    State(c): State<Catalog>,
    _: Admin,
    Path(code): Path<String>,
    Json(mut input): Json<UnitInput>,
) -> ApiResult<Json<AdminUnit>> {
    if input.code.is_empty() {
        input.code = code.clone();
    }
    if input.code.trim() != code {
        return Err(
            kernel::Error::invalid("code", "mã trong nội dung khác mã trên đường dẫn (the body's code differs from the path)").into()
        );
    }
    Ok(Json(c.upsert_unit(&input).await.or_problem()?))
}

/// List agencies, filtered by level, parent, unit or name.
#[utoipa::path(get, path = "/api/agencies", tag = "catalog", params(AgencyFilter, PageQuery),
    responses((status = 200, body = Paged<Agency>)))]
async fn list_agencies(
    State(c): State<Catalog>,
    Query(f): Query<AgencyFilter>,
    Query(p): Query<PageQuery>,
) -> ApiResult<Json<Paged<Agency>>> {
    let (items, total) = c.agencies(&f, p.offset(), p.limit()).await.or_problem()?;
    Ok(Json(Paged::new(items, total, &p)))
}

/// Create or update an agency (administrator).
#[utoipa::path(post, path = "/api/agencies", tag = "catalog", request_body = AgencyInput, security(("admin" = [])),
    responses((status = 201, body = Agency), (status = 422, body = web::Problem)))]
async fn create_agency(State(c): State<Catalog>, _: Admin, Json(input): Json<AgencyInput>) -> ApiResult<Response> {
    Ok(created(c.upsert_agency(&input).await.or_problem()?))
}

/// One agency by its QĐ 20/2020 code.
#[utoipa::path(get, path = "/api/agencies/{code}", tag = "catalog", params(("code" = String, Path)),
    responses((status = 200, body = Agency), (status = 404, body = web::Problem)))]
async fn get_agency(State(c): State<Catalog>, Path(code): Path<String>) -> ApiResult<Json<Agency>> {
    kernel::codes::AgencyCode::parse(&code).map_err(|e| kernel::Error::invalid("code", e.to_string())).or_problem()?;
    Ok(Json(c.agency(&code).await.or_problem()?))
}

/// Replace an agency (administrator); the body's code must match the path.
#[utoipa::path(put, path = "/api/agencies/{code}", tag = "catalog", params(("code" = String, Path)), request_body = AgencyInput,
    security(("admin" = [])), responses((status = 200, body = Agency), (status = 422, body = web::Problem)))]
async fn put_agency(
    State(c): State<Catalog>,
    _: Admin,
    Path(code): Path<String>,
    Json(mut input): Json<AgencyInput>,
) -> ApiResult<Json<Agency>> {
    if input.code.is_empty() {
        input.code = code.clone();
    }
    if input.code.trim() != code {
        return Err(
            kernel::Error::invalid("code", "mã trong nội dung khác mã trên đường dẫn (the body's code differs from the path)").into()
        );
    }
    Ok(Json(c.upsert_agency(&input).await.or_problem()?))
}
