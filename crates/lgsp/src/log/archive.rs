//! Retention: sealed batches with their records moved to a JSON Lines archive file, and the
//! check of such a file alone.

use super::*;

/// What an archive run did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Archived {
    pub batches: i64,
    pub records: i64,
    pub file: String,
    pub sha256: String,
}

fn b64(b: &Option<Vec<u8>>) -> Value {
    b.as_ref().map(|b| Value::String(BASE64.encode(b))).unwrap_or(Value::Null)
}

/// Moves the sealed batches sealed before `before_ms` (oldest first, in order) with their
/// records into a JSON Lines file at `out`, written and synced before they leave the database;
/// the chain then goes on from the last archived signature. The file can be checked alone
/// with [`verify_archive`]. Returns None when nothing is old enough.
pub async fn archive(db: &Db, key: &SealKey, before_ms: i64, out: &std::path::Path) -> Result<Option<Archived>> {
    use std::io::Write;
    let mut batches = q("SELECT seq, from_seq, to_seq, records, digest, previous_signature, signature, key_id, sealed_at, record_hashes
                         FROM lgsp_batches WHERE sealed_at < $1 ORDER BY seq")
    .bind(before_ms)
    .fetch_all(db)
    .await?;
    // Only the unbroken run from the oldest: nodes' clocks differ, so a batch sealed later by
    // one node's clock can sit between two sealed earlier by another's.
    let younger = q("SELECT seq FROM lgsp_batches WHERE sealed_at >= $1 ORDER BY seq LIMIT 1").bind(before_ms).fetch_optional(db).await?;
    if let Some(y) = younger {
        let y = y.int("seq")?;
        batches.retain(|b| b.int("seq").is_ok_and(|s| s < y));
    }
    let Some(first) = batches.first() else { return Ok(None) };
    let last = &batches[batches.len() - 1];
    if out.exists() {
        return Err(Error::conflict(format!("{} already exists", out.display())));
    }
    let mut f = std::fs::File::create_new(out).map_err(|e| Error::internal(format!("{}: {e}", out.display())))?;
    let header = serde_json::json!({"format": "tinhso-lgsp-archive/1", "from_batch": first.int("seq")?, "to_batch": last.int("seq")?,
        "previous_signature": first.text("previous_signature")?, "public_key": BASE64.encode(&key.public())});
    let mut records = 0;
    let mut text = header.to_string();
    text.push('\n');
    for b in &batches {
        let seq = b.int("seq")?;
        let rows = q(format!("SELECT {COLS} FROM lgsp_messages WHERE batch_seq = $1 ORDER BY seq")).bind(seq).fetch_all(db).await?;
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
        let line = serde_json::json!({"batch": {"seq": seq, "from_seq": b.int("from_seq")?, "to_seq": b.int("to_seq")?, "records": b.int("records")?,
            "digest": b.text("digest")?, "previous_signature": b.text("previous_signature")?, "signature": b.text("signature")?,
            "key_id": b.text("key_id")?, "sealed_at": b.int("sealed_at")?, "record_hashes": b.text("record_hashes")?}, "records": recs});
        text.push_str(&line.to_string());
        text.push('\n');
    }
    f.write_all(text.as_bytes()).and_then(|_| f.sync_all()).map_err(|e| Error::internal(format!("{}: {e}", out.display())))?;
    let sha = HEXLOWER.encode(&Sha256::digest(text.as_bytes()));
    let (from_batch, to_batch) = (first.int("seq")?, last.int("seq")?);
    let mut tx = db.begin().await?;
    q("INSERT INTO lgsp_archives (id, from_batch, to_batch, last_to_seq, last_signature, file, sha256, archived_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(kernel::id::new_id())
        .bind(from_batch)
        .bind(to_batch)
        .bind(last.int("to_seq")?)
        .bind(last.text("signature")?)
        .bind(out.display().to_string())
        .bind(sha.as_str())
        .bind(kernel::time::now_ms())
        .execute(&mut tx)
        .await?;
    q("DELETE FROM lgsp_messages WHERE batch_seq >= $1 AND batch_seq <= $2").bind(from_batch).bind(to_batch).execute(&mut tx).await?;
    q("DELETE FROM lgsp_batches WHERE seq >= $1 AND seq <= $2").bind(from_batch).bind(to_batch).execute(&mut tx).await?;
    tx.commit().await?;
    Ok(Some(Archived { batches: to_batch - from_batch + 1, records, file: out.display().to_string(), sha256: sha }))
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
