//! The administration console of the catalog: agencies, procedures with their versions
//! (documents, fees, e-form), holidays and the working week. Each page is a form that works
//! without JavaScript; bad input comes back with the problems listed and nothing stored.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kernel::authz::{Permission, Principal};
use kernel::calendar::{Session, WorkingWeek};
use kernel::error::FieldError;
use serde::Deserialize;
use std::sync::Arc;
use web::{Caller, Shell, render};

use super::urlencoding;
use crate::Catalog;
use crate::model::agency::{Agency, AgencyInput};
use crate::model::holiday::{HolidayEntry, HolidayInput};
use crate::model::procedure::{Fee, LegalBasis, ProcedureBody, ProcedureInput, ProcedureSummary, ProcedureVersion, RequiredDocument};
use crate::store::procedures::ProcedureFilter;

fn pairs(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes()).map(|(k, v)| (k.into_owned(), v.trim().to_owned())).collect()
}

fn get<'a>(f: &'a [(String, String)], k: &str) -> &'a str {
    f.iter().find(|x| x.0 == k).map(|x| x.1.as_str()).unwrap_or("")
}

fn opt(f: &[(String, String)], k: &str) -> Option<String> {
    Some(get(f, k).to_owned()).filter(|s| !s.is_empty())
}

fn all<'a>(f: &'a [(String, String)], k: &str) -> Vec<String> {
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
    if let Err(r) = catalog_admin(&shell, &caller, "/admin/agencies") {
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
        Ok(a) => Redirect::to(&format!("/admin/agencies?ok={}&q={}", urlencoding(&a.code.to_string()), urlencoding(&a.code.to_string())))
            .into_response(),
        Err(kernel::Error::Invalid(errors)) => {
            show_agencies(&c, shell, &caller, String::new(), input, editing, messages(errors), None).await
        }
        Err(e) => web::page::error_page(shell, e),
    }
}

// ---- procedures ----

#[derive(Template)]
#[template(path = "admin_procedures.html")]
struct Procedures {
    shell: Shell,
    q: String,
    items: Vec<ProcedureSummary>,
    total: i64,
}

pub async fn procedures(State(c): State<Catalog>, shell: Shell, caller: Caller, web::Query(q): web::Query<ListQuery>) -> Response {
    if let Err(r) = catalog_admin(&shell, &caller, "/admin/procedures") {
        return r;
    }
    let text = q.q.unwrap_or_default();
    let f = ProcedureFilter { q: Some(text.clone()).filter(|s| !s.trim().is_empty()), ..Default::default() };
    match c.search_procedures(&f, 0, 100).await {
        Ok((items, total)) => {
            let title = shell.t("Quản trị thủ tục hành chính", "Procedures").to_owned();
            render(&Procedures { shell: shell.titled(title, "admin"), q: text, items, total })
        }
        Err(e) => web::page::error_page(shell, e),
    }
}

/// A procedure version as the form shows it.
#[derive(Default, Clone)]
struct VersionForm {
    name: String,
    field_code: String,
    level: String,
    online_level: String,
    processing_value: String,
    processing_unit: String,
    decision_number: String,
    decision_date: String,
    effective_from: String,
    result: String,
    conditions: String,
    channels: Vec<String>,
    applicant_types: Vec<String>,
    agency_codes: String,
    steps: String,
    legal_bases: String,
    documents: Vec<RequiredDocument>,
    fees: Vec<(String, String, String)>,
    eform: String,
}

