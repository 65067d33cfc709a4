//! Adapters for national data, in the three modes the provinces' architectures name:
//! real-time calls go through the gateway like any service; **periodic file replicas** are
//! directories on the server, or SFTP drops fetched over SSH (`sftp.rs`), whose JSON or CSV
//! files are imported into a registry on a schedule, each file once (by its SHA-256), with a
//! record of every import;
//! **manual entry** is the registry's own API and pages (`/data/{registry}/{version}/...`).

use std::path::{Path, PathBuf};

use data_encoding::HEXLOWER;
use kernel::authz::{Permission, Principal};
use kernel::db::q;
use kernel::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::Lgsp;
use crate::sftp::Listed;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ReplicaInput {
    #[schema(pattern = r"\S")]
    pub name: String,
    /// Where the files arrive (read only: files are never moved or changed): a directory on
    /// the server, or an SFTP drop `sftp://user@host[:port]/path`.
    pub directory: String,
    /// For an SFTP drop: the private key file (ed25519 or ECDSA, OpenSSH format, a path on the
    /// server) the platform signs in with. Either this or `sftp_password_file`.
    #[serde(default)]
    pub sftp_key_file: Option<String>,
    /// For an SFTP drop whose account has a password: a file on the server holding it (one
    /// line, readable by the platform alone). Either this or `sftp_key_file`.
    #[serde(default)]
    pub sftp_password_file: Option<String>,
    /// For an SFTP drop: the server's host key fingerprint (`SHA256:...`, as `ssh-keygen -l`
    /// prints it). When left out, the key the server shows when the drop is added is pinned.
    #[serde(default)]
    pub sftp_host_key: Option<String>,
    /// The registry (`/api/registries`) and version the rows go into.
    pub registry: String,
    pub registry_version: String,
    /// How often the directory is looked at (minutes, 1 to 10,080).
    #[schema(minimum = 1, maximum = 10_080)]
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
    /// For an SFTP drop: the key file the platform signs in with.
    pub sftp_key_file: Option<String>,
    /// For an SFTP drop: the password file the platform signs in with.
    pub sftp_password_file: Option<String>,
    /// For an SFTP drop: the pinned host key fingerprint.
    pub sftp_host_key: Option<String>,
    /// When the replica last ran (scheduled or by hand), ms since the epoch; None before.
    pub last_run_at: Option<i64>,
    /// Why its last run failed (the drop unreachable, its host key changed, the database
    /// failing); None when it went through. Files it imported before failing stay imported.
    pub last_error: Option<String>,
    pub imports: Vec<Import>,
}

impl Replica {
    /// How the platform signs in to this replica's SFTP drop.
    fn sign_in(&self) -> crate::sftp::SignIn<'_> {
        match (&self.sftp_password_file, &self.sftp_key_file) {
            (Some(p), _) => crate::sftp::SignIn::Password(Path::new(p)),
            (None, k) => crate::sftp::SignIn::Key(Path::new(k.as_deref().unwrap_or_default())),
        }
    }
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

/// Where a replica's files are read from.
enum Source {
    Local(PathBuf),
    Sftp(Box<crate::sftp::Session>),
}

/// A JSON or CSV file, by its name.
fn data_file(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with(".json") || n.ends_with(".csv")
}

impl Source {
    /// The data files to look at, in name order (files too large to read are left, with a
    /// warning).
    async fn files(&self) -> Result<Vec<Listed>> {
        let listed: Vec<Listed> = match self {
            Source::Local(dir) => {
                let entries = std::fs::read_dir(dir).map_err(|e| {
                    Error::conflict(format!("thư mục {} không đọc được (the directory cannot be read): {e}", dir.display()))
                })?;
                let mut out: Vec<Listed> = entries
                    .filter_map(|e| e.ok())
                    .filter_map(|e| {
                        let meta = e.metadata().ok().filter(|m| m.is_file())?;
                        let name = e.file_name().to_string_lossy().into_owned();
                        let modified =
                            meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map(|d| d.as_millis() as i64);
                        data_file(&name).then_some(Listed { name, size: meta.len(), modified })
                    })
                    .collect();
                out.sort_by(|a, b| a.name.cmp(&b.name));
                out
            }
            Source::Sftp(s) => s.files(data_file).await.map_err(Error::conflict)?,
        };
        Ok(listed
            .into_iter()
            .filter(|f| {
                let fits = f.size <= crate::sftp::MAX_FILE_BYTES;
                if !fits {
                    tracing::warn!(file = %f.name, bytes = f.size, "a replica file too large to import was left");
                }
                fits
            })
            .collect())
    }

