//! Home page and the procedure catalog pages.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use web::page::PageError;
use web::{Shell, render};

use super::keep_query;
use crate::Catalog;
use crate::model::codelist::{CodeItem, FIELD_LIST};
use crate::model::procedure::{ProcedureSummary, ProcedureVersion};
use crate::store::procedures::ProcedureFilter;

/// A field of procedures with how many procedures it has.
pub struct FieldCount {
    pub code: String,
    pub name: String,
    pub count: i64,
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    shell: Shell,
    fields: Vec<FieldCount>,
    total: i64,
    agencies: i64,
}

async fn field_items(c: &Catalog) -> kernel::Result<Vec<CodeItem>> {
    Ok(c.code_items(FIELD_LIST, None, 0, 500).await?.0)
}

fn field_name(fields: &[CodeItem], code: &str, en: bool) -> String {
    fields
        .iter()
        .find(|f| f.code == code)
        .map(|f| if en { f.name_en.clone().unwrap_or_else(|| f.name.clone()) } else { f.name.clone() })
        .unwrap_or_else(|| code.to_owned())
}

pub async fn home(State(c): State<Catalog>, shell: Shell) -> Result<Response, PageError> {
    let title = shell.t("Cổng dịch vụ công", "Public service portal").to_owned();
    let shell = shell.titled(title, "home");
    let run = async {
        let items = field_items(&c).await?;
        let counts = c.procedure_counts_by_field().await?;
        let total = counts.iter().map(|x| x.1).sum();
        let fields = counts
            .into_iter()
            .map(|(code, count)| FieldCount { name: field_name(&items, &code, shell.lang.is_en()), code, count })
            .collect();
        let agencies = c.agencies(&Default::default(), 0, 1).await?.1;
        Ok::<_, kernel::Error>(render(&Home { shell: shell.clone(), fields, total, agencies }))
    };
    run.await.map_err(|e| PageError(shell.clone(), e))
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    field: Option<String>,
    agency: Option<String>,
    level: Option<String>,
    online: Option<String>,
    page: Option<String>,
}

pub struct Row {
    pub p: ProcedureSummary,
    pub field_name: String,
}

#[derive(Template)]
#[template(path = "procedures.html")]
struct List {
    shell: Shell,
    q: ListQuery,
    rows: Vec<Row>,
    total: i64,
    page: u32,
    pages: u32,
    query: String,
    fields: Vec<CodeItem>,
    agencies: Vec<(String, String)>,
    levels: Vec<(&'static str, &'static str)>,
}

impl List {
    fn sel(&self, current: &Option<String>, value: &str) -> &'static str {
        if current.as_deref() == Some(value) { "selected" } else { "" }
    }
}

pub async fn list(State(c): State<Catalog>, shell: Shell, Query(q): Query<ListQuery>) -> Result<Response, PageError> {
    let title = shell.t("Thủ tục hành chính", "Administrative procedures").to_owned();
    let shell = shell.titled(title, "procedures");
    let en = shell.lang.is_en();
    let run = async {
        let page = q.page.as_deref().and_then(|p| p.parse::<u32>().ok()).unwrap_or(1).max(1);
        let per = 20u32;
        let f = ProcedureFilter {
            q: q.q.clone(),
            field: q.field.clone(),
            agency: q.agency.clone(),
            level: q.level.clone(),
            online: q.online.clone(),
        };
        let (items, total) = c.search_procedures(&f, (page as i64 - 1) * per as i64, per as i64).await?;
        let fields = field_items(&c).await?;
        let rows = items.into_iter().map(|p| Row { field_name: field_name(&fields, &p.field_code, en), p }).collect();
        let agencies = c
            .all_agencies()
            .await?
            .into_iter()
            .filter(|a| a.level != crate::model::agency::AgencyLevel::Unit)
            .map(|a| (a.code.to_string(), a.name))
            .collect();
        let query = keep_query(&[("q", &q.q), ("field", &q.field), ("agency", &q.agency), ("level", &q.level), ("online", &q.online)]);
        let pages = ((total.max(0) as u64).div_ceil(per as u64)).max(1) as u32;
        let levels = vec![("province", if en { "Province" } else { "Cấp tỉnh" }), ("commune", if en { "Commune" } else { "Cấp xã" })];
        Ok::<_, kernel::Error>(render(&List { shell: shell.clone(), q, rows, total, page, pages, query, fields, agencies, levels }))
    };
    run.await.map_err(|e| PageError(shell.clone(), e))
}

#[derive(Template)]
#[template(path = "procedure.html")]
struct Detail {
    shell: Shell,
    v: ProcedureVersion,
    field_name: String,
    agencies: Vec<(String, String)>,
    versions: Vec<ProcedureVersion>,
    eform_fields: Vec<(String, String, bool)>,
}

impl Detail {
    fn fee_text(&self) -> String {
        if self.v.body.fees.is_empty() {
            self.shell.t("Không thu phí, lệ phí", "No fees").to_owned()
        } else {
            self.v.body.fees.iter().map(|f| format!("{}: {}", f.name, f.amount.display_vi())).collect::<Vec<_>>().join("; ")
        }
    }

    /// The version in force can be submitted online.
    fn online_offered(&self) -> bool {
        self.v.current && self.v.body.channels.iter().any(|c| c == "online")
    }

    fn channel_label(&self, c: &str) -> &'static str {
        match c {
            "in_person" => self.shell.lang.t("Trực tiếp tại Bộ phận Một cửa", "In person at the one-stop counter"),
            "online" => self.shell.lang.t("Trực tuyến", "Online"),
            "post" => self.shell.lang.t("Qua dịch vụ bưu chính công ích", "By public postal service"),
            _ => "",
        }
    }
}

pub async fn detail(State(c): State<Catalog>, shell: Shell, Path(code): Path<String>) -> Result<Response, PageError> {
    let run = async {
        kernel::codes::ProcedureCode::parse(&code).map_err(|e| kernel::Error::invalid("code", e.to_string()))?;
        let v = c.procedure(&code).await?;
        let fields = field_items(&c).await?;
        let field_name = field_name(&fields, &v.field_code, shell.lang.is_en());
        let agencies = c.procedure_agencies(&v.procedure_id).await?;
        let versions = c.procedure_versions(&code).await?;
        let eform_fields = eform_summary(v.eform.as_ref());
        let shell = shell.clone().titled(v.name.clone(), "procedures");
        Ok::<_, kernel::Error>(render(&Detail { shell, v, field_name, agencies, versions, eform_fields }))
    };
    run.await.map_err(|e| PageError(shell.clone().titled("", "procedures"), e))
}

/// (name, title, required) of the top-level fields of an e-form, for the detail page.
fn eform_summary(schema: Option<&serde_json::Value>) -> Vec<(String, String, bool)> {
    let Some(s) = schema else { return vec![] };
    let required: Vec<&str> =
        s.get("required").and_then(|r| r.as_array()).map(|a| a.iter().filter_map(|x| x.as_str()).collect()).unwrap_or_default();
    s.get("properties")
        .and_then(|p| p.as_object())
        .map(|p| {
            p.iter()
                .map(|(k, v)| (k.clone(), v.get("title").and_then(|t| t.as_str()).unwrap_or(k).to_owned(), required.contains(&k.as_str())))
                .collect()
        })
        .unwrap_or_default()
}