impl VersionForm {
    fn of(v: &ProcedureVersion) -> VersionForm {
        VersionForm {
            name: v.name.clone(),
            field_code: v.field_code.clone(),
            level: v.level.as_str().to_owned(),
            online_level: v.online_level.as_str().to_owned(),
            processing_value: format!("{}", v.processing.value),
            processing_unit: v.processing.unit.as_str().to_owned(),
            decision_number: String::new(),
            decision_date: String::new(),
            effective_from: kernel::time::date_text(kernel::time::today_vn()),
            result: v.body.result.clone(),
            conditions: v.body.conditions.clone().unwrap_or_default(),
            channels: v.body.channels.clone(),
            applicant_types: v.body.applicant_types.clone(),
            agency_codes: v.body.agency_codes.join(", "),
            steps: v.body.steps.join("\n"),
            legal_bases: v.body.legal_bases.iter().map(|l| format!("{} | {}", l.number, l.title)).collect::<Vec<_>>().join("\n"),
            documents: v.body.documents.clone(),
            fees: v.body.fees.iter().map(|f| (f.name.clone(), f.amount.0.to_string(), f.note.clone().unwrap_or_default())).collect(),
            eform: v.eform.as_ref().map(|e| serde_json::to_string_pretty(e).unwrap_or_default()).unwrap_or_default(),
        }
    }

    fn parse(f: &[(String, String)]) -> VersionForm {
        VersionForm {
            name: get(f, "name").into(),
            field_code: get(f, "field_code").into(),
            level: get(f, "level").into(),
            online_level: get(f, "online_level").into(),
            processing_value: get(f, "processing_value").into(),
            processing_unit: get(f, "processing_unit").into(),
            decision_number: get(f, "decision_number").into(),
            decision_date: get(f, "decision_date").into(),
            effective_from: get(f, "effective_from").into(),
            result: get(f, "result").into(),
            conditions: get(f, "conditions").into(),
            channels: all(f, "channels"),
            applicant_types: all(f, "applicant_types"),
            agency_codes: get(f, "agency_codes").into(),
            steps: get(f, "steps").into(),
            legal_bases: get(f, "legal_bases").into(),
            documents: rows(f, "d")
                .into_iter()
                .filter(|r| !r.get("remove").is_some_and(|x| x == "1"))
                .filter(|r| r.values().any(|v| !v.is_empty() && v != "0" && v != "1" && v != "true"))
                .map(|r| RequiredDocument {
                    code: r.get("code").cloned().unwrap_or_default(),
                    name: r.get("name").cloned().unwrap_or_default(),
                    originals: r.get("originals").and_then(|x| x.parse().ok()).unwrap_or(0),
                    copies: r.get("copies").and_then(|x| x.parse().ok()).unwrap_or(0),
                    mandatory: r.get("mandatory").is_some_and(|x| x == "true"),
                    template: r.get("template").cloned().filter(|s| !s.is_empty()),
                    note: r.get("note").cloned().filter(|s| !s.is_empty()),
                })
                .collect(),
            fees: rows(f, "f")
                .into_iter()
                .filter(|r| !r.get("remove").is_some_and(|x| x == "1"))
                .map(|r| {
                    let g = |k: &str| r.get(k).cloned().unwrap_or_default();
                    (g("name"), g("amount"), g("note"))
                })
                .filter(|x| !(x.0.is_empty() && x.1.is_empty()))
                .collect(),
            eform: get(f, "eform").into(),
        }
    }

