//! The GovStack Digital Registries operations over generic registries. Every read of a record
//! is logged with the calling system, so that a person can see who read their data.

use kernel::db::Tx;
use kernel::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::Catalog;
use crate::eform::validate_data;
use crate::model::registry::{Registry, RegistryInput, key_text};
use crate::store::registries::{self as store, Access, Record};

/// `{"query": {"content": {...}}}`: the fields a record must match.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema, Default)]
pub struct DrQuery {
    #[schema(value_type = Object)]
    pub content: Map<String, Value>,
}

/// `{"write": {"content": {...}}}`: the fields to write.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct DrWrite {
    #[schema(value_type = Object)]
    pub content: Map<String, Value>,
}

/// One read of a person's data, in the GovStack PersonalDataUsage shape.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UsageEntry {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "ReaderID")]
    pub reader_id: Option<String>,
    #[serde(rename = "ReaderInstitutionID")]
    pub reader_institution_id: Option<String>,
    #[serde(rename = "ReaderApplicationName")]
    pub reader_application_name: Option<String>,
    #[serde(rename = "SearchDateTime")]
    pub search_date_time: String,
    #[serde(rename = "Action")]
    pub action: String,
    #[serde(rename = "DatabaseID")]
    pub database_id: String,
    /// Spelled as in the GovStack specification.
    #[serde(rename = "Refrences")]
    pub references: Vec<Value>,
}

impl Catalog {
    pub async fn define_registry(&self, input: &RegistryInput) -> Result<Registry> {
        let id_field = input.validate().map_err(|v| Error::Invalid(v.0))?;
        store::upsert(
            &self.db,
            &input.name,
            &input.version,
            input.title.trim(),
            input.description.as_deref(),
            &input.schema,
            &id_field,
            input.personal_field.as_deref(),
        )
        .await?;
        store::get(&self.db, &input.name, &input.version).await
    }

    pub async fn registry(&self, name: &str, version: &str) -> Result<Registry> {
        store::get(&self.db, name, version).await
    }

    pub async fn registries(&self) -> Result<Vec<Registry>> {
        store::all(&self.db).await
    }

    fn check_content(reg: &Registry, content: &Map<String, Value>) -> Result<(String, Option<String>)> {
        let errors = validate_data(&reg.schema, &Value::Object(content.clone()));
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let key = content
            .get(&reg.id_field)
            .and_then(key_text)
            .ok_or_else(|| Error::invalid(format!("/{}", reg.id_field), "bắt buộc (the record key is required)"))?;
        let subject = reg.personal_field.as_ref().and_then(|f| content.get(f)).and_then(key_text);
        Ok((key, subject))
    }

    fn check_query_fields(reg: &Registry, query: &Map<String, Value>) -> Result<()> {
        let props = reg.schema.get("properties").and_then(Value::as_object);
        let unknown: Vec<kernel::FieldError> = query
            .keys()
            .filter(|k| !props.is_some_and(|p| p.contains_key(*k)))
            .map(|k| {
                kernel::FieldError::new(format!("query.content.{k}"), "không có trường này trong registry (no such field in the registry)")
            })
            .collect();
        if unknown.is_empty() { Ok(()) } else { Err(Error::Invalid(unknown)) }
    }

    async fn log(&self, reg: &Registry, rec: Option<&Record>, client: Option<&str>, action: &str, fields: Option<String>) -> Result<()> {
        store::log_access(
            &self.db,
            Access {
                registry_id: &reg.id,
                record_id: rec.map(|r| r.id.as_str()),
                subject: rec.and_then(|r| r.subject.as_deref()),
                client,
                action,
                fields,
            },
        )
        .await
    }

    pub async fn dr_create(&self, reg: &Registry, write: &DrWrite, client: Option<&str>) -> Result<Value> {
        let (key, subject) = Self::check_content(reg, &write.content)?;
        let data = Value::Object(write.content.clone());
        let id = match store::insert(&self.db, &reg.id, &key, subject.as_deref(), &data).await {
            Err(e) if e.is_unique_violation() => {
                return Err(Error::conflict(format!("đã có bản ghi {}={key} (a record with this key exists)", reg.id_field)));
            }
            other => other?,
        };
        let rec = Record { id, subject, data: data.clone() };
        self.log(reg, Some(&rec), client, "create", None).await?;
        Ok(data)
    }

    pub async fn dr_exists(&self, reg: &Registry, query: &DrQuery, client: Option<&str>) -> Result<bool> {
        Self::check_query_fields(reg, &query.content)?;
        let found = store::find(&self.db, &reg.id, &query.content, 1).await?;
        self.log(reg, found.first(), client, "exists", Some(query.content.keys().cloned().collect::<Vec<_>>().join(","))).await?;
        Ok(!found.is_empty())
    }

