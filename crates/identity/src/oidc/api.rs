//! OpenID Connect endpoints: discovery, JWKS, authorize (with consent), token, userinfo,
//! end-session. The client registry API for administrators is `admin.rs`.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use kernel::authz::PrincipalKind;
use serde::Deserialize;
use serde_json::json;
use web::problem::OrProblem;
use web::{Caller, Json, Problem, Shell, render};

use super::OAuthError;
use super::clients::{self, Client};
use super::flow::{self, CodeRequest};
use crate::Identity;

pub fn router() -> Router<Identity> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oauth/jwks", get(jwks))
        .route("/oauth/authorize", get(authorize).post(consent))
        .route("/oauth/token", post(token))
        .route("/oauth/userinfo", get(userinfo).post(userinfo))
        .route("/oauth/logout", get(end_session))
}

async fn discovery(State(id): State<Identity>) -> Response {
    let i = &id.issuer;
    Json(json!({
        "issuer": i,
        "authorization_endpoint": format!("{i}/oauth/authorize"),
        "token_endpoint": format!("{i}/oauth/token"),
        "userinfo_endpoint": format!("{i}/oauth/userinfo"),
        "jwks_uri": format!("{i}/oauth/jwks"),
        "end_session_endpoint": format!("{i}/oauth/logout"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": super::SCOPES,
        "claims_supported": ["sub", "name", "preferred_username", "email", "phone_number", "citizen_id", "tax_code", "agency", "roles", "amr", "auth_time", "nonce"],
    }))
    .into_response()
}

async fn jwks(State(id): State<Identity>) -> Result<Response, Problem> {
    let mut r = Json(super::keys::jwks(&id.db).await.or_problem()?).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("public, max-age=300"));
    Ok(r)
}

#[derive(Deserialize, Clone, Default)]
struct AuthParams {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    /// Consent form fields.
    decision: Option<String>,
    _csrf: Option<String>,
}

