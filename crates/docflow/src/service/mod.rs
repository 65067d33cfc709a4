//! Use cases of document management. Every change runs in one transaction that reads the
//! document at its version, checks the caller's right at the document's agency and the
//! document's state, writes the change and its history entry, and queues what must be told
//! to other agencies (edXML packages and status messages) in the same transaction.

pub mod exchange;
pub mod export;
pub mod files;
pub mod hub;
pub mod incoming;
pub mod keys;
pub mod outgoing;
mod package;
pub mod read;
pub mod registers;
pub(crate) mod remote;

use kernel::authz::{Permission, Principal};
use kernel::blob::BlobStore;
use kernel::db::{Db, Tx, q};
use kernel::{Error, Result};

pub use read::{Document, DocumentView, FileInfo, HistoryEntry, Recipient};

use crate::model::DocState;

/// How this deployment reaches the exchange hub (trục liên thông) when another deployment
/// plays it; without one, this deployment is its own hub.
#[derive(Debug, Clone)]
pub struct RemoteHub {
    /// Base URL of the hub API (`.../api/docflow/hub`), or an LGSP gateway path that leads there.
    pub url: String,
    /// `X-Road-Client` to send when the URL is a gateway path.
    pub xroad_client: Option<String>,
    /// OAuth2 client credentials at the hub's (or gateway's) token endpoint.
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Clone)]
pub struct Docflow {
    pub db: Db,
    pub catalog: catalog::Catalog,
    pub blobs: BlobStore,
    /// The hub of another deployment; None: this deployment is its own hub.
    remote: std::sync::Arc<std::sync::RwLock<Option<RemoteHub>>>,
    http: reqwest::Client,
    token: std::sync::Arc<tokio::sync::Mutex<Option<(String, i64)>>>,
    /// Wakes the exchange worker when something is queued.
    pub(crate) wake: std::sync::Arc<tokio::sync::Notify>,
    /// Wakes callers waiting on the hub for new messages (long polls).
    pub(crate) hub_signal: std::sync::Arc<tokio::sync::Notify>,
    /// Set when the server stops, so long polls answer at once and shutdown does not wait.
    pub(crate) closing: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// One exchange round at a time in this process.
    round: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// The largest file accepted on a document (edXML packages may carry more, streamed).
pub const MAX_FILE_BYTES: usize = 50 * 1024 * 1024;

impl Docflow {
    pub fn new(db: Db, catalog: catalog::Catalog, blob_dir: std::path::PathBuf, remote: Option<RemoteHub>) -> Docflow {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(120))
            .build()
            .unwrap_or_default();
        Docflow {
            db,
            catalog,
            blobs: BlobStore::new(blob_dir),
            remote: std::sync::Arc::new(std::sync::RwLock::new(remote)),
            http,
            token: Default::default(),
            wake: Default::default(),
            round: Default::default(),
            hub_signal: Default::default(),
            closing: Default::default(),
        }
    }
}

impl Docflow {
    /// The hub this deployment uses, when it is another deployment.
    pub fn remote(&self) -> Option<RemoteHub> {
        self.remote.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Points the exchange at another deployment's hub (or back at this one with None).
    pub fn set_remote(&self, remote: Option<RemoteHub>) {
        *self.remote.write().unwrap_or_else(|e| e.into_inner()) = remote;
        if let Ok(mut t) = self.token.try_lock() {
            *t = None;
        }
        self.wake.notify_one();
    }
}

/// An agency as documents need it: id, codes, names.
#[derive(Debug, Clone)]
pub struct AgencyRef {
    pub id: String,
    pub code: String,
    /// QCVN 102 identifier (edXML OrganId); the QĐ 20 code when none is recorded.
    pub organ_id: String,
    pub name: String,
    pub short_name: Option<String>,
    pub address: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
}

const AGENCY_COLS: &str = "id, code, COALESCE(qcvn_code, code) AS organ_id, name, short_name, address, email, phone, website";

fn agency_row(r: &kernel::db::Row) -> Result<AgencyRef> {
    Ok(AgencyRef {
        id: r.text("id")?,
        code: r.text("code")?,
        organ_id: r.text("organ_id")?,
        name: r.text("name")?,
        short_name: r.opt_text("short_name")?,
        address: r.opt_text("address")?,
        email: r.opt_text("email")?,
        phone: r.opt_text("phone")?,
        website: r.opt_text("website")?,
    })
}

impl Docflow {
    pub async fn agency_by_code(&self, code: &str) -> Result<AgencyRef> {
        let r = q(format!("SELECT {AGENCY_COLS} FROM agencies WHERE code = $1 AND active"))
            .bind(code.trim())
            .fetch_optional(&self.db)
            .await?
            .ok_or_else(|| Error::not_found(format!("cơ quan {code} (agency)")))?;
        agency_row(&r)
    }

