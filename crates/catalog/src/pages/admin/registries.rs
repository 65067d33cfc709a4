//! Manual entry into the shared registries (cơ sở dữ liệu dùng chung), the third way national
//! and provincial data comes in besides real-time calls and file replicas: the list of
//! registries, each one's records (searchable, paged) with a form built from its schema to add
//! one, and each record's form to change or delete it. Every read and write is in the
//! registry's access log under the administrator's name.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;
use web::{Caller, Shell, render};

use super::*;
use crate::eform::{FieldSpec, form_data, spec};
use crate::model::registry::Registry;

const PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "admin_registries.html")]
struct RegistriesPage {
    shell: Shell,
    registries: Vec<Registry>,
}

pub async fn registries(State(c): State<Catalog>, shell: Shell, caller: Caller) -> Response {
    if let Err(r) = catalog_admin(&shell, &caller, "/admin/registries") {
        return r;
    }
    let title = shell.t("Cơ sở dữ liệu dùng chung: nhập liệu", "Shared registries: manual entry").to_owned();
    let shell = shell.titled(title, "admin");
    match c.registries().await {
        Ok(registries) => render(&RegistriesPage { shell, registries }),
        Err(e) => web::page::error_page(shell, e),
    }
}

/// A record as a row of the table: its key and the first fields' values as text.
struct RecordRow {
    key: String,
    cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin_registry.html")]
struct RegistryPage {
    shell: Shell,
    csrf: String,
    reg: Registry,
    /// `/admin/registries/{name}/{version}`.
    base: String,
    fields: Vec<FieldSpec>,
    /// The columns of the table: the first fields' labels.
    columns: Vec<String>,
    rows: Vec<RecordRow>,
    total: i64,
    search: String,
    offset: i64,
    /// The record being changed (its key), or None for the form to add one.
    editing: Option<String>,
    values: HashMap<String, String>,
    errors: Vec<String>,
    notice: Option<String>,
}

impl RegistryPage {
    fn value(&self, key: &str) -> String {
        self.values.get(key).cloned().unwrap_or_default()
    }

    fn key_url(&self, key: &str) -> String {
        format!("{}/records/{}", self.base, urlencoding(key))
    }

    fn search_url(&self, offset: i64) -> String {
        format!("{}?q={}&offset={offset}", self.base, urlencoding(&self.search))
    }
}

fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(other) => other.to_string(),
    }
}

/// The form's values for a record: each field's text under its `f.{name}` key.
fn values_of(fields: &[FieldSpec], data: &Value) -> HashMap<String, String> {
    fields.iter().map(|f| (f.key.clone(), text(data.get(&f.name)))).collect()
}

#[derive(serde::Deserialize, Default)]
pub struct RecordsQuery {
    q: Option<String>,
    offset: Option<i64>,
    ok: Option<String>,
}

fn who(p: &Principal) -> String {
    format!("user:{}", p.id)
}

#[allow(clippy::too_many_arguments)]
async fn show(
    c: &Catalog,
    shell: Shell,
    caller: &Caller,
    reg: Registry,
    q: RecordsQuery,
    editing: Option<String>,
    values: HashMap<String, String>,
    errors: Vec<String>,
) -> Response {
    let title = format!("{} ({}/{})", reg.title, reg.name, reg.version);
    let shell = shell.titled(title, "admin");
    let fields = spec(&reg.schema);
    let shown: Vec<&FieldSpec> = fields.iter().take(6).collect();
    let search = q.q.clone().unwrap_or_default();
    let offset = q.offset.unwrap_or(0).max(0);
    let client = caller.principal.as_ref().map(|p| who(p));
    let listed =
        c.dr_list(&reg, Some(search.trim()).filter(|s| !s.is_empty()), &Default::default(), offset, PAGE, false, client.as_deref()).await;
    let (records, total) = match listed {
        Ok(x) => x,
        Err(e) => return web::page::error_page(shell, e),
    };
    let rows = records
        .iter()
        .map(|r| RecordRow { key: text(r.get(&reg.id_field)), cells: shown.iter().map(|f| text(r.get(&f.name))).collect() })
        .collect();
    let page = RegistryPage {
        csrf: caller.csrf.clone().unwrap_or_default(),
        base: format!("/admin/registries/{}/{}", urlencoding(&reg.name), urlencoding(&reg.version)),
        columns: shown.iter().map(|f| f.label.clone()).collect(),
        fields,
        rows,
        total,
        search,
        offset,
        editing,
        values,
        errors: errors.clone(),
        notice: q.ok,
        reg,
        shell,
    };
    failed(render(&page), &errors)
}

async fn registry_of(c: &Catalog, shell: &Shell, name: &str, version: &str) -> Result<Registry, Response> {
    c.registry(name, version).await.map_err(|e| web::page::error_page(shell.clone(), e))
}