fn redirect_with(uri: &str, params: &[(&str, &str)]) -> Response {
    let sep = if uri.contains('?') { '&' } else { '?' };
    let q: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect();
    Redirect::to(&format!("{uri}{sep}{}", q.join("&"))).into_response()
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn error_redirect(uri: &str, state: &Option<String>, error: &str, description: &str) -> Response {
    let mut p = vec![("error", error), ("error_description", description)];
    if let Some(s) = state {
        p.push(("state", s));
    }
    redirect_with(uri, &p)
}

/// Checks the parts of an authorization request that decide where errors may be sent. An
/// unknown client or an unregistered redirect URI is shown to the person, never redirected.
async fn checked(id: &Identity, shell: &Shell, p: &AuthParams) -> Result<(Client, String), Response> {
    let page = |msg: &str| web::page::error_page(shell.clone(), kernel::Error::BadRequest(msg.to_owned()));
    let Some(cid) = p.client_id.as_deref() else {
        return Err(page("thiếu client_id (missing client_id)"));
    };
    let client = match clients::get(&id.db, cid).await {
        Ok(Some(c)) if !c.disabled => c,
        Ok(_) => return Err(page("ứng dụng không được đăng ký (unknown client)")),
        Err(e) => return Err(web::page::error_page(shell.clone(), e)),
    };
    let Some(uri) = p.redirect_uri.clone() else {
        return Err(page("thiếu redirect_uri (missing redirect_uri)"));
    };
    if !client.redirect_uris.contains(&uri) {
        let _ = id.audit("oidc.redirect_rejected", None, Some(cid), None, json!({"redirect_uri": uri})).await;
        return Err(page("địa chỉ chuyển hướng không được đăng ký cho ứng dụng này (redirect_uri is not registered)"));
    }
    Ok((client, uri))
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage {
    shell: Shell,
    client: String,
    p: AuthParams,
    csrf: String,
}

async fn authorize(State(id): State<Identity>, shell: Shell, caller: Caller, headers: HeaderMap, Query(p): Query<AuthParams>) -> Response {
    let (client, uri) = match checked(&id, &shell, &p).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if p.response_type.as_deref() != Some("code") {
        return error_redirect(&uri, &p.state, "unsupported_response_type", "only response_type=code is supported");
    }
    if !client.grant_types.iter().any(|g| g == "authorization_code") {
        return error_redirect(&uri, &p.state, "unauthorized_client", "the client may not use the authorization code flow");
    }
    let challenge = p.code_challenge.clone().unwrap_or_default();
    if p.code_challenge_method.as_deref() != Some("S256") || challenge.len() < 43 || challenge.len() > 128 {
        return error_redirect(&uri, &p.state, "invalid_request", "PKCE with code_challenge_method=S256 is required");
    }
    let scopes = match flow::granted_scopes(&client, p.scope.as_deref().unwrap_or("openid")) {
        Ok(s) => s,
        Err(e) => return error_redirect(&uri, &p.state, e.error, &e.description),
    };
    let Some(principal) = caller.principal.clone().filter(|p| !matches!(p.kind, PrincipalKind::Bootstrap | PrincipalKind::System)) else {
        let here = headers.get("x-original-uri").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let query = serde_urlencoded_pairs(&p);
        let next = here.unwrap_or_else(|| format!("/oauth/authorize?{query}"));
        return Redirect::to(&format!("/login?next={}", enc(&next))).into_response();
    };
    if scopes.iter().any(|s| s == "citizen_id") {
        match flow::has_consent(&id, &principal.id, &client.client_id, "citizen_id").await {
            Ok(true) => {}
            Ok(false) => {
                let title = shell.t("Chia sẻ thông tin", "Share your information").to_owned();
                return render(&ConsentPage {
                    shell: shell.titled(title, "account"),
                    client: client.name.clone(),
                    p,
                    csrf: caller.csrf.unwrap_or_default(),
                });
            }
            Err(e) => return web::page::error_page(shell, e),
        }
    }
    finish(&id, &client, &uri, &scopes, &p, &caller, &principal).await
}

async fn finish(
    id: &Identity,
    client: &Client,
    uri: &str,
    scopes: &[String],
    p: &AuthParams,
    caller: &Caller,
    principal: &kernel::authz::Principal,
) -> Response {
    let r = CodeRequest {
        client_id: &client.client_id,
        account_id: &principal.id,
        session_id: caller.session_id.as_deref(),
        redirect_uri: uri,
        scopes,
        nonce: p.nonce.as_deref(),
        code_challenge: p.code_challenge.as_deref().unwrap_or_default(),
        mfa: principal.mfa,
    };
    match flow::issue_code(id, r).await {
        Ok(code) => {
            let mut params = vec![("code", code.as_str())];
            if let Some(s) = &p.state {
                params.push(("state", s));
            }
            redirect_with(uri, &params)
        }
        Err(_) => error_redirect(uri, &p.state, "server_error", "could not issue a code"),
    }
}

fn serde_urlencoded_pairs(p: &AuthParams) -> String {
    let mut v = Vec::new();
    for (k, val) in [
        ("response_type", &p.response_type),
        ("client_id", &p.client_id),
        ("redirect_uri", &p.redirect_uri),
        ("scope", &p.scope),
        ("state", &p.state),
        ("nonce", &p.nonce),
        ("code_challenge", &p.code_challenge),
        ("code_challenge_method", &p.code_challenge_method),
    ] {
        if let Some(x) = val {
            v.push(format!("{k}={}", enc(x)));
        }
    }
    v.join("&")
}

/// The consent form's answer.
async fn consent(State(id): State<Identity>, shell: Shell, caller: Caller, Form(p): Form<AuthParams>) -> Response {
    let (client, uri) = match checked(&id, &shell, &p).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(principal) = caller.principal.clone() else {
        return Redirect::to("/login").into_response();
    };
    if !caller.csrf_ok(p._csrf.as_deref().unwrap_or("")) {
        return (StatusCode::FORBIDDEN, "anti-forgery token mismatch").into_response();
    }
    let scopes = match flow::granted_scopes(&client, p.scope.as_deref().unwrap_or("openid")) {
        Ok(s) => s,
        Err(e) => return error_redirect(&uri, &p.state, e.error, &e.description),
    };
    if p.decision.as_deref() != Some("allow") {
        return error_redirect(&uri, &p.state, "access_denied", "the person declined");
    }
    if let Err(e) = flow::record_consent(&id, &principal.id, &client.client_id, &scopes).await {
        return web::page::error_page(shell, e);
    }
    finish(&id, &client, &uri, &scopes, &p, &caller, &principal).await
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = data_encoding::BASE64.decode(b64.trim().as_bytes()).ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (u, p) = s.split_once(':')?;
    let dec = |x: &str| form_decode(x);
    Some((dec(u), dec(p)))
}

fn form_decode(s: &str) -> String {
    let b = s.replace('+', " ");
    let bytes = b.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && i + 2 < bytes.len()
            && let Ok(v) = u8::from_str_radix(&b[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn token(State(id): State<Identity>, headers: HeaderMap, Form(f): Form<TokenForm>) -> Result<Response, OAuthError> {
    let (cid, secret) = match basic(&headers) {
        Some((u, p)) => (u, Some(p)),
        None => (f.client_id.clone().unwrap_or_default(), f.client_secret.clone()),
    };
    if cid.is_empty() {
        return Err(OAuthError::invalid_client("client authentication is required"));
    }
    let Some(client) = clients::authenticate(&id.db, &cid, secret.as_deref()).await? else {
        id.audit("oidc.client_rejected", None, Some(&cid), None, json!({})).await?;
        return Err(OAuthError::invalid_client("unknown client or wrong secret"));
    };
    let grant = f.grant_type.as_deref().unwrap_or("");
    if !client.grant_types.iter().any(|g| g == grant) {
        return Err(OAuthError::new(400, "unauthorized_client", format!("the client may not use grant_type={grant}")));
    }
    let answer = match grant {
        "authorization_code" => {
            let (Some(code), Some(uri), Some(verifier)) = (f.code.as_deref(), f.redirect_uri.as_deref(), f.code_verifier.as_deref()) else {
                return Err(OAuthError::invalid_request("code, redirect_uri and code_verifier are required"));
            };
            flow::exchange_code(&id, &client, code, uri, verifier).await?
        }
        "refresh_token" => {
            let Some(t) = f.refresh_token.as_deref() else {
                return Err(OAuthError::invalid_request("refresh_token is required"));
            };
            flow::refresh(&id, &client, t).await?
        }
        "client_credentials" => flow::client_credentials(&id, &client, f.scope.as_deref().unwrap_or("")).await?,
        _ => {
            return Err(OAuthError::new(400, "unsupported_grant_type", "unsupported grant_type"));
        }
    };
    let mut r = Json(answer).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    Ok(r)
}

async fn userinfo(State(id): State<Identity>, headers: HeaderMap) -> Response {
    let unauthorized = || {
        let mut r = (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_token"}))).into_response();
        r.headers_mut().insert("www-authenticate", axum::http::HeaderValue::from_static("Bearer error=\"invalid_token\""));
        r
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
    let Some(token) = token else {
        return unauthorized();
    };
    match flow::verify_access(&id, token.trim()).await {
        Ok(Some(c)) if c.kind == "user" => {
            let scopes: Vec<String> = c.scope.split_whitespace().map(str::to_owned).collect();
            match flow::person_claims(&id, &c.sub, &scopes).await {
                Ok(m) => Json(serde_json::Value::Object(m)).into_response(),
                Err(_) => unauthorized(),
            }
        }
        _ => unauthorized(),
    }
}

#[derive(Deserialize)]
struct LogoutParams {
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    client_id: Option<String>,
    state: Option<String>,
}

/// RP-initiated logout: ends the browser session and returns to a registered address.
async fn end_session(State(id): State<Identity>, shell: Shell, caller: Caller, Query(p): Query<LogoutParams>) -> Response {
    if let (Some(pr), Some(s)) = (&caller.principal, &caller.session_id) {
        let _ = id.logout(&pr.id, s, None).await;
    }
    let clear = crate::middleware::clear_cookie(id.secure_cookies);
    let client_id = p.client_id.clone().or_else(|| p.id_token_hint.as_deref().and_then(hint_audience));
    let target = match (&p.post_logout_redirect_uri, client_id) {
        (Some(uri), Some(cid)) => match clients::get(&id.db, &cid).await {
            Ok(Some(c)) if c.post_logout_redirect_uris.iter().any(|u| u == uri) => Some(uri.clone()),
            _ => None,
        },
        _ => None,
    };
    let mut r = match target {
        Some(uri) => match &p.state {
            Some(s) => redirect_with(&uri, &[("state", s)]),
            None => Redirect::to(&uri).into_response(),
        },
        None => {
            let _ = shell;
            Redirect::to("/").into_response()
        }
    };
    if let Ok(v) = axum::http::HeaderValue::from_str(&clear) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// The audience of an ID token hint (its signature matters little: it only picks where to
/// send the person back, and only to an address that client registered).
fn hint_audience(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = data_encoding::BASE64URL_NOPAD.decode(payload.as_bytes()).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("aud").and_then(|a| a.as_str().map(str::to_owned).or_else(|| a.get(0).and_then(|x| x.as_str()).map(str::to_owned)))
}
