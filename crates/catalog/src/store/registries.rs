//! Generic registries: definitions, records (JSON), and the access log.

use kernel::db::{Backend, Ex, Row, Where, q};
use kernel::{Error, Result};
use serde_json::Value;

use crate::model::registry::Registry;

fn registry_from_row(r: &Row) -> Result<Registry> {
    Ok(Registry {
        id: r.text("id")?,
        name: r.text("name")?,
        version: r.text("version")?,
        title: r.text("title")?,
        description: r.opt_text("description")?,
        schema: r.json("schema")?,
        id_field: r.text("id_field")?,
        personal_field: r.opt_text("personal_field")?,
        record_count: r.int("n")?,
    })
}

const SELECT_REGISTRY: &str = "SELECT g.id, g.name, g.version, g.title, g.description, g.schema, g.id_field, g.personal_field,
    (SELECT COUNT(*) FROM registry_records r WHERE r.registry_id = g.id AND r.deleted_at IS NULL) AS n FROM registries g";

pub async fn get<'e>(ex: impl Into<Ex<'e>>, name: &str, version: &str) -> Result<Registry> {
    let row = q(format!("{SELECT_REGISTRY} WHERE g.name = $1 AND g.version = $2")).bind(name).bind(version).fetch_optional(ex).await?;
    registry_from_row(&row.ok_or_else(|| Error::not_found(format!("registry {name}/{version}")))?)
}

pub async fn all<'e>(ex: impl Into<Ex<'e>>) -> Result<Vec<Registry>> {
    let rows = q(format!("{SELECT_REGISTRY} ORDER BY g.name, g.version")).fetch_all(ex).await?;
    rows.iter().map(registry_from_row).collect()
}

#[allow(clippy::too_many_arguments)]
pub async fn upsert<'e>(
    ex: impl Into<Ex<'e>>,
    name: &str,
    version: &str,
    title: &str,
    description: Option<&str>,
    schema: &Value,
    id_field: &str,
    personal_field: Option<&str>,
) -> Result<String> {
    let now = kernel::time::now_ms();
    q("INSERT INTO registries (id, name, version, title, description, schema, id_field, personal_field, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
       ON CONFLICT (name, version) DO UPDATE SET title = excluded.title, description = excluded.description, schema = excluded.schema,
         id_field = excluded.id_field, personal_field = excluded.personal_field, updated_at = excluded.updated_at
       RETURNING id")
    .bind(kernel::id::new_id())
    .bind(name)
    .bind(version)
    .bind(title)
    .bind(description)
    .bind(schema.to_string())
    .bind(id_field)
    .bind(personal_field)
    .bind(now)
    .fetch_one(ex)
    .await?
    .text("id")
}

/// A stored record: its uuid and content.
#[derive(Debug, Clone)]
pub struct Record {
    pub id: String,
    pub subject: Option<String>,
    pub data: Value,
}

fn record_from_row(r: &Row) -> Result<Record> {
    Ok(Record { id: r.text("id")?, subject: r.opt_text("subject")?, data: r.json("data")? })
}

/// Adds `field = value` conditions on the JSON content, one per entry of `query`.
fn match_content(w: &mut Where, backend: Backend, query: &serde_json::Map<String, Value>) {
    for (field, value) in query {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Bool(b) if backend == Backend::Sqlite => {
                if *b {
                    "1".into()
                } else {
                    "0".into()
                }
            }
            other => other.to_string(),
        };
        match backend {
            Backend::Sqlite => {
                let path = w.arg(format!("$.\"{}\"", field.replace('"', "")));
                let v = w.arg(text);
                w.and(format!("CAST(json_extract(r.data, {path}) AS TEXT) = {v}"));
            }
            Backend::Postgres => {
                let key = w.arg(field.as_str());
                let v = w.arg(text);
                w.and(format!("(r.data::jsonb ->> {key}) = {v}"));
            }
        }
    }
}

/// Records of a registry whose content matches every field of `query`.
pub async fn find<'e>(ex: impl Into<Ex<'e>>, registry_id: &str, query: &serde_json::Map<String, Value>, limit: i64) -> Result<Vec<Record>> {
    let ex = ex.into();
    let mut w = Where::new();
    let p = w.arg(registry_id);
    w.and(format!("r.registry_id = {p}"));
    w.and("r.deleted_at IS NULL");
    match_content(&mut w, ex.backend(), query);
    let rows = w
        .query(format!("SELECT r.id, r.subject, r.data FROM registry_records r{} ORDER BY r.created_at, r.id LIMIT {limit}", w.sql()))
        .fetch_all(ex)
        .await?;
    rows.iter().map(record_from_row).collect()
}