    pub async fn dr_read(&self, reg: &Registry, query: &DrQuery, client: Option<&str>) -> Result<Value> {
        Self::check_query_fields(reg, &query.content)?;
        let found = store::find(&self.db, &reg.id, &query.content, 1).await?;
        let rec = found.into_iter().next().ok_or_else(|| Error::NotFound("no record found".into()))?;
        self.log(reg, Some(&rec), client, "read", None).await?;
        Ok(rec.data)
    }

    /// Updates records matching `query` (or, without one, the record with the key in `write`)
    /// by merging `write` into them. `all` updates every match; otherwise the first.
    pub async fn dr_update(
        &self,
        reg: &Registry,
        query: Option<&DrQuery>,
        write: &DrWrite,
        all: bool,
        client: Option<&str>,
    ) -> Result<Vec<Value>> {
        let q = self.update_query(reg, query, write)?;
        let matches = store::find(&self.db, &reg.id, &q, if all { 10_000 } else { 1 }).await?;
        if matches.is_empty() {
            return Err(Error::NotFound("no record found".into()));
        }
        let mut planned = Vec::new();
        for rec in &matches {
            let mut merged = rec.data.as_object().cloned().unwrap_or_default();
            merged.extend(write.content.clone());
            let (key, subject) = Self::check_content(reg, &merged)?;
            planned.push((rec, key, subject, Value::Object(merged)));
        }
        let mut tx = self.db.begin().await?;
        for (rec, key, subject, data) in &planned {
            match store::update(&mut tx, &rec.id, key, subject.as_deref(), data).await {
                Err(e) if e.is_unique_violation() => {
                    return Err(Error::conflict(format!("đã có bản ghi {}={key} (a record with this key exists)", reg.id_field)));
                }
                other => other?,
            }
        }
        tx.commit().await?;
        for (rec, ..) in &planned {
            self.log(reg, Some(rec), client, "update", Some(write.content.keys().cloned().collect::<Vec<_>>().join(","))).await?;
        }
        Ok(planned.into_iter().map(|p| p.3).collect())
    }

    fn update_query(&self, reg: &Registry, query: Option<&DrQuery>, write: &DrWrite) -> Result<Map<String, Value>> {
        match query {
            Some(q) if !q.content.is_empty() => {
                Self::check_query_fields(reg, &q.content)?;
                Ok(q.content.clone())
            }
            _ => {
                let key = write.content.get(&reg.id_field).cloned().ok_or_else(|| {
                    Error::invalid(
                        "query",
                        format!("cần query hoặc trường {} trong write (a query or the key field is required)", reg.id_field),
                    )
                })?;
                Ok(Map::from_iter([(reg.id_field.clone(), key)]))
            }
        }
    }

    pub async fn dr_update_or_create(
        &self,
        reg: &Registry,
        query: Option<&DrQuery>,
        write: &DrWrite,
        client: Option<&str>,
    ) -> Result<(Value, bool)> {
        match self.dr_update(reg, query, write, false, client).await {
            Ok(mut v) => Ok((v.remove(0), false)),
            Err(Error::NotFound(_)) => {
                let mut content = query.map(|q| q.content.clone()).unwrap_or_default();
                content.extend(write.content.clone());
                Ok((self.dr_create(reg, &DrWrite { content }, client).await?, true))
            }
            Err(e) => Err(e),
        }
    }

    /// Writes `row` into the record with the key it carries, inside the caller's transaction:
    /// merged into that record when there is one, a new record otherwise, and the write logged
    /// in the same transaction. A replica's file is imported this way, all its rows or none.
    /// True when the record was created. A row that breaks the registry's schema is refused
    /// before anything is written, so the transaction stays usable for the next row.
    pub async fn dr_put_in(&self, tx: &mut Tx, reg: &Registry, row: &Map<String, Value>, client: Option<&str>) -> Result<bool> {
        let key = row
            .get(&reg.id_field)
            .and_then(key_text)
            .ok_or_else(|| Error::invalid(format!("/{}", reg.id_field), "bắt buộc (the record key is required)"))?;
        let existing = store::by_key(&mut *tx, &reg.id, &key).await?;
        let mut merged = existing.as_ref().and_then(|r| r.data.as_object().cloned()).unwrap_or_default();
        merged.extend(row.clone());
        let (key, subject) = Self::check_content(reg, &merged)?;
        let data = Value::Object(merged);
        let (id, action, fields) = match existing {
            Some(rec) => {
                store::update(&mut *tx, &rec.id, &key, subject.as_deref(), &data).await?;
                (rec.id, "update", Some(row.keys().cloned().collect::<Vec<_>>().join(",")))
            }
            None => (store::insert(&mut *tx, &reg.id, &key, subject.as_deref(), &data).await?, "create", None),
        };
        let created = action == "create";
        let access = Access { registry_id: &reg.id, record_id: Some(&id), subject: subject.as_deref(), client, action, fields };
        store::log_access(&mut *tx, access).await?;
        Ok(created)
    }

