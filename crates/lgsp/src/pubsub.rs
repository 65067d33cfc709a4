//! Publish/subscribe on the GovStack Information Mediator paths, under the publishing
//! subsystem (the "room") `/r1/{INSTANCE}/{CLASS}/{MEMBER}/{SUBSYSTEM}/`:
//! - `GET|POST api/v1/eventType`: the room's event types (the room creates them);
//! - `POST pub/v1/{eventType}`: the room publishes an event (any JSON);
//! - `GET|POST api/v1/subs`, `DELETE api/v1/subs/{eventType}`: a client's subscriptions, by
//!   push (a webhook URL) or pull;
//! - `GET pull/v1/{eventType}`, `DELETE pull/v1/{eventType}/{eventId}`: pull and acknowledge;
//! - `GET api/v1/events/{eventId}`: the delivery status of an event, for the room.
//!
//! The event and one delivery per subscription are written in one transaction. Push
//! deliveries are leased by workers (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so nodes
//! share them), retried with exponential backoff, dead after ten failures. Delivery is at
//! least once; every event has an id for subscribers to deduplicate. A delivery's status is
//! `pending`, `delivered`, `dead`, or `cancelled` (its subscription ended first); a subscription
//! ended and started again begins anew.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use kernel::db::{Backend, q};
use kernel::{Error, Result};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Lgsp;
use crate::model::SubsystemId;
use crate::registry::Subsystem;

/// Failures after which a push delivery is given up (dead letter).
const MAX_ATTEMPTS: i64 = 10;
/// The `next_at` of deliveries never pushed: those of pull subscriptions (the subscriber
/// takes them). The push worker's look-up of due deliveries then reads only due push
/// deliveries, however many wait for a puller. (Those of ended subscriptions are cancelled.)
const NEVER: i64 = i64::MAX;
/// Push deliveries posted at once by one worker.
const IN_FLIGHT: usize = 16;

/// A push's outcome: event, subscription, attempts before it, why it failed (None: delivered),
/// when it ended.
type Outcome = (String, String, i64, Option<String>, i64);

/// `($2, $3), ($4, $5), ...`: `n` pairs of parameters after the first.
fn pairs(n: usize) -> String {
    (0..n).map(|i| format!("(${}, ${})", 2 * i + 2, 2 * i + 3)).collect::<Vec<_>>().join(", ")
}

fn backoff_ms(attempts: i64) -> i64 {
    (2_000i64 << attempts.clamp(0, 11)).min(3_600_000)
}

fn ok(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn refuse(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Response {
    let mut r = (status, axum::Json(json!({"type": kind, "message": message.into(), "detail": ""}))).into_response();
    r.headers_mut().insert("x-road-error", HeaderValue::from_static(kind));
    r
}

fn from_error(e: Error) -> Response {
    match e {
        Error::Invalid(v) => refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Client.InvalidRequest",
            v.into_iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; "),
        ),
        // What is missing, by how this module words it: an event type, a subscription, an event.
        Error::NotFound(m) => {
            let kind = if m.starts_with("đăng ký") {
                "Server.ServerProxy.UnknownSubscription"
            } else if m.starts_with("sự kiện") {
                "Server.ServerProxy.UnknownEvent"
            } else {
                "Server.ServerProxy.UnknownEventType"
            };
            refuse(StatusCode::NOT_FOUND, kind, m)
        }
        Error::Conflict(m) => refuse(StatusCode::CONFLICT, "Client.Conflict", m),
        Error::Forbidden(m) => refuse(StatusCode::FORBIDDEN, "Server.ServerProxy.AccessDenied", m),
        e => refuse(StatusCode::INTERNAL_SERVER_ERROR, "Server.ServerProxy.InternalError", e.to_string()),
    }
}

#[derive(Deserialize)]
struct EventTypeInput {
    #[serde(rename = "eventType", alias = "event_type")]
    event_type: String,
    description: Option<String>,
    /// Subsystems allowed to subscribe; absent or empty: every registered subsystem.
    #[serde(default, rename = "allowedClients", alias = "allowed_clients")]
    allowed_clients: Vec<String>,
}

#[derive(Deserialize)]
struct SubscriptionInput {
    #[serde(rename = "eventType", alias = "event_type")]
    event_type: String,
    /// `push` (default when a URL is given) or `pull`.
    mode: Option<String>,
    #[serde(rename = "pushUrl", alias = "push_url")]
    push_url: Option<String>,
}

/// Whether a URL names a link-local address (IPv4 169.254.0.0/16, IPv6 fe80::/10).
fn link_local(u: &reqwest::Url) -> bool {
    let host = u.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(a)) => a.is_link_local(),
        Ok(std::net::IpAddr::V6(a)) => a.is_unicast_link_local() || a.to_ipv4_mapped().is_some_and(|v4| v4.is_link_local()),
        Err(_) => false,
    }
}

