//! Lifecycle actions: accept, refuse, supplements, payment, withdrawal, stop, return of the
//! result, apologies.

use kernel::authz::{Permission, Principal, Role};
use kernel::codes::{AgencyCode, DossierCode};
use kernel::db::{Tx, q};
use kernel::{Error, Result};
use serde::Deserialize;
use serde_json::json;
use time::Date;
use utoipa::ToSchema;

pub use super::apologies::{Apology, ApologyInput};
use super::{Onestop, conflict_state, holds, stale};
use crate::model::{Action, Dossier, Status, deadline};
use crate::store::{self, DossierRow};

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Versioned {
    /// The dossier's version as last read (optimistic concurrency).
    pub version: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Reasoned {
    pub version: i64,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SupplementRequest {
    pub version: i64,
    /// Everything missing or to correct, in ONE request.
    pub items: Vec<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SupplementInput {
    pub version: i64,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Payment {
    pub version: i64,
    /// VND paid; must cover what is due.
    pub amount: i64,
    /// `counter`, `bank_transfer`, `payment_gateway`, `post`.
    pub method: String,
    /// Receipt or transaction number.
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ReturnInput {
    pub version: i64,
    /// `in_person`, `post` or `electronic` (needs a result file uploaded first).
    pub method: String,
    pub note: Option<String>,
}

pub(super) fn need_text(field: &str, s: &str) -> Result<()> {
    if s.trim().chars().count() < 3 {
        return Err(Error::invalid(field, "cần ghi rõ lý do (give the reason)"));
    }
    Ok(())
}

pub(super) fn date_of(s: &Option<String>) -> Option<Date> {
    s.as_deref().and_then(kernel::time::parse_date)
}

impl Onestop {
    /// Opens a transaction with the dossier read, checks the caller's version. The
    /// transaction is optimistic (see [`kernel::db::Db::begin_optimistic`]): on SQLite the
    /// dossier is read before the write turn is taken, and [`Onestop::save`] refuses to write
    /// over a version other than the one read (a stale dossier: the caller's version is no
    /// longer current, or, when the caller named none, the action is run again).
    pub(crate) async fn begin(&self, id: &str, version: Option<i64>) -> Result<(Tx, DossierRow)> {
        for _ in 0..2 {
            let mut tx = self.db.begin_optimistic();
            let d = store::load(&mut tx, id, true).await?.ok_or_else(|| Error::not_found(format!("hồ sơ {id}")))?;
            let Some(tx) = self.with_calendar(tx, &d).await? else { continue };
            if let Some(v) = version
                && v != d.d.version
            {
                return Err(stale());
            }
            return Ok((tx, d));
        }
        Err(Error::internal("the agency calendar could not be read"))
    }

    /// Writes the dossier's changing fields and bumps its version, if it is still the version
    /// read. The deadline flags set by the watcher ([`Onestop::watch_deadlines`], which does
    /// not bump the version) are kept unless the action cleared them.
    pub(crate) async fn save(&self, tx: &mut Tx, d: &DossierRow) -> Result<()> {
        let n = q("UPDATE dossiers SET status = $3, code = $4, accepted_at = $5, received_on = $6, due_on = $7, original_due_on = $8,
                     processed_at = $9, returned_at = $10, return_method = $11, current_step = $12, paused_since = $13, paused_days = $14,
                     supplement_count = $15, supplement_before_acceptance = $16, apology_count = $17,
                     due_soon = CASE WHEN $24 THEN $18 ELSE (due_soon OR $18) END, overdue = CASE WHEN $24 THEN $19 ELSE (overdue OR $19) END,
                     late_share = (late_share OR $20), result_sha256 = $21, paid = $22, version = version + 1, updated_at = $23
                   WHERE id = $1 AND version = $2")
        .bind(d.d.id.as_str())
        .bind(d.d.version)
        .bind(d.d.status.code())
        .bind(d.d.code.clone())
        .bind(d.d.accepted_at)
        .bind(d.d.received_on.clone())
        .bind(d.d.due_on.clone())
        .bind(d.d.original_due_on.clone())
        .bind(d.d.processed_at)
        .bind(d.d.returned_at)
        .bind(d.d.return_method.clone())
        .bind(d.d.current_step.clone())
        .bind(d.paused_since)
        .bind(d.d.paused_days)
        .bind(d.d.supplement_count)
        .bind(d.supplement_before_acceptance)
        .bind(d.d.apology_count)
        .bind(d.d.due_soon)
        .bind(d.d.overdue)
        .bind(d.late_share)
        .bind(d.d.result_sha256.clone())
        .bind(d.d.paid)
        .bind(self.now())
        .bind(d.flags_cleared)
        .execute(&mut *tx)
        .await?;
        if n != 1 {
            return Err(stale());
        }
        Ok(())
    }

    /// Saves, records the transition, writes the events, commits, and returns the dossier.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn finish(
        &self,
        mut tx: Tx,
        d: &DossierRow,
        p: &Principal,
        action: &str,
        from: Status,
        reason: Option<&str>,
        detail: serde_json::Value,
    ) -> Result<Dossier> {
        self.save(&mut tx, d).await?;
        let to = (d.d.status != from || action == "accepted").then_some(d.d.status);
        store::append(&mut tx, &d.d.id, self.now(), (&p.id, &p.name), action, Some(from), to, d.d.current_step.as_deref(), reason, detail)
            .await?;
        let mut fresh = d.d.clone();
        fresh.version += 1;
        fresh.status_code = fresh.status.code();
        if fresh.status != from {
            self.status_event(&mut tx, &fresh, reason).await?;
        }
        tx.commit().await?;
        Ok(fresh)
    }

    pub(super) fn must(&self, p: &Principal, perm: Permission, d: &DossierRow) -> Result<()> {
        if p.allows(perm, Some(&d.agency_id)) {
            Ok(())
        } else {
            Err(Error::Forbidden(
                "không có quyền thực hiện việc này với hồ sơ của cơ quan này (not allowed for this agency's dossiers)".into(),
            ))
        }
    }

    pub(super) async fn visible_or_404(&self, p: &Principal, d: &DossierRow) -> Result<()> {
        if self.visible(p, d).await? { Ok(()) } else { Err(Error::not_found(format!("hồ sơ {}", d.d.id))) }
    }

    /// Accepts a complete dossier: the dossier code is issued, the legal time starts, and the
    /// first step's tasks open.
    pub async fn accept(&self, p: &Principal, id: &str, v: &Versioned) -> Result<Dossier> {
        let (mut tx, mut d) = self.begin(id, Some(v.version)).await?;
        self.visible_or_404(p, &d).await?;
        self.must(p, Permission::DossierReceive, &d)?;
        if !Action::Accept.allowed(d.d.status) {
            return Err(conflict_state(&d.d, "tiếp nhận"));
        }
        let now = self.now();
        let cal = self.calendar(&d.d.agency_code).await?;
        // Counter dossiers count from acceptance; online and postal ones from their arrival.
        let from_ms = if d.d.channel == crate::model::Channel::InPerson { now } else { d.d.submitted_at };
        let received = deadline::received_on(&cal, from_ms);
        let due = deadline::due_on(&cal, received, from_ms, d.legal_value, &d.legal_unit);
        let (today, _) = deadline::local(now);
        let agency = AgencyCode::parse(&d.d.agency_code).map_err(|e| Error::internal(e.0))?;
        let day_key = format!("{}-{}", d.d.agency_code, kernel::time::date_text(today));
        let seq = kernel::db::next_counter(&mut tx, "dossier", &day_key).await?;
        let code = DossierCode::compose(&agency, today, seq as u32).map_err(|e| Error::conflict(e.0))?;
        d.d.code = Some(code.to_string());
        d.d.accepted_at = Some(now);
        d.d.received_on = Some(kernel::time::date_text(received));
        d.d.due_on = Some(kernel::time::date_text(due));
        d.d.original_due_on = d.d.due_on.clone();
        let def = self.process_by_id(&d.process_id).await?;
        d.d.status = Status::Accepted;
        store::append(
            &mut tx,
            &d.d.id,
            now,
            (&p.id, &p.name),
            "accepted",
            Some(Status::Submitted),
            Some(Status::Accepted),
            None,
            None,
            json!({"code": code.to_string(), "due_on": d.d.due_on}),
        )
        .await?;
        d.d.current_step = Some(def.start.clone());
        let status = self.enter_step(&mut tx, &d, &def, &def.start, now).await?;
        d.d.status = status;
        self.finish(tx, &d, p, "processing_started", Status::Accepted, None, json!({"step": def.start})).await
    }

    /// Refuses a dossier at reception, with the reasons (phiếu từ chối).
    pub async fn refuse(&self, p: &Principal, id: &str, r: &Reasoned) -> Result<Dossier> {
        need_text("reason", &r.reason)?;
        let (tx, mut d) = self.begin(id, Some(r.version)).await?;
        self.visible_or_404(p, &d).await?;
        self.must(p, Permission::DossierReceive, &d)?;
        if !Action::Refuse.allowed(d.d.status) {
            return Err(conflict_state(&d.d, "từ chối tiếp nhận"));
        }
        d.d.status = Status::NotAccepted;
        self.finish(tx, &d, p, "refused", Status::Submitted, Some(&r.reason), json!({})).await
    }

    /// Asks the applicant, once, for everything missing; the clock stops.
    pub async fn request_supplement(&self, p: &Principal, id: &str, r: &SupplementRequest) -> Result<Dossier> {
        let items: Vec<String> = r.items.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
        if items.is_empty() {
            return Err(Error::invalid("items", "liệt kê đầy đủ giấy tờ cần bổ sung (list everything that is missing)"));
        }
        let (mut tx, mut d) = self.begin(id, Some(r.version)).await?;
        self.visible_or_404(p, &d).await?;
        let from = d.d.status;
        if !Action::RequestSupplement.allowed(from) {
            return Err(conflict_state(&d.d, "yêu cầu bổ sung"));
        }
        if from == Status::Submitted {
            self.must(p, Permission::DossierReceive, &d)?;
            d.supplement_before_acceptance = true;
        } else {
            // Whoever holds the current step (or the reception) may ask.
            let open = store::tasks_of(&mut tx, &d.d.id).await?;
            let mine = open.iter().any(|t| t.status == "open" && Role::parse(&t.role).is_some_and(|role| holds(p, role, &t.agency_id)));
            if !mine && !p.allows(Permission::DossierReceive, Some(&d.agency_id)) {
                return Err(Error::Forbidden(
                    "chỉ người đang xử lý hồ sơ mới yêu cầu bổ sung (only whoever handles the dossier asks)".into(),
                ));
            }
            d.d.supplement_count += 1;
        }
        d.paused_since = Some(self.now());
        d.d.status = Status::SupplementRequested;
        let reason = r.reason.clone().unwrap_or_else(|| items.join("; "));
        self.finish(tx, &d, p, "supplement_requested", from, Some(&reason), json!({"items": items})).await
    }

    /// The applicant (or the reception, for them) hands in the supplement; the clock restarts
    /// and the appointment date moves by the working days it stood still.
    pub async fn supplement(&self, p: &Principal, id: &str, s: &SupplementInput) -> Result<Dossier> {
        let (mut tx, mut d) = self.begin(id, Some(s.version)).await?;
        self.visible_or_404(p, &d).await?;
        let own = d.account_id.as_deref() == Some(p.id.as_str());
        if !own {
            self.must(p, Permission::DossierReceive, &d)?;
        }
        if !Action::Supplement.allowed(d.d.status) {
            return Err(conflict_state(&d.d, "bổ sung"));
        }
        let now = self.now();
        let back = if d.d.accepted_at.is_some() { Status::Processing } else { Status::Submitted };
        self.resume(&mut tx, &mut d, now).await?;
        d.d.status = back;
        self.finish(tx, &d, p, "supplemented", Status::SupplementRequested, s.note.as_deref(), json!({})).await
    }

    /// Restarts the clock after a pause: the appointment date and open tasks move on by the
    /// time paused.
    async fn resume(&self, tx: &mut Tx, d: &mut DossierRow, now: i64) -> Result<()> {
        let Some(since) = d.paused_since.take() else { return Ok(()) };
        if d.d.accepted_at.is_none() {
            return Ok(());
        }
        let cal = self.calendar(&d.d.agency_code).await?;
        let (from, _) = deadline::local(since);
        let (to, _) = deadline::local(now);
        let days = deadline::paused_days(&cal, from, to);
        if days > 0 {
            d.d.paused_days += days;
            if let Some(due) = date_of(&d.d.due_on) {
                d.d.due_on = Some(kernel::time::date_text(cal.add_working_days(due, days as u32)));
                d.clear_deadline_flags();
            }
        }
        q("UPDATE tasks SET due_at = due_at + $2 WHERE dossier_id = $1 AND status = 'open'")
            .bind(d.d.id.as_str())
            .bind((now - since).max(0))
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    /// Records a payment of the fees due; processing goes on.
    pub async fn pay(&self, p: &Principal, id: &str, pay: &Payment) -> Result<Dossier> {
        if !matches!(pay.method.as_str(), "counter" | "bank_transfer" | "payment_gateway" | "post") {
            return Err(Error::invalid("method", "counter, bank_transfer, payment_gateway hoặc post"));
        }
        let (mut tx, mut d) = self.begin(id, Some(pay.version)).await?;
        self.visible_or_404(p, &d).await?;
        let own = d.account_id.as_deref() == Some(p.id.as_str());
        if !own {
            self.must(p, Permission::FeeCollect, &d)?;
        }
        if !Action::Pay.allowed(d.d.status) {
            return Err(conflict_state(&d.d, "nộp phí"));
        }
        let due = d.d.fee_total - d.d.paid;
        if pay.amount != due {
            return Err(Error::invalid("amount", format!("số tiền phải nộp là {due} đồng (the amount due is {due} VND)")));
        }
        let now = self.now();
        d.d.paid += pay.amount;
        self.resume(&mut tx, &mut d, now).await?;
        d.d.status = Status::Processing;
        // The payment step is done: on to the next one.
        let def = self.process_by_id(&d.process_id).await?;
        let step = d.d.current_step.clone().unwrap_or_default();
        q("UPDATE tasks SET status = 'done', outcome = 'paid', completed_at = $2, on_time = (due_at >= $2), version = version + 1
           WHERE dossier_id = $1 AND step_id = $3 AND status = 'open'")
        .bind(d.d.id.as_str())
        .bind(now)
        .bind(step.as_str())
        .execute(&mut tx)
        .await?;
        if let Some(next) = def.next(&step, "paid").map(|s| s.id.clone()) {
            d.d.current_step = Some(next.clone());
            d.d.status = self.enter_step(&mut tx, &d, &def, &next, now).await?;
            if d.d.status == Status::Processed {
                d.d.processed_at = Some(now);
            }
        }
        self.finish(tx, &d, p, "paid", Status::FeesDue, pay.reference.as_deref(), json!({"amount": pay.amount, "method": pay.method})).await
    }

    /// The applicant withdraws the dossier.
    pub async fn withdraw(&self, p: &Principal, id: &str, r: &Reasoned) -> Result<Dossier> {
        let (mut tx, mut d) = self.begin(id, Some(r.version)).await?;
        self.visible_or_404(p, &d).await?;
        if d.account_id.as_deref() != Some(p.id.as_str()) {
            self.must(p, Permission::DossierReceive, &d)?;
        }
        let from = d.d.status;
        if !Action::Withdraw.allowed(from) {
            return Err(conflict_state(&d.d, "rút hồ sơ"));
        }
        cancel_tasks(&mut tx, &d.d.id, self.now()).await?;
        d.d.status = Status::Withdrawn;
        d.paused_since = None;
        self.finish(tx, &d, p, "withdrawn", from, Some(&r.reason), json!({})).await
    }

    /// Stops processing, with the reasons (thông báo dừng); a leader decides.
    pub async fn stop(&self, p: &Principal, id: &str, r: &Reasoned) -> Result<Dossier> {
        need_text("reason", &r.reason)?;
        let (mut tx, mut d) = self.begin(id, Some(r.version)).await?;
        self.visible_or_404(p, &d).await?;
        self.must(p, Permission::DossierApprove, &d)?;
        let from = d.d.status;
        if !Action::Stop.allowed(from) {
            return Err(conflict_state(&d.d, "dừng xử lý"));
        }
        cancel_tasks(&mut tx, &d.d.id, self.now()).await?;
        d.d.status = Status::Stopped;
        d.paused_since = None;
        self.finish(tx, &d, p, "stopped", from, Some(&r.reason), json!({})).await
    }

    /// Returns the result (status 10), closing the return task.
    pub async fn return_result(&self, p: &Principal, id: &str, r: &ReturnInput) -> Result<Dossier> {
        if !matches!(r.method.as_str(), "in_person" | "post" | "electronic") {
            return Err(Error::invalid("method", "in_person, post hoặc electronic"));
        }
        let (mut tx, mut d) = self.begin(id, Some(r.version)).await?;
        self.visible_or_404(p, &d).await?;
        if d.d.kind == "internal" {
            // The last step of an internal process is done by whoever holds its role.
            let open = store::tasks_of(&mut tx, &d.d.id).await?;
            if !open.iter().any(|t| t.status == "open" && crate::service::tasks::may_act(p, t)) {
                return Err(Error::Forbidden("không có vai trò của bước cuối (you do not hold the last step's role)".into()));
            }
        } else {
            self.must(p, Permission::DossierReceive, &d)?;
        }
        if !Action::Return.allowed(d.d.status) {
            return Err(conflict_state(&d.d, "trả kết quả"));
        }
        if r.method == "electronic" && d.d.result_sha256.is_none() {
            return Err(Error::invalid("method", "chưa có tệp kết quả điện tử (no electronic result file uploaded)"));
        }
        let now = self.now();
        q("UPDATE tasks SET status = 'done', outcome = 'returned', completed_at = $2, on_time = (due_at >= $2), assignee_id = COALESCE(assignee_id, $3), version = version + 1
           WHERE dossier_id = $1 AND status = 'open'")
        .bind(d.d.id.as_str())
        .bind(now)
        .bind(p.id.as_str())
        .execute(&mut tx)
        .await?;
        d.d.status = Status::Returned;
        d.d.returned_at = Some(now);
        d.d.return_method = Some(r.method.clone());
        self.finish(tx, &d, p, "result_returned", Status::Processed, r.note.as_deref(), json!({"method": r.method})).await
    }
}

impl Onestop {
    /// Officials of the dossier's agency who hold `role` (to assign a task to).
    pub async fn holders(&self, agency_id: &str, role: &str) -> Result<Vec<(String, String)>> {
        q("SELECT DISTINCT a.id, a.full_name FROM role_grants g JOIN accounts a ON a.id = g.account_id
           WHERE g.agency_id = $1 AND g.role = $2 AND a.status = 'active' ORDER BY a.full_name")
        .bind(agency_id)
        .bind(role)
        .fetch_all(&self.db)
        .await?
        .iter()
        .map(|r| Ok((r.text("id")?, r.text("full_name")?)))
        .collect()
    }
}

pub(crate) async fn cancel_tasks(tx: &mut Tx, dossier_id: &str, now: i64) -> Result<()> {
    q("UPDATE tasks SET status = 'cancelled', completed_at = $2, version = version + 1 WHERE dossier_id = $1 AND status = 'open'")
        .bind(dossier_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    Ok(())
}
