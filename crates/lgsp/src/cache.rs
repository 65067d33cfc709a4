//! The registry as the gateway reads it on every request: a snapshot in memory, reloaded when
//! this node changes the registry and at most two seconds after another node did.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::http::HeaderValue;
use kernel::Result;
use kernel::db::q;

use crate::Lgsp;
use crate::model::SubsystemId;
use crate::registry::{Service, Subsystem};

/// How long a snapshot serves before it is reloaded.
const FRESH_FOR: Duration = Duration::from_secs(2);

/// A snapshot with when it was loaded and the generation of this node's changes it reflects.
pub(crate) type Loaded = (Instant, u64, Arc<Snapshot>);

/// A subsystem with the forms of its name the gateway writes on every call.
pub(crate) struct KnownClient {
    pub(crate) sub: Subsystem,
    /// `INSTANCE/CLASS/MEMBER/SUBSYSTEM`, readable: the log's form.
    pub(crate) text: String,
    /// The `X-Road-Client` form, parts percent-encoded.
    pub(crate) header: Option<HeaderValue>,
}

/// A service with the forms of its name and address the gateway writes on every call.
pub(crate) struct KnownService {
    pub(crate) service: Service,
    /// `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE`, readable: the log's form.
    pub(crate) text: String,
    /// `X-Road-Service`.
    pub(crate) header: Option<HeaderValue>,
    /// The upstream when it is plain HTTP (the direct path's).
    pub(crate) plain: Option<crate::direct::Plain>,
}

/// A right's method and path prefix (None: any).
type Right = (Option<String>, Option<String>);

/// Subsystems and providers are keyed by their readable text (`INSTANCE/CLASS/MEMBER/SUBSYSTEM`:
/// parts never hold a `/`), so a name taken as it stands from a path or a header, when it has
/// nothing percent-encoded, finds its entry without being parsed or copied.
#[derive(Default)]
pub struct Snapshot {
    subsystems: HashMap<String, KnownClient>,
    /// provider → service code → service (nested, so a lookup borrows its keys).
    services: HashMap<String, HashMap<String, KnownService>>,
    /// service id → client subsystem id → the rights.
    access: HashMap<String, HashMap<String, Vec<Right>>>,
    /// (OAuth2 client id, instance, class, member) of trusted gateways.
    peers: HashSet<(String, String, String, String)>,
}

impl Snapshot {
    pub fn subsystem(&self, id: &SubsystemId) -> Option<&Subsystem> {
        self.subsystems.get(id.text().as_str()).map(|k| &k.sub)
    }

    pub fn service(&self, provider: &SubsystemId, code: &str) -> Option<&Service> {
        self.known_service(&provider.text(), code).map(|k| &k.service)
    }

    /// The subsystem named `text` (`INSTANCE/CLASS/MEMBER/SUBSYSTEM`, decoded).
    pub(crate) fn known_client(&self, text: &str) -> Option<&KnownClient> {
        self.subsystems.get(text)
    }

    /// The service `code` of the provider named `provider` (decoded text).
    pub(crate) fn known_service(&self, provider: &str, code: &str) -> Option<&KnownService> {
        self.services.get(provider)?.get(code)
    }

    pub fn speaks_for(&self, client_id: &str, x: &SubsystemId) -> bool {
        self.peers.contains(&(client_id.to_owned(), x.instance.clone(), x.member_class.clone(), x.member.clone()))
    }

    /// Deny by default: some right names the client, and its method and path prefix fit.
    /// True when the client has any right on the service for this method, whatever its path
    /// (a SOAP client names the operation in its message, checked once it is read).
    pub fn allowed_some(&self, client_subsystem_id: &str, service_id: &str, method: &str) -> bool {
        self.access
            .get(service_id)
            .and_then(|by_client| by_client.get(client_subsystem_id))
            .is_some_and(|rights| rights.iter().any(|(m, _)| m.as_deref().is_none_or(|m| fits(m, method))))
    }