    /// The form → the API's input; what cannot even be read (an amount that is not a number,
    /// an e-form that is not JSON) is reported by field.
    fn input(&self, code: &str) -> Result<ProcedureInput, Vec<String>> {
        let mut errors = Vec::new();
        let processing_value = self.processing_value.replace(',', ".").parse::<f64>().unwrap_or_else(|_| {
            errors.push("processing_value: thời hạn là một số (the legal time is a number)".to_owned());
            0.0
        });
        let mut fees = Vec::new();
        for (i, (name, amount, note)) in self.fees.iter().enumerate() {
            match amount.replace(['.', ' '], "").parse::<i64>() {
                Ok(a) => {
                    fees.push(Fee { name: name.clone(), amount: kernel::money::Vnd(a), note: Some(note.clone()).filter(|s| !s.is_empty()) })
                }
                Err(_) => errors.push(format!("fees[{i}].amount: số tiền là số đồng, ví dụ 50000 (the amount in đồng)")),
            }
        }
        let eform = if self.eform.trim().is_empty() {
            None
        } else {
            match serde_json::from_str::<serde_json::Value>(&self.eform) {
                Ok(v) => Some(v),
                Err(e) => {
                    errors.push(format!("eform: không phải JSON hợp lệ, dòng {} cột {} (not valid JSON)", e.line(), e.column()));
                    None
                }
            }
        };
        let mut legal_bases = Vec::new();
        for (i, line) in self.legal_bases.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
            match line.split_once('|') {
                Some((n, t)) => legal_bases.push(LegalBasis {
                    number: n.trim().to_owned(),
                    title: t.trim().to_owned(),
                    issued_by: None,
                    issued_on: None,
                }),
                None => errors.push(format!("legal_bases[{i}]: ghi «số hiệu | trích yếu» (write «number | title»)")),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let list = |s: &str| s.split([',', ' ', '\n']).map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect::<Vec<_>>();
        Ok(ProcedureInput {
            code: code.to_owned(),
            name: self.name.clone(),
            field_code: self.field_code.clone(),
            level: self.level.clone(),
            online_level: self.online_level.clone(),
            processing_value,
            processing_unit: Some(self.processing_unit.clone()).filter(|s| !s.is_empty()),
            decision_number: self.decision_number.clone(),
            decision_date: Some(self.decision_date.clone()).filter(|s| !s.is_empty()),
            effective_from: Some(self.effective_from.clone()).filter(|s| !s.is_empty()),
            body: ProcedureBody {
                steps: self.steps.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect(),
                applicant_types: self.applicant_types.clone(),
                conditions: Some(self.conditions.clone()).filter(|s| !s.is_empty()),
                channels: self.channels.clone(),
                documents: self.documents.clone(),
                fees,
                result: self.result.clone(),
                legal_bases,
                agency_codes: list(&self.agency_codes),
                legacy_level: None,
            },
            eform,
        })
    }
}

#[derive(Template)]
#[template(path = "admin_procedure.html")]
struct ProcedurePage {
    shell: Shell,
    csrf: String,
    code: String,
    versions: Vec<ProcedureVersion>,
    form: VersionForm,
    errors: Vec<String>,
    notice: Option<String>,
}

impl ProcedurePage {
    fn has(&self, list: &[String], v: &str) -> bool {
        list.iter().any(|x| x == v)
    }

    fn blank_documents(&self) -> Vec<usize> {
        (self.form.documents.len()..self.form.documents.len() + 2).collect()
    }

