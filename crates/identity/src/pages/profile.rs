//! Forms of the account page: contact details, their verification codes, password change;
//! and the pages of a forgotten password (ask for a link, set a new password).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use notify::Channel;
use serde::Deserialize;
use web::{Caller, ClientIp, Shell, render};

use super::{enc, form_ok, new_form_token, sign_in_first, with_cookie};
use crate::Identity;
use crate::service::ProfileInput;

pub fn router() -> Router<Identity> {
    Router::new()
        .route("/account/profile", post(profile))
        .route("/account/verify", post(send_code))
        .route("/account/verify/confirm", post(confirm_code))
        .route("/account/password", post(change_password))
        .route("/password/forgot", get(forgot_page).post(forgot_submit))
        .route("/password/reset", get(reset_page).post(reset_submit))
}

/// Back to the account page with a message for the person.
fn back(r: kernel::Result<()>, ok: &str) -> Response {
    let q = match r {
        Ok(()) => format!("ok={}", enc(ok)),
        Err(e) => format!("err={}", enc(&web::Problem::from(e).detail.unwrap_or_default())),
    };
    Redirect::to(&format!("/account?{q}#profile")).into_response()
}

/// The signed-in person after the anti-forgery check, or the response to give instead.
fn signed_in(caller: &Caller, csrf: &str) -> Result<std::sync::Arc<kernel::authz::Principal>, Response> {
    let Some(p) = caller.principal.clone() else {
        return Err(sign_in_first("/account"));
    };
    if !caller.csrf_ok(csrf) {
        return Err((StatusCode::FORBIDDEN, "anti-forgery token mismatch").into_response());
    }
    Ok(p)
}

#[derive(Deserialize)]
struct ProfileForm {
    email: String,
    phone: String,
    _csrf: String,
}

async fn profile(State(id): State<Identity>, shell: Shell, caller: Caller, ClientIp(ip): ClientIp, Form(f): Form<ProfileForm>) -> Response {
    let p = match signed_in(&caller, &f._csrf) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let input = ProfileInput { email: Some(f.email), phone: Some(f.phone) };
    back(id.update_profile(&p, &input, ip.as_deref()).await.map(|_| ()), shell.t("Đã lưu thông tin liên hệ.", "Contact details saved."))
}

#[derive(Deserialize)]
struct SendForm {
    channel: String,
    _csrf: String,
}

async fn send_code(State(id): State<Identity>, shell: Shell, caller: Caller, ClientIp(ip): ClientIp, Form(f): Form<SendForm>) -> Response {
    let p = match signed_in(&caller, &f._csrf) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(channel) = Channel::parse(&f.channel) else {
        return back(Err(kernel::Error::invalid("channel", "email hoặc sms")), "");
    };
    let done = match channel {
        Channel::Email => shell.t("Đã gửi mã tới thư điện tử của bạn.", "A code was sent to your e-mail address."),
        Channel::Sms => shell.t("Đã gửi mã tới số điện thoại của bạn.", "A code was sent to your phone."),
    };
    let r = id.send_verification(&p, channel, shell.lang.code(), ip.as_deref()).await;
    let q = match r {
        Ok(()) => format!("ok={}&code={}", enc(done), channel.as_str()),
        Err(e) => format!("err={}", enc(&web::Problem::from(e).detail.unwrap_or_default())),
    };
    Redirect::to(&format!("/account?{q}#profile")).into_response()
}

#[derive(Deserialize)]
struct ConfirmForm {
    channel: String,
    code: String,
    _csrf: String,
}

async fn confirm_code(
    State(id): State<Identity>,
    shell: Shell,
    caller: Caller,
    ClientIp(ip): ClientIp,
    Form(f): Form<ConfirmForm>,
) -> Response {
    let p = match signed_in(&caller, &f._csrf) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(channel) = Channel::parse(&f.channel) else {
        return back(Err(kernel::Error::invalid("channel", "email hoặc sms")), "");
    };
    let r = id.confirm_verification(&p, channel, &f.code, ip.as_deref()).await.map(|_| ());
    back(r, shell.t("Đã xác minh.", "Verified."))
}

#[derive(Deserialize)]
struct PasswordForm {
    current_password: String,
    new_password: String,
    new_password2: String,
    _csrf: String,
}

