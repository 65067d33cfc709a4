//! Registration, sign-in, sessions, password and second factor.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use web::Path;
use web::problem::OrProblem;
use web::{ApiResult, Authed, Caller, ClientIp, Json};

use crate::Identity;
use crate::middleware::{clear_cookie, session_cookie};
use crate::model::{Account, BusinessRegistration, CitizenRegistration};
use crate::service::SessionInfo;

pub fn router() -> OpenApiRouter<Identity> {
    OpenApiRouter::new()
        .routes(routes!(register_citizen))
        .routes(routes!(register_business))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(list_sessions))
        .routes(routes!(revoke_session))
        .routes(routes!(revoke_all))
        .routes(routes!(change_password))
        .routes(routes!(mfa_offer))
        .routes(routes!(mfa_enable))
}

/// Register a citizen account with a personal identification number.
#[utoipa::path(post, path = "/api/identity/register/citizen", tag = "identity", request_body = CitizenRegistration,
    responses((status = 201, body = Account), (status = 409, body = web::Problem), (status = 422, body = web::Problem)))]
async fn register_citizen(
    State(id): State<Identity>,
    ClientIp(ip): ClientIp,
    Json(input): Json<CitizenRegistration>,
) -> ApiResult<Response> {
    let a = id.register_citizen(&input, ip.as_deref()).await.or_problem()?;
    Ok((StatusCode::CREATED, axum::Json(a)).into_response())
}

/// Register a business account with its tax code and representatives.
#[utoipa::path(post, path = "/api/identity/register/business", tag = "identity", request_body = BusinessRegistration,
    responses((status = 201, body = Account), (status = 409, body = web::Problem), (status = 422, body = web::Problem)))]
async fn register_business(
    State(id): State<Identity>,
    ClientIp(ip): ClientIp,
    Json(input): Json<BusinessRegistration>,
) -> ApiResult<Response> {
    let a = id.register_business(&input, ip.as_deref()).await.or_problem()?;
    Ok((StatusCode::CREATED, axum::Json(a)).into_response())
}

#[derive(Deserialize, ToSchema)]
struct LoginInput {
    /// Personal number, tax code, or an official's login.
    login: String,
    password: String,
    /// The 6-digit code, for accounts with a second factor.
    totp: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct LoginAnswer {
    account: Account,
    /// Send this as `X-CSRF-Token` with every write made with the session cookie.
    csrf_token: String,
    /// True when the account holds roles that need a second factor but this session has none.
    mfa_required: bool,
}

/// Sign in; the session comes back as an HttpOnly cookie.
#[utoipa::path(post, path = "/api/identity/login", tag = "identity", request_body = LoginInput,
    responses((status = 200, body = LoginAnswer), (status = 401, body = web::Problem), (status = 403, body = web::Problem), (status = 422, body = web::Problem)))]
