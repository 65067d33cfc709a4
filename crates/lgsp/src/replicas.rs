//! Adapters for national data, in the three modes the provinces' architectures name:
//! real-time calls go through the gateway like any service; **periodic file replicas** are
//! directories (or SFTP drops mounted as directories) whose JSON or CSV files are imported into
//! a registry on a schedule, each file once (by its SHA-256), with a record of every import;
//! **manual entry** is the registry's own API and pages (`/data/{registry}/{version}/...`).

use std::path::Path;

use data_encoding::HEXLOWER;
use kernel::authz::{Permission, Principal};
use kernel::db::q;
use kernel::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::Lgsp;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ReplicaInput {
    pub name: String,
    /// The directory the files arrive in (read only: files are never moved or changed).
    pub directory: String,
    /// The registry (`/api/registries`) and version the rows go into.
    pub registry: String,
    pub registry_version: String,
    /// How often the directory is looked at (minutes, 1 to 10,080).
    pub interval_minutes: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Replica {
    pub id: String,
    pub name: String,
    pub directory: String,
    pub registry: String,
    pub registry_version: String,
    pub interval_minutes: i64,
    pub next_run_at: i64,
    pub imports: Vec<Import>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Import {
    pub file: String,
    pub sha256: String,
    /// ok, partial (some rows refused) or failed (the file could not be read).
    pub status: String,
    pub rows_read: i64,
    pub created: i64,
    pub updated: i64,
    pub refused: i64,
    /// The first problems, by row.
    pub errors: Option<String>,
    pub at: i64,
}

fn admin(p: &Principal) -> Result<()> {
    if p.allows(Permission::CatalogManage, None) {
        Ok(())
    } else {
        Err(Error::Forbidden("cần quyền quản trị LGSP (LGSP administration rights are required)".into()))
    }
}

/// The rows of a JSON (an array of objects) or CSV (a header row) file.
fn rows_of(name: &str, bytes: &[u8]) -> std::result::Result<Vec<Map<String, Value>>, String> {
    if name.to_ascii_lowercase().ends_with(".json") {
        let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("JSON: {e}"))?;
        let Value::Array(items) = v else { return Err("JSON: an array of objects is expected".into()) };
        items
            .into_iter()
            .enumerate()
            .map(|(i, x)| match x {
                Value::Object(m) => Ok(m),
                _ => Err(format!("row {}: not an object", i + 1)),
            })
            .collect()
    } else {
        let mut r = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
        let headers = r.headers().map_err(|e| format!("CSV: {e}"))?.clone();
        let mut out = Vec::new();
        for (i, rec) in r.records().enumerate() {
            let rec = rec.map_err(|e| format!("CSV row {}: {e}", i + 2))?;
            out.push(
                headers
                    .iter()
                    .zip(rec.iter())
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
                    .collect(),
            );
        }
        Ok(out)
    }
}

impl Lgsp {
    pub async fn add_replica(&self, by: &Principal, input: &ReplicaInput) -> Result<Replica> {
        admin(by)?;
        let mut v = kernel::Violations::new();
        if input.name.trim().is_empty() {
            v.add("name", "bắt buộc (required)");
        }
        if !Path::new(&input.directory).is_dir() {
            v.add("directory", "không phải thư mục đọc được trên máy chủ (not a readable directory on the server)");
        }
        if !(1..=10_080).contains(&input.interval_minutes) {
            v.add("interval_minutes", "từ 1 đến 10080 phút (1 to 10,080 minutes)");
        }
        v.into_result()?;
        let catalog = self.catalog.as_ref().ok_or_else(|| Error::internal("no catalog"))?;
        catalog
            .registry(&input.registry, &input.registry_version)
            .await
            .map_err(|_| Error::invalid("registry", format!("không có cơ sở dữ liệu {}/{}", input.registry, input.registry_version)))?;
        let id = kernel::id::new_id();
        let now = kernel::time::now_ms();
        let r = q("INSERT INTO lgsp_replicas (id, name, directory, registry, registry_version, interval_minutes, next_run_at, created_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $7)")
        .bind(id.as_str())
        .bind(input.name.trim())
        .bind(input.directory.as_str())
        .bind(input.registry.as_str())
        .bind(input.registry_version.as_str())
        .bind(input.interval_minutes)
        .bind(now)
        .execute(&self.db)
        .await;
        match r {
            Err(e) if e.is_unique_violation() => return Err(Error::conflict(format!("bản sao {} đã có (exists)", input.name.trim()))),
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        self.replica(&id).await
    }

    pub async fn replica(&self, id: &str) -> Result<Replica> {
        let r = q("SELECT id, name, directory, registry, registry_version, interval_minutes, next_run_at FROM lgsp_replicas WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.db)
            .await?
            .ok_or_else(|| Error::not_found(format!("bản sao {id}")))?;
        let imports = q("SELECT file, sha256, status, rows_read, created, updated, refused, errors, at FROM lgsp_imports WHERE replica_id = $1 ORDER BY at DESC, file LIMIT 50")
            .bind(id)
            .fetch_all(&self.db)
            .await?
            .iter()
            .map(|r| {
                Ok(Import {
                    file: r.text("file")?,
                    sha256: r.text("sha256")?,
                    status: r.text("status")?,
                    rows_read: r.int("rows_read")?,
                    created: r.int("created")?,
                    updated: r.int("updated")?,
                    refused: r.int("refused")?,
                    errors: r.opt_text("errors")?,
                    at: r.int("at")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Replica {
            id: r.text("id")?,
            name: r.text("name")?,
            directory: r.text("directory")?,
            registry: r.text("registry")?,
            registry_version: r.text("registry_version")?,
            interval_minutes: r.int("interval_minutes")?,
            next_run_at: r.int("next_run_at")?,
            imports,
        })
    }

    pub async fn replicas(&self) -> Result<Vec<Replica>> {
        let ids = q("SELECT id FROM lgsp_replicas ORDER BY name").fetch_all(&self.db).await?;
        let mut out = Vec::new();
        for r in ids {
            out.push(self.replica(&r.text("id")?).await?);
        }
        Ok(out)
    }

    /// Imports the files of a replica's directory not imported yet (by content hash), in name
    /// order, each row upserted into the registry by its id field. Returns the new imports.
    pub async fn run_replica(&self, id: &str) -> Result<Vec<Import>> {
        let rep = self.replica(id).await?;
        let catalog = self.catalog.as_ref().ok_or_else(|| Error::internal("no catalog"))?;
        let reg = catalog.registry(&rep.registry, &rep.registry_version).await?;
        let mut files: Vec<_> = std::fs::read_dir(&rep.directory)
            .map_err(|e| Error::conflict(format!("thư mục {} không đọc được (the directory cannot be read): {e}", rep.directory)))?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x.eq_ignore_ascii_case("json") || x.eq_ignore_ascii_case("csv")))
            .collect();
        files.sort();
        let mut done = Vec::new();
        for path in files {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let bytes = std::fs::read(&path).map_err(|e| Error::internal(format!("{name}: {e}")))?;
            let sha = HEXLOWER.encode(&Sha256::digest(&bytes));
            let seen = q("SELECT COUNT(*) FROM lgsp_imports WHERE replica_id = $1 AND sha256 = $2 AND status <> 'failed'")
                .bind(id)
                .bind(sha.as_str())
                .fetch_i64(&self.db)
                .await?;
            if seen > 0 {
                continue;
            }
            let mut imp = Import {
                file: name.clone(),
                sha256: sha,
                status: "ok".into(),
                rows_read: 0,
                created: 0,
                updated: 0,
                refused: 0,
                errors: None,
                at: kernel::time::now_ms(),
            };
            let mut problems = Vec::new();
            match rows_of(&name, &bytes) {
                Err(e) => {
                    imp.status = "failed".into();
                    problems.push(e);
                }
                Ok(rows) => {
                    imp.rows_read = rows.len() as i64;
                    for (i, row) in rows.into_iter().enumerate() {
                        let Some(key) = row.get(&reg.id_field).cloned() else {
                            imp.refused += 1;
                            problems.push(format!("row {}: no {}", i + 1, reg.id_field));
                            continue;
                        };
                        let query = catalog::service::DrQuery { content: Map::from_iter([(reg.id_field.clone(), key)]) };
                        let write = catalog::service::DrWrite { content: row };
                        match catalog.dr_update_or_create(&reg, Some(&query), &write, Some("lgsp-replica")).await {
                            Ok((_, true)) => imp.created += 1,
                            Ok((_, false)) => imp.updated += 1,
                            Err(e) => {
                                imp.refused += 1;
                                problems.push(format!("row {}: {e}", i + 1));
                            }
                        }
                    }
                    if imp.refused > 0 {
                        imp.status = "partial".into();
                    }
                }
            }
            problems.truncate(20);
            imp.errors = (!problems.is_empty()).then(|| problems.join("\n"));
            q("INSERT INTO lgsp_imports (id, replica_id, file, sha256, status, rows_read, created, updated, refused, errors, at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(kernel::id::new_id())
            .bind(id)
            .bind(imp.file.as_str())
            .bind(imp.sha256.as_str())
            .bind(imp.status.as_str())
            .bind(imp.rows_read)
            .bind(imp.created)
            .bind(imp.updated)
            .bind(imp.refused)
            .bind(imp.errors.clone())
            .bind(imp.at)
            .execute(&self.db)
            .await?;
            done.push(imp);
        }
        q("UPDATE lgsp_replicas SET next_run_at = $2 WHERE id = $1")
            .bind(id)
            .bind(kernel::time::now_ms() + rep.interval_minutes * 60_000)
            .execute(&self.db)
            .await?;
        Ok(done)
    }

    /// Runs the replicas whose time has come (the scheduler calls this every minute).
    pub async fn run_due_replicas(&self) -> Result<usize> {
        let due = q("SELECT id FROM lgsp_replicas WHERE next_run_at <= $1").bind(kernel::time::now_ms()).fetch_all(&self.db).await?;
        let mut n = 0;
        for r in due {
            let id = r.text("id")?;
            match self.run_replica(&id).await {
                Ok(x) => n += x.len(),
                Err(e) => tracing::warn!(error = %e, replica = %id, "importing a replica failed"),
            }
        }
        Ok(n)
    }
}
