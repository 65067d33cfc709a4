//! The client registry API for administrators: register, list and disable OpenID Connect
//! clients, give a confidential client a new secret, rotate the signing keys.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kernel::authz::{Permission, Principal};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use web::Path;
use web::problem::OrProblem;
use web::{ApiResult, Authed, Json, Problem};

use super::clients::{self, Client, ClientInput};
use crate::Identity;

pub fn router() -> OpenApiRouter<Identity> {
    OpenApiRouter::new()
        .routes(routes!(list_clients, create_client))
        .routes(routes!(disable_client))
        .routes(routes!(renew_secret))
        .routes(routes!(rotate_keys))
}

fn clients_admin(p: &Principal) -> ApiResult<()> {
    if p.allows(Permission::ClientsManage, None) {
        Ok(())
    } else {
        Err(Problem::new("forbidden", Some("cần quyền quản trị ứng dụng (client administration rights are required)".into())))
    }
}

/// A client just registered, with its secret (confidential clients), shown this once.
#[derive(Serialize, ToSchema)]
struct Registered {
    client: Client,
    client_secret: Option<String>,
}

/// A confidential client's new secret, shown this once.
#[derive(Serialize, ToSchema)]
struct NewSecret {
    client_id: String,
    client_secret: String,
}

/// The signing key now in use.
#[derive(Serialize, ToSchema)]
struct Rotated {
    kid: String,
}

/// Every registered client (provincial administrators).
#[utoipa::path(get, path = "/api/oidc/clients", tag = "identity",
    responses((status = 200, body = Vec<Client>), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_clients(State(id): State<Identity>, Authed(p): Authed) -> ApiResult<Json<Vec<Client>>> {
    clients_admin(&p)?;
    Ok(Json(clients::all(&id.db).await.or_problem()?))
}

/// Register a client: a system calling the platform (`client_credentials`) or an application
/// signing people in (`authorization_code`, with its redirect addresses). The secret of a
/// confidential client is in the answer, once; the platform keeps only its hash.
#[utoipa::path(post, path = "/api/oidc/clients", tag = "identity", request_body = ClientInput,
    responses((status = 201, body = Registered), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_client(State(id): State<Identity>, Authed(p): Authed, Json(input): Json<ClientInput>) -> ApiResult<Response> {
    clients_admin(&p)?;
    let (client, client_secret) = clients::create(&id.db, &input, None).await.or_problem()?;
    id.audit("oidc.client_registered", None, Some(&p.id), None, json!({"client": client.client_id})).await.or_problem()?;
    Ok((StatusCode::CREATED, axum::Json(Registered { client, client_secret })).into_response())
}

/// Disable a client: its secret and its refresh tokens stop working.
#[utoipa::path(delete, path = "/api/oidc/clients/{id}", tag = "identity", params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn disable_client(State(id): State<Identity>, Authed(p): Authed, Path(cid): Path<String>) -> ApiResult<StatusCode> {
    clients_admin(&p)?;
    clients::disable(&id.db, &cid).await.or_problem()?;
    id.audit("oidc.client_disabled", None, Some(&p.id), None, json!({"client": cid})).await.or_problem()?;
    Ok(StatusCode::NO_CONTENT)
}

/// Give a confidential client a new secret (the old one leaked or was lost). The old secret
/// stops working at once; access tokens it already obtained run to their expiry.
#[utoipa::path(post, path = "/api/oidc/clients/{id}/secret", tag = "identity", params(("id" = String, Path)),
    responses((status = 200, body = NewSecret), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn renew_secret(State(id): State<Identity>, Authed(p): Authed, Path(cid): Path<String>) -> ApiResult<Json<NewSecret>> {
    clients_admin(&p)?;
    let client_secret = clients::renew_secret(&id.db, &cid).await.or_problem()?;
    id.audit("oidc.client_secret_renewed", None, Some(&p.id), None, json!({"client": cid})).await.or_problem()?;
    Ok(Json(NewSecret { client_id: cid, client_secret }))
}

/// Sign with a new key from now on; the old keys stay in the JWKS for tokens they signed.
#[utoipa::path(post, path = "/api/oidc/keys/rotate", tag = "identity",
    responses((status = 200, body = Rotated), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn rotate_keys(State(id): State<Identity>, Authed(p): Authed) -> ApiResult<Json<Rotated>> {
    clients_admin(&p)?;
    let kid = super::keys::rotate(&id.db).await.or_problem()?;
    *id.key_cache.lock().unwrap_or_else(|e| e.into_inner()) = None;
    id.audit("oidc.keys_rotated", None, Some(&p.id), None, json!({"kid": kid})).await.or_problem()?;
    Ok(Json(Rotated { kid }))
}
