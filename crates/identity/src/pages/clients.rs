//! Administration page of OpenID Connect clients: the systems and applications that sign
//! people in through the platform or call it with their own credentials.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use kernel::authz::{Permission, Principal};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use web::{Caller, Shell, render};

use super::enc;
use crate::Identity;
use crate::oidc::clients::{self, Client, ClientInput};

pub fn router() -> Router<Identity> {
    Router::new()
        .route("/admin/clients", get(page).post(create))
        .route("/admin/clients/{id}/disable", post(disable))
        .route("/admin/clients/{id}/secret", post(renew))
}

#[derive(Template)]
#[template(path = "clients.html")]
struct ClientsPage {
    shell: Shell,
    clients: Vec<Client>,
    csrf: String,
    scopes: Vec<&'static str>,
    /// The form as sent, when it had errors.
    form: ClientForm,
    errors: Vec<(String, String)>,
    notice: Option<String>,
    /// A client just registered, or given a new secret (true), and its secret, shown this once.
    created: Option<(String, Option<String>, bool)>,
}

impl ClientsPage {
    fn error(&self, field: &str) -> String {
        self.errors
            .iter()
            .filter(|e| e.0 == field || e.0.starts_with(&format!("{field}[")))
            .map(|e| e.1.clone())
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn has_grant(&self, g: &str) -> bool {
        self.form.grant_types.iter().any(|x| x == g)
    }
}

fn admin(caller: &Caller) -> Result<Arc<Principal>, Response> {
    match &caller.principal {
        None => Err(Redirect::to("/login?next=%2Fadmin%2Fclients").into_response()),
        Some(p) if p.allows(Permission::ClientsManage, None) => Ok(p.clone()),
        Some(_) => Err((StatusCode::FORBIDDEN, "not allowed").into_response()),
    }
}

/// The administrator behind a posted form, once the form's anti-forgery token checks.
fn admin_posting(caller: &Caller, csrf: &str) -> Result<Arc<Principal>, Response> {
    let p = admin(caller)?;
    if !caller.csrf_ok(csrf) {
        return Err((StatusCode::FORBIDDEN, "anti-forgery token mismatch").into_response());
    }
    Ok(p)
}

#[derive(Deserialize, Default)]
struct Msg {
    ok: Option<String>,
}

/// Form fields; grant types come as repeated checkboxes, so the body is parsed by hand.
#[derive(Default, Clone)]
struct ClientForm {
    name: String,
    confidential: bool,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    grant_types: Vec<String>,
    scopes: String,
    csrf: String,
}

impl ClientForm {
    fn parse(body: &str) -> ClientForm {
        let mut f = ClientForm::default();
        for (k, v) in form_pairs(body) {
            match k.as_str() {
                "name" => f.name = v,
                "confidential" => f.confidential = v == "true",
                "redirect_uris" => f.redirect_uris = v,
                "post_logout_redirect_uris" => f.post_logout_redirect_uris = v,
                "grant_types" => f.grant_types.push(v),
                "scopes" => f.scopes = v,
                "_csrf" => f.csrf = v,
                _ => {}
            }
        }
        f
    }

    fn input(&self) -> ClientInput {
        let lines = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        ClientInput {
            name: self.name.clone(),
            confidential: self.confidential,
            redirect_uris: lines(&self.redirect_uris),
            post_logout_redirect_uris: lines(&self.post_logout_redirect_uris),
            grant_types: self.grant_types.clone(),
            scopes: lines(&self.scopes.replace(',', " ")),
        }
    }
}

fn form_pairs(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

async fn show(
    id: &Identity,
    shell: Shell,
    caller: &Caller,
    form: ClientForm,
    errors: Vec<(String, String)>,
    notice: Option<String>,
    created: Option<(String, Option<String>, bool)>,
) -> Response {
    let title = shell.t("Ứng dụng kết nối (OpenID Connect)", "Connected applications (OpenID Connect)").to_owned();
    match clients::all(&id.db).await {
        Ok(list) => {
            let failed = !errors.is_empty();
            let mut r = render(&ClientsPage {
                shell: shell.titled(title, "admin"),
                clients: list,
                csrf: caller.csrf.clone().unwrap_or_default(),
                scopes: crate::oidc::SCOPES.to_vec(),
                form,
                errors,
                notice,
                created,
            });
            if failed {
                *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            }
            r
        }
        Err(e) => web::page::error_page(shell, e),
    }
}

async fn page(State(id): State<Identity>, shell: Shell, caller: Caller, web::Query(m): web::Query<Msg>) -> Response {
    if let Err(r) = admin(&caller) {
        return r;
    }
    let form =
        ClientForm { confidential: true, grant_types: vec!["authorization_code".into(), "refresh_token".into()], ..Default::default() };
    show(&id, shell, &caller, form, vec![], m.ok, None).await
}

async fn create(State(id): State<Identity>, shell: Shell, caller: Caller, body: String) -> Response {
    let form = ClientForm::parse(&body);
    let p = match admin_posting(&caller, &form.csrf) {
        Ok(p) => p,
        Err(r) => return r,
    };
    match clients::create(&id.db, &form.input(), None).await {
        Ok((client, secret)) => {
            let _ = id.audit("oidc.client_registered", None, Some(&p.id), None, json!({"client": client.client_id})).await;
            let fresh = ClientForm { confidential: true, grant_types: vec!["authorization_code".into()], ..Default::default() };
            show(&id, shell, &caller, fresh, vec![], None, Some((client.client_id, secret, false))).await
        }
        Err(kernel::Error::Invalid(list)) => {
            let errors = list.into_iter().map(|e| (e.field, e.message)).collect();
            show(&id, shell, &caller, form, errors, None, None).await
        }
        Err(e) => {
            let detail = web::Problem::from(e).detail.unwrap_or_default();
            show(&id, shell, &caller, form, vec![("name".into(), detail)], None, None).await
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    _csrf: String,
}

async fn disable(State(id): State<Identity>, shell: Shell, caller: Caller, Path(cid): Path<String>, Form(f): Form<CsrfForm>) -> Response {
    let p = match admin_posting(&caller, &f._csrf) {
        Ok(p) => p,
        Err(r) => return r,
    };
    match clients::disable(&id.db, &cid).await {
        Ok(()) => {
            let _ = id.audit("oidc.client_disabled", None, Some(&p.id), None, json!({"client": cid})).await;
            let ok = format!("{} {cid}", shell.t("Đã khóa ứng dụng", "Disabled client"));
            Redirect::to(&format!("/admin/clients?ok={}", enc(&ok))).into_response()
        }
        Err(e) => web::page::error_page(shell, e),
    }
}

/// A new secret for a confidential client (the old one leaked, or was lost), shown this once.
async fn renew(State(id): State<Identity>, shell: Shell, caller: Caller, Path(cid): Path<String>, Form(f): Form<CsrfForm>) -> Response {
    let p = match admin_posting(&caller, &f._csrf) {
        Ok(p) => p,
        Err(r) => return r,
    };
    match clients::renew_secret(&id.db, &cid).await {
        Ok(secret) => {
            let _ = id.audit("oidc.client_secret_renewed", None, Some(&p.id), None, json!({"client": cid})).await;
            let fresh = ClientForm { confidential: true, grant_types: vec!["authorization_code".into()], ..Default::default() };
            show(&id, shell, &caller, fresh, vec![], None, Some((cid, Some(secret), true))).await
        }
        Err(e) => web::page::error_page(shell, e),
    }
}
