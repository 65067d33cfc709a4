//! The outbox: events written in the same transaction as the business change that caused
//! them, delivered at least once to every consumer subscribed to their topic.
//!
//! `publish` stores the event and one delivery row per subscribed consumer (subscriptions are
//! rows in `outbox_consumers`, registered by each node at start-up, so every node fans out the
//! same way). Workers `lease` due deliveries: the lease is the `next_at` instant moved into the
//! future, so a worker that dies simply lets its lease run out and another node takes the row.
//! On PostgreSQL the lease query uses `FOR UPDATE SKIP LOCKED`, so many nodes share the work
//! without waiting on each other. A failed delivery is retried with exponential backoff; after
//! [`MAX_ATTEMPTS`] it is dead-lettered and stays visible until an operator retries it.
//! Consumers must be idempotent by event id: a delivery may be repeated after a crash.

use serde::Serialize;
use serde_json::Value;

use crate::db::{Backend, Db, Ex, Row, Tx, q};
use crate::{Error, Result};

/// Attempts before a delivery is dead-lettered.
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a leased delivery is reserved for its worker.
pub const LEASE_MS: i64 = 60_000;
/// First retry delay; doubled at each attempt, at most [`MAX_BACKOFF_MS`].
pub const BASE_BACKOFF_MS: i64 = 2_000;
pub const MAX_BACKOFF_MS: i64 = 3_600_000;

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: String,
    pub topic: String,
    /// What the event is about (a dossier id, an account id...), for ordering and lookup.
    pub subject: String,
    pub payload: Value,
    pub created_at: i64,
}

/// A delivery handed to a worker.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    pub consumer: String,
    /// 1 on the first try.
    pub attempt: i64,
    pub event: Event,
}

/// Subscribes `consumer` to every topic that starts with `topic_prefix` (idempotent).
pub async fn subscribe(db: &Db, consumer: &str, topic_prefix: &str) -> Result<()> {
    q("INSERT INTO outbox_consumers (consumer, topic_prefix) VALUES ($1, $2) ON CONFLICT (consumer, topic_prefix) DO NOTHING")
        .bind(consumer)
        .bind(topic_prefix)
        .execute(db)
        .await?;
    Ok(())
}

