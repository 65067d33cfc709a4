//! Tasks: every human step of a dossier is a task in the inbox of a role at an agency.
//! Claim, assign, complete with an outcome, or send back to the previous step. A task carries
//! its own version: two officers acting on it at once cannot both win.

use kernel::authz::{Permission, Principal, Role};
use kernel::db::{Ex, Tx, Where, q};
use kernel::{Error, Result};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::{Onestop, conflict_state, holds};
use crate::model::process::StepKind;
use crate::model::{Dossier, Status};
use crate::store::{self, DossierRow, Task};

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
pub struct InboxFilter {
    /// `new` (nobody has claimed it), `mine`, `approval` (approval and signature steps),
    /// `due_soon` (due within a day), `overdue`, `all`.
    pub view: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TaskVersion {
    /// The task's version as last read.
    pub version: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Assign {
    pub version: i64,
    /// Account id of the official to take the task.
    pub assignee_id: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Complete {
    pub version: i64,
    /// One of the step's outcomes (`done`, `approved`, `rejected`, `returned`...).
    pub outcome: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SendBack {
    pub version: i64,
    pub reason: String,
}

fn task_changed() -> Error {
    Error::conflict("công việc vừa được người khác cập nhật; hãy tải lại (someone else changed the task; reload)")
}

pub fn may_act(p: &Principal, t: &Task) -> bool {
    t.assignee_id.as_deref() == Some(p.id.as_str()) || Role::parse(&t.role).is_some_and(|r| holds(p, r, &t.agency_id))
}

impl Onestop {
    /// Open tasks for the roles the caller holds, at the agencies where it holds them.
    pub async fn inbox(&self, p: &Principal, f: &InboxFilter, offset: i64, limit: i64) -> Result<(Vec<Task>, i64)> {
        let mut w = Where::new();
        w.and("t.status = 'open'");
        let mut ors = Vec::new();
        for g in &p.grants {
            if g.role.needs_second_factor() && !p.mfa {
                continue;
            }
            if g.covers.is_empty() {
                continue;
            }
            let role = w.arg(g.role.as_str());
            let list: Vec<String> = g.covers.iter().map(|a| w.arg(a.as_str())).collect();
            ors.push(format!("(t.role = {role} AND t.agency_id IN ({}))", list.join(", ")));
        }
        let me = w.arg(p.id.as_str());
        ors.push(format!("t.assignee_id = {me}"));
        w.and(format!("({})", ors.join(" OR ")));
        let now = self.now();
        match f.view.as_deref() {
            Some("new") => w.and("t.assignee_id IS NULL"),
            Some("mine") => {
                let a = w.arg(p.id.as_str());
                w.and(format!("t.assignee_id = {a}"));
            }
            Some("due_soon") => {
                let a = w.arg(now);
                let b = w.arg(now + 86_400_000);
                w.and(format!("t.due_at >= {a} AND t.due_at < {b}"));
            }
            Some("overdue") => {
                let a = w.arg(now);
                w.and(format!("t.due_at < {a}"));
            }
            Some("approval") => w.and("t.kind = 'approval'"),
            _ => {}
        }
        let total = w.query(format!("SELECT COUNT(*) FROM tasks t{}", w.sql())).fetch_i64(&self.db).await?;
        if limit == 0 {
            return Ok((vec![], total));
        }
        // The page of tasks is chosen from the tasks alone; only those are joined to their dossiers.
        let rows = w
            .query(format!(
                "SELECT {} FROM (SELECT * FROM tasks t{} ORDER BY t.due_at, t.id LIMIT {limit} OFFSET {offset}) t
                 JOIN dossiers d ON d.id = t.dossier_id ORDER BY t.due_at, t.id",
                store::TASK_COLS,
                w.sql()
            ))
            .fetch_all(&self.db)
            .await?;
        Ok((rows.iter().map(store::task).collect::<Result<_>>()?, total))
    }

    /// The open task of a dossier that `p` may act on: (task id, version).
    pub async fn open_task_of(&self, p: &Principal, dossier_id: &str) -> Result<(String, i64)> {
        let tasks = store::tasks_of(&self.db, dossier_id).await?;
        tasks
            .into_iter()
            .find(|t| t.status == "open" && may_act(p, t))
            .map(|t| (t.id, t.version))
            .ok_or_else(|| Error::not_found(format!("công việc của hồ sơ {dossier_id}")))
    }

    /// How many open tasks the caller has in each view: all, new, mine, for approval, due
    /// soon, overdue — one query.
    pub async fn inbox_counts(&self, p: &Principal) -> Result<[i64; 6]> {
        let mut w = Where::new();
        w.and("t.status = 'open'");
        let mut ors = Vec::new();
        for g in &p.grants {
            if (g.role.needs_second_factor() && !p.mfa) || g.covers.is_empty() {
                continue;
            }
            let role = w.arg(g.role.as_str());
            let list: Vec<String> = g.covers.iter().map(|a| w.arg(a.as_str())).collect();
            ors.push(format!("(t.role = {role} AND t.agency_id IN ({}))", list.join(", ")));
        }
        let me = w.arg(p.id.as_str());
        ors.push(format!("t.assignee_id = {me}"));
        w.and(format!("({})", ors.join(" OR ")));
        let now = self.now();
        let (me2, a, b, c) = (w.arg(p.id.as_str()), w.arg(now), w.arg(now + 86_400_000), w.arg(now));
        let row = w
            .query(format!(
                "SELECT COUNT(*) AS n_all,
                        SUM(CASE WHEN t.assignee_id IS NULL THEN 1 ELSE 0 END) AS n_new,
                        SUM(CASE WHEN t.assignee_id = {me2} THEN 1 ELSE 0 END) AS n_mine,
                        SUM(CASE WHEN t.kind = 'approval' THEN 1 ELSE 0 END) AS n_approval,
                        SUM(CASE WHEN t.due_at >= {a} AND t.due_at < {b} THEN 1 ELSE 0 END) AS n_soon,
                        SUM(CASE WHEN t.due_at < {c} THEN 1 ELSE 0 END) AS n_late
                 FROM tasks t{}",
                w.sql()
            ))
            .fetch_one(&self.db)
            .await?;
        let n = |c: &str| -> Result<i64> { Ok(row.get::<Option<i64>>(c)?.unwrap_or(0)) };
        Ok([n("n_all")?, n("n_new")?, n("n_mine")?, n("n_approval")?, n("n_soon")?, n("n_late")?])
    }

    async fn open_task(&self, p: &Principal, id: &str) -> Result<Task> {
        open_task_in(&self.db, p, id).await
    }

    /// Opens a transaction with the open task `id` at `version` and its dossier read in it
    /// (optimistically, as in [`Onestop::begin`]: the task's update checks its version, the
    /// dossier's save its own).
    async fn begin_task(&self, p: &Principal, id: &str, version: i64) -> Result<(Tx, Task, DossierRow)> {
        for _ in 0..2 {
            let mut tx = self.db.begin_optimistic();
            let t = open_task_in(&mut tx, p, id).await?;
            if !may_act(p, &t) {
                return Err(Error::Forbidden("không có vai trò của bước này (you do not hold this step's role)".into()));
            }
            if t.version != version {
                return Err(task_changed());
            }
            let d = store::load(&mut tx, &t.dossier_id, true).await?.ok_or_else(|| Error::internal("task without its dossier"))?;
            if let Some(tx) = self.with_calendar(tx, &d).await? {
                return Ok((tx, t, d));
            }
        }
        Err(Error::internal("the agency calendar could not be read"))
    }
}

/// The open task `id`, when `p` may act on it or see its agency's dossiers.
async fn open_task_in<'e>(ex: impl Into<Ex<'e>>, p: &Principal, id: &str) -> Result<Task> {
    let t = store::task_by_id(ex, id).await?.ok_or_else(|| Error::not_found(format!("công việc {id}")))?;
    if !may_act(p, &t) && !p.allows(Permission::DossierView, Some(&t.agency_id)) {
        return Err(Error::not_found(format!("công việc {id}")));
    }
    if t.status != "open" {
        return Err(Error::conflict("công việc đã xong hoặc đã hủy (the task is closed)"));
    }
    Ok(t)
}

impl Onestop {
    /// Takes a task for oneself.
    pub async fn claim(&self, p: &Principal, id: &str, v: &TaskVersion) -> Result<Task> {
        let t = self.open_task(p, id).await?;
        if !may_act(p, &t) {
            return Err(Error::Forbidden("không có vai trò của bước này (you do not hold this step's role)".into()));
        }
        self.set_assignee(&t, v.version, &p.id, p, "claimed").await
    }

    /// Gives a task to a named official (a head of department distributing work, or the
    /// holder passing it on).
    pub async fn assign(&self, p: &Principal, id: &str, a: &Assign) -> Result<Task> {
        let t = self.open_task(p, id).await?;
        let head = p.allows(Permission::DossierReview, Some(&t.agency_id));
        if !head && !may_act(p, &t) {
            return Err(Error::Forbidden("không có quyền giao việc này (not allowed to assign this task)".into()));
        }
        let ok = q("SELECT COUNT(*) FROM role_grants g JOIN accounts a ON a.id = g.account_id
                    WHERE g.account_id = $1 AND g.role = $2 AND a.status = 'active'")
        .bind(a.assignee_id.as_str())
        .bind(t.role.as_str())
        .fetch_i64(&self.db)
        .await?;
        if ok == 0 {
            return Err(Error::invalid(
                "assignee_id",
                "người được giao không giữ vai trò của bước này (the assignee does not hold the step's role)",
            ));
        }
        self.set_assignee(&t, a.version, &a.assignee_id, p, "assigned").await
    }

    async fn set_assignee(&self, t: &Task, version: i64, who: &str, p: &Principal, action: &str) -> Result<Task> {
        let mut tx = self.db.begin().await?;
        let n = q("UPDATE tasks SET assignee_id = $3, version = version + 1 WHERE id = $1 AND version = $2 AND status = 'open'")
            .bind(t.id.as_str())
            .bind(version)
            .bind(who)
            .execute(&mut tx)
            .await?;
        if n != 1 {
            return Err(task_changed());
        }
        store::append(
            &mut tx,
            &t.dossier_id,
            self.now(),
            (&p.id, &p.name),
            action,
            None,
            None,
            Some(&t.step_id),
            None,
            json!({"task": t.id, "assignee": who}),
        )
        .await?;
        tx.commit().await?;
        store::task_by_id(&self.db, &t.id).await?.ok_or_else(|| Error::internal("task vanished"))
    }

    /// Completes a task with an outcome; the dossier moves to the step it leads to. A
    /// consultation step moves on only when every consulted agency has answered.
    pub async fn complete(&self, p: &Principal, id: &str, c: &Complete) -> Result<Dossier> {
        super::retry_stale(|| self.complete_once(p, id, c)).await
    }

    async fn complete_once(&self, p: &Principal, id: &str, c: &Complete) -> Result<Dossier> {
        let (mut tx, t, mut d) = self.begin_task(p, id, c.version).await?;
        if d.d.status != Status::Processing || d.d.current_step.as_deref() != Some(t.step_id.as_str()) {
            return Err(conflict_state(&d.d, "hoàn thành bước này"));
        }
        let def = self.process_by_id(&d.process_id).await?;
        let step = def.step(&t.step_id).ok_or_else(|| Error::internal("task of an unknown step"))?.clone();
        let outcome = if step.kind == StepKind::Consult { "done".to_owned() } else { c.outcome.clone() };
        let next = def.next(&step.id, &outcome).map(|s| s.id.clone());
        if next.is_none() && step.kind != StepKind::Return {
            let allowed = def.outcomes(&step.id).join(", ");
            return Err(Error::invalid("outcome", format!("kết quả của bước này: {allowed} (this step's outcomes)")));
        }
        if step.kind == StepKind::Return {
            return Err(Error::conflict("trả kết quả bằng thao tác trả kết quả (use the return action)"));
        }
        let now = self.now();
        let n = q("UPDATE tasks SET status = 'done', outcome = $3, note = $4, completed_at = $5, on_time = (due_at >= $5),
                     assignee_id = COALESCE(assignee_id, $6), version = version + 1
                   WHERE id = $1 AND version = $2 AND status = 'open'")
        .bind(t.id.as_str())
        .bind(c.version)
        .bind(outcome.as_str())
        .bind(c.note.clone())
        .bind(now)
        .bind(p.id.as_str())
        .execute(&mut tx)
        .await?;
        if n != 1 {
            return Err(task_changed());
        }
        if now > t.due_at && step.kind == StepKind::Consult {
            d.late_share = true;
        }
        store::append(
            &mut tx,
            &d.d.id,
            now,
            (&p.id, &p.name),
            "step_completed",
            Some(d.d.status),
            None,
            Some(&step.id),
            c.note.as_deref(),
            json!({"task": t.id, "outcome": outcome, "agency": t.agency_code, "on_time": now <= t.due_at}),
        )
        .await?;
        if step.kind == StepKind::Consult {
            let left = q("SELECT COUNT(*) FROM tasks WHERE dossier_id = $1 AND step_id = $2 AND status = 'open'")
                .bind(d.d.id.as_str())
                .bind(step.id.as_str())
                .fetch_i64(&mut tx)
                .await?;
            if left > 0 {
                let from = d.d.status;
                return self
                    .finish(tx, &d, p, "consultation_answered", from, None, json!({"agency": t.agency_code, "waiting_for": left}))
                    .await;
            }
        }
        let next = next.unwrap_or_default();
        d.d.current_step = Some(next.clone());
        let status = self.enter_step(&mut tx, &d, &def, &next, now).await?;
        if status == Status::FeesDue {
            d.paused_since = Some(now);
        }
        if status == Status::Processed {
            d.d.processed_at = Some(now);
        }
        d.d.status = status;
        self.finish(tx, &d, p, "moved", Status::Processing, None, json!({"to_step": next})).await
    }

    /// Sends the dossier back to the previous step, with the reason.
    pub async fn send_back(&self, p: &Principal, id: &str, s: &SendBack) -> Result<Dossier> {
        if s.reason.trim().chars().count() < 3 {
            return Err(Error::invalid("reason", "cần ghi rõ lý do (give the reason)"));
        }
        super::retry_stale(|| self.send_back_once(p, id, s)).await
    }

    async fn send_back_once(&self, p: &Principal, id: &str, s: &SendBack) -> Result<Dossier> {
        let (mut tx, t, mut d) = self.begin_task(p, id, s.version).await?;
        if d.d.status != Status::Processing || d.d.current_step.as_deref() != Some(t.step_id.as_str()) {
            return Err(conflict_state(&d.d, "trả lại bước trước"));
        }
        let def = self.process_by_id(&d.process_id).await?;
        let prev = def
            .previous(&t.step_id)
            .map(|s| s.id.clone())
            .ok_or_else(|| Error::conflict("đây là bước đầu tiên (this is the first step)"))?;
        let now = self.now();
        let n = q("UPDATE tasks SET status = 'done', outcome = 'sent_back', note = $3, completed_at = $4, on_time = (due_at >= $4), version = version + 1
                   WHERE id = $1 AND version = $2 AND status = 'open'")
        .bind(t.id.as_str())
        .bind(s.version)
        .bind(s.reason.trim())
        .bind(now)
        .execute(&mut tx)
        .await?;
        if n != 1 {
            return Err(task_changed());
        }
        super::actions::cancel_tasks(&mut tx, &d.d.id, now).await?;
        d.d.current_step = Some(prev.clone());
        d.d.status = self.enter_step(&mut tx, &d, &def, &prev, now).await?;
        self.finish(tx, &d, p, "sent_back", Status::Processing, Some(&s.reason), json!({"from_step": t.step_id, "to_step": prev})).await
    }
}
