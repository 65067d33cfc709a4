//! Use cases of the one-stop engine. Every action runs in one transaction that locks the
//! dossier, checks the caller's right and the dossier's state, writes the change, its history
//! entry and its outbox events together.

pub mod actions;
mod apologies;
pub mod blobs;
pub mod internal;
pub mod ratings;
pub mod stats;
mod submit;
pub mod tasks;

pub use blobs::Attachment;
pub use stats::{StatRow, Statistics};

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use kernel::authz::{Permission, Principal, PrincipalKind, Role};
use kernel::calendar::Calendar;
use kernel::db::{Db, Tx, Where, q};
use kernel::{Error, Result};
use serde::Deserialize;
use serde_json::{Value, json};
use time::Duration;
use utoipa::ToSchema;

use crate::model::process::{ProcessDefinition, StepAgency, StepKind};
use crate::model::{Applicant, Channel, Dossier, Proxy, Status, deadline};
use crate::store::{self, DossierRow, Task};

/// Topic of status events (the national portal sync and other consumers read it).
pub const STATUS_TOPIC: &str = "onestop.dossier.status";
/// Topic of internal cases' status events.
pub const CASE_TOPIC: &str = "onestop.case.status";

/// Working calendars by agency code, and when this node read each.
type CalendarCache = HashMap<String, (Arc<Calendar>, i64)>;

#[derive(Clone)]
pub struct Onestop {
    pub db: Db,
    pub catalog: catalog::Catalog,
    /// Where attachment files are kept, by SHA-256.
    pub blob_dir: PathBuf,
    /// Public address, for tracking links.
    pub public_url: String,
    /// A fixed "now" for tests and replays; None: the clock.
    clock: Option<i64>,
    calendars: Arc<Mutex<CalendarCache>>,
    /// Process definitions by id: immutable once stored, so cached for good.
    processes: Arc<Mutex<HashMap<String, Arc<ProcessDefinition>>>>,
}

/// A submission.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SubmitInput {
    /// National procedure code, e.g. `1.001193`.
    pub procedure_code: String,
    /// The receiving agency; may be left out when the procedure has one.
    pub agency_code: Option<String>,
    #[serde(default = "online")]
    pub channel: Channel,
    /// Required when an officer submits for a walk-in or postal applicant; for citizens and
    /// businesses submitting themselves, their account fills it (contact details may be given).
    pub applicant: Option<Applicant>,
    pub proxy: Option<Proxy>,
    /// E-form data, checked against the procedure's JSON Schema.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub form: Value,
}

fn online() -> Channel {
    Channel::Online
}

/// What each role does in the engine.
pub fn role_permission(r: Role) -> Permission {
    match r {
        Role::ReceptionOfficer => Permission::DossierReceive,
        Role::Specialist => Permission::DossierProcess,
        Role::DepartmentHead => Permission::DossierReview,
        Role::AgencyLeader => Permission::DossierApprove,
        Role::Clerk => Permission::DocumentNumber,
        Role::Cashier => Permission::FeeCollect,
        _ => Permission::DossierView,
    }
}

/// True when `p` holds `role` at `agency_id` (with a second factor where the role needs one).
pub fn holds(p: &Principal, role: Role, agency_id: &str) -> bool {
    p.grants.iter().any(|g| g.role == role && g.covers.contains(agency_id) && (p.mfa || !role.needs_second_factor()))
}

pub(crate) fn conflict_state(d: &Dossier, what: &str) -> Error {
    Error::conflict(format!(
        "không thể {what} khi hồ sơ đang ở trạng thái «{}» (not possible while the dossier is {})",
        d.status.label(false),
        d.status.label(true).to_lowercase()
    ))
}

const STALE: &str = "hồ sơ vừa được người khác cập nhật; hãy tải lại và thử lại (someone else changed the dossier; reload and try again)";

pub(crate) fn stale() -> Error {
    Error::conflict(STALE)
}

