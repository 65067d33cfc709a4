//! The message log: one record per exchange (metadata, body hashes, bodies when the service
//! asks), numbered without gaps, sealed in batches. A batch lists the hash of each of its
//! records, hashes that list, and is signed (Ed25519) over its number, range, digest and the
//! previous batch's signature, so the chain breaks where anything was edited, inserted or
//! deleted, and `verify` names the records.

use data_encoding::{BASE64, HEXLOWER};
use kernel::Error;
use kernel::Result;
use kernel::db::{Db, Row, Tx, q};
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// One exchange as the gateway saw it.
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    pub request_id: String,
    pub at: i64,
    pub client: String,
    pub service: String,
    pub method: String,
    pub path: String,
    pub status: i64,
    pub error: Option<String>,
    pub request_hash: String,
    pub response_hash: String,
    pub request_bytes: i64,
    pub response_bytes: i64,
    pub duration_ms: i64,
    pub user_id: Option<String>,
    pub request_body: Option<Vec<u8>>,
    pub response_body: Option<Vec<u8>>,
}

/// Writes the record of an exchange with the next number of the log, not sealed yet (the
/// sealing job or the next sealed write seals it).
pub async fn record(db: &Db, x: &Exchange) -> Result<i64> {
    let mut tx = db.begin().await?;
    let last = reserve(&mut tx, 1).await?;
    insert(&mut tx, last, std::slice::from_ref(x), None).await?;
    tx.commit().await?;
    Ok(last)
}

/// Writes records in one transaction and seals them there as one batch chained to the last
/// (records left unsealed before them are sealed first, so batches stay in the records' order).
/// Returns the last record number.
pub async fn record_sealed(db: &Db, key: &SealKey, xs: &[Exchange]) -> Result<i64> {
    if xs.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    let n = xs.len() as i64;
    let last = reserve(&mut tx, n).await?;
    while seal_in(&mut tx, key, 10_000, Some(last - n)).await?.is_some() {}
    let (batch, previous) = chain_end(&mut tx).await?;
    let first = last - n + 1;
    let hashes: Vec<String> = xs.iter().zip(first..).map(|(x, seq)| hash_of(seq, x)).collect();
    insert(&mut tx, last, xs, Some(batch)).await?;
    insert_batch(&mut tx, key, batch, first, last, hashes, previous).await?;
    tx.commit().await?;
    Ok(last)
}

/// Reserves `n` numbers of the log's counter and returns the last. Holding the counter's row
/// until the transaction ends is what puts the writers of several nodes in one order.
async fn reserve(tx: &mut Tx, n: i64) -> Result<i64> {
    q("INSERT INTO counters (scope, key, value) VALUES ('lgsp', 'message-log', $1)
       ON CONFLICT (scope, key) DO UPDATE SET value = counters.value + $1 RETURNING value")
    .bind(n)
    .fetch_i64(tx)
    .await
}

const COLS: &str = "seq, request_id, at, client, service, method, path, status, error, request_hash, response_hash, request_bytes, response_bytes, duration_ms, user_id, request_body, response_body, batch_seq";

/// A stored record: its number, the exchange, the batch that sealed it.
fn record_of(r: &Row) -> Result<(i64, Exchange, Option<i64>)> {
    Ok((
        r.int("seq")?,
        Exchange {
            request_id: r.text("request_id")?,
            at: r.int("at")?,
            client: r.text("client")?,
            service: r.text("service")?,
            method: r.text("method")?,
            path: r.text("path")?,
            status: r.int("status")?,
            error: r.opt_text("error")?,
            request_hash: r.text("request_hash")?,
            response_hash: r.text("response_hash")?,
            request_bytes: r.int("request_bytes")?,
            response_bytes: r.int("response_bytes")?,
            duration_ms: r.int("duration_ms")?,
            user_id: r.opt_text("user_id")?,
            request_body: r.get("request_body")?,
            response_body: r.get("response_body")?,
        },
        r.opt_int("batch_seq")?,
    ))
}

fn record_hash(r: &Row) -> Result<String> {
    let (seq, x, _) = record_of(r)?;
    Ok(hash_of(seq, &x))
}

fn signed_text(seq: i64, from: i64, to: i64, records: i64, digest: &str, previous: &str) -> String {
    format!("tinhso-lgsp-batch|{seq}|{from}|{to}|{records}|{digest}|{previous}")
}

/// The platform's signing key and its short id (first 16 hex digits of the public key's SHA-256).
pub struct SealKey {
    pub pair: Ed25519KeyPair,
    pub id: String,
}

impl SealKey {
    /// Loads the PKCS#8 key at `path`, creating it (readable by the owner only) when missing.
    pub fn load_or_create(path: &std::path::Path) -> anyhow::Result<SealKey> {
        let der = match std::fs::read(path) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let doc = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).map_err(|_| anyhow::anyhow!("no randomness"))?;
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                write_private(path, doc.as_ref())?;
                doc.as_ref().to_vec()
            }
            Err(e) => return Err(e.into()),
        };
        let pair = Ed25519KeyPair::from_pkcs8(&der).map_err(|e| anyhow::anyhow!("{}: not an Ed25519 PKCS#8 key ({e})", path.display()))?;
        let id = key_id(pair.public_key().as_ref());
        Ok(SealKey { pair, id })
    }

    pub fn public(&self) -> Vec<u8> {
        self.pair.public_key().as_ref().to_vec()
    }
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