    /// The record whose key is `key`, as its page shows it to an administrator (logged as a read).
    pub async fn dr_record(&self, reg: &Registry, key: &str, client: Option<&str>) -> Result<Value> {
        let rec = store::by_key(&self.db, &reg.id, key).await?.ok_or_else(|| Error::NotFound(format!("{}={key}", reg.id_field)))?;
        self.log(reg, Some(&rec), client, "read", None).await?;
        Ok(rec.data)
    }

    /// Replaces the record whose key is `key` with `content` as a whole (manual entry: fields
    /// left empty go away). The key itself may change, unless another record has the new one.
    pub async fn dr_replace(&self, reg: &Registry, key: &str, content: &Map<String, Value>, client: Option<&str>) -> Result<Value> {
        let rec = store::by_key(&self.db, &reg.id, key).await?.ok_or_else(|| Error::NotFound(format!("{}={key}", reg.id_field)))?;
        let (new_key, subject) = Self::check_content(reg, content)?;
        let data = Value::Object(content.clone());
        match store::update(&self.db, &rec.id, &new_key, subject.as_deref(), &data).await {
            Err(e) if e.is_unique_violation() => {
                return Err(Error::conflict(format!("đã có bản ghi {}={new_key} (a record with this key exists)", reg.id_field)));
            }
            other => other?,
        }
        let changed: Vec<String> = {
            let old = rec.data.as_object().cloned().unwrap_or_default();
            let mut keys: Vec<String> = old.keys().chain(content.keys()).filter(|k| old.get(*k) != content.get(*k)).cloned().collect();
            keys.sort();
            keys.dedup();
            keys
        };
        self.log(reg, Some(&Record { data: data.clone(), ..rec }), client, "update", Some(changed.join(","))).await?;
        Ok(data)
    }

    pub async fn dr_delete(&self, reg: &Registry, key: &str, client: Option<&str>) -> Result<()> {
        let rec = store::delete_by_key(&self.db, &reg.id, key).await?.ok_or_else(|| Error::NotFound("no record found".into()))?;
        self.log(reg, Some(&rec), client, "delete", None).await
    }

    /// One field of one record, by its uuid or its key.
    pub async fn dr_read_value(&self, reg: &Registry, id: &str, field: &str, client: Option<&str>) -> Result<Value> {
        let rec = match store::by_id(&self.db, &reg.id, id).await? {
            Some(r) => r,
            None => {
                let q = Map::from_iter([(reg.id_field.clone(), Value::String(id.to_owned()))]);
                store::find(&self.db, &reg.id, &q, 1).await?.into_iter().next().ok_or_else(|| Error::NotFound("no record found".into()))?
            }
        };
        let value = rec.data.get(field).cloned().ok_or_else(|| Error::NotFound(format!("field {field}")))?;
        self.log(reg, Some(&rec), client, "read-value", Some(field.to_owned())).await?;
        Ok(value)
    }

    // The API's and the admin page's query parameters, passed as they come.
    #[allow(clippy::too_many_arguments)]
    pub async fn dr_list(
        &self,
        reg: &Registry,
        search: Option<&str>,
        query: &Map<String, Value>,
        offset: i64,
        limit: i64,
        descending: bool,
        client: Option<&str>,
    ) -> Result<(Vec<Value>, i64)> {
        Self::check_query_fields(reg, query)?;
        let (recs, total) = store::list(&self.db, &reg.id, search, query, offset, limit, descending).await?;
        for r in recs.iter().filter(|r| r.subject.is_some()) {
            self.log(reg, Some(r), client, "list", None).await?;
        }
        Ok((recs.into_iter().map(|r| r.data).collect(), total))
    }

    /// Who read the data of the person with identification number `subject`.
    pub async fn personal_data_usage(&self, subject: &str, registry: Option<&str>) -> Result<Vec<UsageEntry>> {
        let rows = store::usage(&self.db, subject, registry).await?;
        Ok(rows
            .into_iter()
            .map(|u| {
                let parts: Vec<&str> = u.client.as_deref().unwrap_or("").split('/').collect();
                UsageEntry {
                    id: u.id,
                    reader_id: u.client.clone(),
                    reader_institution_id: parts.get(2).map(|s| s.to_string()),
                    reader_application_name: parts.get(3).map(|s| s.to_string()),
                    search_date_time: kernel::time::rfc3339_vn(u.at),
                    action: u.action,
                    database_id: u.registry,
                    references: u.record_id.map(|r| serde_json::json!({"ReferenceID": r})).into_iter().collect(),
                }
            })
            .collect())
    }
}