/// A request under one of the pub/sub prefixes: `api`, `pub` or `pull` as the "service", the
/// rest of the path after it. Returns None when the path is not a pub/sub path.
pub(crate) async fn handle(
    l: &Lgsp,
    room: &SubsystemId,
    prefix: &str,
    rest: &str,
    method: &str,
    caller: &Subsystem,
    body: &[u8],
) -> Option<Response> {
    let parts: Vec<&str> = rest.trim_start_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    if parts.first() != Some(&"v1") {
        return None;
    }
    let room_sub = match l.subsystem(room).await {
        Ok(Some(s)) => s,
        Ok(None) => return Some(refuse(StatusCode::NOT_FOUND, "Server.ServerProxy.UnknownMember", format!("không có phân hệ {room}"))),
        Err(e) => return Some(from_error(e)),
    };
    let owner = room_sub.id == caller.id;
    let r = match (prefix, method, &parts[1..]) {
        ("api", "GET", ["eventType"]) => l.event_types(&room_sub).await.map(|v| ok(StatusCode::OK, json!({"eventTypes": v}))),
        ("api", "POST", ["eventType"]) if owner => match serde_json::from_slice::<EventTypeInput>(body) {
            Ok(i) => l.create_event_type(&room_sub, &i).await.map(|v| ok(StatusCode::CREATED, v)),
            Err(e) => Err(Error::invalid("body", e.to_string())),
        },
        ("pub", "POST", [event_type]) if owner => match serde_json::from_slice::<Value>(body) {
            Ok(payload) => l
                .publish(&room_sub, event_type, &caller.xid.text(), &payload)
                .await
                .map(|id| ok(StatusCode::ACCEPTED, json!({"eventId": id}))),
            Err(e) => Err(Error::invalid("body", format!("cần JSON (JSON is required): {e}"))),
        },
        ("api", "POST", ["eventType"]) | ("pub", "POST", [_]) | ("api", "GET", ["events", _]) if !owner => {
            Err(Error::Forbidden("chỉ phân hệ chủ của phòng sự kiện (only the room's own subsystem)".into()))
        }
        ("api", "GET", ["subs"]) => l.subscriptions_of(&room_sub, caller).await.map(|v| ok(StatusCode::OK, json!({"subscriptions": v}))),
        ("api", "POST", ["subs"]) => match serde_json::from_slice::<SubscriptionInput>(body) {
            Ok(i) => l.subscribe(&room_sub, caller, &i).await.map(|v| ok(StatusCode::CREATED, v)),
            Err(e) => Err(Error::invalid("body", e.to_string())),
        },
        ("api", "DELETE", ["subs", event_type]) => {
            l.unsubscribe(&room_sub, caller, event_type).await.map(|_| StatusCode::NO_CONTENT.into_response())
        }
        ("api", "GET", ["events", event_id]) if owner => l.delivery_status(&room_sub, event_id).await.map(|v| ok(StatusCode::OK, v)),
        ("pull", "GET", [event_type]) => l.pull(&room_sub, caller, event_type, 100).await.map(|v| ok(StatusCode::OK, json!({"events": v}))),
        ("pull", "DELETE" | "POST", [event_type, event_id]) => {
            l.acknowledge(&room_sub, caller, event_type, event_id).await.map(|_| StatusCode::NO_CONTENT.into_response())
        }
        _ => {
            // A pub/sub path asked with another method: 405 with the methods it takes.
            let allow = match (prefix, &parts[1..]) {
                ("api", ["eventType" | "subs"]) => Some("GET, POST"),
                ("api", ["subs", _]) => Some("DELETE"),
                ("api", ["events", _]) | ("pull", [_]) => Some("GET"),
                ("pub", [_]) => Some("POST"),
                ("pull", [_, _]) => Some("DELETE, POST"),
                _ => None,
            };
            return Some(match allow {
                Some(methods) => {
                    let mut r = refuse(
                        StatusCode::METHOD_NOT_ALLOWED,
                        "Client.MethodNotAllowed",
                        format!("đường dẫn này nhận {methods} (this path takes {methods})"),
                    );
                    r.headers_mut().insert(axum::http::header::ALLOW, HeaderValue::from_static(methods));
                    r
                }
                None => {
                    refuse(StatusCode::BAD_REQUEST, "Client.InvalidRequestPath", "không có đường dẫn pub/sub này (no such pub/sub path)")
                }
            });
        }
    };
    Some(r.unwrap_or_else(from_error))
}