    pub async fn agency_by_id(&self, id: &str) -> Result<AgencyRef> {
        let r = q(format!("SELECT {AGENCY_COLS} FROM agencies WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.db)
            .await?
            .ok_or_else(|| Error::not_found(format!("cơ quan {id} (agency)")))?;
        agency_row(&r)
    }

    /// The agency of this deployment with this edXML OrganId, if any.
    pub async fn agency_by_organ(&self, organ_id: &str) -> Result<Option<AgencyRef>> {
        let r = q(format!("SELECT {AGENCY_COLS} FROM agencies WHERE active AND (qcvn_code = $1 OR (qcvn_code IS NULL AND code = $1))"))
            .bind(organ_id)
            .fetch_optional(&self.db)
            .await?;
        r.as_ref().map(agency_row).transpose()
    }

    /// The agency an official acts for: the one named, or their own.
    pub async fn acting_agency(&self, p: &Principal, code: Option<&str>) -> Result<AgencyRef> {
        match code.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => self.agency_by_code(c).await,
            None => match &p.agency_id {
                Some(id) => self.agency_by_id(id).await,
                None => Err(Error::invalid("agency_code", "hãy chọn cơ quan (choose the agency)")),
            },
        }
    }
}

pub(crate) fn require(p: &Principal, perm: Permission, agency_id: &str, what: &str) -> Result<()> {
    if p.allows(perm, Some(agency_id)) { Ok(()) } else { Err(Error::Forbidden(what.to_owned())) }
}

/// Appends one trace to a document's history.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn trace(
    tx: &mut Tx,
    document_id: &str,
    actor: Option<&Principal>,
    action: &str,
    from: Option<DocState>,
    to: Option<DocState>,
    note: Option<&str>,
    status: Option<(&str, &str)>,
) -> Result<()> {
    let (actor_id, actor_name) = match actor {
        Some(p) => (Some(p.id.clone()), p.name.clone()),
        None => (None, "Hệ thống".to_owned()),
    };
    q("INSERT INTO document_history (id, document_id, at, actor_id, actor_name, action, from_state, to_state, status_code, organ_id, note)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
    .bind(kernel::id::new_id())
    .bind(document_id)
    .bind(kernel::time::now_ms())
    .bind(actor_id)
    .bind(actor_name)
    .bind(action)
    .bind(from.map(|s| s.as_str().to_owned()))
    .bind(to.map(|s| s.as_str().to_owned()))
    .bind(status.map(|s| s.0.to_owned()))
    .bind(status.map(|s| s.1.to_owned()))
    .bind(note.map(str::to_owned))
    .execute(tx)
    .await?;
    Ok(())
}

/// Moves a document from `from` (one of) to `to` if its version is still `version`; a stale
/// version or another state is a conflict and nothing changes.
pub(crate) async fn move_state(tx: &mut Tx, id: &str, version: i64, from: &[DocState], to: DocState) -> Result<DocState> {
    let row = q("SELECT state, version FROM documents WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| Error::not_found(format!("văn bản {id} (document)")))?;
    let state = DocState::parse(&row.text("state")?).ok_or_else(|| Error::internal("bad document state"))?;
    if row.int("version")? != version {
        return Err(Error::conflict(
            "văn bản vừa được người khác thay đổi; hãy tải lại trang (the document was changed by someone else meanwhile; reload it)",
        ));
    }
    if !from.contains(&state) {
        return Err(Error::conflict(format!(
            "văn bản đang ở trạng thái «{}», không làm được việc này (the document is {}; this action is not possible now)",
            state.label(false),
            state.label(true)
        )));
    }
    let n = q("UPDATE documents SET state = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4")
        .bind(to.as_str())
        .bind(kernel::time::now_ms())
        .bind(id)
        .bind(version)
        .execute(&mut *tx)
        .await?;
    if n != 1 {
        return Err(Error::conflict("văn bản vừa được người khác thay đổi (the document was changed meanwhile)"));
    }
    Ok(state)
}

/// The text a document is found by: number, notation, subject, sender, folded.
pub(crate) fn search_text(parts: &[Option<&str>]) -> String {
    kernel::fold::fold(&parts.iter().flatten().copied().collect::<Vec<_>>().join(" "))
}
