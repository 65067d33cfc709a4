//! Agency directory, administrative units and the holiday calendar.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use web::page::PageError;
use web::{Shell, render};

use super::keep_query;
use crate::Catalog;
use crate::model::agency::Agency;
use crate::model::holiday::HolidayEntry;
use crate::model::unit::AdminUnit;
use crate::store::procedures::ProcedureFilter;
use crate::store::units::UnitFilter;

/// An agency with its depth in the tree, for an indented list.
pub struct Node {
    pub a: Agency,
    pub depth: usize,
}

#[derive(Template)]
#[template(path = "agencies.html")]
struct Agencies {
    shell: Shell,
    nodes: Vec<Node>,
    q: String,
}

#[derive(Deserialize, Default)]
pub struct TextQuery {
    q: Option<String>,
}

/// Orders agencies as a depth-first walk of the tree.
fn tree(all: Vec<Agency>) -> Vec<Node> {
    let codes: std::collections::HashSet<String> = all.iter().map(|a| a.code.to_string()).collect();
    let mut out = Vec::new();
    fn walk(parent: Option<&str>, depth: usize, all: &[Agency], codes: &std::collections::HashSet<String>, out: &mut Vec<Node>) {
        for a in all.iter().filter(|a| match (parent, a.parent_code.as_deref()) {
            (None, None) => true,
            (None, Some(p)) => !codes.contains(p),
            (Some(x), Some(p)) => x == p,
            _ => false,
        }) {
            out.push(Node { a: a.clone(), depth });
            if depth < 8 {
                walk(Some(a.code.as_str()), depth + 1, all, codes, out);
            }
        }
    }
    walk(None, 0, &all, &codes, &mut out);
    out
}

pub async fn agencies(State(c): State<Catalog>, shell: Shell, Query(q): Query<TextQuery>) -> Result<Response, PageError> {
    let title = shell.t("Danh bạ cơ quan", "Agency directory").to_owned();
    let shell = shell.titled(title, "agencies");
    let text = q.q.clone().unwrap_or_default();
    let run = async {
        let nodes = if text.trim().is_empty() {
            tree(c.all_agencies().await?)
        } else {
            let f = crate::store::agencies::AgencyFilter { q: Some(text.clone()), ..Default::default() };
            c.agencies(&f, 0, 200).await?.0.into_iter().map(|a| Node { a, depth: 0 }).collect()
        };
        Ok::<_, kernel::Error>(render(&Agencies { shell: shell.clone(), nodes, q: text.clone() }))
    };
    run.await.map_err(|e| PageError(shell.clone(), e))
}

#[derive(Template)]
#[template(path = "agency.html")]
struct AgencyPage {
    shell: Shell,
    a: Agency,
    parent: Option<Agency>,
    children: Vec<Agency>,
    procedures: i64,
    week: String,
}

pub async fn agency(State(c): State<Catalog>, shell: Shell, Path(code): Path<String>) -> Result<Response, PageError> {
    let run = async {
        kernel::codes::AgencyCode::parse(&code).map_err(|e| kernel::Error::invalid("code", e.to_string()))?;
        let a = c.agency(&code).await?;
        let parent = match &a.parent_code {
            Some(p) => Some(c.agency(p).await?),
            None => None,
        };
        let f = crate::store::agencies::AgencyFilter { parent_code: Some(code.clone()), ..Default::default() };
        let children = c.agencies(&f, 0, 200).await?.0;
        let procedures = c.search_procedures(&ProcedureFilter { agency: Some(code.clone()), ..Default::default() }, 0, 1).await?.1;
        let week = match &a.working_week {
            Some(w) => w.summary(),
            None => c.default_week().await?.summary(),
        };
        let shell = shell.clone().titled(a.name.clone(), "agencies");
        Ok::<_, kernel::Error>(render(&AgencyPage { shell, a, parent, children, procedures, week }))
    };
    run.await.map_err(|e| PageError(shell.clone().titled("", "agencies"), e))
}

#[derive(Deserialize, Default)]
pub struct UnitQuery {
    q: Option<String>,
    tier: Option<String>,
    /// `all` shows units that no longer exist too.
    show: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "units.html")]
struct Units {
    shell: Shell,
    q: UnitQuery,
    units: Vec<AdminUnit>,
    total: i64,
    page: u32,
    pages: u32,
    query: String,
}

pub async fn units(State(c): State<Catalog>, shell: Shell, Query(q): Query<UnitQuery>) -> Result<Response, PageError> {
    let title = shell.t("Đơn vị hành chính", "Administrative units").to_owned();
    let shell = shell.titled(title, "units");
    let run = async {
        let page = q.page.as_deref().and_then(|p| p.parse::<u32>().ok()).unwrap_or(1).max(1);
        let per = 50u32;
        let f = UnitFilter { tier: q.tier.clone(), q: q.q.clone(), current: Some(q.show.as_deref() != Some("all")), ..Default::default() };
        let (units, total) = c.units(&f, (page as i64 - 1) * per as i64, per as i64).await?;
        let pages = ((total.max(0) as u64).div_ceil(per as u64)).max(1) as u32;
        let query = keep_query(&[("q", &q.q), ("tier", &q.tier), ("show", &q.show)]);
        Ok::<_, kernel::Error>(render(&Units { shell: shell.clone(), q, units, total, page, pages, query }))
    };
    run.await.map_err(|e| PageError(shell.clone(), e))
}

#[derive(Deserialize, Default)]
pub struct YearQuery {
    year: Option<String>,
}

#[derive(Template)]
#[template(path = "holidays.html")]
struct Holidays {
    shell: Shell,
    year: i32,
    days: Vec<HolidayEntry>,
}

pub async fn holidays(State(c): State<Catalog>, shell: Shell, Query(q): Query<YearQuery>) -> Result<Response, PageError> {
    let title = shell.t("Lịch nghỉ lễ, tết", "Public holidays").to_owned();
    let shell = shell.titled(title, "");
    let run = async {
        let year = match q.year.as_deref().filter(|y| !y.is_empty()) {
            Some(y) => y
                .parse::<i32>()
                .ok()
                .filter(|y| (1990..=2200).contains(y))
                .ok_or_else(|| kernel::Error::invalid("year", "năm từ 1990 đến 2200 (a year from 1990 to 2200)"))?,
            None => kernel::time::today_vn().year(),
        };
        c.seed_holidays(year).await?;
        let days = c.holidays(year).await?;
        Ok::<_, kernel::Error>(render(&Holidays { shell: shell.clone(), year, days }))
    };
    run.await.map_err(|e| PageError(shell.clone(), e))
}
