//! SQL of the one-stop engine: reading dossiers and tasks, appending history.

use kernel::db::{Backend, Ex, Row, q};
use kernel::{Error, Result};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::model::{Applicant, Channel, Dossier, Status};

pub const DOSSIER_COLS: &str =
    "id, kind, subject, code, procedure_id, procedure_version_id, procedure_code, procedure_version, procedure_name,
    field_code, process_id, agency_id, agency_code, account_id, applicant, proxy, channel, status, form, fee_total, paid,
    legal_value, legal_unit, submitted_at, accepted_at, received_on, due_on, original_due_on, processed_at, returned_at,
    return_method, current_step, paused_since, paused_days, supplement_count, supplement_before_acceptance, apology_count,
    due_soon, overdue, late_share, result_sha256, version";

/// A dossier row with the engine's own fields besides what is shown.
#[derive(Debug, Clone)]
pub struct DossierRow {
    pub d: Dossier,
    pub procedure_id: String,
    pub procedure_version_id: String,
    pub process_id: String,
    pub agency_id: String,
    pub account_id: Option<String>,
    pub legal_value: f64,
    pub legal_unit: String,
    pub paused_since: Option<i64>,
    pub supplement_before_acceptance: bool,
    pub late_share: bool,
    /// The action cleared the due-soon and overdue flags (a new appointment date).
    pub flags_cleared: bool,
}

impl DossierRow {
    /// A new appointment date: the dossier is neither due soon nor overdue any more.
    pub fn clear_deadline_flags(&mut self) {
        self.d.due_soon = false;
        self.d.overdue = false;
        self.flags_cleared = true;
    }
}

fn json_or_null(s: Option<String>) -> Value {
    s.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or(Value::Null)
}

pub fn dossier(r: &Row) -> Result<DossierRow> {
    let applicant: Applicant = r.json("applicant")?;
    let proxy = json_or_null(r.opt_text("proxy")?);
    let status = Status::from_code(r.int("status")?).ok_or_else(|| Error::internal("bad dossier status"))?;
    Ok(DossierRow {
        procedure_id: r.text("procedure_id")?,
        procedure_version_id: r.text("procedure_version_id")?,
        process_id: r.text("process_id")?,
        agency_id: r.text("agency_id")?,
        account_id: r.opt_text("account_id")?,
        legal_value: r.get::<f64>("legal_value")?,
        legal_unit: r.text("legal_unit")?,
        paused_since: r.opt_int("paused_since")?,
        supplement_before_acceptance: r.bool("supplement_before_acceptance")?,
        late_share: r.bool("late_share")?,
        flags_cleared: false,
        d: Dossier {
            id: r.text("id")?,
            kind: r.text("kind")?,
            subject: r.opt_text("subject")?,
            code: r.opt_text("code")?,
            procedure_code: r.text("procedure_code")?,
            procedure_version: r.int("procedure_version")?,
            procedure_name: r.text("procedure_name")?,
            field_code: r.text("field_code")?,
            agency_code: r.text("agency_code")?,
            applicant,
            proxy: serde_json::from_value(proxy).ok(),
            channel: Channel::from_code(r.int("channel")?).unwrap_or(Channel::Online),
            status,
            status_code: status.code(),
            form: r.json("form")?,
            fee_total: r.int("fee_total")?,
            paid: r.int("paid")?,
            submitted_at: r.int("submitted_at")?,
            accepted_at: r.opt_int("accepted_at")?,
            received_on: r.opt_text("received_on")?,
            due_on: r.opt_text("due_on")?,
            original_due_on: r.opt_text("original_due_on")?,
            processed_at: r.opt_int("processed_at")?,
            returned_at: r.opt_int("returned_at")?,
            return_method: r.opt_text("return_method")?,
            current_step: r.opt_text("current_step")?,
            paused_days: r.int("paused_days")?,
            supplement_count: r.int("supplement_count")?,
            apology_count: r.int("apology_count")?,
            due_soon: r.bool("due_soon")?,
            overdue: r.bool("overdue")?,
            result_sha256: r.opt_text("result_sha256")?,
            version: r.int("version")?,
        },
    })
}

/// Reads a dossier; inside a transaction on PostgreSQL the row is locked until commit, so
/// actions on one dossier queue instead of overwriting each other.
pub async fn load<'e>(ex: impl Into<Ex<'e>>, id: &str, lock: bool) -> Result<Option<DossierRow>> {
    let ex = ex.into();
    let suffix = if lock && ex.backend() == Backend::Postgres { " FOR UPDATE" } else { "" };
    let row = q(format!("SELECT {DOSSIER_COLS} FROM dossiers WHERE id = $1{suffix}")).bind(id).fetch_optional(ex).await?;
    row.as_ref().map(dossier).transpose()
}

