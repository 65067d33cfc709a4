//! Apologies for late dossiers (thư xin lỗi, hẹn lại): proposed with a new appointment date
//! before the due date, taking effect when the agency's leader approves.

use kernel::authz::{Permission, Principal};
use kernel::db::q;
use kernel::{Error, Result};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::actions::{date_of, need_text};
use super::{Onestop, conflict_state, stale};
use crate::model::{Action, Dossier, deadline};
use crate::store;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ApologyInput {
    pub version: i64,
    pub reason: String,
    /// The new appointment date, `YYYY-MM-DD`.
    pub new_due_on: String,
}

/// An apology proposed or decided.
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct Apology {
    pub id: String,
    pub reason: String,
    pub new_due_on: String,
    /// proposed or approved.
    pub status: String,
    pub proposed_at: i64,
}

impl Onestop {
    /// Proposes an apology with a new appointment date; it must come before the due date and
    /// takes effect when the agency's leader approves it.
    pub async fn propose_apology(&self, p: &Principal, id: &str, a: &ApologyInput) -> Result<String> {
        need_text("reason", &a.reason)?;
        let new_due = kernel::time::parse_date(&a.new_due_on)
            .ok_or_else(|| Error::invalid("new_due_on", "ngày dạng YYYY-MM-DD (a YYYY-MM-DD date)"))?;
        let (mut tx, d) = self.begin(id, Some(a.version)).await?;
        self.visible_or_404(p, &d).await?;
        if !(p.allows(Permission::DossierProcess, Some(&d.agency_id))
            || p.allows(Permission::DossierReceive, Some(&d.agency_id))
            || p.allows(Permission::DossierApprove, Some(&d.agency_id)))
        {
            return Err(Error::Forbidden("không có quyền với hồ sơ của cơ quan này (not allowed for this agency's dossiers)".into()));
        }
        if !Action::Apology.allowed(d.d.status) {
            return Err(conflict_state(&d.d, "xin lỗi, hẹn lại"));
        }
        let due = date_of(&d.d.due_on).ok_or_else(|| Error::conflict("hồ sơ chưa có ngày hẹn (no appointment date yet)"))?;
        let (today, _) = deadline::local(self.now());
        if today > due {
            return Err(Error::conflict("thư xin lỗi phải gửi trước ngày hẹn trả (the apology must come before the due date)"));
        }
        if new_due <= due {
            return Err(Error::invalid("new_due_on", "ngày hẹn mới phải sau ngày hẹn cũ (the new date must be after the old one)"));
        }
        // Nothing else writes here: check that the dossier read is still the current one.
        tx.hold().await?;
        let current = q("SELECT COUNT(*) FROM dossiers WHERE id = $1 AND version = $2")
            .bind(d.d.id.as_str())
            .bind(d.d.version)
            .fetch_i64(&mut tx)
            .await?;
        if current != 1 {
            return Err(stale());
        }
        let aid = kernel::id::new_id();
        q("INSERT INTO apologies (id, dossier_id, reason, new_due_on, proposed_by, proposed_at, status) VALUES ($1, $2, $3, $4, $5, $6, 'proposed')")
            .bind(aid.as_str())
            .bind(d.d.id.as_str())
            .bind(a.reason.trim())
            .bind(kernel::time::date_text(new_due))
            .bind(p.id.as_str())
            .bind(self.now())
            .execute(&mut tx)
            .await?;
        store::append(
            &mut tx,
            &d.d.id,
            self.now(),
            (&p.id, &p.name),
            "apology_proposed",
            Some(d.d.status),
            None,
            d.d.current_step.as_deref(),
            Some(&a.reason),
            json!({"apology": aid, "new_due_on": a.new_due_on}),
        )
        .await?;
        tx.commit().await?;
        Ok(aid)
    }

    /// The leader approves an apology: the appointment date moves and the applicant is told.
    pub async fn approve_apology(&self, p: &Principal, apology_id: &str) -> Result<Dossier> {
        super::retry_stale(|| self.approve_apology_once(p, apology_id)).await
    }

    async fn approve_apology_once(&self, p: &Principal, apology_id: &str) -> Result<Dossier> {
        let row = q("SELECT dossier_id, reason, new_due_on, status FROM apologies WHERE id = $1")
            .bind(apology_id)
            .fetch_optional(&self.db)
            .await?;
        let row = row.ok_or_else(|| Error::not_found(format!("thư xin lỗi {apology_id}")))?;
        let (mut tx, mut d) = self.begin(&row.text("dossier_id")?, None).await?;
        self.visible_or_404(p, &d).await?;
        self.must(p, Permission::DossierApprove, &d)?;
        if row.text("status")? != "proposed" {
            return Err(Error::conflict("thư xin lỗi đã được xử lý (already decided)"));
        }
        if !Action::Apology.allowed(d.d.status) {
            return Err(conflict_state(&d.d, "xin lỗi, hẹn lại"));
        }
        let due = date_of(&d.d.due_on).ok_or_else(|| Error::conflict("no appointment date"))?;
        let (today, _) = deadline::local(self.now());
        if today > due {
            return Err(Error::conflict(
                "đã quá ngày hẹn: thư xin lỗi phải được duyệt trước ngày hẹn trả (past the due date: the apology had to be approved before it)",
            ));
        }
        let now = self.now();
        q("UPDATE apologies SET status = 'approved', decided_by = $2, decided_at = $3 WHERE id = $1 AND status = 'proposed'")
            .bind(apology_id)
            .bind(p.id.as_str())
            .bind(now)
            .execute(&mut tx)
            .await?;
        let reason = row.text("reason")?;
        let new_due = row.text("new_due_on")?;
        d.d.due_on = Some(new_due.clone());
        d.d.apology_count += 1;
        d.clear_deadline_flags();
        let from = d.d.status;
        self.save(&mut tx, &d).await?;
        store::append(
            &mut tx,
            &d.d.id,
            now,
            (&p.id, &p.name),
            "apology_approved",
            Some(from),
            None,
            d.d.current_step.as_deref(),
            Some(&reason),
            json!({"apology": apology_id, "new_due_on": new_due}),
        )
        .await?;
        let fresh = store::load(&mut tx, &d.d.id, false).await?.ok_or_else(|| Error::internal("dossier vanished"))?;
        let note = format!("Xin lỗi vì chậm trả kết quả: {reason}. Ngày hẹn mới: {new_due}.");
        self.status_event(&mut tx, &fresh.d, Some(&note)).await?;
        tx.commit().await?;
        Ok(fresh.d)
    }

    /// The apologies of a dossier, newest first.
    pub async fn apologies(&self, p: &Principal, dossier_id: &str) -> Result<Vec<Apology>> {
        let d = self.dossier(p, dossier_id).await?;
        q("SELECT id, reason, new_due_on, status, proposed_at FROM apologies WHERE dossier_id = $1 ORDER BY proposed_at DESC")
            .bind(d.d.id.as_str())
            .fetch_all(&self.db)
            .await?
            .iter()
            .map(|r| {
                Ok(Apology {
                    id: r.text("id")?,
                    reason: r.text("reason")?,
                    new_due_on: r.text("new_due_on")?,
                    status: r.text("status")?,
                    proposed_at: r.int("proposed_at")?,
                })
            })
            .collect()
    }
}
