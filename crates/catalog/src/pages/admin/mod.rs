//! The administration console of the catalog: agencies, procedures with their versions
//! (documents, fees, e-form), holidays and the working week. Each page is a form that works
//! without JavaScript; bad input comes back with the problems listed and nothing stored.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kernel::authz::{Permission, Principal};
use kernel::calendar::{Session, WorkingWeek};
use kernel::error::FieldError;
use serde::Deserialize;
use std::sync::Arc;
use web::{Caller, Shell, render};

use super::urlencoding;

mod calendar;
mod procedures;
mod registries;

use crate::Catalog;
use crate::model::agency::{Agency, AgencyInput};
use crate::model::holiday::{HolidayEntry, HolidayInput};
use crate::model::procedure::{Fee, LegalBasis, ProcedureBody, ProcedureInput, ProcedureSummary, ProcedureVersion, RequiredDocument};
use crate::store::procedures::ProcedureFilter;
pub use calendar::{add_day, calendar, remove_day, save_week};
pub use procedures::{procedure, procedures, save_version};
pub use registries::{add as add_record, delete as delete_record, record, registries, registry, save as save_record};

fn pairs(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes()).map(|(k, v)| (k.into_owned(), v.trim().to_owned())).collect()
}

fn get<'a>(f: &'a [(String, String)], k: &str) -> &'a str {
    f.iter().find(|x| x.0 == k).map(|x| x.1.as_str()).unwrap_or("")
}

fn opt(f: &[(String, String)], k: &str) -> Option<String> {
    Some(get(f, k).to_owned()).filter(|s| !s.is_empty())
}

fn all(f: &[(String, String)], k: &str) -> Vec<String> {
    f.iter().filter(|x| x.0 == k).map(|x| x.1.clone()).collect()
}

/// Rows sent as `prefix.N.field`, in row order: `rows(f, "d")` → [{code: .., name: ..}, ..].
fn rows(f: &[(String, String)], prefix: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut out: std::collections::BTreeMap<usize, std::collections::BTreeMap<String, String>> = Default::default();
    for (k, v) in f {
        let mut p = k.splitn(3, '.');
        if let (Some(x), Some(i), Some(field)) = (p.next(), p.next().and_then(|i| i.parse::<usize>().ok()), p.next())
            && x == prefix
            && i < 500
        {
            out.entry(i).or_default().insert(field.to_owned(), v.clone());
        }
    }
    out.into_values().collect()
}

fn messages(errors: Vec<FieldError>) -> Vec<String> {
    errors.into_iter().map(|e| if e.field.is_empty() { e.message } else { format!("{}: {}", e.field, e.message) }).collect()
}

/// The signed-in catalog administrator, or the answer to give instead.
/// As [`catalog_admin`], for a posted form: its anti-forgery token must be the session's.
fn catalog_admin_post(shell: &Shell, caller: &Caller, here: &str, body: &str) -> Result<Arc<Principal>, Response> {
    let p = catalog_admin(shell, caller, here)?;
    if !caller.csrf_ok(get(&pairs(body), "_csrf")) {
        return Err((StatusCode::FORBIDDEN, "anti-forgery token mismatch").into_response());
    }
    Ok(p)
}

fn catalog_admin(shell: &Shell, caller: &Caller, here: &str) -> Result<Arc<Principal>, Response> {
    match &caller.principal {
        None => Err(Redirect::to(&format!("/login?next={}", urlencoding(here))).into_response()),
        Some(p) if p.allows(Permission::CatalogManage, None) => Ok(p.clone()),
        Some(_) => Err(web::page::error_page(
            shell.clone(),
            kernel::Error::Forbidden("cần quyền quản trị danh mục (catalog administration rights are required)".into()),
        )),
    }
}

fn failed(mut r: Response, errors: &[String]) -> Response {
    if !errors.is_empty() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    edit: Option<String>,
    ok: Option<String>,
    year: Option<i32>,
}

// ---- the console's home ----

#[derive(Template)]
#[template(path = "admin_home.html")]
struct Home {
    shell: Shell,
    catalog: bool,
    officials: bool,
    clients: bool,
    messages: bool,
}

/// `/admin`: what this administrator may manage.
pub async fn home(shell: Shell, caller: Caller) -> Response {
    let Some(p) = caller.principal.clone() else { return Redirect::to("/login?next=%2Fadmin").into_response() };
    let catalog = p.allows(Permission::CatalogManage, None);
    let officials = p.agencies_with(Permission::OfficialsManage).is_none_or(|s| !s.is_empty());
    let clients = p.allows(Permission::ClientsManage, None);
    let messages = p.allows(Permission::AuditRead, None);
    if !(catalog || officials || clients || messages) {
        return web::page::error_page(shell, kernel::Error::Forbidden("cần quyền quản trị (administration rights are required)".into()));
    }
    let title = shell.t("Quản trị hệ thống", "Administration").to_owned();
    render(&Home { shell: shell.titled(title, "admin"), catalog, officials, clients, messages })
}

// ---- agencies ----