/// A dossier (never an internal case) by its code.
pub async fn by_code<'e>(ex: impl Into<Ex<'e>>, code: &str) -> Result<Option<DossierRow>> {
    let row = q(format!("SELECT {DOSSIER_COLS} FROM dossiers WHERE code = $1 AND kind = 'dossier'")).bind(code).fetch_optional(ex).await?;
    row.as_ref().map(dossier).transpose()
}

/// One entry of a dossier's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DossierHistoryEntry)]
pub struct HistoryEntry {
    pub at: i64,
    pub actor_name: String,
    pub action: String,
    pub from_status: Option<i64>,
    pub to_status: Option<i64>,
    pub step: Option<String>,
    pub reason: Option<String>,
    #[schema(value_type = Object)]
    pub detail: Value,
}

#[allow(clippy::too_many_arguments)]
pub async fn append<'e>(
    ex: impl Into<Ex<'e>>,
    dossier_id: &str,
    at: i64,
    actor: (&str, &str),
    action: &str,
    from: Option<Status>,
    to: Option<Status>,
    step: Option<&str>,
    reason: Option<&str>,
    detail: Value,
) -> Result<()> {
    q("INSERT INTO dossier_events (id, dossier_id, at, actor_id, actor_name, action, from_status, to_status, step, reason, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
    .bind(kernel::id::new_id())
    .bind(dossier_id)
    .bind(at)
    .bind(actor.0)
    .bind(actor.1)
    .bind(action)
    .bind(from.map(Status::code))
    .bind(to.map(Status::code))
    .bind(step.map(str::to_owned))
    .bind(reason.map(str::to_owned))
    .bind(detail.to_string())
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn history<'e>(ex: impl Into<Ex<'e>>, dossier_id: &str) -> Result<Vec<HistoryEntry>> {
    q("SELECT at, actor_name, action, from_status, to_status, step, reason, detail FROM dossier_events
       WHERE dossier_id = $1 ORDER BY at, id")
    .bind(dossier_id)
    .fetch_all(ex)
    .await?
    .iter()
    .map(|r| {
        Ok(HistoryEntry {
            at: r.int("at")?,
            actor_name: r.text("actor_name")?,
            action: r.text("action")?,
            from_status: r.opt_int("from_status")?,
            to_status: r.opt_int("to_status")?,
            step: r.opt_text("step")?,
            reason: r.opt_text("reason")?,
            detail: r.json("detail")?,
        })
    })
    .collect()
}

/// A task in an inbox.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Task {
    pub id: String,
    pub dossier_id: String,
    pub dossier_code: Option<String>,
    pub procedure_name: String,
    pub step_id: String,
    pub step_name: String,
    pub kind: String,
    pub role: String,
    pub agency_code: String,
    /// open, done or cancelled.
    pub status: String,
    pub assignee_id: Option<String>,
    pub started_at: i64,
    pub due_at: i64,
    pub completed_at: Option<i64>,
    pub outcome: Option<String>,
    pub note: Option<String>,
    pub on_time: Option<bool>,
    pub version: i64,
    #[serde(skip)]
    pub agency_id: String,
}

pub const TASK_COLS: &str = "t.id, t.dossier_id, d.code AS dossier_code, d.procedure_name, t.step_id, t.step_name, t.kind, t.role,
    t.agency_id, t.agency_code, t.status, t.assignee_id, t.started_at, t.due_at, t.completed_at, t.outcome, t.note, t.on_time, t.version";

pub fn task(r: &Row) -> Result<Task> {
    Ok(Task {
        id: r.text("id")?,
        dossier_id: r.text("dossier_id")?,
        dossier_code: r.opt_text("dossier_code")?,
        procedure_name: r.text("procedure_name")?,
        step_id: r.text("step_id")?,
        step_name: r.text("step_name")?,
        kind: r.text("kind")?,
        role: r.text("role")?,
        agency_id: r.text("agency_id")?,
        agency_code: r.text("agency_code")?,
        status: r.text("status")?,
        assignee_id: r.opt_text("assignee_id")?,
        started_at: r.int("started_at")?,
        due_at: r.int("due_at")?,
        completed_at: r.opt_int("completed_at")?,
        outcome: r.opt_text("outcome")?,
        note: r.opt_text("note")?,
        on_time: r.get::<Option<bool>>("on_time")?,
        version: r.int("version")?,
    })
}

pub async fn task_by_id<'e>(ex: impl Into<Ex<'e>>, id: &str) -> Result<Option<Task>> {
    let row = q(format!("SELECT {TASK_COLS} FROM tasks t JOIN dossiers d ON d.id = t.dossier_id WHERE t.id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(task).transpose()
}

pub async fn tasks_of<'e>(ex: impl Into<Ex<'e>>, dossier_id: &str) -> Result<Vec<Task>> {
    q(format!("SELECT {TASK_COLS} FROM tasks t JOIN dossiers d ON d.id = t.dossier_id WHERE t.dossier_id = $1 ORDER BY t.started_at, t.id"))
        .bind(dossier_id)
        .fetch_all(ex)
        .await?
        .iter()
        .map(task)
        .collect()
}
