//! Retention: sealed batches with their records moved to a JSON Lines archive file, and the
//! check of such a file alone.

use super::*;

/// What an archive run did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Archived {
    pub from_batch: i64,
    pub to_batch: i64,
    pub batches: i64,
    pub records: i64,
    pub file: String,
    pub sha256: String,
}

/// An archive file, as the database remembers it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArchiveFile {
    pub from_batch: i64,
    pub to_batch: i64,
    /// The last record's number.
    pub last_seq: i64,
    /// Records in the file (unknown for files made before this was kept).
    pub records: Option<i64>,
    pub file: String,
    pub sha256: String,
    /// The host whose disk holds the file (unknown for files made before this was kept).
    pub node: Option<String>,
    pub archived_at: i64,
}

/// The archive files made so far, the newest first.
pub async fn archives(db: &Db, limit: i64) -> Result<Vec<ArchiveFile>> {
    q("SELECT from_batch, to_batch, last_to_seq, records, file, sha256, node, archived_at FROM lgsp_archives ORDER BY to_batch DESC LIMIT $1")
        .bind(limit)
        .fetch_all(db)
        .await?
        .iter()
        .map(|r| {
            Ok(ArchiveFile {
                from_batch: r.int("from_batch")?,
                to_batch: r.int("to_batch")?,
                last_seq: r.int("last_to_seq")?,
                records: r.get::<Option<i64>>("records")?,
                file: r.text("file")?,
                sha256: r.text("sha256")?,
                node: r.opt_text("node")?,
                archived_at: r.int("archived_at")?,
            })
        })
        .collect()
}

fn b64(b: &Option<Vec<u8>>) -> Value {
    b.as_ref().map(|b| Value::String(BASE64.encode(b))).unwrap_or(Value::Null)
}

/// This machine's name, recorded with each archive so that its file can be found.
fn node_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// Moves the sealed batches sealed before `before_ms` (oldest first, in order) with their
/// records into a JSON Lines file at `out`, written and synced before they leave the database;
/// the chain then goes on from the last archived signature. The file can be checked alone
/// with [`verify_archive`]. Returns None when nothing is old enough.
pub async fn archive(db: &Db, key: &SealKey, before_ms: i64, out: &std::path::Path) -> Result<Option<Archived>> {
    archive_with(db, key, before_ms, i64::MAX, |_, _| out.to_owned()).await
}

/// Like [`archive`], but takes whole batches up to about `max_records` records (at least one
/// batch) into a file of `dir` named after its batches (`lgsp-log-{first}-{last}.jsonl`), so
/// a schedule can move a long backlog a file at a time. Nodes sharing the database may run it
/// together: the one that commits first archives the batches; the others' files are removed
/// and they answer Conflict.
pub async fn archive_into(db: &Db, key: &SealKey, before_ms: i64, max_records: i64, dir: &std::path::Path) -> Result<Option<Archived>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::internal(format!("{}: {e}", dir.display())))?;
    archive_with(db, key, before_ms, max_records, |from, to| dir.join(format!("lgsp-log-{from:010}-{to:010}.jsonl"))).await
}

async fn archive_with(
    db: &Db,
    key: &SealKey,
    before_ms: i64,
    max_records: i64,
    name: impl FnOnce(i64, i64) -> std::path::PathBuf,
) -> Result<Option<Archived>> {
    match ArchivePlan::make(db, before_ms, max_records).await? {
        None => Ok(None),
        Some(plan) => {
            let out = name(plan.from_batch(), plan.to_batch());
            plan.carry_out(db, key, &out).await.map(Some)
        }
    }
}

/// The batches one archive file will take, chosen before it is written.
pub struct ArchivePlan {
    batches: Vec<Row>,
}