/// Whether `e` says the dossier changed after it was read.
fn is_stale(e: &Error) -> bool {
    matches!(e, Error::Conflict(m) if m == STALE)
}

/// How often an action whose caller named no dossier version is run again when the dossier
/// changed between its read and its write (two agencies answering a consultation at once).
const STALE_RETRIES: usize = 4;

/// Runs `action`, and again (up to [`STALE_RETRIES`] times) while it fails because the
/// dossier changed after it read it.
pub(crate) async fn retry_stale<T, F, Fut>(mut action: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut tries = 0;
    loop {
        match action().await {
            Err(e) if is_stale(&e) && tries < STALE_RETRIES => tries += 1,
            r => return r,
        }
    }
}

/// Limits `w` to the agencies whose reports `p` may see (`column` holds the agency id);
/// refuses callers without reporting rights anywhere.
pub(crate) fn report_scope(p: &Principal, w: &mut kernel::db::Where, column: &str) -> Result<()> {
    match p.agencies_with(Permission::ReportsView) {
        None => Ok(()),
        Some(set) if set.is_empty() => Err(Error::Forbidden("cần quyền xem báo cáo (reporting rights are required)".into())),
        Some(set) => {
            let list: Vec<String> = set.into_iter().map(|a| w.arg(a)).collect();
            w.and(format!("{column} IN ({})", list.join(", ")));
            Ok(())
        }
    }
}

impl Onestop {
    pub fn new(db: Db, catalog: catalog::Catalog, blob_dir: PathBuf, public_url: &str) -> Onestop {
        Onestop {
            db,
            catalog,
            blob_dir,
            public_url: public_url.trim_end_matches('/').to_owned(),
            clock: None,
            calendars: Default::default(),
            processes: Default::default(),
        }
    }

    /// The same engine with time standing at `ms` (tests, replays of a year of data).
    pub fn at(&self, ms: i64) -> Onestop {
        Onestop { clock: Some(ms), ..self.clone() }
    }

    pub fn now(&self) -> i64 {
        self.clock.unwrap_or_else(kernel::time::now_ms)
    }

    /// The working calendar of an agency, cached for ten minutes per node.
    pub async fn calendar(&self, agency_code: &str) -> Result<Arc<Calendar>> {
        let now = kernel::time::now_ms();
        if let Some((c, at)) = self.calendars.lock().unwrap_or_else(|e| e.into_inner()).get(agency_code)
            && now - at < 600_000
        {
            return Ok(c.clone());
        }
        let (today, _) = deadline::local(self.now());
        let cal = Arc::new(self.catalog.calendar(Some(agency_code), today - Duration::days(800), today + Duration::days(1200)).await?);
        self.calendars.lock().unwrap_or_else(|e| e.into_inner()).insert(agency_code.to_owned(), (cal.clone(), now));
        Ok(cal)
    }