async fn login(
    State(id): State<Identity>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Json(input): Json<LoginInput>,
) -> ApiResult<Response> {
    let ua = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    let out = id.login(&input.login, &input.password, input.totp.as_deref(), ip.as_deref(), ua).await.map_err(login_problem)?;
    let account = id.account(&out.principal.id).await.or_problem()?;
    let mfa_required = Identity::needs_mfa(&out.principal) && !out.principal.mfa;
    let mut r = axum::Json(LoginAnswer { account, csrf_token: out.csrf, mfa_required }).into_response();
    if let Ok(v) = HeaderValue::from_str(&session_cookie(&out.token, id.secure_cookies)) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// Wrong login or password: one message for both.
pub(crate) fn login_problem(e: kernel::Error) -> web::Problem {
    match e {
        kernel::Error::Unauthorized => {
            web::Problem::new("unauthorized", Some("tên đăng nhập hoặc mật khẩu không đúng (wrong login or password)".into()))
        }
        kernel::Error::Conflict(m) => web::Problem { status: 429, ..web::Problem::new("conflict", Some(m)) },
        other => web::Problem::from(other),
    }
}

/// Sign out of this session.
#[utoipa::path(post, path = "/api/identity/logout", tag = "identity", responses((status = 204), (status = 401, body = web::Problem)))]
async fn logout(State(id): State<Identity>, caller: Caller, Authed(p): Authed, ClientIp(ip): ClientIp) -> ApiResult<Response> {
    if let Some(s) = &caller.session_id {
        id.logout(&p.id, s, ip.as_deref()).await.or_problem()?;
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&clear_cookie(id.secure_cookies)) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

#[derive(Serialize, ToSchema)]
struct Me {
    /// The account's fields (as `Account`), beside the others; none for the administrator's
    /// bootstrap token and the platform's own principals.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    account: Option<Account>,
    kind: String,
    /// Permissions as granted, by role and agency.
    grants: Vec<MyGrant>,
    mfa: bool,
}

/// One role granted in one agency (and, when `include_children`, the agencies under it).
#[derive(Serialize, ToSchema)]
struct MyGrant {
    /// `citizen`, `reception_officer`, `specialist`, `provincial_admin`, ...
    #[schema(value_type = String)]
    role: kernel::authz::Role,
    /// The agency's id; empty for the whole province.
    agency_id: String,
    include_children: bool,
}

/// Who is signed in.
#[utoipa::path(get, path = "/api/identity/me", tag = "identity", responses((status = 200, body = Me), (status = 401, body = web::Problem)))]
async fn me(State(id): State<Identity>, Authed(p): Authed) -> ApiResult<Json<Me>> {
    let account = match p.kind {
        kernel::authz::PrincipalKind::Bootstrap | kernel::authz::PrincipalKind::System => None,
        _ => Some(id.account(&p.id).await.or_problem()?),
    };
    let grants =
        p.grants.iter().map(|g| MyGrant { role: g.role, agency_id: g.agency_id.clone(), include_children: g.include_children }).collect();
    Ok(Json(Me { account, kind: format!("{:?}", p.kind).to_lowercase(), grants, mfa: p.mfa }))
}

/// The account's open sessions.
#[utoipa::path(get, path = "/api/identity/sessions", tag = "identity", responses((status = 200, body = Vec<SessionInfo>), (status = 401, body = web::Problem)))]
async fn list_sessions(State(id): State<Identity>, caller: Caller, Authed(p): Authed) -> ApiResult<Json<Vec<SessionInfo>>> {
    Ok(Json(id.sessions(&p.id, caller.session_id.as_deref()).await.or_problem()?))
}

/// Sign out one session of the account (for instance one left open elsewhere).
#[utoipa::path(delete, path = "/api/identity/sessions/{id}", tag = "identity", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = web::Problem)))]
async fn revoke_session(
    State(id): State<Identity>,
    Authed(p): Authed,
    ClientIp(ip): ClientIp,
    Path(sid): Path<String>,
) -> ApiResult<StatusCode> {
    id.logout(&p.id, &sid, ip.as_deref()).await.or_problem()?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sign out everywhere.
#[utoipa::path(post, path = "/api/identity/sessions/revoke-all", tag = "identity", responses((status = 204), (status = 401, body = web::Problem)))]
async fn revoke_all(State(id): State<Identity>, Authed(p): Authed, ClientIp(ip): ClientIp) -> ApiResult<Response> {
    id.logout_everywhere(&p.id, ip.as_deref()).await.or_problem()?;
    let mut r = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&clear_cookie(id.secure_cookies)) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

#[derive(Deserialize, ToSchema)]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// Change the password.
#[utoipa::path(post, path = "/api/identity/password", tag = "identity", request_body = PasswordChange,
    responses((status = 204), (status = 422, body = web::Problem)))]
async fn change_password(
    State(id): State<Identity>,
    Authed(p): Authed,
    ClientIp(ip): ClientIp,
    Json(b): Json<PasswordChange>,
) -> ApiResult<StatusCode> {
    id.change_password(&p, &b.current_password, &b.new_password, ip.as_deref()).await.or_problem()?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
struct MfaOffer {
    /// Base32 secret to type into an authenticator app.
    secret: String,
    /// `otpauth://` link for apps that read it.
    uri: String,
}

/// A new second-factor secret to enrol (not active until confirmed).
#[utoipa::path(post, path = "/api/identity/mfa/offer", tag = "identity", responses((status = 200, body = MfaOffer), (status = 401, body = web::Problem)))]
async fn mfa_offer(State(id): State<Identity>, Authed(p): Authed) -> ApiResult<Json<MfaOffer>> {
    let a = id.account(&p.id).await.or_problem()?;
    let (secret, uri) = id.totp_offer(&a.login);
    Ok(Json(MfaOffer { secret, uri }))
}

#[derive(Deserialize, ToSchema)]
struct MfaEnable {
    secret: String,
    /// The code the app shows now.
    code: String,
}

/// Turn the second factor on by proving the app has the secret.
#[utoipa::path(post, path = "/api/identity/mfa/enable", tag = "identity", request_body = MfaEnable,
    responses((status = 204), (status = 422, body = web::Problem)))]
async fn mfa_enable(
    State(id): State<Identity>,
    caller: Caller,
    Authed(p): Authed,
    ClientIp(ip): ClientIp,
    Json(b): Json<MfaEnable>,
) -> ApiResult<StatusCode> {
    id.totp_enable(&p, &b.secret, &b.code, caller.session_id.as_deref(), ip.as_deref()).await.or_problem()?;
    Ok(StatusCode::NO_CONTENT)
}
