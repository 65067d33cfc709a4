//! Pages: sign in, register, the account page (roles, sessions, second factor), sign out.
//! Forms carry an anti-forgery token: the session's for signed-in people, and before sign-in a
//! random value that must match the `tinhso_form` cookie.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use web::{Caller, ClientIp, Shell, render};

use crate::Identity;
use crate::middleware::{clear_cookie, session_cookie};
use crate::model::{Account, CitizenRegistration};
use crate::service::SessionInfo;

mod admin;
mod clients;
mod profile;

const FORM_COOKIE: &str = "tinhso_form";

pub fn router() -> Router<Identity> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/register", get(register_page).post(register_submit))
        .route("/account", get(account))
        .route("/account/sessions/{id}/revoke", post(revoke_session))
        .route("/account/sessions/revoke-all", post(revoke_all))
        .route("/account/mfa", get(mfa_page).post(mfa_submit))
        .merge(admin::router())
        .merge(profile::router())
        .merge(clients::router())
        .route("/login/external", get(external_start))
        .route("/login/external/callback", get(external_callback))
}

/// Percent-encodes a value for a query string.
pub(crate) fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// Only local paths are followed after sign-in.
fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\')).unwrap_or("/account").to_owned()
}

fn with_cookie(mut r: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

fn form_token(headers: &HeaderMap) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|s| s.split(';')).find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == FORM_COOKIE).then(|| v.to_owned())
    })
}

/// A fresh pre-session token and the cookie that carries it.
fn new_form_token() -> (String, String) {
    let t = kernel::id::random_token(16);
    (t.clone(), format!("{FORM_COOKIE}={t}; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600"))
}