    async fn read(&self, name: &str) -> Result<Vec<u8>> {
        match self {
            // The drop's problem (a file left unreadable), not the platform's: said like the
            // directory's.
            Source::Local(dir) => std::fs::read(dir.join(name))
                .map_err(|e| Error::conflict(format!("tệp {name} không đọc được (the file cannot be read): {e}"))),
            Source::Sftp(s) => s.read(name).await.map_err(Error::conflict),
        }
    }
}

impl Lgsp {
    pub async fn add_replica(&self, by: &Principal, input: &ReplicaInput) -> Result<Replica> {
        admin(by)?;
        let mut v = kernel::Violations::new();
        if input.name.trim().is_empty() {
            v.add("name", "bắt buộc (required)");
        }
        let drop = crate::sftp::Drop::parse(&input.directory);
        let key_file = input.sftp_key_file.as_deref().map(str::trim).filter(|k| !k.is_empty());
        let password_file = input.sftp_password_file.as_deref().map(str::trim).filter(|k| !k.is_empty());
        let pinned = input.sftp_host_key.as_deref().map(str::trim).filter(|k| !k.is_empty());
        match &drop {
            None => {
                if !Path::new(&input.directory).is_dir() {
                    v.add("directory", "không phải thư mục đọc được trên máy chủ hay địa chỉ sftp:// (not a readable directory on the server, nor an sftp:// address)")
                }
                // Sign-in settings of a directory would be kept and never used: said, not dropped.
                for (field, given) in [("sftp_key_file", key_file), ("sftp_password_file", password_file), ("sftp_host_key", pinned)] {
                    if given.is_some() {
                        v.add(field, "chỉ dùng với địa chỉ sftp:// (only with an sftp:// address)");
                    }
                }
            }
            Some(Err(e)) => v.add("directory", e.clone()),
            Some(Ok(_)) => {
                match (key_file, password_file) {
                    (None, None) => v.add(
                        "sftp_key_file",
                        "cần tệp khóa hoặc tệp mật khẩu với địa chỉ sftp:// (a key file or a password file is required with an sftp:// address)",
                    ),
                    (Some(_), Some(_)) => v.add(
                        "sftp_password_file",
                        "chọn tệp khóa hoặc tệp mật khẩu, không cả hai (a key file or a password file, not both)",
                    ),
                    _ => {}
                }
                for (field, file, what) in [("sftp_key_file", key_file, "key file"), ("sftp_password_file", password_file, "password file")]
                {
                    if let Some(f) = file
                        && std::fs::File::open(f).is_err()
                    {
                        v.add(field, format!("tệp {f} không đọc được trên máy chủ (the {what} cannot be read on the server)"));
                    }
                }
                if pinned.is_some_and(|k| !k.starts_with("SHA256:") || k.len() < 20) {
                    v.add("sftp_host_key", "dạng SHA256:... như ssh-keygen -l in ra (SHA256:..., as ssh-keygen -l prints it)");
                }
            }
        }
        if !(1..=10_080).contains(&input.interval_minutes) {
            v.add("interval_minutes", "từ 1 đến 10080 phút (1 to 10,080 minutes)");
        }
        v.into_result()?;
        // An SFTP drop is tried before it is kept: signing in, the host key, the directory.
        let (key_file, password_file, host_key) = match drop {
            Some(Ok(d)) => {
                let sign_in = match password_file {
                    Some(p) => crate::sftp::SignIn::Password(Path::new(p)),
                    None => crate::sftp::SignIn::Key(Path::new(key_file.unwrap_or_default())),
                };
                let session = crate::sftp::open(&d, sign_in, pinned).await.map_err(|e| Error::invalid("directory", e))?;
                let listed = session.files(|_| true).await;
                let host_key = session.host_key.clone();
                session.close().await;
                listed.map_err(|e| Error::invalid("directory", e))?;
                (key_file, password_file, Some(host_key))
            }
            _ => (None, None, None),
        };
        let catalog = self.catalog.as_ref().ok_or_else(|| Error::internal("no catalog"))?;
        catalog
            .registry(&input.registry, &input.registry_version)
            .await
            .map_err(|_| Error::invalid("registry", format!("không có cơ sở dữ liệu {}/{}", input.registry, input.registry_version)))?;
        // Two replicas of one drop into one registry would import each file twice.
        let same = q("SELECT COUNT(*) FROM lgsp_replicas WHERE directory = $1 AND registry = $2 AND registry_version = $3")
            .bind(input.directory.trim())
            .bind(input.registry.as_str())
            .bind(input.registry_version.as_str())
            .fetch_i64(&self.db)
            .await?;
        if same > 0 {
            return Err(Error::conflict(
                "đã có bản sao của thư mục này vào cơ sở dữ liệu này (a replica of this drop into this registry exists)",
            ));
        }
        let id = kernel::id::new_id();
        let now = kernel::time::now_ms();
        let r = q("INSERT INTO lgsp_replicas (id, name, directory, registry, registry_version, interval_minutes, next_run_at, created_at,
                                           sftp_key_file, sftp_password_file, sftp_host_key)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10)")
        .bind(id.as_str())
        .bind(input.name.trim())
        .bind(input.directory.trim())
        .bind(input.registry.as_str())
        .bind(input.registry_version.as_str())
        .bind(input.interval_minutes)
        .bind(now)
        .bind(key_file)
        .bind(password_file)
        .bind(host_key)
        .execute(&self.db)
        .await;
        match r {
            Err(e) if e.is_unique_violation() => return Err(Error::conflict(format!("bản sao {} đã có (exists)", input.name.trim()))),
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        self.replica(&id).await
    }

