//! Administration page for officials and their roles (agency and provincial administrators).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use kernel::authz::{Permission, Principal, Role};
use serde::Deserialize;
use std::sync::Arc;
use web::{Caller, Shell, render};

use super::enc;
use crate::Identity;
use crate::model::{Account, AccountStatus, GrantInput, OfficialInput};

pub fn router() -> Router<Identity> {
    Router::new()
        .route("/admin/officials", get(page).post(create))
        .route("/admin/officials/{id}/roles", post(grant))
        .route("/admin/officials/{id}/roles/{grant}/revoke", post(revoke))
        .route("/admin/officials/{id}/status", post(status))
}

#[derive(Template)]
#[template(path = "officials.html")]
struct OfficialsPage {
    shell: Shell,
    officials: Vec<Account>,
    agencies: Vec<(String, String)>,
    roles: Vec<(&'static str, &'static str)>,
    csrf: String,
    error: Option<String>,
    notice: Option<String>,
}

impl OfficialsPage {
    fn role_label(&self, role: &str) -> String {
        Role::parse(role).map(|r| r.label(self.shell.lang.is_en()).to_owned()).unwrap_or_else(|| role.to_owned())
    }
}

#[derive(Deserialize, Default)]
struct Msg {
    ok: Option<String>,
    err: Option<String>,
}

/// The caller, if they may manage officials somewhere; else where to send them.
fn manager(caller: &Caller) -> Result<Arc<Principal>, Response> {
    match &caller.principal {
        None => Err(Redirect::to("/login?next=%2Fadmin%2Fofficials").into_response()),
        Some(p) if p.agencies_with(Permission::OfficialsManage).is_none_or(|s| !s.is_empty()) => Ok(p.clone()),
        Some(_) => Err((axum::http::StatusCode::FORBIDDEN, "not allowed").into_response()),
    }
}

async fn page(State(id): State<Identity>, shell: Shell, caller: Caller, Query(m): Query<Msg>) -> Response {
    let p = match manager(&caller) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let title = shell.t("Quản lý cán bộ và vai trò", "Officials and roles").to_owned();
    let run = async {
        let officials = id.officials(&p, 0, 1000).await?.0;
        let scope = p.agencies_with(Permission::OfficialsManage);
        let agencies = id
            .catalog
            .all_agencies()
            .await?
            .into_iter()
            .filter(|a| scope.as_ref().is_none_or(|s| s.contains(&a.id)))
            .map(|a| (a.code.to_string(), format!("{} ({})", a.name, a.code)))
            .collect();
        let en = shell.lang.is_en();
        let roles = Role::ALL
            .iter()
            .filter(|r| !r.province_wide() || p.allows(Permission::CatalogManage, None))
            .map(|r| (r.as_str(), r.label(en)))
            .collect();
        Ok::<_, kernel::Error>(render(&OfficialsPage {
            shell: shell.clone().titled(title, "admin"),
            officials,
            agencies,
            roles,
            csrf: caller.csrf.clone().unwrap_or_default(),
            error: m.err,
            notice: m.ok,
        }))
    };
    run.await.unwrap_or_else(|e| web::page::error_page(shell, e))
}

fn back(result: kernel::Result<Account>, done: &str) -> Response {
    let q = match result {
        Ok(_) => format!("ok={}", enc(done)),
        Err(e) => format!("err={}", enc(&web::Problem::from(e).detail.unwrap_or_default())),
    };
    Redirect::to(&format!("/admin/officials?{q}")).into_response()
}

fn csrf_ok(caller: &Caller, given: &str) -> Result<(), Response> {
    if caller.csrf_ok(given) { Ok(()) } else { Err((axum::http::StatusCode::FORBIDDEN, "anti-forgery token mismatch").into_response()) }
}

#[derive(Deserialize)]
struct CreateForm {
    login: String,
    full_name: String,
    agency_code: String,
    password: String,
    _csrf: String,
}

async fn create(State(id): State<Identity>, caller: Caller, Form(f): Form<CreateForm>) -> Response {
    let p = match manager(&caller).and_then(|p| csrf_ok(&caller, &f._csrf).map(|_| p)) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let input = OfficialInput {
        login: f.login,
        full_name: f.full_name,
        agency_code: f.agency_code,
        position: None,
        email: None,
        phone: None,
        citizen_id: None,
        password: f.password,
    };
    back(id.create_official(&p, &input).await, "Đã thêm cán bộ (official added)")
}

#[derive(Deserialize)]
struct GrantForm {
    role: String,
    agency_code: String,
    include_children: Option<String>,
    _csrf: String,
}

async fn grant(State(id): State<Identity>, caller: Caller, Path(account): Path<String>, Form(f): Form<GrantForm>) -> Response {
    let p = match manager(&caller).and_then(|p| csrf_ok(&caller, &f._csrf).map(|_| p)) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let input = GrantInput { role: f.role, agency_code: f.agency_code, include_children: f.include_children.is_some() };
    back(id.grant(&p, &account, &input).await, "Đã cấp vai trò (role granted)")
}

#[derive(Deserialize)]
struct CsrfForm {
    _csrf: String,
}

async fn revoke(
    State(id): State<Identity>,
    caller: Caller,
    Path((account, grant)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let p = match manager(&caller).and_then(|p| csrf_ok(&caller, &f._csrf).map(|_| p)) {
        Ok(p) => p,
        Err(r) => return r,
    };
    back(id.revoke_grant(&p, &account, &grant).await, "Đã thu hồi vai trò (role revoked)")
}

#[derive(Deserialize)]
struct StatusForm {
    status: String,
    _csrf: String,
}

async fn status(State(id): State<Identity>, caller: Caller, Path(account): Path<String>, Form(f): Form<StatusForm>) -> Response {
    let p = match manager(&caller).and_then(|p| csrf_ok(&caller, &f._csrf).map(|_| p)) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let s = if f.status == "active" { AccountStatus::Active } else { AccountStatus::Disabled };
    back(id.set_account_status(&p, &account, s).await, "Đã cập nhật trạng thái (status changed)")
}