    pub fn allowed(&self, client_subsystem_id: &str, service_id: &str, method: &str, path: &str) -> bool {
        self.access.get(service_id).and_then(|by_client| by_client.get(client_subsystem_id)).is_some_and(|rights| {
            rights.iter().any(|(m, p)| {
                m.as_deref().is_none_or(|m| fits(m, method))
                    && p.as_deref()
                        .is_none_or(|p| path == p || path.strip_prefix(p.trim_end_matches('/')).is_some_and(|rest| rest.starts_with('/')))
            })
        })
    }
}

/// Whether a right for `granted` covers a call with `method`: HEAD is GET without the body
/// (RFC 9110, 9.3.2), so a right to GET also lets a client ask for the head alone.
fn fits(granted: &str, method: &str) -> bool {
    granted == method || (granted == "GET" && method == "HEAD")
}

impl Lgsp {
    /// The current snapshot, reloading it when stale.
    pub async fn snapshot(&self) -> Result<Arc<Snapshot>> {
        if let Some(s) = self.snapshot_now() {
            return Ok(s);
        }
        let current = self.snapshot.read().unwrap_or_else(|e| e.into_inner()).clone();
        // One request reloads a snapshot that only aged while the others go on with it; after
        // this node changed the registry (or at start) they wait for a new one.
        let changed = current.as_ref().is_none_or(|c| c.1 != self.generation.load(Ordering::Acquire));
        let _turn = match self.reloading.try_lock() {
            Ok(turn) => turn,
            Err(_) if !changed => return Ok(current.map(|c| c.2).unwrap_or_default()),
            Err(_) => self.reloading.lock().await,
        };
        // Another request may have reloaded it while this one waited for its turn.
        if let Some(s) = self.snapshot_now() {
            return Ok(s);
        }
        // A change made while loading leaves this snapshot stale for the next request.
        let generation = self.generation.load(Ordering::Acquire);
        let s = Arc::new(self.load_snapshot().await?);
        *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), generation, s.clone()));
        Ok(s)
    }

    /// The snapshot when it is fresh, without waiting or reading anything.
    pub(crate) fn snapshot_now(&self) -> Option<Arc<Snapshot>> {
        match &*self.snapshot.read().unwrap_or_else(|e| e.into_inner()) {
            Some((at, generation, s)) if at.elapsed() < FRESH_FOR && *generation == self.generation.load(Ordering::Acquire) => {
                Some(s.clone())
            }
            _ => None,
        }
    }

    /// Forgets the snapshot after this node changed the registry.
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    async fn load_snapshot(&self) -> Result<Snapshot> {
        let mut s = Snapshot::default();
        for sub in self.subsystems_all().await? {
            let (text, header) = (sub.xid.text(), HeaderValue::from_str(&sub.xid.encoded()).ok());
            s.subsystems.insert(text.clone(), KnownClient { sub, text, header });
        }
        for v in self.services_all().await? {
            let (text, header, plain) = (v.text(), crate::headers::service_header(&v), crate::direct::Plain::of(&v.upstream_url));
            let known = KnownService { service: v, text, header, plain };
            s.services.entry(known.service.provider.text()).or_default().insert(known.service.code.clone(), known);
        }
        for r in q("SELECT service_id, client_subsystem_id, method, path_prefix FROM lgsp_access").fetch_all(&self.db).await? {
            s.access
                .entry(r.text("service_id")?)
                .or_default()
                .entry(r.text("client_subsystem_id")?)
                .or_default()
                .push((r.opt_text("method")?, r.opt_text("path_prefix")?));
        }
        for r in q("SELECT client_id, instance, member_class, member_code FROM lgsp_peers").fetch_all(&self.db).await? {
            s.peers.insert((r.text("client_id")?, r.text("instance")?, r.text("member_class")?, r.text("member_code")?));
        }
        Ok(s)
    }
}