    /// Pins another host key for an SFTP drop (the provider changed its server's key): the
    /// server must show this key now, and sign the platform in.
    pub async fn pin_host_key(&self, by: &Principal, id: &str, fingerprint: &str) -> Result<Replica> {
        admin(by)?;
        let rep = self.replica(id).await?;
        let Some(Ok(drop)) = crate::sftp::Drop::parse(&rep.directory) else {
            return Err(Error::invalid("directory", "bản sao này không lấy tệp qua SFTP (this replica is not an SFTP drop)"));
        };
        let fingerprint = fingerprint.trim();
        if !fingerprint.starts_with("SHA256:") || fingerprint.len() < 20 {
            return Err(Error::invalid(
                "sftp_host_key",
                "dạng SHA256:... như ssh-keygen -l in ra (SHA256:..., as ssh-keygen -l prints it)",
            ));
        }
        let session = crate::sftp::open(&drop, rep.sign_in(), Some(fingerprint)).await.map_err(|e| Error::invalid("sftp_host_key", e))?;
        session.close().await;
        q("UPDATE lgsp_replicas SET sftp_host_key = $2 WHERE id = $1").bind(id).bind(fingerprint).execute(&self.db).await?;
        self.replica(id).await
    }

    pub async fn replica(&self, id: &str) -> Result<Replica> {
        let r = q("SELECT id, name, directory, registry, registry_version, interval_minutes, next_run_at, sftp_key_file,
                          sftp_password_file, sftp_host_key, last_run_at, last_error
                   FROM lgsp_replicas WHERE id = $1")
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
            sftp_key_file: r.opt_text("sftp_key_file")?,
            sftp_password_file: r.opt_text("sftp_password_file")?,
            sftp_host_key: r.opt_text("sftp_host_key")?,
            last_run_at: r.opt_int("last_run_at")?,
            last_error: r.opt_text("last_error")?,
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
    /// The run's time and, when it fails, why are kept on the replica (its page shows them).
    pub async fn run_replica(&self, id: &str) -> Result<Vec<Import>> {
        let rep = self.replica(id).await?;
        let done = self.run(&rep).await;
        let error = done.as_ref().err().map(|e| {
            let why = match e {
                // The drop's own words (unreachable, refused, a changed host key).
                Error::Conflict(m) => m.clone(),
                e => e.to_string(),
            };
            why.chars().take(2000).collect::<String>()
        });
        q("UPDATE lgsp_replicas SET last_run_at = $2, last_error = $3 WHERE id = $1")
            .bind(id)
            .bind(kernel::time::now_ms())
            .bind(error)
            .execute(&self.db)
            .await?;
        done
    }

    async fn run(&self, rep: &Replica) -> Result<Vec<Import>> {
        let id = rep.id.as_str();
        let catalog = self.catalog.as_ref().ok_or_else(|| Error::internal("no catalog"))?;
        let reg = catalog.registry(&rep.registry, &rep.registry_version).await?;
        // The next run is set first: a run that fails (the drop unreachable, its host key
        // changed) waits for its interval like any other.
        q("UPDATE lgsp_replicas SET next_run_at = $2 WHERE id = $1")
            .bind(id)
            .bind(kernel::time::now_ms() + rep.interval_minutes * 60_000)
            .execute(&self.db)
            .await?;
        let source = match crate::sftp::Drop::parse(&rep.directory) {
            Some(drop) => {
                let drop = drop.map_err(Error::conflict)?;
                Source::Sftp(Box::new(
                    crate::sftp::open(&drop, rep.sign_in(), rep.sftp_host_key.as_deref()).await.map_err(Error::conflict)?,
                ))
            }
            None => Source::Local(PathBuf::from(&rep.directory)),
        };
        let done = self.import_files(id, &source, catalog, &reg).await;
        if let Source::Sftp(s) = source {
            s.close().await;
        }
        done
    }

    /// Imports the source's data files not imported yet, in name order.
    async fn import_files(
        &self,
        id: &str,
        source: &Source,
        catalog: &catalog::Catalog,
        reg: &catalog::model::registry::Registry,
    ) -> Result<Vec<Import>> {
        let mut done = Vec::new();
        for listed in source.files().await? {
            // A file imported before with the same name, size and time is not read again.
            if let Some(modified) = listed.modified {
                let same = q("SELECT COUNT(*) FROM lgsp_imports WHERE replica_id = $1 AND file = $2 AND size = $3 AND modified = $4")
                    .bind(id)
                    .bind(listed.name.as_str())
                    .bind(listed.size as i64)
                    .bind(modified)
                    .fetch_i64(&self.db)
                    .await?;
                if same > 0 {
                    continue;
                }
            }
            let name = listed.name.clone();
            let bytes = source.read(&name).await?;
            let sha = HEXLOWER.encode(&Sha256::digest(&bytes));
            // A file that could not be read fails the same way while its content is the same.
            let seen = q("SELECT COUNT(*) FROM lgsp_imports WHERE replica_id = $1 AND sha256 = $2")
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
            // The file's rows and its import record are written in one transaction: a run that
            // stops halfway leaves neither, and the next run imports the whole file.
            let mut tx = self.db.begin().await?;
            let mut problems = Vec::new();
            match rows_of(&name, &bytes) {
                Err(e) => {
                    imp.status = "failed".into();
                    problems.push(e);
                }
                Ok(rows) => {
                    imp.rows_read = rows.len() as i64;
                    for (i, row) in rows.into_iter().enumerate() {
                        match catalog.dr_put_in(&mut tx, reg, &row, Some("lgsp-replica")).await {
                            Ok(true) => imp.created += 1,
                            Ok(false) => imp.updated += 1,
                            Err(e @ (Error::Invalid(_) | Error::BadRequest(_))) => {
                                imp.refused += 1;
                                problems.push(format!("row {}: {e}", i + 1));
                            }
                            Err(e) => return Err(e),
                        }
                    }
                    if imp.refused > 0 {
                        imp.status = "partial".into();
                    }
                }
            }
            problems.truncate(20);
            imp.errors = (!problems.is_empty()).then(|| problems.join("\n"));
            q("INSERT INTO lgsp_imports (id, replica_id, file, sha256, status, rows_read, created, updated, refused, errors, at, size, modified)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
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
            .bind(bytes.len() as i64)
            .bind(listed.modified)
            .execute(&mut tx)
            .await?;
            tx.commit().await?;
            done.push(imp);
        }
        Ok(done)
    }

    /// Runs the replicas whose time has come (the scheduler calls this every minute).
    pub async fn run_due_replicas(&self) -> Result<usize> {
        let now = kernel::time::now_ms();
        let due = q("SELECT id, next_run_at FROM lgsp_replicas WHERE next_run_at <= $1").bind(now).fetch_all(&self.db).await?;
        let mut n = 0;
        for r in due {
            let id = r.text("id")?;
            // Claimed by moving its time a minute on: of several nodes, one runs it.
            let claimed = q("UPDATE lgsp_replicas SET next_run_at = $3 WHERE id = $1 AND next_run_at = $2")
                .bind(id.as_str())
                .bind(r.int("next_run_at")?)
                .bind(now + 60_000)
                .execute(&self.db)
                .await?;
            if claimed != 1 {
                continue;
            }
            match self.run_replica(&id).await {
                Ok(x) => n += x.len(),
                Err(e) => tracing::warn!(error = %e, replica = %id, "importing a replica failed"),
            }
        }
        Ok(n)
    }
}
