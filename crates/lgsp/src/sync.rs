//! The one-stop engine's status events on their way to the national portal: each dossier
//! status change (outbox topic `onestop.dossier.status`) is published on the LGSP as a
//! `dossier-status` event of the platform's own room, where the national-portal sync (and
//! any other allowed system) subscribes by push or pull.

use kernel::outbox::{BoxFuture, Consumer, Delivery, Outcome};
use serde_json::json;

use crate::Lgsp;
use crate::model::SubsystemId;

/// The event type the platform's room publishes dossier status changes as.
pub const DOSSIER_STATUS: &str = "dossier-status";

/// Republishes dossier status events into the LGSP room `room`.
pub struct DossierStatusSync {
    pub lgsp: Lgsp,
    pub room: SubsystemId,
}

impl Lgsp {
    /// Makes sure the platform's room exists with its `dossier-status` event type: the member
    /// and subsystem are registered and the event type created when missing.
    pub async fn ensure_room(&self, room: &SubsystemId, name: &str) -> kernel::Result<()> {
        let now = kernel::time::now_ms();
        kernel::db::q(
            "INSERT INTO lgsp_members (id, instance, member_class, code, name, created_at) VALUES ($1, $2, $3, $4, $5, $6)
                       ON CONFLICT (instance, member_class, code) DO NOTHING",
        )
        .bind(kernel::id::new_id())
        .bind(room.instance.as_str())
        .bind(room.member_class.as_str())
        .bind(room.member.as_str())
        .bind(name)
        .bind(now)
        .execute(&self.db)
        .await?;
        let member = kernel::db::q("SELECT id FROM lgsp_members WHERE instance = $1 AND member_class = $2 AND code = $3")
            .bind(room.instance.as_str())
            .bind(room.member_class.as_str())
            .bind(room.member.as_str())
            .fetch_one(&self.db)
            .await?
            .text("id")?;
        kernel::db::q("INSERT INTO lgsp_subsystems (id, member_id, code, name, rate_per_minute, active, created_at) VALUES ($1, $2, $3, $4, 0, TRUE, $5)
                       ON CONFLICT (member_id, code) DO NOTHING")
        .bind(kernel::id::new_id())
        .bind(member.as_str())
        .bind(room.subsystem.as_str())
        .bind("Nền tảng tích hợp (phòng sự kiện của tỉnh)")
        .bind(now)
        .execute(&self.db)
        .await?;
        let sub = self.subsystem(room).await?.ok_or_else(|| kernel::Error::internal("the platform's room was not created"))?;
        kernel::db::q(
            "INSERT INTO lgsp_event_types (id, room_id, code, description, allowed_clients, created_at) VALUES ($1, $2, $3, $4, '', $5)
                       ON CONFLICT (room_id, code) DO NOTHING",
        )
        .bind(kernel::id::new_id())
        .bind(sub.id.as_str())
        .bind(DOSSIER_STATUS)
        .bind("Trạng thái hồ sơ một cửa cho đồng bộ Cổng DVC quốc gia (dossier status for the national portal sync)")
        .bind(now)
        .execute(&self.db)
        .await?;
        self.invalidate();
        Ok(())
    }
}

impl DossierStatusSync {
    async fn forward(&self, d: &Delivery) -> Outcome {
        let room = match self.lgsp.subsystem(&self.room).await {
            Ok(Some(r)) => r,
            Ok(None) => return Outcome::Retry(format!("the platform's room {} is not registered", self.room)),
            Err(e) => return Outcome::Retry(e.to_string()),
        };
        // The outbox event's id goes along, so subscribers can tell a repeat from a new event.
        let payload = json!({"sourceEventId": d.event.id, "dossierId": d.event.subject, "sync": d.event.payload});
        match self.lgsp.publish(&room, DOSSIER_STATUS, &self.room.text(), &payload).await {
            Ok(_) => Outcome::Done,
            Err(kernel::Error::NotFound(m)) => Outcome::Retry(m),
            Err(e) => Outcome::Retry(e.to_string()),
        }
    }
}

impl Consumer for DossierStatusSync {
    fn name(&self) -> &'static str {
        "lgsp-dossier-status"
    }

    fn topics(&self) -> Vec<&'static str> {
        vec!["onestop.dossier.status"]
    }

    fn handle<'a>(&'a self, d: &'a Delivery) -> BoxFuture<'a, Outcome> {
        Box::pin(self.forward(d))
    }
}