/// For a form posted to a registry's pages: the administrator (anti-forgery token checked) and
/// the registry, or the answer to give instead.
async fn posted_to(
    c: &Catalog,
    shell: &Shell,
    caller: &Caller,
    name: &str,
    version: &str,
    body: &str,
) -> Result<(Arc<Principal>, Registry), Response> {
    let p = catalog_admin_post(shell, caller, &here(name, version), body)?;
    Ok((p, registry_of(c, shell, name, version).await?))
}

fn here(name: &str, version: &str) -> String {
    format!("/admin/registries/{}/{}", urlencoding(name), urlencoding(version))
}

pub async fn registry(
    State(c): State<Catalog>,
    shell: Shell,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
    Query(q): Query<RecordsQuery>,
) -> Response {
    if let Err(r) = catalog_admin(&shell, &caller, &here(&name, &version)) {
        return r;
    }
    let reg = match registry_of(&c, &shell, &name, &version).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    show(&c, shell, &caller, reg, q, None, HashMap::new(), vec![]).await
}

/// The posted form's fields under `f.` as the registry's record.
fn posted(reg: &Registry, body: &str) -> (HashMap<String, String>, serde_json::Map<String, Value>) {
    let values: HashMap<String, String> = pairs(body).into_iter().filter(|(k, _)| k.starts_with("f.")).collect();
    let data = form_data(&reg.schema, |k| values.get(k).cloned());
    (values, data)
}

fn problems(e: kernel::Error) -> Vec<String> {
    match e {
        kernel::Error::Invalid(list) => messages(list),
        other => vec![web::Problem::from(other).detail.unwrap_or_default()],
    }
}

pub async fn add(
    State(c): State<Catalog>,
    shell: Shell,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
    body: String,
) -> Response {
    let base = here(&name, &version);
    let (p, reg) = match posted_to(&c, &shell, &caller, &name, &version, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (values, data) = posted(&reg, &body);
    match c.dr_create(&reg, &crate::service::DrWrite { content: data.clone() }, Some(&who(&p))).await {
        Ok(_) => {
            let key = text(data.get(&reg.id_field));
            let notice = format!("{} {}={key}", shell.t("Đã thêm bản ghi", "Record added:"), reg.id_field);
            Redirect::to(&format!("{base}?ok={}", urlencoding(&notice))).into_response()
        }
        Err(e) => show(&c, shell, &caller, reg, RecordsQuery::default(), None, values, problems(e)).await,
    }
}

pub async fn record(
    State(c): State<Catalog>,
    shell: Shell,
    caller: Caller,
    Path((name, version, key)): Path<(String, String, String)>,
    Query(q): Query<RecordsQuery>,
) -> Response {
    let p = match catalog_admin(&shell, &caller, &format!("{}/records/{}", here(&name, &version), urlencoding(&key))) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let reg = match registry_of(&c, &shell, &name, &version).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    match c.dr_record(&reg, &key, Some(&who(&p))).await {
        Ok(data) => {
            let values = values_of(&spec(&reg.schema), &data);
            show(&c, shell, &caller, reg, q, Some(key), values, vec![]).await
        }
        Err(e) => web::page::error_page(shell, e),
    }
}

pub async fn save(
    State(c): State<Catalog>,
    shell: Shell,
    caller: Caller,
    Path((name, version, key)): Path<(String, String, String)>,
    body: String,
) -> Response {
    let base = here(&name, &version);
    let (p, reg) = match posted_to(&c, &shell, &caller, &name, &version, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (values, data) = posted(&reg, &body);
    match c.dr_replace(&reg, &key, &data, Some(&who(&p))).await {
        Ok(saved) => {
            let new_key = text(saved.get(&reg.id_field));
            let notice = format!("{} {}={new_key}", shell.t("Đã lưu bản ghi", "Record saved:"), reg.id_field);
            Redirect::to(&format!("{base}/records/{}?ok={}", urlencoding(&new_key), urlencoding(&notice))).into_response()
        }
        Err(e @ kernel::Error::NotFound(_)) => web::page::error_page(shell, e),
        Err(e) => show(&c, shell, &caller, reg, RecordsQuery::default(), Some(key), values, problems(e)).await,
    }
}

pub async fn delete(
    State(c): State<Catalog>,
    shell: Shell,
    caller: Caller,
    Path((name, version, key)): Path<(String, String, String)>,
    body: String,
) -> Response {
    let base = here(&name, &version);
    let (p, reg) = match posted_to(&c, &shell, &caller, &name, &version, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match c.dr_delete(&reg, &key, Some(&who(&p))).await {
        Ok(()) => {
            let notice = format!("{} {}={key}", shell.t("Đã xoá bản ghi", "Record deleted:"), reg.id_field);
            Redirect::to(&format!("{base}?ok={}", urlencoding(&notice))).into_response()
        }
        Err(e) => web::page::error_page(shell, e),
    }
}
