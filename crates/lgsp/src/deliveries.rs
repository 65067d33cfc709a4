//! Pub/sub as the platform's operators see it (`/admin/lgsp/events`): every room's event types
//! with their subscriptions, each with what waits for it (pending deliveries, the oldest one's
//! publication) and what was given up (dead letters), and the dead letters themselves, which an
//! administrator may send again once the subscriber is mended.

use kernel::authz::{Permission, Principal};
use kernel::db::q;
use kernel::{Error, Result};

use crate::Lgsp;

/// One subscription of an event type (or the event type alone, when nobody subscribes).
pub struct Subscription {
    pub room: String,
    pub event_type: String,
    pub description: Option<String>,
    /// None: the event type has no subscription.
    pub subscriber: Option<String>,
    pub mode: String,
    pub push_url: Option<String>,
    pub active: bool,
    pub pending: i64,
    pub dead: i64,
    /// When the oldest event still waiting for it was published.
    pub oldest_pending: Option<i64>,
}

/// A push delivery given up after its last failure.
pub struct DeadLetter {
    pub event_id: String,
    pub subscription_id: String,
    pub event_type: String,
    pub subscriber: String,
    pub published_at: i64,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// Whether it may be sent again: its subscription is still a push subscription.
    pub redeliverable: bool,
}

fn xid(r: &kernel::db::Row, prefix: &str) -> Result<String> {
    let part = |c: &str| r.text(&format!("{prefix}_{c}"));
    Ok(format!("{}/{}/{}/{}", part("instance")?, part("class")?, part("member")?, part("code")?))
}

fn admin(p: &Principal) -> Result<()> {
    if p.allows(Permission::CatalogManage, None) {
        Ok(())
    } else {
        Err(Error::Forbidden("cần quyền quản trị LGSP (LGSP administration rights are required)".into()))
    }
}

impl Lgsp {
    /// Every event type of every room, with each of its subscriptions (ended ones too) and the
    /// deliveries waiting for or given up by each.
    pub async fn subscriptions(&self, p: &Principal) -> Result<Vec<Subscription>> {
        admin(p)?;
        let rows = q("SELECT t.code AS event_type, t.description,
                    rm.instance AS r_instance, rm.member_class AS r_class, rm.code AS r_member, rs.code AS r_code,
                    sm.instance AS s_instance, sm.member_class AS s_class, sm.code AS s_member, ss.code AS s_code,
                    s.id AS sub_id, s.mode, s.push_url, CAST(CASE WHEN s.active THEN 1 ELSE 0 END AS BIGINT) AS active,
                    SUM(CASE WHEN d.status = 'pending' THEN 1 ELSE 0 END) AS pending,
                    SUM(CASE WHEN d.status = 'dead' THEN 1 ELSE 0 END) AS dead,
                    MIN(CASE WHEN d.status = 'pending' THEN e.published_at END) AS oldest
             FROM lgsp_event_types t
             JOIN lgsp_subsystems rs ON rs.id = t.room_id JOIN lgsp_members rm ON rm.id = rs.member_id
             LEFT JOIN lgsp_subscriptions s ON s.event_type_id = t.id
             LEFT JOIN lgsp_subsystems ss ON ss.id = s.subscriber_id LEFT JOIN lgsp_members sm ON sm.id = ss.member_id
             LEFT JOIN lgsp_deliveries d ON d.subscription_id = s.id AND d.status IN ('pending', 'dead')
             LEFT JOIN lgsp_events e ON e.id = d.event_id
             GROUP BY t.id, t.code, t.description, rm.instance, rm.member_class, rm.code, rs.code,
                      sm.instance, sm.member_class, sm.code, ss.code, s.id, s.mode, s.push_url, s.active
             ORDER BY rm.code, rs.code, t.code, sm.code, ss.code")
        .fetch_all(&self.db)
        .await?;
        rows.iter()
            .map(|r| {
                let subscribed = r.opt_text("sub_id")?.is_some();
                Ok(Subscription {
                    room: xid(r, "r")?,
                    event_type: r.text("event_type")?,
                    description: r.opt_text("description")?.filter(|d| !d.is_empty()),
                    subscriber: if subscribed { Some(xid(r, "s")?) } else { None },
                    mode: r.opt_text("mode")?.unwrap_or_default(),
                    push_url: r.opt_text("push_url")?,
                    active: r.opt_int("active")? == Some(1),
                    pending: r.opt_int("pending")?.unwrap_or(0),
                    dead: r.opt_int("dead")?.unwrap_or(0),
                    oldest_pending: r.opt_int("oldest")?,
                })
            })
            .collect()
    }

    /// The latest `limit` dead letters, the newest event first.
    pub async fn dead_letters(&self, p: &Principal, limit: i64) -> Result<Vec<DeadLetter>> {
        admin(p)?;
        let rows = q("SELECT d.event_id, d.subscription_id, d.attempts, d.last_error, e.published_at, t.code AS event_type,
                    sm.instance AS s_instance, sm.member_class AS s_class, sm.code AS s_member, ss.code AS s_code,
                    CAST(CASE WHEN s.active AND s.mode = 'push' THEN 1 ELSE 0 END AS BIGINT) AS redeliverable
             FROM lgsp_deliveries d JOIN lgsp_events e ON e.id = d.event_id JOIN lgsp_event_types t ON t.id = e.event_type_id
             JOIN lgsp_subscriptions s ON s.id = d.subscription_id
             JOIN lgsp_subsystems ss ON ss.id = s.subscriber_id JOIN lgsp_members sm ON sm.id = ss.member_id
             WHERE d.status = 'dead' ORDER BY e.published_at DESC, d.event_id LIMIT $1")
        .bind(limit)
        .fetch_all(&self.db)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DeadLetter {
                    event_id: r.text("event_id")?,
                    subscription_id: r.text("subscription_id")?,
                    event_type: r.text("event_type")?,
                    subscriber: xid(r, "s")?,
                    published_at: r.int("published_at")?,
                    attempts: r.int("attempts")?,
                    last_error: r.opt_text("last_error")?,
                    redeliverable: r.int("redeliverable")? == 1,
                })
            })
            .collect()
    }

    /// Sends a dead letter again: it is pending once more, with its attempts counted afresh,
    /// and due now (this node's push worker is told).
    pub async fn redeliver(&self, p: &Principal, event_id: &str, subscription_id: &str) -> Result<()> {
        admin(p)?;
        let n = q("UPDATE lgsp_deliveries SET status = 'pending', attempts = 0, next_at = $3, last_error = NULL
                   WHERE event_id = $1 AND subscription_id = $2 AND status = 'dead'
                     AND subscription_id IN (SELECT id FROM lgsp_subscriptions WHERE active AND mode = 'push')")
        .bind(event_id)
        .bind(subscription_id)
        .bind(kernel::time::now_ms())
        .execute(&self.db)
        .await?;
        if n == 0 {
            return Err(Error::conflict(
                "không còn là thư chết, hoặc đăng ký đã kết thúc (no longer a dead letter, or its subscription has ended)",
            ));
        }
        tracing::info!(event_id, subscription_id, by = %p.id, "dead letter sent again");
        self.pushes.notify_one();
        Ok(())
    }
}
