//! `/documents`: the agency's incoming or outgoing register as the clerk keeps it, with
//! filters (register, state, year, words with or without Vietnamese marks), pages, the packages
//! waiting to be registered, and the register of a year as a spreadsheet.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use web::{Caller, Shell, render};

use super::{Row, enc, official, own_agency, rows};
use crate::Docflow;
use crate::model::{Direction, DocState};
use crate::service::read::DocumentFilter;

const PER_PAGE: i64 = 20;

#[derive(Deserialize, Default)]
pub(super) struct ListQuery {
    direction: Option<String>,
    register: Option<String>,
    state: Option<String>,
    year: Option<String>,
    q: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "documents.html", config = "templates/askama.toml")]
struct ListPage {
    shell: Shell,
    agency: String,
    /// Which tab is current: incoming or outgoing.
    tab: &'static str,
    incoming: bool,
    registers: Vec<(String, String)>,
    states: Vec<(&'static str, &'static str)>,
    register: String,
    state: String,
    year: String,
    q: String,
    rows: Vec<Row>,
    total: i64,
    page: i64,
    pages: i64,
    prev: Option<String>,
    next: Option<String>,
    arrived: i64,
    can_register: bool,
    can_draft: bool,
    export_year: i32,
    error: Option<String>,
}

/// The states a register of this direction shows.
fn states(direction: Direction, en: bool) -> Vec<(&'static str, &'static str)> {
    let all = match direction {
        Direction::Incoming => &DocState::ALL[..7],
        Direction::Outgoing => &DocState::ALL[7..],
    };
    all.iter().map(|s| (s.as_str(), s.label(en))).collect()
}

pub(super) async fn list(State(d): State<Docflow>, shell: Shell, caller: Caller, web::Query(q): web::Query<ListQuery>) -> Response {
    let p = match official(&shell, &caller, &shell.here.clone()) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let en = shell.lang.is_en();
    let direction = q.direction.as_deref().and_then(Direction::parse).unwrap_or(Direction::Incoming);
    let title = match direction {
        Direction::Incoming => shell.t("Sổ văn bản đến", "Incoming documents"),
        Direction::Outgoing => shell.t("Sổ văn bản đi", "Outgoing documents"),
    }
    .to_owned();
    let shell = shell.titled(title, "documents");
    let run = async {
        let agency = own_agency(&d, &p).await?;
        let registers: Vec<(String, String)> =
            d.registers(&p, &agency).await?.into_iter().filter(|r| r.direction == direction).map(|r| (r.code, r.name)).collect();
        let states = states(direction, en);
        let trim = |s: &Option<String>| s.as_deref().map(str::trim).unwrap_or("").to_owned();
        let register = trim(&q.register);
        let register = if registers.iter().any(|r| r.0 == register) { register } else { String::new() };
        let state = trim(&q.state);
        let state = if states.iter().any(|s| s.0 == state) { state } else { String::new() };
        let (year, mut error) = match trim(&q.year) {
            y if y.is_empty() => (None, None),
            y => match y.parse::<i64>() {
                Ok(n) if (1900..=2200).contains(&n) => (Some(n), None),
                _ => (None, Some(shell.t("Năm là một số như 2026.", "The year is a number such as 2026.").to_owned())),
            },
        };
        let words = trim(&q.q);
        let page = q.page.as_deref().and_then(|s| s.parse::<i64>().ok()).unwrap_or(1).max(1);
        let f = DocumentFilter {
            direction: Some(direction.as_str().into()),
            agency_code: Some(agency.code.clone()),
            register_code: Some(register.clone()).filter(|s| !s.is_empty()),
            state: Some(state.clone()).filter(|s| !s.is_empty()),
            q: Some(words.clone()).filter(|s| !s.is_empty()),
            year,
            ..Default::default()
        };
        let (docs, total) = match d.search(&p, &f, (page - 1) * PER_PAGE, PER_PAGE).await {
            Ok(x) => x,
            Err(e @ kernel::Error::Invalid(_)) => {
                error = Some(super::message(e));
                (vec![], 0)
            }
            Err(e) => return Err(e),
        };
        let arrived_filter = DocumentFilter {
            direction: Some("incoming".into()),
            agency_code: Some(agency.code.clone()),
            state: Some("arrived".into()),
            ..Default::default()
        };
        let arrived = d.search(&p, &arrived_filter, 0, 0).await?.1;
        let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
        let link = |n: i64| {
            let mut s = format!("/documents?direction={}", direction.as_str());
            for (k, v) in [("register", &register), ("state", &state), ("year", &trim(&q.year)), ("q", &words)] {
                if !v.is_empty() {
                    s.push_str(&format!("&{k}={}", enc(v)));
                }
            }
            format!("{s}&page={n}")
        };
        let (prev, next) = ((page > 1).then(|| link(page - 1)), (page < pages).then(|| link(page + 1)));
        let failed = error.is_some();
        let mut r = render(&ListPage {
            agency: agency.name.clone(),
            tab: direction.as_str(),
            incoming: direction == Direction::Incoming,
            registers,
            states,
            register,
            state,
            year: trim(&q.year),
            q: words,
            rows: rows(&d, docs, en).await?,
            total,
            page,
            pages,
            prev,
            next,
            arrived,
            can_register: p.allows(kernel::authz::Permission::DocumentNumber, Some(&agency.id)),
            can_draft: super::may_draft(&p, &agency.id),
            export_year: year.map(|y| y as i32).unwrap_or_else(|| kernel::time::today_vn().year()),
            error,
            shell: shell.clone(),
        });
        if failed {
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        }
        Ok::<_, kernel::Error>(r)
    };
    run.await.unwrap_or_else(|e| web::page::error_page(shell, e))
}

#[derive(Deserialize, Default)]
pub(super) struct ExportQuery {
    direction: Option<String>,
    year: Option<String>,
}

/// `/documents/export?direction=incoming&year=2026`: the register of a year as .xlsx.
pub(super) async fn export(State(d): State<Docflow>, shell: Shell, caller: Caller, web::Query(q): web::Query<ExportQuery>) -> Response {
    let p = match official(&shell, &caller, &shell.here.clone()) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let direction = q.direction.as_deref().and_then(Direction::parse).unwrap_or(Direction::Incoming);
    let year = match q.year.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => kernel::time::today_vn().year(),
        Some(y) => match y.parse::<i32>() {
            Ok(n) if (1900..=2200).contains(&n) => n,
            _ => return web::page::error_page(shell, kernel::Error::invalid("year", "năm là một số như 2026 (a year such as 2026)")),
        },
    };
    match d.export_register(&p, None, direction, year).await {
        Ok(bytes) => crate::api::xlsx_response(bytes, &format!("so-van-ban-{}-{year}.xlsx", direction.as_str())),
        Err(e) => web::page::error_page(shell, e),
    }
}