impl Lgsp {
    async fn event_type_id(&self, room: &Subsystem, code: &str) -> Result<(String, String)> {
        let r = q("SELECT id, allowed_clients FROM lgsp_event_types WHERE room_id = $1 AND code = $2")
            .bind(room.id.as_str())
            .bind(code)
            .fetch_optional(&self.db)
            .await?
            .ok_or_else(|| Error::not_found(format!("loại sự kiện {code}")))?;
        Ok((r.text("id")?, r.text("allowed_clients")?))
    }

    async fn event_types(&self, room: &Subsystem) -> Result<Vec<Value>> {
        q("SELECT code, description FROM lgsp_event_types WHERE room_id = $1 ORDER BY code")
            .bind(room.id.as_str())
            .fetch_all(&self.db)
            .await?
            .iter()
            .map(|r| Ok(json!({"eventType": r.text("code")?, "description": r.opt_text("description")?})))
            .collect()
    }

    async fn create_event_type(&self, room: &Subsystem, i: &EventTypeInput) -> Result<Value> {
        if !crate::model::part_ok(&i.event_type) {
            return Err(Error::invalid("eventType", "bắt buộc; không chứa / \\ ; % : (required)"));
        }
        for c in &i.allowed_clients {
            if SubsystemId::parse(c).is_none() {
                return Err(Error::invalid("allowedClients", format!("«{c}»: INSTANCE/CLASS/MEMBER/SUBSYSTEM")));
            }
        }
        let r =
            q("INSERT INTO lgsp_event_types (id, room_id, code, description, allowed_clients, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(kernel::id::new_id())
                .bind(room.id.as_str())
                .bind(i.event_type.as_str())
                .bind(i.description.clone())
                .bind(i.allowed_clients.join("\n"))
                .bind(kernel::time::now_ms())
                .execute(&self.db)
                .await;
        match r {
            Err(e) if e.is_unique_violation() => Err(Error::conflict(format!("loại sự kiện {} đã có (exists)", i.event_type))),
            Err(e) => Err(e),
            Ok(_) => Ok(json!({"eventType": i.event_type, "description": i.description})),
        }
    }

    /// Publishes an event of the room: the event and a delivery for every active subscription,
    /// in one transaction. Returns the event id.
    pub async fn publish(&self, room: &Subsystem, event_type: &str, publisher: &str, payload: &Value) -> Result<String> {
        let (type_id, _) = self.event_type_id(room, event_type).await?;
        let id = kernel::id::new_id();
        let now = kernel::time::now_ms();
        let mut tx = self.db.begin().await?;
        q("INSERT INTO lgsp_events (id, event_type_id, published_at, publisher, payload) VALUES ($1, $2, $3, $4, $5)")
            .bind(id.as_str())
            .bind(type_id.as_str())
            .bind(now)
            .bind(publisher)
            .bind(payload.to_string())
            .execute(&mut tx)
            .await?;
        let deliveries = q("INSERT INTO lgsp_deliveries (event_id, subscription_id, status, attempts, next_at, mode)
           SELECT $1, s.id, 'pending', 0, CASE WHEN s.mode = 'push' THEN $2 ELSE $4 END, s.mode FROM lgsp_subscriptions s WHERE s.event_type_id = $3 AND s.active
           RETURNING next_at")
        .bind(id.as_str())
        .bind(now)
        .bind(type_id.as_str())
        .bind(NEVER)
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        // With something to push, this node's push worker need not wait for its next look.
        if deliveries.iter().any(|d| d.int("next_at").is_ok_and(|n| n < NEVER)) {
            self.pushes.notify_one();
        }
        Ok(id)
    }

    async fn subscribe(&self, room: &Subsystem, caller: &Subsystem, i: &SubscriptionInput) -> Result<Value> {
        let (type_id, allowed) = self.event_type_id(room, &i.event_type).await?;
        let me = caller.xid.text();
        if !allowed.trim().is_empty() && !allowed.lines().any(|c| SubsystemId::parse(c).map(|x| x.text()) == Some(me.clone())) {
            return Err(Error::Forbidden(format!("{me} không được đăng ký nhận {} (not allowed to subscribe)", i.event_type)));
        }
        let mode = i.mode.clone().unwrap_or_else(|| if i.push_url.is_some() { "push".into() } else { "pull".into() });
        match mode.as_str() {
            "push" => match i.push_url.as_deref().map(reqwest::Url::parse) {
                // The platform posts there itself: not to the machine's link-local addresses
                // (where clouds answer with the machine's credentials), nor with credentials.
                Some(Ok(u)) if link_local(&u) || !u.username().is_empty() || u.password().is_some() => {
                    return Err(Error::invalid(
                        "pushUrl",
                        "không nhận địa chỉ link-local (169.254.0.0/16, fe80::/10) hay có tên, mật khẩu (no link-local address, no user or password)",
                    ));
                }
                Some(Ok(u)) if matches!(u.scheme(), "http" | "https") => {}
                _ => {
                    return Err(Error::invalid("pushUrl", "cần địa chỉ http(s) đầy đủ cho push (a full http(s) URL is required for push)"));
                }
            },
            "pull" => {}
            _ => return Err(Error::invalid("mode", "push hoặc pull")),
        }
        let push_url = if mode == "push" { i.push_url.clone() } else { None };
        let now = kernel::time::now_ms();
        let mut tx = self.db.begin().await?;
        // A subscription ended before starts again from now, as given: anything of its earlier
        // time still pending (published as it ended) is cancelled.
        let ended = q("SELECT id FROM lgsp_subscriptions WHERE event_type_id = $1 AND subscriber_id = $2 AND NOT active")
            .bind(type_id.as_str())
            .bind(caller.id.as_str())
            .fetch_optional(&mut tx)
            .await?;
        let r = match ended {
            Some(row) => {
                let id = row.text("id")?;
                q("UPDATE lgsp_deliveries SET status = 'cancelled' WHERE subscription_id = $1 AND status = 'pending'")
                    .bind(id.as_str())
                    .execute(&mut tx)
                    .await?;
                // Only while still ended: of two requests at once, the second is told it is
                // subscribed already.
                match q("UPDATE lgsp_subscriptions SET mode = $2, push_url = $3, active = TRUE, created_at = $4 WHERE id = $1 AND NOT active")
                    .bind(id.as_str())
                    .bind(mode.as_str())
                    .bind(push_url)
                    .bind(now)
                    .execute(&mut tx)
                    .await
                {
                    Ok(0) => return Err(Error::conflict("đã đăng ký loại sự kiện này (already subscribed)")),
                    r => r,
                }
            }
            None => {
                q("INSERT INTO lgsp_subscriptions (id, event_type_id, subscriber_id, mode, push_url, active, created_at) VALUES ($1, $2, $3, $4, $5, TRUE, $6)")
                    .bind(kernel::id::new_id())
                    .bind(type_id.as_str())
                    .bind(caller.id.as_str())
                    .bind(mode.as_str())
                    .bind(push_url)
                    .bind(now)
                    .execute(&mut tx)
                    .await
            }
        };
        match r {
            Err(e) if e.is_unique_violation() => Err(Error::conflict("đã đăng ký loại sự kiện này (already subscribed)")),
            Err(e) => Err(e),
            Ok(_) => {
                tx.commit().await?;
                Ok(json!({"eventType": i.event_type, "mode": mode, "pushUrl": i.push_url}))
            }
        }
    }

    async fn subscriptions_of(&self, room: &Subsystem, caller: &Subsystem) -> Result<Vec<Value>> {
        q("SELECT t.code, s.mode, s.push_url FROM lgsp_subscriptions s JOIN lgsp_event_types t ON t.id = s.event_type_id
           WHERE t.room_id = $1 AND s.subscriber_id = $2 AND s.active ORDER BY t.code")
        .bind(room.id.as_str())
        .bind(caller.id.as_str())
        .fetch_all(&self.db)
        .await?
        .iter()
        .map(|r| Ok(json!({"eventType": r.text("code")?, "mode": r.text("mode")?, "pushUrl": r.opt_text("push_url")?})))
        .collect()
    }

    async fn unsubscribe(&self, room: &Subsystem, caller: &Subsystem, event_type: &str) -> Result<()> {
        let (type_id, _) = self.event_type_id(room, event_type).await?;
        let mut tx = self.db.begin().await?;
        // What it had not received yet is cancelled: no longer attempted nor offered.
        q("UPDATE lgsp_deliveries SET status = 'cancelled' WHERE status = 'pending' AND subscription_id IN
           (SELECT id FROM lgsp_subscriptions WHERE event_type_id = $1 AND subscriber_id = $2 AND active)")
        .bind(type_id.as_str())
        .bind(caller.id.as_str())
        .execute(&mut tx)
        .await?;
        let n = q("UPDATE lgsp_subscriptions SET active = FALSE WHERE event_type_id = $1 AND subscriber_id = $2 AND active")
            .bind(type_id.as_str())
            .bind(caller.id.as_str())
            .execute(&mut tx)
            .await?;
        if n == 0 {
            return Err(Error::not_found(format!("đăng ký {event_type}")));
        }
        tx.commit().await?;
        Ok(())
    }

    async fn pull_subscription(&self, room: &Subsystem, caller: &Subsystem, event_type: &str) -> Result<String> {
        let (type_id, _) = self.event_type_id(room, event_type).await?;
        q("SELECT id FROM lgsp_subscriptions WHERE event_type_id = $1 AND subscriber_id = $2 AND active AND mode = 'pull'")
            .bind(type_id.as_str())
            .bind(caller.id.as_str())
            .fetch_optional(&self.db)
            .await?
            .map(|r| r.text("id"))
            .transpose()?
            .ok_or_else(|| Error::not_found(format!("đăng ký nhận (pull) {event_type}")))
    }

    /// The caller's events not acknowledged yet, oldest first.
    async fn pull(&self, room: &Subsystem, caller: &Subsystem, event_type: &str, limit: i64) -> Result<Vec<Value>> {
        let sub = self.pull_subscription(room, caller, event_type).await?;
        q("SELECT e.id, e.published_at, e.publisher, e.payload FROM lgsp_deliveries d JOIN lgsp_events e ON e.id = d.event_id
           WHERE d.subscription_id = $1 AND d.status = 'pending' ORDER BY d.event_id LIMIT $2")
        .bind(sub.as_str())
        .bind(limit)
        .fetch_all(&self.db)
        .await?
        .iter()
        .map(|r| {
            Ok(json!({"eventId": r.text("id")?, "eventType": event_type, "publishedAt": r.int("published_at")?,
                      "publisher": r.text("publisher")?, "payload": serde_json::from_str::<Value>(&r.text("payload")?).unwrap_or(Value::Null)}))
        })
        .collect()
    }

    async fn acknowledge(&self, room: &Subsystem, caller: &Subsystem, event_type: &str, event_id: &str) -> Result<()> {
        let sub = self.pull_subscription(room, caller, event_type).await?;
        let n = q("UPDATE lgsp_deliveries SET status = 'delivered', delivered_at = $3 WHERE subscription_id = $1 AND event_id = $2 AND status = 'pending'")
            .bind(sub.as_str())
            .bind(event_id)
            .bind(kernel::time::now_ms())
            .execute(&self.db)
            .await?;
        if n == 0 { Err(Error::not_found(format!("sự kiện chờ nhận {event_id}"))) } else { Ok(()) }
    }

    async fn delivery_status(&self, room: &Subsystem, event_id: &str) -> Result<Value> {
        let rows = q(
            "SELECT m.instance, m.member_class, m.code AS member_code, sb.code, COALESCE(d.mode, s.mode) AS mode, d.status, d.attempts, d.last_error, d.delivered_at
                      FROM lgsp_deliveries d JOIN lgsp_events e ON e.id = d.event_id JOIN lgsp_event_types t ON t.id = e.event_type_id
                      JOIN lgsp_subscriptions s ON s.id = d.subscription_id JOIN lgsp_subsystems sb ON sb.id = s.subscriber_id
                      JOIN lgsp_members m ON m.id = sb.member_id
                      WHERE d.event_id = $1 AND t.room_id = $2",
        )
        .bind(event_id)
        .bind(room.id.as_str())
        .fetch_all(&self.db)
        .await?;
        let deliveries = rows
            .iter()
            .map(|r| {
                Ok(json!({
                    "subscriber": format!("{}/{}/{}/{}", r.text("instance")?, r.text("member_class")?, r.text("member_code")?, r.text("code")?),
                    "mode": r.text("mode")?, "status": r.text("status")?, "attempts": r.int("attempts")?,
                    "lastError": r.opt_text("last_error")?, "deliveredAt": r.opt_int("delivered_at")?,
                }))
            })
            .collect::<Result<Vec<_>>>()?;
        if deliveries.is_empty() {
            let known = q(
                "SELECT COUNT(*) FROM lgsp_events e JOIN lgsp_event_types t ON t.id = e.event_type_id WHERE e.id = $1 AND t.room_id = $2",
            )
            .bind(event_id)
            .bind(room.id.as_str())
            .fetch_i64(&self.db)
            .await?;
            if known == 0 {
                return Err(Error::not_found(format!("sự kiện {event_id}")));
            }
        }
        Ok(json!({"eventId": event_id, "deliveries": deliveries}))
    }

    /// Pushes the due push deliveries (up to `limit`), the longest due first among those no
    /// other node holds: each is leased for a minute, posted to the subscriber's URL
    /// ([`IN_FLIGHT`] at once), then marked delivered, rescheduled with backoff, or dead
    /// ([`Lgsp::write_outcomes`]). Returns how many were attempted.
    pub async fn push_due(&self, limit: i64) -> Result<usize> {
        let now = kernel::time::now_ms();
        // Leased until then; an outcome is written only while the lease holds (the delivery
        // still pending with this `next_at`): one that took longer, or a subscription ended
        // meanwhile, leaves the row to whoever holds it now.
        let lease = now + 60_000;
        let mut tx = self.db.begin().await?;
        let lock = if tx.backend() == Backend::Postgres { " FOR UPDATE OF d SKIP LOCKED" } else { "" };
        let due = q(format!(
            "SELECT d.event_id, d.subscription_id, d.attempts, s.push_url, t.code AS event_type, e.published_at, e.publisher, e.payload,
                    m.instance, m.member_class, m.code AS member_code, sb.code AS room_code
             FROM lgsp_deliveries d JOIN lgsp_subscriptions s ON s.id = d.subscription_id JOIN lgsp_events e ON e.id = d.event_id
             JOIN lgsp_event_types t ON t.id = e.event_type_id JOIN lgsp_subsystems sb ON sb.id = t.room_id JOIN lgsp_members m ON m.id = sb.member_id
             WHERE d.status = 'pending' AND d.next_at <= $1 AND s.mode = 'push' AND s.active ORDER BY d.next_at LIMIT $2{lock}"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(&mut tx)
        .await?;
        if !due.is_empty() {
            let mut lease =
                q(format!("UPDATE lgsp_deliveries SET next_at = $1 WHERE (event_id, subscription_id) IN ({})", pairs(due.len())))
                    .bind(now + 60_000);
            for r in &due {
                lease = lease.bind(r.text("event_id")?).bind(r.text("subscription_id")?);
            }
            lease.execute(&mut tx).await?;
        }
        if (due.len() as i64) < limit {
            // Caught up, so the due range is short: deliveries due though never to be pushed
            // (a publication that raced an unsubscription, a node not yet upgraded) are set
            // aside, so that later look-ups do not read them again.
            q("UPDATE lgsp_deliveries SET next_at = $2 WHERE status = 'pending' AND next_at <= $1 AND subscription_id IN
               (SELECT id FROM lgsp_subscriptions WHERE mode = 'pull' OR NOT active)")
            .bind(now)
            .bind(NEVER)
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await?;
        let mut posts = Vec::with_capacity(due.len());
        for r in &due {
            let room = SubsystemId {
                instance: r.text("instance")?,
                member_class: r.text("member_class")?,
                member: r.text("member_code")?,
                subsystem: r.text("room_code")?,
            };
            let (event_id, event_type) = (r.text("event_id")?, r.text("event_type")?);
            let body = json!({"eventId": event_id, "eventType": event_type, "room": room.text(), "publishedAt": r.int("published_at")?,
                              "publisher": r.text("publisher")?, "payload": serde_json::from_str::<Value>(&r.text("payload")?).unwrap_or(Value::Null)});
            let post = self
                .http
                .post(r.opt_text("push_url")?.unwrap_or_default())
                .header("x-road-client", room.encoded())
                .header("event-id", event_id.as_str())
                .header("event-type", event_type.as_str())
                .json(&body)
                .timeout(std::time::Duration::from_secs(10));
            let (sub_id, attempts) = (r.text("subscription_id")?, r.int("attempts")?);
            posts.push(async move {
                let failure = match post.send().await {
                    Ok(resp) if resp.status().is_success() => None,
                    Ok(resp) => Some(format!("the subscriber answered {}", resp.status())),
                    Err(e) => Some(format!("the subscriber could not be reached: {}", e.without_url())),
                };
                (event_id, sub_id, attempts, failure, kernel::time::now_ms())
            });
        }
        let outcomes: Vec<_> = futures_util::stream::iter(posts).buffer_unordered(IN_FLIGHT).collect().await;
        // The outcomes are written together; a write that fails is tried again (a posted
        // delivery whose outcome is lost is posted again when its lease runs out).
        let mut tries = 0;
        while let Err(e) = self.write_outcomes(&outcomes, lease).await {
            tries += 1;
            if tries == 3 {
                return Err(e);
            }
            tracing::warn!(error = %e, "writing push outcomes failed; trying again");
            tokio::time::sleep(std::time::Duration::from_millis(200 * tries)).await;
        }
        Ok(outcomes.len())
    }

    /// Marks the delivered ones delivered (one statement; the time the last answered) and
    /// reschedules or buries the failed ones, in one transaction, each only while `lease` holds.
    async fn write_outcomes(&self, outcomes: &[Outcome], lease: i64) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let delivered: Vec<_> = outcomes.iter().filter(|o| o.3.is_none()).collect();
        if let Some(last) = delivered.iter().map(|o| o.4).max() {
            let mut done = q(format!(
                "UPDATE lgsp_deliveries SET status = 'delivered', delivered_at = $1, attempts = attempts + 1
                 WHERE (event_id, subscription_id) IN ({}) AND status = 'pending' AND next_at = ${}",
                pairs(delivered.len()),
                2 * delivered.len() + 2
            ))
            .bind(last);
            for (event_id, sub_id, ..) in &delivered {
                done = done.bind(event_id.as_str()).bind(sub_id.as_str());
            }
            done.bind(lease).execute(&mut tx).await?;
        }
        for (event_id, sub_id, attempts, failure, done_at) in outcomes {
            let Some(why) = failure else { continue };
            let attempts = attempts + 1;
            let status = if attempts >= MAX_ATTEMPTS { "dead" } else { "pending" };
            q("UPDATE lgsp_deliveries SET status = $3, attempts = $4, next_at = $5, last_error = $6
               WHERE event_id = $1 AND subscription_id = $2 AND status = 'pending' AND next_at = $7")
            .bind(event_id.as_str())
            .bind(sub_id.as_str())
            .bind(status)
            .bind(attempts)
            .bind(done_at + backoff_ms(attempts - 1))
            .bind(why.as_str())
            .bind(lease)
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await
    }

    /// Resolves when this node published an event since it last resolved (the push worker's
    /// cue to look without waiting for its next round).
    pub async fn published(&self) {
        self.pushes.notified().await
    }
}