    /// The process definition in force for a procedure: the newest stored version, or the
    /// standard one derived from the legal time, stored as version 1 on first use.
    pub async fn process_for(&self, procedure_id: &str, legal_minutes: u32, fees: bool) -> Result<(String, ProcessDefinition)> {
        if let Some(r) = q("SELECT id, definition FROM process_definitions WHERE procedure_id = $1 ORDER BY version DESC LIMIT 1")
            .bind(procedure_id)
            .fetch_optional(&self.db)
            .await?
        {
            return Ok((r.text("id")?, r.json("definition")?));
        }
        let def = ProcessDefinition::standard(legal_minutes, fees);
        q("INSERT INTO process_definitions (id, procedure_id, version, definition, legal_minutes, created_by, created_at)
           VALUES ($1, $2, 1, $3, $4, 'standard', $5) ON CONFLICT (procedure_id, version) DO NOTHING")
        .bind(kernel::id::new_id())
        .bind(procedure_id)
        .bind(serde_json::to_string(&def).map_err(Error::internal)?)
        .bind(legal_minutes as i64)
        .bind(kernel::time::now_ms())
        .execute(&self.db)
        .await?;
        Box::pin(self.process_for(procedure_id, legal_minutes, fees)).await
    }

    pub async fn process_by_id(&self, id: &str) -> Result<Arc<ProcessDefinition>> {
        if let Some(d) = self.processes.lock().unwrap_or_else(|e| e.into_inner()).get(id) {
            return Ok(d.clone());
        }
        let def: ProcessDefinition =
            q("SELECT definition FROM process_definitions WHERE id = $1").bind(id).fetch_one(&self.db).await?.json("definition")?;
        let def = Arc::new(def);
        self.processes.lock().unwrap_or_else(|e| e.into_inner()).insert(id.to_owned(), def.clone());
        Ok(def)
    }

    /// The agency's calendar if this node has it cached and fresh (no database access).
    pub(crate) fn cached_calendar(&self, agency_code: &str) -> Option<Arc<Calendar>> {
        let now = kernel::time::now_ms();
        self.calendars
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(agency_code)
            .filter(|(_, at)| now - at < 600_000)
            .map(|(c, _)| c.clone())
    }

    /// Gives the transaction back when this node has the dossier's agency calendar and its
    /// process definition; else rolls it back and reads them (None: start the transaction
    /// again). Reading the calendar may seed a year's holidays, which on SQLite must not wait
    /// for our own write turn; and a read through the pool while the transaction holds one of
    /// its connections could leave every connection held by a transaction waiting for
    /// another (PostgreSQL, many clients at once on a node just started).
    pub(crate) async fn with_calendar(&self, tx: Tx, d: &DossierRow) -> Result<Option<Tx>> {
        let process_known = self.processes.lock().unwrap_or_else(|e| e.into_inner()).contains_key(&d.process_id);
        if process_known && self.cached_calendar(&d.d.agency_code).is_some() {
            return Ok(Some(tx));
        }
        tx.rollback().await?;
        self.calendar(&d.d.agency_code).await?;
        self.process_by_id(&d.process_id).await?;
        Ok(None)
    }

    /// Stores a new version of a procedure's process after checking it. Running dossiers
    /// keep the version they started with.
    pub async fn set_process(&self, by: &Principal, procedure_code: &str, def: &ProcessDefinition) -> Result<i64> {
        if !by.allows(Permission::CatalogManage, None) {
            return Err(Error::Forbidden("cần quyền quản trị danh mục (catalog administration rights are required)".into()));
        }
        let pv = self.catalog.procedure(procedure_code).await?;
        let legal = legal_minutes(pv.processing.value, pv.processing.unit.as_str());
        def.validate(legal).map_err(|v| Error::Invalid(v.0))?;
        for s in &def.steps {
            for code in s.agencies.iter().chain(match &s.agency {
                StepAgency::Agency(c) => Some(c),
                _ => None,
            }) {
                if catalog::store::agencies::find_id(&self.db, code).await?.is_none() {
                    return Err(Error::invalid(format!("steps.{}.agencies", s.id), format!("không có cơ quan {code} (no such agency)")));
                }
            }
        }
        let mut tx = self.db.begin().await?;
        let v = q("SELECT COALESCE(MAX(version), 0) + 1 FROM process_definitions WHERE procedure_id = $1")
            .bind(pv.procedure_id.as_str())
            .fetch_i64(&mut tx)
            .await?;
        q("INSERT INTO process_definitions (id, procedure_id, version, definition, legal_minutes, created_by, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(kernel::id::new_id())
        .bind(pv.procedure_id.as_str())
        .bind(v)
        .bind(serde_json::to_string(def).map_err(Error::internal)?)
        .bind(legal as i64)
        .bind(by.id.as_str())
        .bind(self.now())
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(v)
    }

    /// The process in force for a procedure, with its version.
    pub async fn process_of(&self, procedure_code: &str) -> Result<(i64, ProcessDefinition)> {
        let pv = self.catalog.procedure(procedure_code).await?;
        let (id, def) = self
            .process_for(&pv.procedure_id, legal_minutes(pv.processing.value, pv.processing.unit.as_str()), pv.fee_total().0 > 0)
            .await?;
        let v = q("SELECT version FROM process_definitions WHERE id = $1").bind(id.as_str()).fetch_i64(&self.db).await?;
        Ok((v, def))
    }

    /// The applicant with personal number `citizen_id`, for reception at the counter: from
    /// their account, or else from their latest dossier at an agency the officer receives for.
    pub async fn find_applicant(&self, p: &Principal, citizen_id: &str) -> Result<Option<crate::model::Applicant>> {
        let Some(scope) = (match p.agencies_with(Permission::DossierReceive) {
            Some(s) if s.is_empty() => None,
            other => Some(other),
        }) else {
            return Err(Error::Forbidden("cần vai trò tiếp nhận hồ sơ (a reception role is required)".into()));
        };
        kernel::codes::CitizenId::parse(citizen_id).map_err(|e| Error::invalid("citizen_id", e.to_string()))?;
        let account = q("SELECT full_name, email, phone FROM accounts WHERE citizen_id = $1 AND kind = 'citizen'")
            .bind(citizen_id)
            .fetch_optional(&self.db)
            .await?;
        if let Some(r) = account {
            return Ok(Some(crate::model::Applicant {
                kind: "citizen".into(),
                name: r.text("full_name")?,
                citizen_id: Some(citizen_id.to_owned()),
                tax_code: None,
                email: r.opt_text("email")?,
                phone: r.opt_text("phone")?,
                address: None,
                commune_code: None,
            }));
        }
        let mut w = kernel::db::Where::new();
        let c = w.arg(citizen_id);
        w.and(format!("applicant_citizen_id = {c}"));
        if let Some(set) = scope {
            let list: Vec<String> = set.into_iter().map(|a| w.arg(a)).collect();
            w.and(format!("agency_id IN ({})", list.join(", ")));
        }
        let row = w
            .query(format!("SELECT applicant FROM dossiers{} ORDER BY submitted_at DESC LIMIT 1", w.sql()))
            .fetch_optional(&self.db)
            .await?;
        row.map(|r| r.json::<crate::model::Applicant>("applicant")).transpose()
    }

    /// True when `p` may see the dossier: its applicant, officials of its agency (or of an
    /// agency that holds one of its tasks), province-wide auditors.
    pub async fn visible(&self, p: &Principal, d: &DossierRow) -> Result<bool> {
        if d.account_id.as_deref() == Some(p.id.as_str()) {
            return Ok(true);
        }
        if p.allows(Permission::DossierView, Some(&d.agency_id)) {
            return Ok(true);
        }
        if p.is_official() {
            let agencies =
                q("SELECT DISTINCT agency_id FROM tasks WHERE dossier_id = $1").bind(d.d.id.as_str()).fetch_all(&self.db).await?;
            for r in agencies {
                if p.allows(Permission::DossierView, Some(&r.text("agency_id")?)) {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// A dossier the caller may see (else "not found", telling nothing).
    pub async fn dossier(&self, p: &Principal, id: &str) -> Result<DossierRow> {
        match store::load(&self.db, id, false).await? {
            Some(d) if self.visible(p, &d).await? => Ok(d),
            _ => Err(Error::not_found(format!("hồ sơ {id}"))),
        }
    }

    pub async fn dossier_by_code(&self, p: &Principal, code: &str) -> Result<DossierRow> {
        match store::by_code(&self.db, code.trim()).await? {
            Some(d) if self.visible(p, &d).await? => Ok(d),
            _ => Err(Error::not_found(format!("hồ sơ {code}"))),
        }
    }

    /// Dossiers the caller may see: their own (citizens, businesses), their agencies'
    /// (officials), all (province-wide roles), newest first.
    pub async fn dossiers(&self, p: &Principal, status: Option<Status>, offset: i64, limit: i64) -> Result<(Vec<Dossier>, i64)> {
        self.dossiers_page(p, false, status, offset, limit, true).await
    }

    /// A page of the dossiers, or of the internal cases, the caller sees.
    pub(crate) async fn dossiers_page(
        &self,
        p: &Principal,
        internal: bool,
        status: Option<Status>,
        offset: i64,
        limit: i64,
        count: bool,
    ) -> Result<(Vec<Dossier>, i64)> {
        let mut w = Where::new();
        match p.kind {
            PrincipalKind::Citizen | PrincipalKind::Business => {
                let a = w.arg(p.id.as_str());
                w.and(format!("account_id = {a}"));
            }
            _ => match p.agencies_with(Permission::DossierView) {
                None => {}
                Some(set) if set.is_empty() => return Ok((vec![], 0)),
                Some(set) => {
                    let list: Vec<String> = set.into_iter().map(|s| w.arg(s)).collect();
                    w.and(format!("agency_id IN ({})", list.join(", ")));
                }
            },
        }
        if let Some(s) = status {
            let a = w.arg(s.code());
            w.and(format!("status = {a}"));
        }
        w.and(if internal { "kind = 'internal'" } else { "kind = 'dossier'" });
        let total = if count { w.query(format!("SELECT COUNT(*) FROM dossiers{}", w.sql())).fetch_i64(&self.db).await? } else { -1 };
        let rows = w
            .query(format!(
                // The page of ids comes from the index alone; only those rows are read whole.
                "SELECT {} FROM dossiers WHERE id IN (SELECT id FROM dossiers{} ORDER BY submitted_at DESC, id DESC LIMIT {limit} OFFSET {offset})
                 ORDER BY submitted_at DESC, id DESC",
                store::DOSSIER_COLS,
                w.sql()
            ))
            .fetch_all(&self.db)
            .await?;
        Ok((rows.iter().map(|r| store::dossier(r).map(|d| d.d)).collect::<Result<_>>()?, total))
    }

    /// The most recent dossiers the caller may see, without counting them all (for pages
    /// that show a short list).
    pub async fn recent_dossiers(&self, p: &Principal, status: Option<Status>, limit: i64) -> Result<Vec<Dossier>> {
        Ok(self.dossiers_page(p, false, status, 0, limit, false).await?.0)
    }

    pub async fn history(&self, p: &Principal, id: &str) -> Result<Vec<store::HistoryEntry>> {
        let d = self.dossier(p, id).await?;
        store::history(&self.db, &d.d.id).await
    }

    pub async fn tasks_of(&self, p: &Principal, id: &str) -> Result<Vec<Task>> {
        let d = self.dossier(p, id).await?;
        store::tasks_of(&self.db, &d.d.id).await
    }

    /// Writes the status event (national portal sync, pub/sub, and the notification consumer,
    /// which tells the applicant when they gave an e-mail address or phone).
    pub(crate) async fn status_event(&self, tx: &mut Tx, d: &Dossier, note: Option<&str>) -> Result<()> {
        let payload = json!({
            "dossier_id": d.id,
            "code": d.code,
            "status": d.status.code(),
            "status_name": d.status,
            "status_label": d.status.label(false),
            "channel": d.channel.code(),
            "procedure_code": d.procedure_code,
            "procedure_name": d.procedure_name,
            "agency_code": d.agency_code,
            "submitted_at": kernel::time::rfc3339_vn(d.submitted_at),
            "accepted_at": d.accepted_at.map(kernel::time::rfc3339_vn),
            "received_on": d.received_on,
            "due_on": d.due_on,
            "processed_at": d.processed_at.map(kernel::time::rfc3339_vn),
            "returned_at": d.returned_at.map(kernel::time::rfc3339_vn),
            "at": kernel::time::rfc3339_vn(self.now()),
            "note": note,
            "tracking_url": d.code.as_ref().map(|c| format!("{}/tracking?code={c}", self.public_url)),
            "applicant": {"name": d.applicant.name, "email": d.applicant.email, "phone": d.applicant.phone},
        });
        // Internal cases are not the national portal's business, nor the applicants'.
        let topic = if d.kind == "internal" { CASE_TOPIC } else { STATUS_TOPIC };
        kernel::outbox::publish(tx, topic, &d.id, &payload).await?;
        Ok(())
    }

    /// The agency a step's task goes to.
    pub(crate) async fn step_agency(&self, d: &DossierRow, agency: &StepAgency) -> Result<(String, String)> {
        match agency {
            StepAgency::Receiving => Ok((d.agency_id.clone(), d.d.agency_code.clone())),
            StepAgency::Agency(code) => {
                let id = catalog::store::agencies::find_id(&self.db, code)
                    .await?
                    .ok_or_else(|| Error::internal(format!("process names unknown agency {code}")))?;
                Ok((id, code.clone()))
            }
            StepAgency::ApplicantCommune => {
                let unit = d.d.applicant.commune_code.clone().ok_or_else(|| Error::invalid("applicant.commune_code", "bước này do UBND xã của người nộp thực hiện: cần mã xã (this step is done at the applicant's commune: its code is needed)"))?;
                let r = q("SELECT id, code FROM agencies WHERE unit_code = $1 AND active = TRUE ORDER BY code LIMIT 1")
                    .bind(unit.as_str())
                    .fetch_optional(&self.db)
                    .await?;
                let r = r.ok_or_else(|| {
                    Error::invalid("applicant.commune_code", format!("không có UBND cho đơn vị {unit} (no commune agency for this unit)"))
                })?;
                Ok((r.text("id")?, r.text("code")?))
            }
        }
    }

    /// Opens the tasks of `step_id` (and for payment and return steps changes the status).
    /// Returns the new status.
    pub(crate) async fn enter_step(&self, tx: &mut Tx, d: &DossierRow, def: &ProcessDefinition, step_id: &str, now: i64) -> Result<Status> {
        let step = def.step(step_id).ok_or_else(|| Error::internal(format!("process has no step {step_id}")))?;
        let cal = self.calendar(&d.d.agency_code).await?;
        let due = deadline::step_due(&cal, now, step.duration.minutes());
        let mut targets = Vec::new();
        if step.kind == StepKind::Consult {
            for code in &step.agencies {
                targets.push(self.step_agency(d, &StepAgency::Agency(code.clone())).await?);
            }
        } else {
            targets.push(self.step_agency(d, &step.agency).await?);
        }
        for (agency_id, agency_code) in targets {
            q("INSERT INTO tasks (id, dossier_id, step_id, step_name, kind, role, agency_id, agency_code, status, started_at, due_at, version)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10, 1)")
            .bind(kernel::id::new_id())
            .bind(d.d.id.as_str())
            .bind(step.id.as_str())
            .bind(step.name.as_str())
            .bind(serde_json::to_value(step.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default())
            .bind(step.role.as_str())
            .bind(agency_id)
            .bind(agency_code)
            .bind(now)
            .bind(due)
            .execute(&mut *tx)
            .await?;
        }
        let status = match step.kind {
            StepKind::Payment if d.d.fee_total > d.d.paid => Status::FeesDue,
            StepKind::Return => Status::Processed,
            _ => Status::Processing,
        };
        Ok(status)
    }
}

/// A procedure's legal time in working minutes (8-hour days).
pub fn legal_minutes(value: f64, unit: &str) -> u32 {
    let m = match unit {
        "working_hours" => value * 60.0,
        _ => value * crate::model::process::DAY_MINUTES as f64,
    };
    m.max(1.0).round() as u32
}