pub fn key_id(public: &[u8]) -> String {
    HEXLOWER.encode(&Sha256::digest(public))[..16].to_owned()
}

/// Seals the records not yet in a batch (at most `limit`). Returns the batch number, if any.
pub async fn seal(db: &Db, key: &SealKey, limit: i64) -> Result<Option<i64>> {
    // The writer seals what it writes: usually there is nothing to do, and no need to write.
    if q("SELECT seq FROM lgsp_messages WHERE batch_seq IS NULL LIMIT 1").fetch_optional(db).await?.is_none() {
        return Ok(None);
    }
    let mut tx = db.begin().await?;
    // Holding the counter's row orders this batch with the ones writers seal.
    q("UPDATE counters SET value = value WHERE scope = 'lgsp' AND key = 'message-log'").execute(&mut tx).await?;
    let sealed = seal_in(&mut tx, key, limit, None).await?;
    tx.commit().await?;
    Ok(sealed)
}

/// Seals up to `limit` unsealed records (numbered up to `up_to` when given) inside `tx`.
async fn seal_in(tx: &mut Tx, key: &SealKey, limit: i64, up_to: Option<i64>) -> Result<Option<i64>> {
    let rows = q(format!("SELECT {COLS} FROM lgsp_messages WHERE batch_seq IS NULL AND seq <= $1 ORDER BY seq LIMIT $2"))
        .bind(up_to.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let (seq, previous) = chain_end(tx).await?;
    let hashes: Vec<String> = rows.iter().map(record_hash).collect::<Result<_>>()?;
    let (from, to) = (rows[0].int("seq")?, rows[rows.len() - 1].int("seq")?);
    insert_batch(tx, key, seq, from, to, hashes, previous).await?;
    let marked = q("UPDATE lgsp_messages SET batch_seq = $1 WHERE batch_seq IS NULL AND seq >= $2 AND seq <= $3")
        .bind(seq)
        .bind(from)
        .bind(to)
        .execute(&mut *tx)
        .await?;
    // Another sealer (one that does not hold the counter row) got there first: undo this batch.
    if marked != rows.len() as u64 {
        return Err(Error::conflict(format!("records {from}..{to} were sealed meanwhile; batch {seq} not made")));
    }
    Ok(Some(seq))
}

/// The number the next batch takes and the signature it chains to.
async fn chain_end(tx: &mut Tx) -> Result<(i64, String)> {
    let last = q("SELECT seq, signature FROM lgsp_batches ORDER BY seq DESC LIMIT 1").fetch_optional(&mut *tx).await?;
    Ok(match last {
        Some(r) => (r.int("seq")? + 1, r.text("signature")?),
        // Every earlier batch may have gone to an archive: the chain goes on from there.
        None => {
            match q("SELECT to_batch, last_signature FROM lgsp_archives ORDER BY to_batch DESC LIMIT 1").fetch_optional(&mut *tx).await? {
                Some(a) => (a.int("to_batch")? + 1, a.text("last_signature")?),
                None => (1, String::new()),
            }
        }
    })
}

/// Signs and stores batch `seq` over the records `from..=to` with these hashes.
async fn insert_batch(tx: &mut Tx, key: &SealKey, seq: i64, from: i64, to: i64, hashes: Vec<String>, previous: String) -> Result<()> {
    let records = hashes.len() as i64;
    let list = hashes.join(",");
    let digest = HEXLOWER.encode(&Sha256::digest(list.as_bytes()));
    let signature = BASE64.encode(key.pair.sign(signed_text(seq, from, to, records, &digest, &previous).as_bytes()).as_ref());
    q("INSERT INTO lgsp_batches (seq, from_seq, to_seq, records, digest, previous_signature, signature, key_id, sealed_at, record_hashes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
    .bind(seq)
    .bind(from)
    .bind(to)
    .bind(records)
    .bind(digest)
    .bind(previous)
    .bind(signature)
    .bind(key.id.as_str())
    .bind(kernel::time::now_ms())
    .bind(list)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A batch as stored or archived.
struct Sealed {
    seq: i64,
    from: i64,
    to: i64,
    records: i64,
    digest: String,
    previous: String,
    signature: String,
    key_id: String,
    hashes: String,
}

/// What a batch shows by itself: whether it follows `previous` (the signature before it), is
/// signed by one of the trusted `keys` (id, public key), and its digest covers its hash list.
fn check_batch(problems: &mut Vec<String>, keys: &[(String, &Vec<u8>)], b: &Sealed, previous: &str) {
    let seq = b.seq;
    if b.previous != previous {
        problems.push(format!("batch {seq}: does not follow the previous batch (chain broken)"));
    }
    let text = signed_text(seq, b.from, b.to, b.records, &b.digest, &b.previous);
    let good = keys.iter().filter(|k| k.0 == b.key_id).any(|k| {
        BASE64.decode(b.signature.as_bytes()).is_ok_and(|s| UnparsedPublicKey::new(&ED25519, k.1).verify(text.as_bytes(), &s).is_ok())
    });
    if !good {
        problems.push(format!("batch {seq}: signature invalid or by an untrusted key ({})", b.key_id));
    }
    if HEXLOWER.encode(&Sha256::digest(b.hashes.as_bytes())) != b.digest {
        problems.push(format!("batch {seq}: its list of record hashes was changed"));
    }
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Verification {
    pub batches: i64,
    pub sealed_records: i64,
    pub unsealed_records: i64,
    /// Every problem found, naming the batch or record; empty when the log is whole.
    pub problems: Vec<String>,
}

/// Checks the whole log against the trusted public keys: the chain of batches and their
/// signatures, each record against the hash its batch signed, numbering without gaps.
pub async fn verify(db: &Db, trusted: &[Vec<u8>]) -> Result<Verification> {
    let mut out = Verification::default();
    let batches = q("SELECT seq, from_seq, to_seq, records, digest, previous_signature, signature, key_id, record_hashes FROM lgsp_batches ORDER BY seq")
        .fetch_all(db)
        .await?;
    let keys: Vec<(String, &Vec<u8>)> = trusted.iter().map(|k| (key_id(k), k)).collect();
    // After archiving, the chain goes on from the last archived batch.
    let archived =
        q("SELECT to_batch, last_to_seq, last_signature FROM lgsp_archives ORDER BY to_batch DESC LIMIT 1").fetch_optional(db).await?;
    let (mut previous, mut expected_from, mut expected_batch) = match archived {
        Some(a) => (a.text("last_signature")?, Some(a.int("last_to_seq")? + 1), a.int("to_batch")? + 1),
        None => (String::new(), None::<i64>, 1),
    };
    let mut ranges = Vec::with_capacity(batches.len());
    for b in &batches {
        let (seq, from, to, records) = (b.int("seq")?, b.int("from_seq")?, b.int("to_seq")?, b.int("records")?);
        out.batches += 1;
        if seq != expected_batch {
            out.problems.push(format!("batch {expected_batch}..{} is missing", seq - 1));
        }
        expected_batch = seq + 1;
        let sealed = Sealed {
            seq,
            from,
            to,
            records,
            digest: b.text("digest")?,
            previous: b.text("previous_signature")?,
            signature: b.text("signature")?,
            key_id: b.text("key_id")?,
            hashes: b.text("record_hashes")?,
        };
        check_batch(&mut out.problems, &keys, &sealed, &previous);
        previous = sealed.signature;
        if let Some(f) = expected_from
            && from != f
        {
            out.problems.push(format!("records {f}..{} are in no batch (deleted?)", from - 1));
        }
        expected_from = Some(to + 1);
        let signed: Vec<String> = if sealed.hashes.is_empty() { vec![] } else { sealed.hashes.split(',').map(str::to_owned).collect() };
        if signed.len() as i64 != records || to - from + 1 != records {
            out.problems.push(format!("batch {seq}: record count does not match its range"));
        }
        let present = vec![false; usize::try_from(to - from + 1).unwrap_or(0)];
        ranges.push(Range { seq, from, to, signed, present });
    }
    ranges.sort_by_key(|r| (r.from, r.seq));
    // Then every record once, in order, against the batch whose range holds it: a walk through
    // the table by its key, a chunk at a time, however long the log. The log as it stood when
    // the check began: records written since are left for the next check.
    let last = q("SELECT MAX(seq) AS s FROM lgsp_messages").fetch_one(db).await?.opt_int("s")?.unwrap_or(0);
    let sealed_to = ranges.iter().map(|r| r.to).max().unwrap_or(i64::MIN);
    let mut walk = Walk { ranges, at: 0, tail_next: expected_from, last_batch: expected_batch - 1, sealed_to };
    let mut after = i64::MIN;
    loop {
        let rows = q(format!("SELECT {COLS} FROM lgsp_messages WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT {VERIFY_CHUNK}"))
            .bind(after)
            .bind(last)
            .fetch_all(db)
            .await?;
        for r in &rows {
            after = r.int("seq")?;
            walk.record(&mut out, r)?;
        }
        if rows.len() < VERIFY_CHUNK {
            break;
        }
    }
    walk.finish(&mut out, i64::MAX);
    Ok(out)
}

/// Records read at a time when the whole log is checked.
const VERIFY_CHUNK: usize = 2_000;

/// A sealed batch's range while the log is checked: the hashes it signed, and which of its
/// records were found.
struct Range {
    seq: i64,
    from: i64,
    to: i64,
    signed: Vec<String>,
    present: Vec<bool>,
}

/// The check of every record in number order against the batches' ranges.
struct Walk {
    ranges: Vec<Range>,
    /// The first range not yet left behind.
    at: usize,
    /// The number the next unsealed record must have, after the last batch.
    tail_next: Option<i64>,
    /// The last batch read, and the last record number any batch read covers: a record past
    /// them that names a later batch was sealed while the check ran.
    last_batch: i64,
    sealed_to: i64,
}

impl Walk {
    fn record(&mut self, out: &mut Verification, r: &Row) -> Result<()> {
        let s = r.int("seq")?;
        self.finish(out, s);
        let claimed = r.opt_int("batch_seq")?;
        match (self.ranges.get_mut(self.at).filter(|g| g.from <= s), claimed) {
            (Some(g), Some(c)) if c == g.seq => {
                out.sealed_records += 1;
                let k = (s - g.from) as usize;
                if let Some(p) = g.present.get_mut(k) {
                    *p = true;
                }
                let want = g.signed.get(k).map(String::as_str).unwrap_or("");
                if record_hash(r)? != want {
                    out.problems.push(format!("record {s}: edited after it was sealed in batch {}", g.seq));
                }
            }
            (Some(g), _) => out.problems.push(format!("record {s}: inserted (not part of batch {} as signed)", g.seq)),
            (None, Some(c)) if c > self.last_batch && s > self.sealed_to => {}
            (None, Some(c)) => out.problems.push(format!("record {s}: inserted (not part of batch {c} as signed)")),
            // The tail not sealed yet: numbered on from the last batch, without gaps.
            (None, None) => {
                out.unsealed_records += 1;
                match self.tail_next {
                    Some(n) if s < n => {
                        out.problems.push(format!("record {s}: inserted among sealed records"));
                        return Ok(());
                    }
                    Some(n) if s > n => out.problems.push(format!("records {n}..{} are missing from the unsealed tail", s - 1)),
                    _ => {}
                }
                self.tail_next = Some(s + 1);
            }
        }
        Ok(())
    }

    /// Leaves behind the ranges that end before record `s`, naming the records they miss.
    fn finish(&mut self, out: &mut Verification, s: i64) {
        while let Some(g) = self.ranges.get(self.at).filter(|g| g.to < s) {
            for (k, found) in g.present.iter().enumerate() {
                if !found {
                    out.problems.push(format!("record {}: deleted from batch {}", g.from + k as i64, g.seq));
                }
            }
            self.at += 1;
        }
    }
}

/// One exchange's evidence: its record, the batch that sealed it with the signature, the
/// position of the record's hash in the signed list, and the public key to check it with.
pub async fn evidence(db: &Db, request_id: &str, key: &SealKey) -> Result<serde_json::Value> {
    // A request id is a UUID v7 that names the moment its record's `at` holds: the log's time
    // index finds the record among a few. Records written before `at` was taken from the id,
    // or under an id of another kind, are looked for in the whole log.
    let at = kernel::id::made_at_ms(request_id);
    let found = match at {
        Some(at) => {
            q(format!("SELECT {COLS} FROM lgsp_messages WHERE at = $1 AND request_id = $2"))
                .bind(at)
                .bind(request_id)
                .fetch_optional(db)
                .await?
        }
        None => None,
    };
    let r = match found {
        Some(r) => r,
        None => q(format!("SELECT {COLS} FROM lgsp_messages WHERE request_id = $1"))
            .bind(request_id)
            .fetch_optional(db)
            .await?
            .ok_or_else(|| kernel::Error::not_found(format!("trao đổi {request_id}")))?,
    };
    let hash = record_hash(&r)?;
    let record = serde_json::json!({
        "seq": r.int("seq")?, "request_id": r.text("request_id")?, "at": r.int("at")?, "client": r.text("client")?,
        "service": r.text("service")?, "method": r.text("method")?, "path": r.text("path")?, "status": r.int("status")?,
        "error": r.opt_text("error")?, "request_hash": r.text("request_hash")?, "response_hash": r.text("response_hash")?,
        "request_bytes": r.int("request_bytes")?, "response_bytes": r.int("response_bytes")?, "duration_ms": r.int("duration_ms")?,
        "user_id": r.opt_text("user_id")?, "record_hash": hash,
    });
    let Some(batch_seq) = r.opt_int("batch_seq")? else {
        return Ok(serde_json::json!({"record": record, "sealed": false}));
    };
    let b = q("SELECT seq, from_seq, to_seq, records, digest, previous_signature, signature, key_id, sealed_at, record_hashes FROM lgsp_batches WHERE seq = $1")
        .bind(batch_seq)
        .fetch_one(db)
        .await?;
    Ok(serde_json::json!({
        "record": record,
        "sealed": true,
        "batch": {
            "seq": b.int("seq")?, "from_seq": b.int("from_seq")?, "to_seq": b.int("to_seq")?, "records": b.int("records")?,
            "digest": b.text("digest")?, "previous_signature": b.text("previous_signature")?, "signature": b.text("signature")?,
            "key_id": b.text("key_id")?, "sealed_at": b.int("sealed_at")?,
            "record_hashes": b.text("record_hashes")?.split(',').collect::<Vec<_>>(),
            "signed_text": signed_text(b.int("seq")?, b.int("from_seq")?, b.int("to_seq")?, b.int("records")?, &b.text("digest")?, &b.text("previous_signature")?),
        },
        "algorithm": "record_hash = lowercase hex SHA-256 of the compact JSON array [seq, request_id, at, client, service, method, path, status, error, request_hash, response_hash, request_bytes, response_bytes, duration_ms, user_id, hex SHA-256 of the request body or \"\", hex SHA-256 of the response body or \"\"] (no spaces; strings JSON-escaped, non-ASCII as UTF-8; null for a missing error or user_id); digest = SHA-256 of the record hashes joined by commas; Ed25519 over signed_text",
        "public_key": BASE64.encode(&key.public()),
    }))
}

mod archive;
mod hashed;
mod insert;
pub mod journal;
pub use archive::{ArchiveFile, ArchivePlan, Archived, archive, archive_into, archives, verify_archive};
use hashed::hash_of;
use insert::insert;
