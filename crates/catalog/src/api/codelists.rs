//! Shared code lists.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use web::Path;
use web::problem::OrProblem;
use web::{Admin, ApiResult, Json, PageQuery, Paged, Query};

use super::created;
use crate::Catalog;
use crate::model::codelist::{CodeItem, CodeList, CodeListInput};

pub fn router() -> OpenApiRouter<Catalog> {
    OpenApiRouter::new().routes(routes!(lists, create_list)).routes(routes!(items, put_items))
}

/// Every code list with its number of items.
#[utoipa::path(get, path = "/api/code-lists", tag = "catalog", responses((status = 200, body = Vec<CodeList>)))]
async fn lists(State(c): State<Catalog>) -> ApiResult<Json<Vec<CodeList>>> {
    Ok(Json(c.code_lists().await.or_problem()?))
}

/// Create a new code list (administrator).
#[utoipa::path(post, path = "/api/code-lists", tag = "catalog", request_body = CodeListInput, security(("admin" = [])),
    responses((status = 201, body = CodeList), (status = 409, body = web::Problem), (status = 422, body = web::Problem)))]
async fn create_list(State(c): State<Catalog>, _: Admin, Json(input): Json<CodeListInput>) -> ApiResult<Response> {
    Ok(created(c.create_code_list(&input).await.or_problem()?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ItemFilter {
    /// Text in the code or name.
    q: Option<String>,
}

/// Items of a code list.
#[utoipa::path(get, path = "/api/code-lists/{list}/items", tag = "catalog", params(("list" = String, Path), ItemFilter, PageQuery),
    responses((status = 200, body = Paged<CodeItem>), (status = 404, body = web::Problem)))]
async fn items(
    State(c): State<Catalog>,
    Path(list): Path<String>,
    Query(f): Query<ItemFilter>,
    Query(p): Query<PageQuery>,
) -> ApiResult<Json<Paged<CodeItem>>> {
    let (items, total) = c.code_items(&list, f.q.as_deref(), p.offset(), p.limit()).await.or_problem()?;
    Ok(Json(Paged::new(items, total, &p)))
}

/// Add or change items of a code list, all or none (administrator).
#[utoipa::path(put, path = "/api/code-lists/{list}/items", tag = "catalog", params(("list" = String, Path)), request_body = Vec<CodeItem>,
    security(("admin" = [])), responses((status = 204), (status = 422, body = web::Problem), (status = 404, body = web::Problem)))]
async fn put_items(
    State(c): State<Catalog>,
    _: Admin,
    Path(list): Path<String>,
    Json(items): Json<Vec<CodeItem>>,
) -> ApiResult<axum::http::StatusCode> {
    c.upsert_code_items(&list, &items).await.or_problem()?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