/// A page of records; `search` matches any value in the content (case-insensitive).
pub async fn list<'e>(
    ex: impl Into<Ex<'e>>,
    registry_id: &str,
    search: Option<&str>,
    query: &serde_json::Map<String, Value>,
    offset: i64,
    limit: i64,
    descending: bool,
) -> Result<(Vec<Record>, i64)> {
    let mut ex = ex.into();
    let mut w = Where::new();
    let p = w.arg(registry_id);
    w.and(format!("r.registry_id = {p}"));
    w.and("r.deleted_at IS NULL");
    if let Some(s) = search.map(str::trim).filter(|s| !s.is_empty()) {
        let p = w.arg(format!("%{}%", s.to_lowercase()));
        w.and(format!("LOWER(r.data) LIKE {p}"));
    }
    match_content(&mut w, ex.backend(), query);
    let total = w.query(format!("SELECT COUNT(*) FROM registry_records r{}", w.sql())).fetch_i64(ex.reborrow()).await?;
    let order = if descending { "DESC" } else { "ASC" };
    let rows = w
        .query(format!(
            "SELECT r.id, r.subject, r.data FROM registry_records r{} ORDER BY r.key_value {order} LIMIT {limit} OFFSET {offset}",
            w.sql()
        ))
        .fetch_all(ex.reborrow())
        .await?;
    Ok((rows.iter().map(record_from_row).collect::<Result<_>>()?, total))
}

pub async fn by_id<'e>(ex: impl Into<Ex<'e>>, registry_id: &str, id: &str) -> Result<Option<Record>> {
    let row = q("SELECT r.id, r.subject, r.data FROM registry_records r WHERE r.registry_id = $1 AND r.id = $2 AND r.deleted_at IS NULL")
        .bind(registry_id)
        .bind(id)
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(record_from_row).transpose()
}

/// The live record whose key is `key`.
pub async fn by_key<'e>(ex: impl Into<Ex<'e>>, registry_id: &str, key: &str) -> Result<Option<Record>> {
    let row =
        q("SELECT r.id, r.subject, r.data FROM registry_records r WHERE r.registry_id = $1 AND r.key_value = $2 AND r.deleted_at IS NULL")
            .bind(registry_id)
            .bind(key)
            .fetch_optional(ex)
            .await?;
    row.as_ref().map(record_from_row).transpose()
}

pub async fn insert<'e>(ex: impl Into<Ex<'e>>, registry_id: &str, key: &str, subject: Option<&str>, data: &Value) -> Result<String> {
    let id = kernel::id::new_id();
    let now = kernel::time::now_ms();
    q("INSERT INTO registry_records (id, registry_id, key_value, subject, data, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)")
        .bind(&id)
        .bind(registry_id)
        .bind(key)
        .bind(subject)
        .bind(data.to_string())
        .bind(now)
        .execute(ex)
        .await?;
    Ok(id)
}

pub async fn update<'e>(ex: impl Into<Ex<'e>>, id: &str, key: &str, subject: Option<&str>, data: &Value) -> Result<()> {
    q("UPDATE registry_records SET key_value = $1, subject = $2, data = $3, updated_at = $4 WHERE id = $5")
        .bind(key)
        .bind(subject)
        .bind(data.to_string())
        .bind(kernel::time::now_ms())
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

/// Soft-deletes the record whose key is `key`; true when one was deleted.
pub async fn delete_by_key<'e>(ex: impl Into<Ex<'e>>, registry_id: &str, key: &str) -> Result<Option<Record>> {
    let mut ex = ex.into();
    let Some(rec) = by_key(ex.reborrow(), registry_id, key).await? else { return Ok(None) };
    q("UPDATE registry_records SET deleted_at = $1 WHERE id = $2")
        .bind(kernel::time::now_ms())
        .bind(&rec.id)
        .execute(ex.reborrow())
        .await?;
    Ok(Some(rec))
}

/// One access to personal data, appended to the log.
pub struct Access<'a> {
    pub registry_id: &'a str,
    pub record_id: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub client: Option<&'a str>,
    pub action: &'a str,
    pub fields: Option<String>,
}

pub async fn log_access<'e>(ex: impl Into<Ex<'e>>, a: Access<'_>) -> Result<()> {
    q("INSERT INTO registry_access_log (id, registry_id, record_id, subject, client, action, fields, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(kernel::id::new_id())
        .bind(a.registry_id)
        .bind(a.record_id)
        .bind(a.subject)
        .bind(a.client)
        .bind(a.action)
        .bind(a.fields)
        .bind(kernel::time::now_ms())
        .execute(ex)
        .await?;
    Ok(())
}

/// A read of someone's data, as /data/myPersonalDataUsage reports it.
#[derive(Debug, Clone)]
pub struct Usage {
    pub id: String,
    pub client: Option<String>,
    pub action: String,
    pub record_id: Option<String>,
    pub registry: String,
    pub at: i64,
}

pub async fn usage<'e>(ex: impl Into<Ex<'e>>, subject: &str, registry_name: Option<&str>) -> Result<Vec<Usage>> {
    let rows =
        q("SELECT l.id, l.client, l.action, l.record_id, g.name, l.at FROM registry_access_log l JOIN registries g ON g.id = l.registry_id
                  WHERE l.subject = $1 AND ($2 = '' OR g.name = $2) ORDER BY l.at DESC LIMIT 1000")
        .bind(subject)
        .bind(registry_name.unwrap_or(""))
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Usage {
                id: r.text("id")?,
                client: r.opt_text("client")?,
                action: r.text("action")?,
                record_id: r.opt_text("record_id")?,
                registry: r.text("name")?,
                at: r.int("at")?,
            })
        })
        .collect()
}