/// Writes an event inside `tx` and a pending delivery for every consumer of its topic.
/// Returns the event id.
pub async fn publish(tx: &mut Tx, topic: &str, subject: &str, payload: &Value) -> Result<String> {
    let id = crate::id::new_id();
    let now = crate::time::now_ms();
    q("INSERT INTO events (id, topic, subject, payload, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(id.as_str())
        .bind(topic)
        .bind(subject)
        .bind(payload.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    // The delivery id is the event id and the consumer: unique and stable, without another
    // UUID per row.
    q("INSERT INTO event_deliveries (id, event_id, consumer, status, attempts, next_at, updated_at)
       SELECT $1 || ':' || consumer, $1, consumer, 'pending', 0, $3, $3 FROM outbox_consumers
       WHERE substr($2, 1, length(topic_prefix)) = topic_prefix
       GROUP BY consumer")
    .bind(id.as_str())
    .bind(topic)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(id)
}

fn event_of(r: &Row) -> Result<Event> {
    let payload: String = r.text("payload")?;
    Ok(Event {
        id: r.text("event_id")?,
        topic: r.text("topic")?,
        subject: r.text("subject")?,
        payload: serde_json::from_str(&payload).map_err(|e| Error::internal(format!("event payload: {e}")))?,
        created_at: r.int("created_at")?,
    })
}

/// Reserves up to `limit` due deliveries of `consumer` for [`LEASE_MS`] and returns them,
/// oldest first.
pub async fn lease(db: &Db, consumer: &str, limit: i64) -> Result<Vec<Delivery>> {
    let now = crate::time::now_ms();
    let lock = match db.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let mut tx = db.begin().await?;
    let ids = q(format!(
        "SELECT id FROM event_deliveries WHERE consumer = $1 AND status = 'pending' AND next_at <= $2
         ORDER BY next_at, id LIMIT $3{lock}"
    ))
    .bind(consumer)
    .bind(now)
    .bind(limit)
    .fetch_all(&mut tx)
    .await?;
    let mut out = Vec::with_capacity(ids.len());
    for r in ids {
        let id = r.text("id")?;
        let row = q("UPDATE event_deliveries SET next_at = $2, attempts = attempts + 1, updated_at = $3
                     WHERE id = $1 AND status = 'pending' AND next_at <= $3
                     RETURNING id, consumer, attempts, event_id")
        .bind(id.as_str())
        .bind(now + LEASE_MS)
        .bind(now)
        .fetch_optional(&mut tx)
        .await?;
        // Another worker took it between the look and the lease (SQLite has no SKIP LOCKED).
        let Some(row) = row else { continue };
        let event_id = row.text("event_id")?;
        let ev = q("SELECT id AS event_id, topic, subject, payload, created_at FROM events WHERE id = $1")
            .bind(event_id.as_str())
            .fetch_one(&mut tx)
            .await?;
        out.push(Delivery { id: row.text("id")?, consumer: row.text("consumer")?, attempt: row.int("attempts")?, event: event_of(&ev)? });
    }
    tx.commit().await?;
    Ok(out)
}

/// Marks a delivery done.
pub async fn done(db: &Db, delivery_id: &str) -> Result<()> {
    q("UPDATE event_deliveries SET status = 'done', last_error = NULL, updated_at = $2 WHERE id = $1")
        .bind(delivery_id)
        .bind(crate::time::now_ms())
        .execute(db)
        .await?;
    Ok(())
}

/// The delay before retry number `attempt + 1`.
pub fn backoff_ms(attempt: i64) -> i64 {
    let shift = (attempt - 1).clamp(0, 30) as u32;
    BASE_BACKOFF_MS.saturating_mul(1i64 << shift).min(MAX_BACKOFF_MS)
}

/// Records a failed attempt: retried later with backoff, or dead-lettered after the last
/// attempt. `permanent` failures (a message that can never be delivered) go straight to dead.
pub async fn failed(db: &Db, d: &Delivery, error: &str, permanent: bool) -> Result<()> {
    let now = crate::time::now_ms();
    let dead = permanent || d.attempt >= MAX_ATTEMPTS;
    let error: String = error.chars().take(1000).collect();
    q("UPDATE event_deliveries SET status = $2, next_at = $3, last_error = $4, updated_at = $5 WHERE id = $1")
        .bind(d.id.as_str())
        .bind(if dead { "dead" } else { "pending" })
        .bind(now + backoff_ms(d.attempt))
        .bind(error)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

/// Puts dead-lettered deliveries of `consumer` back in the queue (all of them, or one).
pub async fn retry_dead(db: &Db, consumer: &str, delivery_id: Option<&str>) -> Result<u64> {
    let now = crate::time::now_ms();
    q("UPDATE event_deliveries SET status = 'pending', attempts = 0, next_at = $3, updated_at = $3
       WHERE consumer = $1 AND status = 'dead' AND ($2 = '' OR id = $2)")
    .bind(consumer)
    .bind(delivery_id.unwrap_or(""))
    .bind(now)
    .execute(db)
    .await
}

/// Counts of deliveries per consumer and status, for monitoring.
#[derive(Debug, Clone, Serialize)]
pub struct QueueStat {
    pub consumer: String,
    pub status: String,
    pub count: i64,
}

pub async fn stats<'e>(ex: impl Into<Ex<'e>>) -> Result<Vec<QueueStat>> {
    q("SELECT consumer, status, COUNT(*) AS n FROM event_deliveries GROUP BY consumer, status ORDER BY consumer, status")
        .long()
        .fetch_all(ex)
        .await?
        .iter()
        .map(|r| Ok(QueueStat { consumer: r.text("consumer")?, status: r.text("status")?, count: r.int("n")? }))
        .collect()
}

/// Events about `subject`, oldest first.
pub async fn events_of<'e>(ex: impl Into<Ex<'e>>, subject: &str) -> Result<Vec<Event>> {
    q("SELECT id AS event_id, topic, subject, payload, created_at FROM events WHERE subject = $1 ORDER BY created_at, id")
        .bind(subject)
        .fetch_all(ex)
        .await?
        .iter()
        .map(event_of)
        .collect()
}

/// What a consumer made of a delivery.
#[derive(Debug)]
pub enum Outcome {
    Done,
    /// Try again later (the receiving system was down, a timeout...).
    Retry(String),
    /// Can never succeed (an address that does not exist...): dead-letter at once.
    Dead(String),
}

pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// A component that receives events.
pub trait Consumer: Send + Sync + 'static {
    /// Stable name: deliveries are kept per consumer name.
    fn name(&self) -> &'static str;
    /// Topic prefixes it receives.
    fn topics(&self) -> Vec<&'static str>;
    fn handle<'a>(&'a self, d: &'a Delivery) -> BoxFuture<'a, Outcome>;
}

/// Delivers `consumer`'s events until `stop` turns true, polling every `poll`.
pub async fn run(db: Db, consumer: std::sync::Arc<dyn Consumer>, mut stop: tokio::sync::watch::Receiver<bool>, poll: std::time::Duration) {
    let name = consumer.name();
    loop {
        let mut busy = false;
        match lease(&db, name, 32).await {
            Ok(batch) => {
                busy = !batch.is_empty();
                for d in batch {
                    let outcome = consumer.handle(&d).await;
                    let written = match &outcome {
                        Outcome::Done => done(&db, &d.id).await,
                        Outcome::Retry(e) => {
                            tracing::warn!(consumer = name, event = %d.event.id, attempt = d.attempt, error = %e, "delivery failed, will retry");
                            failed(&db, &d, e, false).await
                        }
                        Outcome::Dead(e) => {
                            tracing::warn!(consumer = name, event = %d.event.id, error = %e, "delivery dead-lettered");
                            failed(&db, &d, e, true).await
                        }
                    };
                    if let Err(e) = written {
                        tracing::warn!(consumer = name, error = %e, "recording a delivery failed");
                    }
                }
            }
            Err(e) => tracing::warn!(consumer = name, error = %e, "leasing deliveries failed"),
        }
        if busy {
            if *stop.borrow() {
                return;
            }
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = stop.wait_for(|v| *v) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff_ms(1), 2_000);
        assert_eq!(backoff_ms(2), 4_000);
        assert_eq!(backoff_ms(5), 32_000);
        assert_eq!(backoff_ms(40), MAX_BACKOFF_MS);
    }
}