async fn change_password(
    State(id): State<Identity>,
    shell: Shell,
    caller: Caller,
    ClientIp(ip): ClientIp,
    Form(f): Form<PasswordForm>,
) -> Response {
    let p = match signed_in(&caller, &f._csrf) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if f.new_password != f.new_password2 {
        return back(
            Err(kernel::Error::invalid("new_password2", shell.t("Hai mật khẩu mới không khớp.", "The new passwords differ."))),
            "",
        );
    }
    let r = id.change_password(&p, &f.current_password, &f.new_password, ip.as_deref()).await;
    back(r, shell.t("Đã đổi mật khẩu.", "Password changed."))
}

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage {
    shell: Shell,
    token: String,
    login: String,
    sent: bool,
    error: Option<String>,
}

fn forgot_shell(shell: Shell) -> Shell {
    let title = shell.t("Quên mật khẩu", "Forgot password").to_owned();
    shell.titled(title, "login")
}

async fn forgot_page(shell: Shell) -> Response {
    let (token, cookie) = new_form_token();
    with_cookie(render(&ForgotPage { shell: forgot_shell(shell), token, login: String::new(), sent: false, error: None }), &cookie)
}

#[derive(Deserialize)]
struct ForgotForm {
    login: String,
    _form: String,
}

async fn forgot_submit(
    State(id): State<Identity>,
    shell: Shell,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Form(f): Form<ForgotForm>,
) -> Response {
    let shell = forgot_shell(shell);
    let (token, cookie) = new_form_token();
    let result = if form_ok(&headers, &f._form) {
        id.request_password_reset(&f.login, shell.lang.code(), ip.as_deref()).await
    } else {
        Err(kernel::Error::Forbidden(shell.t("Phiên biểu mẫu đã hết hạn, vui lòng thử lại.", "The form expired; please try again.").into()))
    };
    let (status, sent, error) = match result {
        Ok(()) => (StatusCode::OK, true, None),
        Err(e) => {
            let p = web::Problem::from(e);
            (p.status_code(), false, Some(p.detail.unwrap_or(p.title)))
        }
    };
    let mut r = with_cookie(render(&ForgotPage { shell, token, login: f.login, sent, error }), &cookie);
    *r.status_mut() = status;
    r
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    shell: Shell,
    form: String,
    token: String,
    valid: bool,
    error: Option<String>,
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

fn reset_shell(shell: Shell) -> Shell {
    let title = shell.t("Đặt mật khẩu mới", "Choose a new password").to_owned();
    shell.titled(title, "login")
}

async fn reset_page(State(id): State<Identity>, shell: Shell, web::Query(q): web::Query<TokenQuery>) -> Response {
    let token = q.token.unwrap_or_default();
    let valid = !token.is_empty() && id.reset_token_valid(&token).await.unwrap_or(false);
    let (form, cookie) = new_form_token();
    let mut r = with_cookie(render(&ResetPage { shell: reset_shell(shell), form, token, valid, error: None }), &cookie);
    if !valid {
        *r.status_mut() = StatusCode::NOT_FOUND;
    }
    r
}

#[derive(Deserialize)]
struct ResetForm {
    token: String,
    password: String,
    password2: String,
    _form: String,
}

async fn reset_submit(
    State(id): State<Identity>,
    shell: Shell,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Form(f): Form<ResetForm>,
) -> Response {
    let shell = reset_shell(shell);
    let result = if !form_ok(&headers, &f._form) {
        Err(kernel::Error::Forbidden(shell.t("Phiên biểu mẫu đã hết hạn, vui lòng thử lại.", "The form expired; please try again.").into()))
    } else if f.password != f.password2 {
        Err(kernel::Error::invalid("password2", shell.t("Hai mật khẩu không khớp.", "The passwords differ.")))
    } else {
        id.reset_password(&f.token, &f.password, ip.as_deref()).await
    };
    match result {
        Ok(()) => Redirect::to("/login?reset=1").into_response(),
        Err(e) => {
            let p = web::Problem::from(e);
            let valid = id.reset_token_valid(&f.token).await.unwrap_or(false);
            let (form, cookie) = new_form_token();
            let mut r = with_cookie(
                render(&ResetPage { shell, form, token: f.token, valid, error: Some(p.detail.clone().unwrap_or(p.title.clone())) }),
                &cookie,
            );
            *r.status_mut() = p.status_code();
            r
        }
    }
}
