//! Officials, their roles, and the security audit log.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kernel::authz::Permission;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use web::Path;
use web::problem::OrProblem;
use web::{ApiResult, Authed, Json, PageQuery, Paged, Problem, Query};

use crate::Identity;
use crate::model::{Account, AccountStatus, GrantInput, OfficialInput};
use crate::store::audit::SecurityEvent;

pub fn router() -> OpenApiRouter<Identity> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one))
        .routes(routes!(grant))
        .routes(routes!(revoke))
        .routes(routes!(set_status))
        .routes(routes!(events))
}

fn need(p: &kernel::authz::Principal, perm: Permission) -> ApiResult<()> {
    let any = p.agencies_with(perm).is_none_or(|s| !s.is_empty());
    if any { Ok(()) } else { Err(Problem::new("forbidden", Some("không có quyền thực hiện (not allowed)".into()))) }
}

/// Officials the caller manages.
#[utoipa::path(get, path = "/api/officials", tag = "identity", params(PageQuery),
    responses((status = 200, body = Paged<Account>), (status = 401, body = web::Problem), (status = 403, body = web::Problem)))]
async fn list(State(id): State<Identity>, Authed(p): Authed, Query(q): Query<PageQuery>) -> ApiResult<Json<Paged<Account>>> {
    need(&p, Permission::OfficialsManage)?;
    let (items, total) = id.officials(&p, q.offset(), q.limit()).await.or_problem()?;
    Ok(Json(Paged::new(items, total, &q)))
}

/// Create an official at an agency the caller manages.
#[utoipa::path(post, path = "/api/officials", tag = "identity", request_body = OfficialInput,
    responses((status = 201, body = Account), (status = 403, body = web::Problem), (status = 409, body = web::Problem), (status = 422, body = web::Problem)))]
async fn create(State(id): State<Identity>, Authed(p): Authed, Json(input): Json<OfficialInput>) -> ApiResult<Response> {
    need(&p, Permission::OfficialsManage)?;
    let a = id.create_official(&p, &input).await.or_problem()?;
    Ok((StatusCode::CREATED, axum::Json(a)).into_response())
}

/// One official with their roles.
#[utoipa::path(get, path = "/api/officials/{id}", tag = "identity", params(("id" = String, Path)),
    responses((status = 200, body = Account), (status = 404, body = web::Problem)))]
async fn get_one(State(id): State<Identity>, Authed(p): Authed, Path(account): Path<String>) -> ApiResult<Json<Account>> {
    need(&p, Permission::OfficialsManage)?;
    let visible = id.officials(&p, 0, 100_000).await.or_problem()?.0.into_iter().find(|a| a.id == account);
    visible.map(Json).ok_or_else(|| Problem::new("not-found", Some(format!("cán bộ {account} không tồn tại (not found)"))))
}

/// Grant a role at an agency.
#[utoipa::path(post, path = "/api/officials/{id}/roles", tag = "identity", params(("id" = String, Path)), request_body = GrantInput,
    responses((status = 200, body = Account), (status = 403, body = web::Problem), (status = 404, body = web::Problem), (status = 422, body = web::Problem)))]
async fn grant(
    State(id): State<Identity>,
    Authed(p): Authed,
    Path(account): Path<String>,
    Json(input): Json<GrantInput>,
) -> ApiResult<Json<Account>> {
    need(&p, Permission::OfficialsManage)?;
    Ok(Json(id.grant(&p, &account, &input).await.or_problem()?))
}

/// Take a role back (the official's sessions are signed out).
#[utoipa::path(delete, path = "/api/officials/{id}/roles/{grant}", tag = "identity", params(("id" = String, Path), ("grant" = String, Path)),
    responses((status = 200, body = Account), (status = 403, body = web::Problem), (status = 404, body = web::Problem)))]
async fn revoke(State(id): State<Identity>, Authed(p): Authed, Path((account, grant)): Path<(String, String)>) -> ApiResult<Json<Account>> {
    need(&p, Permission::OfficialsManage)?;
    Ok(Json(id.revoke_grant(&p, &account, &grant).await.or_problem()?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct StatusInput {
    /// active or disabled.
    status: String,
}

/// Disable (signing out everywhere) or re-enable an official's account.
#[utoipa::path(post, path = "/api/officials/{id}/status", tag = "identity", params(("id" = String, Path)), request_body = StatusInput,
    responses((status = 200, body = Account), (status = 422, body = web::Problem)))]
async fn set_status(
    State(id): State<Identity>,
    Authed(p): Authed,
    Path(account): Path<String>,
    Json(b): Json<StatusInput>,
) -> ApiResult<Json<Account>> {
    need(&p, Permission::OfficialsManage)?;
    let status = match b.status.as_str() {
        "active" => AccountStatus::Active,
        "disabled" => AccountStatus::Disabled,
        _ => {
            return Err(kernel::Error::invalid("status", "dùng active hoặc disabled (use active or disabled)").into());
        }
    };
    Ok(Json(id.set_account_status(&p, &account, status).await.or_problem()?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct EventFilter {
    /// e.g. login.failed, role.granted.
    kind: Option<String>,
    account_id: Option<String>,
}

/// The security audit log (auditors and provincial administrators). It cannot be edited.
#[utoipa::path(get, path = "/api/audit/security-events", tag = "identity", params(EventFilter, PageQuery),
    responses((status = 200, body = Paged<SecurityEvent>), (status = 403, body = web::Problem)))]
async fn events(
    State(id): State<Identity>,
    Authed(p): Authed,
    Query(f): Query<EventFilter>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Paged<SecurityEvent>>> {
    if !p.allows(Permission::AuditRead, None) {
        return Err(Problem::new("forbidden", Some("cần quyền thanh tra, kiểm tra (auditor rights are required)".into())));
    }
    let (items, total) = id.security_events(f.kind.as_deref(), f.account_id.as_deref(), q.offset(), q.limit()).await.or_problem()?;
    Ok(Json(Paged::new(items, total, &q)))
}
