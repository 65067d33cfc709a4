//! Verification of e-mail and phone, profile changes, and password reset.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use web::problem::OrProblem;
use web::{ApiResult, Authed, ClientIp, Json, Lang};

use crate::Identity;
use crate::model::Account;
use crate::service::ProfileInput;

pub fn router() -> OpenApiRouter<Identity> {
    OpenApiRouter::new()
        .routes(routes!(send_code))
        .routes(routes!(confirm_code))
        .routes(routes!(profile))
        .routes(routes!(forgot))
        .routes(routes!(reset))
}

#[derive(Deserialize, ToSchema)]
struct SendCode {
    channel: notify::Channel,
}

/// Send a verification code to the account's e-mail address (`email`) or phone (`sms`).
#[utoipa::path(post, path = "/api/identity/verification", tag = "identity", request_body = SendCode,
    responses((status = 202), (status = 401, body = web::Problem), (status = 409, body = web::Problem), (status = 422, body = web::Problem), (status = 429, body = web::Problem)))]
async fn send_code(
    State(id): State<Identity>,
    Authed(p): Authed,
    lang: Lang,
    ClientIp(ip): ClientIp,
    Json(b): Json<SendCode>,
) -> ApiResult<StatusCode> {
    id.send_verification(&p, b.channel, lang.code(), ip.as_deref()).await.or_problem()?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, ToSchema)]
struct ConfirmCode {
    channel: notify::Channel,
    code: String,
}

/// Confirm the code received; the address is then verified.
#[utoipa::path(post, path = "/api/identity/verification/confirm", tag = "identity", request_body = ConfirmCode,
    responses((status = 200, body = Account), (status = 401, body = web::Problem), (status = 422, body = web::Problem)))]
async fn confirm_code(
    State(id): State<Identity>,
    Authed(p): Authed,
    ClientIp(ip): ClientIp,
    Json(b): Json<ConfirmCode>,
) -> ApiResult<Json<Account>> {
    Ok(Json(id.confirm_verification(&p, b.channel, &b.code, ip.as_deref()).await.or_problem()?))
}

/// Change the account's e-mail address or phone number (a changed one must be verified again).
#[utoipa::path(put, path = "/api/identity/profile", tag = "identity", request_body = ProfileInput,
    responses((status = 200, body = Account), (status = 401, body = web::Problem), (status = 409, body = web::Problem), (status = 422, body = web::Problem)))]
async fn profile(
    State(id): State<Identity>,
    Authed(p): Authed,
    ClientIp(ip): ClientIp,
    Json(b): Json<ProfileInput>,
) -> ApiResult<Json<Account>> {
    Ok(Json(id.update_profile(&p, &b, ip.as_deref()).await.or_problem()?))
}

#[derive(Deserialize, ToSchema)]
struct Forgot {
    /// Login, e-mail address or phone number.
    login: String,
}

/// Ask for a password reset link. The answer is the same whether or not the account exists.
#[utoipa::path(post, path = "/api/identity/password/forgot", tag = "identity", request_body = Forgot,
    responses((status = 202), (status = 422, body = web::Problem), (status = 429, body = web::Problem)))]
async fn forgot(State(id): State<Identity>, lang: Lang, ClientIp(ip): ClientIp, Json(b): Json<Forgot>) -> ApiResult<StatusCode> {
    id.request_password_reset(&b.login, lang.code(), ip.as_deref()).await.or_problem()?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, ToSchema)]
struct Reset {
    /// The token from the reset link.
    token: String,
    password: String,
}

/// Set a new password with the token of a reset link; every session is signed out.
#[utoipa::path(post, path = "/api/identity/password/reset", tag = "identity", request_body = Reset,
    responses((status = 204), (status = 422, body = web::Problem)))]
async fn reset(State(id): State<Identity>, ClientIp(ip): ClientIp, Json(b): Json<Reset>) -> ApiResult<StatusCode> {
    id.reset_password(&b.token, &b.password, ip.as_deref()).await.or_problem()?;
    Ok(StatusCode::NO_CONTENT)
}