#[derive(Template)]
#[template(path = "admin_agencies.html")]
struct Agencies {
    shell: Shell,
    csrf: String,
    q: String,
    agencies: Vec<Agency>,
    total: i64,
    form: AgencyInput,
    editing: bool,
    errors: Vec<String>,
    notice: Option<String>,
    levels: Vec<(&'static str, &'static str)>,
}

impl Agencies {
    fn o(&self, v: &Option<String>) -> String {
        v.clone().unwrap_or_default()
    }
}

const LEVELS: [(&str, &str, &str); 6] = [
    ("central", "Trung ương", "Central"),
    ("province", "Cấp tỉnh", "Province"),
    ("department", "Sở, ngành", "Department"),
    ("district", "Cấp huyện", "District"),
    ("commune", "Cấp xã", "Commune"),
    ("unit", "Đơn vị trực thuộc", "Unit"),
];

fn input_of(a: &Agency) -> AgencyInput {
    AgencyInput {
        code: a.code.to_string(),
        qcvn_code: a.qcvn_code.as_ref().map(|c| c.to_string()),
        name: a.name.clone(),
        name_en: a.name_en.clone(),
        short_name: a.short_name.clone(),
        parent_code: a.parent_code.clone(),
        level: a.level.as_str().to_owned(),
        unit_code: a.unit_code.clone(),
        address: a.address.clone(),
        phone: a.phone.clone(),
        email: a.email.clone(),
        website: a.website.clone(),
        working_week: None,
        active: Some(a.active),
    }
}

// The page's whole state; a struct for it would only be unpacked again here.
#[allow(clippy::too_many_arguments)]
async fn show_agencies(
    c: &Catalog,
    shell: Shell,
    caller: &Caller,
    q: String,
    form: AgencyInput,
    editing: bool,
    errors: Vec<String>,
    notice: Option<String>,
) -> Response {
    let f =
        crate::store::agencies::AgencyFilter { q: Some(q.clone()).filter(|s| !s.trim().is_empty()), all: Some(true), ..Default::default() };
    match c.agencies(&f, 0, 100).await {
        Ok((agencies, total)) => {
            let en = shell.lang.is_en();
            let title = shell.t("Quản trị cơ quan", "Agencies").to_owned();
            failed(
                render(&Agencies {
                    shell: shell.titled(title, "admin"),
                    csrf: caller.csrf.clone().unwrap_or_default(),
                    q,
                    agencies,
                    total,
                    form,
                    editing,
                    notice,
                    levels: LEVELS.iter().map(|l| (l.0, if en { l.2 } else { l.1 })).collect(),
                    errors: errors.clone(),
                }),
                &errors,
            )
        }
        Err(e) => web::page::error_page(shell, e),
    }
}

pub async fn agencies(State(c): State<Catalog>, shell: Shell, caller: Caller, web::Query(q): web::Query<ListQuery>) -> Response {
    if let Err(r) = catalog_admin(&shell, &caller, "/admin/agencies") {
        return r;
    }
    let (form, editing) = match q.edit.as_deref().filter(|s| !s.is_empty()) {
        Some(code) => match c.agency(code).await {
            Ok(a) => (input_of(&a), true),
            Err(e) => return web::page::error_page(shell, e),
        },
        None => (AgencyInput { level: "department".into(), active: Some(true), ..Default::default() }, false),
    };
    let notice = q.ok.map(|code| format!("{} {code}.", shell.t("Đã lưu cơ quan", "Saved agency")));
    show_agencies(&c, shell, &caller, q.q.unwrap_or_default(), form, editing, vec![], notice).await
}

pub async fn save_agency(State(c): State<Catalog>, shell: Shell, caller: Caller, body: String) -> Response {
    if let Err(r) = catalog_admin_post(&shell, &caller, "/admin/agencies", &body) {
        return r;
    }
    let f = pairs(&body);
    let working_week = match c.agency(get(&f, "code")).await {
        Ok(a) => a.working_week.and_then(|w| serde_json::to_value(w).ok()),
        Err(_) => None,
    };
    let input = AgencyInput {
        code: get(&f, "code").to_owned(),
        qcvn_code: opt(&f, "qcvn_code"),
        name: get(&f, "name").to_owned(),
        name_en: opt(&f, "name_en"),
        short_name: opt(&f, "short_name"),
        parent_code: opt(&f, "parent_code"),
        level: get(&f, "level").to_owned(),
        unit_code: opt(&f, "unit_code"),
        address: opt(&f, "address"),
        phone: opt(&f, "phone"),
        email: opt(&f, "email"),
        website: opt(&f, "website"),
        working_week,
        active: Some(get(&f, "active") == "true"),
    };
    let editing = get(&f, "editing") == "true";
    match c.upsert_agency(&input).await {
        Ok(a) => {
            Redirect::to(&format!("/admin/agencies?ok={}&q={}", urlencoding(a.code.as_ref()), urlencoding(a.code.as_ref()))).into_response()
        }
        Err(kernel::Error::Invalid(errors)) => {
            show_agencies(&c, shell, &caller, String::new(), input, editing, messages(errors), None).await
        }
        Err(e) => web::page::error_page(shell, e),
    }
}