impl ArchivePlan {
    /// The sealed batches sealed before `before_ms`: the unbroken run from the oldest, whole
    /// batches up to about `max_records` records (at least one). None when there are none.
    pub async fn make(db: &Db, before_ms: i64, max_records: i64) -> Result<Option<ArchivePlan>> {
        let mut batches =
            q("SELECT seq, from_seq, to_seq, records, digest, previous_signature, signature, key_id, sealed_at, record_hashes
                             FROM lgsp_batches WHERE sealed_at < $1 ORDER BY seq")
            .bind(before_ms)
            .fetch_all(db)
            .await?;
        // Only the unbroken run from the oldest: nodes' clocks differ, so a batch sealed later by
        // one node's clock can sit between two sealed earlier by another's.
        let younger =
            q("SELECT seq FROM lgsp_batches WHERE sealed_at >= $1 ORDER BY seq LIMIT 1").bind(before_ms).fetch_optional(db).await?;
        if let Some(y) = younger {
            let y = y.int("seq")?;
            batches.retain(|b| b.int("seq").is_ok_and(|s| s < y));
        }
        let mut taken = 0i64;
        let mut keep = 0;
        for b in &batches {
            if keep > 0 && taken + b.int("records")? > max_records {
                break;
            }
            taken += b.int("records")?;
            keep += 1;
        }
        batches.truncate(keep);
        Ok((!batches.is_empty()).then_some(ArchivePlan { batches }))
    }

    pub fn from_batch(&self) -> i64 {
        self.batches[0].int("seq").unwrap_or(0)
    }

    pub fn to_batch(&self) -> i64 {
        self.batches[self.batches.len() - 1].int("seq").unwrap_or(0)
    }

    /// Writes the file at `out` (which must not exist, unless it is the unrecorded file of these
    /// same batches that a stopped run left) and syncs it, then in one transaction
    /// removes the batches and their records from the database and records the archive. When
    /// the batches left the database meanwhile (another node archived them), nothing changes,
    /// the file is removed, and the answer is Conflict.
    pub async fn carry_out(self, db: &Db, key: &SealKey, out: &std::path::Path) -> Result<Archived> {
        use std::io::Write;
        let batches = self.batches;
        let first = &batches[0];
        let last = &batches[batches.len() - 1];
        let (from_batch, to_batch) = (first.int("seq")?, last.int("seq")?);
        let io = |e: std::io::Error| Error::internal(format!("{}: {e}", out.display()));
        if out.exists() {
            if !leftover(db, out, from_batch, to_batch).await? {
                return Err(Error::conflict(format!("{} already exists", out.display())));
            }
            tracing::warn!(file = %out.display(), "replacing the archive file of batches {from_batch}–{to_batch} that a stopped run left behind (the batches are still in the database)");
        }
        // Written under a name of its own, then renamed into place once synced: a run that stops
        // half way leaves at most a `.part` file, never a short archive under the real name.
        let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        remove_stale_parts(out);
        let part = out.with_file_name(format!("{name}.part-{}", kernel::id::new_id()));
        let file = std::fs::File::create_new(&part).map_err(io)?;
        // Written a batch at a time, hashed as it goes: a long backlog is never whole in memory.
        let mut f = std::io::BufWriter::new(file);
        let mut sha = Sha256::new();
        let mut line = |f: &mut std::io::BufWriter<std::fs::File>, v: &Value| -> std::io::Result<()> {
            let mut text = v.to_string();
            text.push('\n');
            sha.update(text.as_bytes());
            f.write_all(text.as_bytes())
        };
        let header = serde_json::json!({"format": "tinhso-lgsp-archive/1", "from_batch": from_batch, "to_batch": to_batch,
            "previous_signature": first.text("previous_signature")?, "public_key": BASE64.encode(&key.public())});
        let written: Result<i64> = async {
            line(&mut f, &header).map_err(io)?;
            let mut records = 0;
            for b in &batches {
                let seq = b.int("seq")?;
                let rows = q(format!("SELECT {COLS} FROM lgsp_messages WHERE seq >= $1 AND seq <= $2 AND batch_seq = $3 ORDER BY seq"))
                    .bind(b.int("from_seq")?)
                    .bind(b.int("to_seq")?)
                    .bind(seq)
                    .fetch_all(db)
                    .await?;
                let recs: Vec<Value> = rows
                    .iter()
                    .map(|r| {
                        let (n, x, _) = record_of(r)?;
                        Ok(serde_json::json!({"seq": n, "request_id": x.request_id, "at": x.at, "client": x.client, "service": x.service,
                            "method": x.method, "path": x.path, "status": x.status, "error": x.error, "request_hash": x.request_hash,
                            "response_hash": x.response_hash, "request_bytes": x.request_bytes, "response_bytes": x.response_bytes,
                            "duration_ms": x.duration_ms, "user_id": x.user_id, "request_body": b64(&x.request_body), "response_body": b64(&x.response_body)}))
                    })
                    .collect::<Result<_>>()?;
                records += recs.len() as i64;
                let v = serde_json::json!({"batch": {"seq": seq, "from_seq": b.int("from_seq")?, "to_seq": b.int("to_seq")?, "records": b.int("records")?,
                    "digest": b.text("digest")?, "previous_signature": b.text("previous_signature")?, "signature": b.text("signature")?,
                    "key_id": b.text("key_id")?, "sealed_at": b.int("sealed_at")?, "record_hashes": b.text("record_hashes")?}, "records": recs});
                line(&mut f, &v).map_err(io)?;
            }
            f.flush().map_err(io)?;
            f.get_ref().sync_all().map_err(io)?;
            drop(f);
            std::fs::rename(&part, out).map_err(io)?;
            sync_dir(out);
            Ok(records)
        }
        .await;
        let records = match written {
            Ok(n) => n,
            Err(e) => {
                let _ = std::fs::remove_file(&part);
                return Err(e);
            }
        };
        let sha = HEXLOWER.encode(&sha.finalize());
        let moved: Result<()> = async {
            let mut tx = db.begin().await?;
            // Another node archiving the same batches at the same moment: the first to commit
            // has them, the other finds them gone and gives up.
            let gone = q("DELETE FROM lgsp_batches WHERE seq >= $1 AND seq <= $2").bind(from_batch).bind(to_batch).execute(&mut tx).await?;
            if gone != (to_batch - from_batch + 1) as u64 {
                tx.rollback().await?;
                return Err(Error::conflict(format!("batches {from_batch}–{to_batch} were archived meanwhile (by another node?)")));
            }
            // By number first (the table's own order), then by the batch each record names.
            q("DELETE FROM lgsp_messages WHERE seq >= $1 AND seq <= $2 AND batch_seq >= $3 AND batch_seq <= $4")
                .bind(first.int("from_seq")?)
                .bind(last.int("to_seq")?)
                .bind(from_batch)
                .bind(to_batch)
                .execute(&mut tx)
                .await?;
            q("INSERT INTO lgsp_archives (id, from_batch, to_batch, last_to_seq, last_signature, file, sha256, archived_at, records, node)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(kernel::id::new_id())
            .bind(from_batch)
            .bind(to_batch)
            .bind(last.int("to_seq")?)
            .bind(last.text("signature")?)
            .bind(out.display().to_string())
            .bind(sha.as_str())
            .bind(kernel::time::now_ms())
            .bind(records)
            .bind(node_name())
            .execute(&mut tx)
            .await?;
            tx.commit().await?;
            Ok(())
        }
        .await;
        if let Err(e) = moved {
            // The file goes unless another node, archiving the same batches into the same
            // shared directory, has recorded it as its own.
            if !matches!(recorded(db, out).await, Ok(true)) {
                let _ = std::fs::remove_file(out);
            }
            return Err(e);
        }
        Ok(Archived { from_batch, to_batch, batches: to_batch - from_batch + 1, records, file: out.display().to_string(), sha256: sha })
    }
}

/// Whether the file at `out` is an archive of exactly these batches that no archive record
/// names: what a run stopped between writing the file and committing leaves behind, while the
/// batches stay in the database. Any other file is never replaced.
async fn leftover(db: &Db, out: &std::path::Path, from_batch: i64, to_batch: i64) -> Result<bool> {
    use std::io::{BufRead, Read};
    let Ok(file) = std::fs::File::open(out) else { return Ok(false) };
    let mut first = String::new();
    if std::io::BufReader::new(file.take(64 * 1024)).read_line(&mut first).is_err() {
        return Ok(false);
    }
    let Ok(header) = serde_json::from_str::<Value>(&first) else { return Ok(false) };
    let same = header["format"] == "tinhso-lgsp-archive/1"
        && header["from_batch"].as_i64() == Some(from_batch)
        && header["to_batch"].as_i64() == Some(to_batch);
    if !same {
        return Ok(false);
    }
    Ok(!recorded(db, out).await?)
}

/// How long a `.part` file may go unwritten before it counts as left by a run that stopped.
/// A run writing one touches it with every batch; a run on another node sharing the directory
/// may be writing the same archive's, so a fresh one is never removed.
const STALE_PART: std::time::Duration = std::time::Duration::from_secs(600);

/// Removes the partial files of `out`'s archive (`{name}.part-…` beside it) that have not been
/// written for [`STALE_PART`]: what a run that stopped while writing leaves.
fn remove_stale_parts(out: &std::path::Path) {
    let Some(name) = out.file_name() else { return };
    let prefix = format!("{}.part-", name.to_string_lossy());
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        if !e.file_name().to_string_lossy().starts_with(&prefix) {
            continue;
        }
        let idle = e.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
        if idle.is_some_and(|d| d >= STALE_PART) && std::fs::remove_file(e.path()).is_ok() {
            tracing::warn!(file = %e.path().display(), "removed a partial archive file a stopped run left behind");
        }
    }
}

/// Whether an archive record names the file at `out`.
async fn recorded(db: &Db, out: &std::path::Path) -> Result<bool> {
    Ok(q("SELECT 1 FROM lgsp_archives WHERE file = $1").bind(out.display().to_string()).fetch_optional(db).await?.is_some())
}

/// Syncs the directory holding `path`, so that a rename into it survives a crash.
fn sync_dir(path: &std::path::Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
}

/// Checks an archive file alone: every batch's signature and chain link from the archive's
/// first previous signature, every record against the hash its batch signed.
pub fn verify_archive(text: &str, trusted: &[Vec<u8>]) -> Verification {
    let mut out = Verification::default();
    let keys: Vec<(String, &Vec<u8>)> = trusted.iter().map(|k| (key_id(k), k)).collect();
    let mut lines = text.lines();
    let header: Value = match lines.next().map(serde_json::from_str) {
        Some(Ok(h)) => h,
        _ => {
            out.problems.push("not a message log archive (no header line)".into());
            return out;
        }
    };
    let mut previous = header["previous_signature"].as_str().unwrap_or_default().to_owned();
    let mut expected: Option<i64> = None;
    for (n, line) in lines.enumerate() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            out.problems.push(format!("line {}: not JSON", n + 2));
            continue;
        };
        let b = &v["batch"];
        let (seq, from, to, records) = (
            b["seq"].as_i64().unwrap_or(-1),
            b["from_seq"].as_i64().unwrap_or(-1),
            b["to_seq"].as_i64().unwrap_or(-1),
            b["records"].as_i64().unwrap_or(-1),
        );
        let s = |k: &str| b[k].as_str().unwrap_or_default().to_owned();
        out.batches += 1;
        if expected.is_some_and(|e| e != seq) {
            out.problems.push(format!("batch {seq}: out of order"));
        }
        expected = Some(seq + 1);
        let sealed = Sealed {
            seq,
            from,
            to,
            records,
            digest: s("digest"),
            previous: s("previous_signature"),
            signature: s("signature"),
            key_id: s("key_id"),
            hashes: s("record_hashes"),
        };
        check_batch(&mut out.problems, &keys, &sealed, &previous);
        let list = sealed.hashes;
        previous = sealed.signature;
        let hashes: Vec<&str> = if list.is_empty() { vec![] } else { list.split(',').collect() };
        let recs = v["records"].as_array().cloned().unwrap_or_default();
        if recs.len() != hashes.len() {
            out.problems.push(format!("batch {seq}: {} records for {} signed", recs.len(), hashes.len()));
        }
        for r in &recs {
            let body = |k: &str| r[k].as_str().and_then(|t| BASE64.decode(t.as_bytes()).ok());
            let t = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
            let i = |k: &str| r[k].as_i64().unwrap_or(0);
            let n = i("seq");
            let x = Exchange {
                request_id: t("request_id"),
                at: i("at"),
                client: t("client"),
                service: t("service"),
                method: t("method"),
                path: t("path"),
                status: i("status"),
                error: r["error"].as_str().map(str::to_owned),
                request_hash: t("request_hash"),
                response_hash: t("response_hash"),
                request_bytes: i("request_bytes"),
                response_bytes: i("response_bytes"),
                duration_ms: i("duration_ms"),
                user_id: r["user_id"].as_str().map(str::to_owned),
                request_body: body("request_body"),
                response_body: body("response_body"),
            };
            out.sealed_records += 1;
            let want = usize::try_from(n - from).ok().and_then(|k| hashes.get(k)).copied().unwrap_or("");
            if hash_of(n, &x) != want {
                out.problems.push(format!("record {n}: edited in the archive (batch {seq})"));
            }
        }
    }
    out
}
