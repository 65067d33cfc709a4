//! How the message log's writer writes what it takes from the journal: in batches, tried again
//! while the database is away, never twice, never dropping a record the database could take.

use std::collections::HashSet;

use kernel::db::{Db, q};

use crate::log::{self, Exchange, SealKey};
use crate::{BATCH_MAX, observe};

/// The request ids among `xs` that the log has already (written by a try whose answer was lost,
/// or by a run killed between its commit and freeing the journal's room).
async fn already_logged(db: &Db, xs: &[Exchange]) -> kernel::Result<HashSet<String>> {
    if xs.is_empty() {
        return Ok(HashSet::new());
    }
    let (from, to) = xs.iter().fold((i64::MAX, i64::MIN), |(a, b), x| (a.min(x.at), b.max(x.at)));
    let mut found = HashSet::new();
    // The log's time index narrows it to the batch's moments; the ids, a few hundred at a time.
    for chunk in xs.chunks(500) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
        let mut query =
            q(format!("SELECT request_id FROM lgsp_messages WHERE at >= $1 AND at <= $2 AND request_id IN ({})", marks.join(", ")))
                .bind(from)
                .bind(to);
        for x in chunk {
            query = query.bind(x.request_id.as_str());
        }
        for r in query.fetch_all(db).await? {
            found.insert(r.text("request_id")?);
        }
    }
    Ok(found)
}

/// Writes and seals records, trying `tries` times a quarter of a second apart. Before each
/// new try, the records a failed try may have written after all (its commit's answer lost) are
/// left out, so none is written twice.
async fn write_with_retries(db: &Db, key: &SealKey, xs: &[Exchange], tries: u32) -> kernel::Result<()> {
    let mut left = tries;
    let mut rest: Option<Vec<Exchange>> = None;
    loop {
        let now = rest.as_deref().unwrap_or(xs);
        if now.is_empty() {
            return Ok(());
        }
        match log::record_sealed(db, key, now).await {
            Ok(_) => return Ok(()),
            Err(e) if left <= 1 => return Err(e),
            Err(_) => {
                left -= 1;
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                if let Ok(there) = already_logged(db, now).await
                    && !there.is_empty()
                {
                    rest = Some(now.iter().filter(|x| !there.contains(&x.request_id)).cloned().collect());
                }
            }
        }
    }
}

/// Writes a batch taken from the journal: false when the records must stay in the journal
/// (the database is unreachable, or takes none of them: read-only, full). When the batch fails
/// but the database takes other records, each is tried alone, so one bad record costs only
/// itself (and is reported).
pub(crate) async fn write_batch(db: &Db, key: &SealKey, xs: &[Exchange]) -> bool {
    if xs.is_empty() || write_with_retries(db, key, xs, 10).await.is_ok() {
        return true;
    }
    if q("SELECT 1").fetch_i64(db).await.is_err() {
        tracing::error!("the LGSP message log cannot reach the database; the records wait in the journal");
        return false;
    }
    let mut failed = Vec::new();
    for x in xs {
        if let Err(e) = write_with_retries(db, key, std::slice::from_ref(x), 3).await {
            failed.push((x, e));
        }
    }
    if failed.len() == xs.len() {
        tracing::error!(records = xs.len(), error = %failed[0].1, "the LGSP message log cannot write to the database; the records wait in the journal");
        return false;
    }
    for (x, e) in failed {
        tracing::error!(error = %e, request_id = %x.request_id, "the LGSP message log could not record an exchange");
    }
    true
}

/// Writes what the journal holds from an earlier run, less the records the log has already
/// (a run killed between its commit and freeing the journal's room). Returns how many it wrote.
pub(crate) async fn replay(db: &Db, key: &SealKey, journal: &log::journal::Journal) -> anyhow::Result<usize> {
    let mut wrote = 0;
    while journal.pending() {
        let mut taken = journal.take(BATCH_MAX);
        let there = already_logged(db, &taken.records).await?;
        taken.records.retain(|x| !there.contains(&x.request_id));
        if !write_batch(db, key, &taken.records).await {
            anyhow::bail!("the LGSP message log's journal holds records the database cannot take now");
        }
        wrote += taken.records.len();
        observe(&taken.records);
        journal.done(taken);
    }
    Ok(wrote)
}