fn form_ok(headers: &HeaderMap, given: &str) -> bool {
    form_token(headers).is_some_and(|c| web::auth::constant_time_eq(c.as_bytes(), given.as_bytes()))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    shell: Shell,
    /// Name of the external identity provider, when one is configured.
    external: Option<String>,
    token: String,
    next: String,
    login: String,
    error: Option<String>,
    need_totp: bool,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
struct NextQuery {
    next: Option<String>,
    /// Set after a password reset, to say so.
    reset: Option<String>,
}

async fn login_page(State(id): State<Identity>, shell: Shell, Query(q): Query<NextQuery>) -> Response {
    let title = shell.t("Đăng nhập", "Sign in").to_owned();
    let notice = q
        .reset
        .is_some()
        .then(|| shell.t("Đã đặt mật khẩu mới. Hãy đăng nhập lại.", "Your new password is set. Please sign in.").to_owned());
    let (token, cookie) = new_form_token();
    let page = LoginPage {
        external: id.external.as_ref().map(|e| e.name.clone()),
        shell: shell.titled(title, "login"),
        token,
        next: safe_next(q.next.as_deref()),
        login: String::new(),
        error: None,
        need_totp: false,
        notice,
    };
    with_cookie(render(&page), &cookie)
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
    totp: Option<String>,
    next: Option<String>,
    _form: String,
}

async fn login_submit(
    State(id): State<Identity>,
    shell: Shell,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Form(f): Form<LoginForm>,
) -> Response {
    let title = shell.t("Đăng nhập", "Sign in").to_owned();
    let shell = shell.titled(title, "login");
    let next = safe_next(f.next.as_deref());
    let (token, cookie) = new_form_token();
    let fail = |status: StatusCode, message: String, need_totp: bool| {
        let page = LoginPage {
            external: id.external.as_ref().map(|e| e.name.clone()),
            shell: shell.clone(),
            token: token.clone(),
            next: next.clone(),
            login: f.login.clone(),
            error: Some(message),
            need_totp,
            notice: None,
        };
        let mut r = with_cookie(render(&page), &cookie);
        *r.status_mut() = status;
        r
    };
    if !form_ok(&headers, &f._form) {
        return fail(
            StatusCode::FORBIDDEN,
            shell.t("Phiên biểu mẫu đã hết hạn, vui lòng thử lại.", "The form expired; please try again.").into(),
            false,
        );
    }
    let ua = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    match id.login(&f.login, &f.password, f.totp.as_deref(), ip.as_deref(), ua).await {
        Ok(out) => {
            let r = Redirect::to(&next).into_response();
            with_cookie(r, &session_cookie(&out.token, id.secure_cookies))
        }
        Err(kernel::Error::Invalid(e)) if e.iter().any(|x| x.field == "totp") => {
            fail(StatusCode::UNPROCESSABLE_ENTITY, e[0].message.clone(), true)
        }
        Err(e) => {
            let p = crate::api::login_problem(e);
            fail(p.status_code(), p.detail.unwrap_or(p.title), false)
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    _csrf: String,
}

async fn logout(State(id): State<Identity>, caller: Caller, ClientIp(ip): ClientIp, Form(f): Form<CsrfForm>) -> Response {
    if let (Some(p), Some(s)) = (&caller.principal, &caller.session_id) {
        if !caller.csrf_ok(&f._csrf) {
            return (StatusCode::FORBIDDEN, "anti-forgery token mismatch").into_response();
        }
        let _ = id.logout(&p.id, s, ip.as_deref()).await;
    }
    with_cookie(Redirect::to("/").into_response(), &clear_cookie(id.secure_cookies))
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    shell: Shell,
    token: String,
    values: RegisterForm,
    errors: Vec<(String, String)>,
}

impl RegisterPage {
    fn error(&self, field: &str) -> String {
        self.errors.iter().filter(|e| e.0 == field).map(|e| e.1.clone()).collect::<Vec<_>>().join("; ")
    }
}

#[derive(Deserialize, Default, Clone)]
struct RegisterForm {
    citizen_id: String,
    full_name: String,
    email: String,
    phone: String,
    password: String,
    password2: String,
    #[serde(default)]
    _form: String,
}

async fn register_page(shell: Shell) -> Response {
    let title = shell.t("Đăng ký tài khoản", "Create an account").to_owned();
    let (token, cookie) = new_form_token();
    with_cookie(
        render(&RegisterPage { shell: shell.titled(title, "login"), token, values: RegisterForm::default(), errors: vec![] }),
        &cookie,
    )
}

async fn register_submit(
    State(id): State<Identity>,
    shell: Shell,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Form(f): Form<RegisterForm>,
) -> Response {
    let title = shell.t("Đăng ký tài khoản", "Create an account").to_owned();
    let shell = shell.titled(title, "login");
    let (token, cookie) = new_form_token();
    let mut errors: Vec<(String, String)> = Vec::new();
    if !form_ok(&headers, &f._form) {
        errors.push((
            "form".into(),
            shell.t("Phiên biểu mẫu đã hết hạn, vui lòng gửi lại.", "The form expired; please send it again.").into(),
        ));
    } else if f.password != f.password2 {
        errors.push(("password2".into(), shell.t("Hai mật khẩu không khớp.", "The passwords differ.").into()));
    } else {
        let input = CitizenRegistration {
            citizen_id: f.citizen_id.clone(),
            full_name: f.full_name.clone(),
            email: Some(f.email.clone()),
            phone: Some(f.phone.clone()),
            password: f.password.clone(),
        };
        match id.register_citizen(&input, ip.as_deref()).await {
            Ok(_) => match id.login(&f.citizen_id, &f.password, None, ip.as_deref(), None).await {
                Ok(out) => {
                    return with_cookie(Redirect::to("/account").into_response(), &session_cookie(&out.token, id.secure_cookies));
                }
                Err(e) => errors.push(("form".into(), e.to_string())),
            },
            Err(kernel::Error::Invalid(list)) => errors.extend(list.into_iter().map(|e| (e.field, e.message))),
            Err(kernel::Error::Conflict(m)) => errors.push(("citizen_id".into(), m)),
            Err(e) => errors.push(("form".into(), web::Problem::from(e).title)),
        }
    }
    let values = RegisterForm { password: String::new(), password2: String::new(), ..f };
    let mut r = with_cookie(render(&RegisterPage { shell, token, values, errors }), &cookie);
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    r
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    shell: Shell,
    account: Account,
    sessions: Vec<SessionInfo>,
    csrf: String,
    needs_mfa: bool,
    mfa: bool,
    /// Whether to offer the officials administration page.
    manages: bool,
    /// Whether to offer the client registry and the notifications pages.
    manages_clients: bool,
    province_admin: bool,
    notice: Option<String>,
    error: Option<String>,
    /// The channel a code was just sent to, to show where to type it.
    code_sent: Option<String>,
}

#[derive(Deserialize, Default)]
struct AccountMsg {
    ok: Option<String>,
    err: Option<String>,
    code: Option<String>,
}

impl AccountPage {
    fn role_label(&self, role: &str) -> String {
        kernel::authz::Role::parse(role).map(|r| r.label(self.shell.lang.is_en()).to_owned()).unwrap_or_else(|| role.to_owned())
    }
}

fn sign_in_first(path: &str) -> Response {
    Redirect::to(&format!("/login?next={}", path.replace('/', "%2F"))).into_response()
}

async fn account(State(id): State<Identity>, shell: Shell, caller: Caller, Query(m): Query<AccountMsg>) -> Response {
    let Some(p) = caller.principal.clone() else {
        return sign_in_first("/account");
    };
    if p.kind == kernel::authz::PrincipalKind::Bootstrap {
        return Redirect::to("/api/docs").into_response();
    }
    let run = async {
        let account = id.account(&p.id).await?;
        let sessions = id.sessions(&p.id, caller.session_id.as_deref()).await?;
        let title = shell.t("Tài khoản", "Account").to_owned();
        Ok::<_, kernel::Error>(render(&AccountPage {
            shell: shell.clone().titled(title, "account"),
            account,
            sessions,
            csrf: caller.csrf.clone().unwrap_or_default(),
            needs_mfa: Identity::needs_mfa(&p),
            mfa: p.mfa,
            manages: p.agencies_with(kernel::authz::Permission::OfficialsManage).is_none_or(|s| !s.is_empty()),
            manages_clients: p.allows(kernel::authz::Permission::ClientsManage, None),
            province_admin: p.allows(kernel::authz::Permission::CatalogManage, None),
            notice: m.ok,
            error: m.err,
            code_sent: m.code.filter(|c| c == "email" || c == "sms"),
        }))
    };
    run.await.unwrap_or_else(|e| web::page::error_page(shell, e))
}

async fn revoke_session(
    State(id): State<Identity>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    Path(sid): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let Some(p) = caller.principal.clone() else {
        return sign_in_first("/account");
    };
    if !caller.csrf_ok(&f._csrf) {
        return (StatusCode::FORBIDDEN, "anti-forgery token mismatch").into_response();
    }
    let _ = id.logout(&p.id, &sid, ip.as_deref()).await;
    Redirect::to("/account").into_response()
}

async fn revoke_all(State(id): State<Identity>, caller: Caller, ClientIp(ip): ClientIp, Form(f): Form<CsrfForm>) -> Response {
    let Some(p) = caller.principal.clone() else {
        return sign_in_first("/account");
    };
    if !caller.csrf_ok(&f._csrf) {
        return (StatusCode::FORBIDDEN, "anti-forgery token mismatch").into_response();
    }
    let _ = id.logout_everywhere(&p.id, ip.as_deref()).await;
    with_cookie(Redirect::to("/login").into_response(), &clear_cookie(id.secure_cookies))
}

#[derive(Template)]
#[template(path = "mfa.html")]
struct MfaPage {
    shell: Shell,
    secret: String,
    uri: String,
    csrf: String,
    error: Option<String>,
}

async fn mfa_page(State(id): State<Identity>, shell: Shell, caller: Caller) -> Response {
    let Some(p) = caller.principal.clone() else {
        return sign_in_first("/account/mfa");
    };
    let login = match id.account(&p.id).await {
        Ok(a) => a.login,
        Err(e) => return web::page::error_page(shell, e),
    };
    let (secret, uri) = id.totp_offer(&login);
    let title = shell.t("Xác thực hai lớp", "Two-step verification").to_owned();
    render(&MfaPage { shell: shell.titled(title, "account"), secret, uri, csrf: caller.csrf.unwrap_or_default(), error: None })
}

#[derive(Deserialize)]
struct MfaForm {
    secret: String,
    code: String,
    _csrf: String,
}

async fn mfa_submit(State(id): State<Identity>, shell: Shell, caller: Caller, ClientIp(ip): ClientIp, Form(f): Form<MfaForm>) -> Response {
    let Some(p) = caller.principal.clone() else {
        return sign_in_first("/account/mfa");
    };
    if !caller.csrf_ok(&f._csrf) {
        return (StatusCode::FORBIDDEN, "anti-forgery token mismatch").into_response();
    }
    match id.totp_enable(&p, &f.secret, &f.code, caller.session_id.as_deref(), ip.as_deref()).await {
        Ok(()) => Redirect::to("/account").into_response(),
        Err(e) => {
            let title = shell.t("Xác thực hai lớp", "Two-step verification").to_owned();
            let login = id.account(&p.id).await.map(|a| a.login).unwrap_or_default();
            let uri = crate::totp::uri(&f.secret, &login, "Tỉnh Số");
            let mut r = render(&MfaPage {
                shell: shell.titled(title, "account"),
                secret: f.secret,
                uri,
                csrf: caller.csrf.unwrap_or_default(),
                error: Some(web::Problem::from(e).detail.unwrap_or_default()),
            });
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            r
        }
    }
}

/// Sends the person to the external identity provider.
async fn external_start(State(id): State<Identity>, shell: Shell, Query(q): Query<NextQuery>) -> Response {
    match id.external_start(&safe_next(q.next.as_deref())).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => web::page::error_page(shell, e),
    }
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The provider sends the person back here.
async fn external_callback(
    State(id): State<Identity>,
    shell: Shell,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Query(q): Query<CallbackQuery>,
) -> Response {
    if let Some(e) = q.error {
        let msg = format!("{e}: {}", q.error_description.unwrap_or_default());
        return web::page::error_page(
            shell,
            kernel::Error::BadRequest(format!("nhà cung cấp định danh từ chối (the identity provider refused): {msg}")),
        );
    }
    let (Some(code), Some(state)) = (q.code, q.state) else {
        return web::page::error_page(shell, kernel::Error::BadRequest("thiếu code hoặc state (missing code or state)".into()));
    };
    let ua = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    match id.external_finish(&code, &state, ip.as_deref(), ua).await {
        Ok((out, next)) => {
            with_cookie(Redirect::to(&safe_next(Some(&next))).into_response(), &session_cookie(&out.token, id.secure_cookies))
        }
        Err(e) => web::page::error_page(shell, e),
    }
}