    fn blank_fees(&self) -> Vec<usize> {
        (self.form.fees.len()..self.form.fees.len() + 1).collect()
    }
}

async fn show_procedure(
    c: &Catalog,
    shell: Shell,
    caller: &Caller,
    code: &str,
    form: Option<VersionForm>,
    errors: Vec<String>,
    notice: Option<String>,
) -> Response {
    match c.procedure_versions(code).await {
        Ok(versions) if !versions.is_empty() => {
            let current = versions.iter().find(|v| v.current).unwrap_or(&versions[versions.len() - 1]);
            let form = form.unwrap_or_else(|| VersionForm::of(current));
            let title = format!("{} {code}", shell.t("Thủ tục", "Procedure"));
            failed(
                render(&ProcedurePage {
                    shell: shell.titled(title, "admin"),
                    csrf: caller.csrf.clone().unwrap_or_default(),
                    code: code.to_owned(),
                    versions,
                    form,
                    errors: errors.clone(),
                    notice,
                }),
                &errors,
            )
        }
        Ok(_) => web::page::error_page(shell, kernel::Error::not_found(format!("thủ tục {code}"))),
        Err(e) => web::page::error_page(shell, e),
    }
}

pub async fn procedure(
    State(c): State<Catalog>,
    shell: Shell,
    caller: Caller,
    Path(code): Path<String>,
    web::Query(q): web::Query<ListQuery>,
) -> Response {
    if let Err(r) = catalog_admin(&shell, &caller, &format!("/admin/procedures/{code}")) {
        return r;
    }
    let notice = q.ok.map(|v| format!("{} {v}.", shell.t("Đã lưu phiên bản", "Saved version")));
    show_procedure(&c, shell, &caller, &code, None, vec![], notice).await
}

pub async fn save_version(State(c): State<Catalog>, shell: Shell, caller: Caller, Path(code): Path<String>, body: String) -> Response {
    if let Err(r) = catalog_admin(&shell, &caller, &format!("/admin/procedures/{code}")) {
        return r;
    }
    let form = VersionForm::parse(&pairs(&body));
    let input = match form.input(&code) {
        Ok(i) => i,
        Err(errors) => return show_procedure(&c, shell, &caller, &code, Some(form), errors, None).await,
    };
    match c.add_procedure_version(&code, &input).await {
        Ok(v) => Redirect::to(&format!("/admin/procedures/{}?ok={}", urlencoding(&code), v.version)).into_response(),
        Err(kernel::Error::Invalid(errors)) => show_procedure(&c, shell, &caller, &code, Some(form), messages(errors), None).await,
        Err(e) => web::page::error_page(shell, e),
    }
}

// ---- holidays and the working week ----

#[derive(Template)]
#[template(path = "admin_calendar.html")]
struct CalendarPage {
    shell: Shell,
    csrf: String,
    year: i32,
    days: Vec<HolidayEntry>,
    /// Per weekday: key, name, sessions as text (`07:30-11:30, 13:30-17:00`), empty for a day off.
    week: Vec<(&'static str, &'static str, String)>,
    form: HolidayInput,
    errors: Vec<String>,
    notice: Option<String>,
}

const WEEKDAYS: [(&str, &str, &str); 7] = [
    ("mon", "Thứ Hai", "Monday"),
    ("tue", "Thứ Ba", "Tuesday"),
    ("wed", "Thứ Tư", "Wednesday"),
    ("thu", "Thứ Năm", "Thursday"),
    ("fri", "Thứ Sáu", "Friday"),
    ("sat", "Thứ Bảy", "Saturday"),
    ("sun", "Chủ Nhật", "Sunday"),
];

fn hm(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn week_rows(w: &WorkingWeek, en: bool, sent: Option<&[(String, String)]>) -> Vec<(&'static str, &'static str, String)> {
    WEEKDAYS
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let text = match sent {
                Some(f) => get(f, d.0).to_owned(),
                None => w.days[i].iter().map(|s| format!("{}-{}", hm(s.start), hm(s.end))).collect::<Vec<_>>().join(", "),
            };
            (d.0, if en { d.2 } else { d.1 }, text)
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn show_calendar(
    c: &Catalog,
    shell: Shell,
    caller: &Caller,
    year: i32,
    form: HolidayInput,
    sent_week: Option<&[(String, String)]>,
    errors: Vec<String>,
    notice: Option<String>,
) -> Response {
    let run = async { Ok::<_, kernel::Error>((c.holidays(year).await?, c.default_week().await?)) };
    match run.await {
        Ok((days, week)) => {
            let en = shell.lang.is_en();
            let title = shell.t("Ngày nghỉ và tuần làm việc", "Holidays and the working week").to_owned();
            failed(
                render(&CalendarPage {
                    shell: shell.titled(title, "admin"),
                    csrf: caller.csrf.clone().unwrap_or_default(),
                    year,
                    days,
                    week: week_rows(&week, en, sent_week),
                    form,
                    errors: errors.clone(),
                    notice,
                }),
                &errors,
            )
        }
        Err(e) => web::page::error_page(shell, e),
    }
}

fn this_year() -> i32 {
    kernel::time::today_vn().year()
}

pub async fn calendar(State(c): State<Catalog>, shell: Shell, caller: Caller, web::Query(q): web::Query<ListQuery>) -> Response {
    if let Err(r) = catalog_admin(&shell, &caller, "/admin/calendar") {
        return r;
    }
    let year = q.year.filter(|y| (2000..=2100).contains(y)).unwrap_or_else(this_year);
    let notice = q.ok.map(|what| match what.as_str() {
        "week" => shell.t("Đã lưu tuần làm việc.", "Working week saved.").to_owned(),
        "removed" => shell.t("Đã xoá ngày.", "Day removed.").to_owned(),
        d => format!("{} {d}.", shell.t("Đã lưu ngày", "Saved the day")),
    });
    let form = HolidayInput { kind: Some("off".into()), ..Default::default() };
    show_calendar(&c, shell, &caller, year, form, None, vec![], notice).await
}

pub async fn add_day(State(c): State<Catalog>, shell: Shell, caller: Caller, body: String) -> Response {
    if let Err(r) = catalog_admin(&shell, &caller, "/admin/calendar") {
        return r;
    }
    let f = pairs(&body);
    let input = HolidayInput {
        date: get(&f, "date").into(),
        agency_code: opt(&f, "agency_code"),
        kind: opt(&f, "kind"),
        name: get(&f, "name").into(),
        name_en: opt(&f, "name_en"),
    };
    let year = input.date.get(..4).and_then(|y| y.parse().ok()).unwrap_or_else(this_year);
    match c.set_holiday(&input).await {
        Ok(d) => Redirect::to(&format!("/admin/calendar?year={}&ok={}", d.date.year(), kernel::time::date_text(d.date))).into_response(),
        Err(kernel::Error::Invalid(errors)) => show_calendar(&c, shell, &caller, year, input, None, messages(errors), None).await,
        Err(e) => web::page::error_page(shell, e),
    }
}

pub async fn remove_day(State(c): State<Catalog>, shell: Shell, caller: Caller, Path(id): Path<String>, body: String) -> Response {
    if let Err(r) = catalog_admin(&shell, &caller, "/admin/calendar") {
        return r;
    }
    let year = get(&pairs(&body), "year").parse().unwrap_or_else(|_| this_year());
    match c.delete_holiday(&id).await {
        Ok(()) => Redirect::to(&format!("/admin/calendar?year={year}&ok=removed")).into_response(),
        Err(e) => web::page::error_page(shell, e),
    }
}

pub async fn save_week(State(c): State<Catalog>, shell: Shell, caller: Caller, body: String) -> Response {
    if let Err(r) = catalog_admin(&shell, &caller, "/admin/calendar") {
        return r;
    }
    let f = pairs(&body);
    let mut week = WorkingWeek { days: Default::default() };
    let mut errors = Vec::new();
    for (i, d) in WEEKDAYS.iter().enumerate() {
        for part in get(&f, d.0).split([',', ';']).map(str::trim).filter(|s| !s.is_empty()) {
            match Session::parse(part) {
                Some(s) if week.days[i].last().is_none_or(|l: &Session| l.end <= s.start) => week.days[i].push(s),
                _ => {
                    errors.push(format!("{}: «{part}» — ghi giờ như 07:30-11:30, theo thứ tự (write hours as 07:30-11:30, in order)", d.1))
                }
            }
        }
    }
    if week.days.iter().all(Vec::is_empty) {
        errors.push(shell.t("Cần ít nhất một ngày làm việc trong tuần.", "At least one working day is needed.").to_owned());
    }
    let year = get(&f, "year").parse().unwrap_or_else(|_| this_year());
    if !errors.is_empty() {
        let form = HolidayInput { kind: Some("off".into()), ..Default::default() };
        return show_calendar(&c, shell, &caller, year, form, Some(&f), errors, None).await;
    }
    match c.set_default_week(&week).await {
        Ok(()) => Redirect::to(&format!("/admin/calendar?year={year}&ok=week")).into_response(),
        Err(e) => web::page::error_page(shell, e),
    }
}
