//! LGSP, the integration platform every call between systems passes: a registry of members,
//! subsystems and services; a gateway speaking X-Road's REST protocol (r1) that checks every
//! caller against deny-by-default allow-lists and rate limits, forwards with streamed bodies
//! and records every exchange; a message log sealed in signed, chained batches; monitoring.

pub mod access;
pub mod api;
mod bridge;
pub mod cache;
pub mod deliveries;
pub mod direct;
mod envelope;
pub mod gateway;
pub mod h1;
mod headers;
pub mod log;
mod meta;
pub mod model;
pub mod pages;
pub mod pubsub;
pub mod quota;
pub mod registry;
mod relay;
pub mod replicas;
pub mod retention;
pub mod seed;
pub mod sftp;
pub mod soap;
pub mod sync;
mod target;
mod upstream;
mod writer;
mod xml;
pub mod yaml;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use kernel::db::Db;

/// The platform, shared by every request: cloning it copies one pointer.
#[derive(Clone)]
pub struct Lgsp(Arc<Inner>);

impl std::ops::Deref for Lgsp {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

#[derive(Clone)]
pub struct Inner {
    pub db: Db,
    http: reqwest::Client,
    key: Arc<log::SealKey>,
    /// Calls counted per client subsystem this minute, against rate limits (all nodes).
    rates: Arc<quota::Quotas>,
    /// Calls counted per client subsystem today, against daily quotas (all nodes).
    quotas: Arc<quota::Quotas>,
    /// Tokens this gateway holds at other gateways, per service, with their expiry (ms).
    tokens: Arc<Mutex<HashMap<String, (String, i64)>>>,
    /// The registry as the gateway reads it, with when it was loaded and the generation of
    /// this node's changes it reflects.
    snapshot: Arc<RwLock<Option<cache::Loaded>>>,
    /// Counts this node's changes to the registry.
    generation: Arc<std::sync::atomic::AtomicU64>,
    /// Held by the one request that reloads a stale snapshot.
    reloading: Arc<tokio::sync::Mutex<()>>,
    /// The message log's journal: records queue here and the writer writes them in batches.
    journal: Arc<std::sync::OnceLock<Arc<log::journal::Journal>>>,
    writer_task: Arc<Mutex<Option<std::thread::JoinHandle<()>>>>,
    /// Told when this node publishes an event, so its push worker looks at once.
    pushes: Arc<tokio::sync::Notify>,
    /// Calls forwarded by the direct path (`direct.rs`) since start.
    direct_calls: Arc<std::sync::atomic::AtomicU64>,
    /// The shared catalogs, where file replicas of national data are imported.
    catalog: Option<catalog::Catalog>,
    /// The message log's archive directory and retention period.
    retention: Option<retention::Retention>,
    /// The address clients reach the platform at, for the service addresses in descriptions.
    public_url: Option<String>,
}

impl Lgsp {
    /// `key_path`: the platform's Ed25519 signing key (PKCS#8), created when missing.
    pub fn new(db: Db, key_path: &std::path::Path) -> anyhow::Result<Lgsp> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(std::time::Duration::from_secs(10))
            .pool_max_idle_per_host(64)
            .build()?;
        Ok(Lgsp(Arc::new(Inner {
            db,
            http,
            key: Arc::new(log::SealKey::load_or_create(key_path)?),
            rates: Arc::new(quota::Quotas::new(quota::Period::Minute)),
            quotas: Arc::default(),
            tokens: Arc::default(),
            snapshot: Arc::default(),
            generation: Arc::default(),
            reloading: Arc::default(),
            journal: Arc::default(),
            writer_task: Arc::default(),
            pushes: Arc::default(),
            direct_calls: Arc::default(),
            catalog: None,
            retention: None,
            public_url: None,
        })))
    }

    /// Gives the platform the catalogs' registries, for file replicas.
    pub fn with_catalog(mut self, c: catalog::Catalog) -> Lgsp {
        Arc::make_mut(&mut self.0).catalog = Some(c);
        self
    }

    /// The address clients reach the platform at (`public_url`), which the WSDL descriptions
    /// the gateway hands out name as the services' address.
    pub fn with_public_url(mut self, url: &str) -> Lgsp {
        Arc::make_mut(&mut self.0).public_url = Some(url.trim_end_matches('/').to_owned());
        self
    }

    /// The platform's address for clients: `public_url`, or else the host the request came to.
    pub(crate) fn public_url(&self, headers: &axum::http::HeaderMap) -> String {
        match &self.0.public_url {
            Some(u) => u.clone(),
            None => {
                let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
                format!("http://{host}")
            }
        }
    }

    /// How many calls the direct path forwarded since start (the rest went through the router).
    pub fn direct_calls(&self) -> u64 {
        self.direct_calls.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn key(&self) -> &log::SealKey {
        &self.key
    }

    /// Seals every record not in a batch yet, in batches of up to 10,000. Returns batches made.
    pub async fn seal_pending(&self) -> kernel::Result<usize> {
        let mut n = 0;
        while log::seal(&self.db, &self.key, 10_000).await?.is_some() {
            n += 1;
        }
        Ok(n)
    }

    /// Starts the message log's writer. Records of exchanges are queued in the journal in
    /// `journal_dir` (`log/journal.rs`) and written in batches (what came within [`GATHER`], up
    /// to 2,000) per transaction, each sealed (signed, chained) as it is written, so logging
    /// keeps pace with the gateway. What an earlier run queued and did not write, because it
    /// was killed or the database was down, is written first, less what is in the log already.
    pub async fn start_log_writer(&self, journal_dir: &std::path::Path) -> anyhow::Result<()> {
        let journal = log::journal::Journal::open(journal_dir)
            .map_err(|e| anyhow::anyhow!("the LGSP message log's journal {}: {e}", journal_dir.display()))?;
        let (db, key) = (self.db.clone(), self.key.clone());
        let left = writer::replay(&db, &key, &journal).await?;
        if left > 0 {
            tracing::warn!(records = left, "the LGSP message log wrote the records an earlier run had answered but not written");
        }
        // SQLite's writes run in place on the thread that holds the write turn; under the
        // gateway's load this loop writes almost all the time, so it gets a thread of its own.
        // When the gateway outruns it, the rings fill and the serving threads wait for room.
        // (A lower priority for this thread was tried: the rings filled at the peak and the
        // gateway's p99 there went from 6 to 29 ms. Linux's SCHED_BATCH, its share kept but
        // without preempting on wake-up, made no difference this machine could tell from its noise.)
        let rt = tokio::runtime::Handle::current();
        let j = journal.clone();
        let thread = std::thread::Builder::new().name("tinhso-lgsp-log".into()).spawn(move || {
            loop {
                if !j.pending() {
                    if j.stopping() {
                        break;
                    }
                    j.sleep(std::time::Duration::from_secs(1));
                    continue;
                }
                // Gather for a few milliseconds: each transaction writes its pages again, so
                // fewer, fuller batches cost the database less per record under load. Asleep,
                // not woken by each record: a wake-up per record cost more than writing it.
                if !j.stopping() {
                    std::thread::sleep(GATHER);
                }
                let taken = j.take(BATCH_MAX);
                if rt.block_on(writer::write_batch(&db, &key, &taken.records)) {
                    observe(&taken.records);
                    j.done(taken);
                } else if j.stopping() {
                    // The database is gone as the server stops: the records stay in the
                    // journal for the next start.
                    break;
                } else {
                    std::thread::sleep(std::time::Duration::from_secs(1));
                }
            }
        })?;
        journal.set_writer(thread.thread().clone());
        if self.journal.set(journal).is_err() {
            anyhow::bail!("the LGSP message log's writer was started twice");
        }
        *self.writer_task.lock().unwrap_or_else(|e| e.into_inner()) = Some(thread);
        Ok(())
    }

    /// Stops the writer once every queued record is written (records queued after that stay
    /// in the journal for the next start).
    pub async fn stop_log_writer(&self) {
        if let Some(j) = self.journal.get() {
            j.stop();
        }
        let thread = self.writer_task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(t) = thread {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
    }

    /// Queues the record of an exchange in the journal, waiting for room when the thread's ring
    /// is full (or writes it at once when no writer runs, or it is too large for a ring).
    pub(crate) fn log(&self, x: log::Exchange) {
        let x = match self.journal.get() {
            Some(j) => match j.push(x) {
                None => return,
                Some(x) => x,
            },
            None => x,
        };
        observe(std::slice::from_ref(&x));
        let (db, key) = (self.db.clone(), self.key.clone());
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = log::record_sealed(&db, &key, std::slice::from_ref(&x)).await {
                    tracing::error!(error = %e, request_id = %x.request_id, "the LGSP message log could not record an exchange");
                }
            });
        }
    }

    /// Whether `client` may make one more call now, under its rate limit (this minute) and its
    /// daily quota (today), all nodes together; counted against both when it may.
    fn take_turn(&self, client: &registry::Subsystem) -> Turn {
        let (per_minute, per_day) = (client.rate_per_minute, client.calls_per_day);
        let mut left = quota::Left::default();
        if per_minute <= 0 && per_day <= 0 {
            return Turn::Taken(left);
        }
        let now = kernel::time::now_ms();
        if per_minute > 0 {
            match self.rates.take(&client.id, per_minute, now) {
                quota::Fits::Yes(n) => left.minute = Some((per_minute, n)),
                quota::Fits::No => return Turn::RateLimited(quota::Left { minute: Some((per_minute, 0)), day: None }),
                quota::Fits::Unknown => return Turn::Unknown,
            }
        }
        if per_day > 0 {
            match self.quotas.take(&client.id, per_day, now) {
                quota::Fits::Yes(n) => left.day = Some((per_day, n)),
                refused => {
                    if per_minute > 0 {
                        self.rates.give_back(&client.id, now);
                    }
                    return match refused {
                        quota::Fits::No => Turn::QuotaUsed(quota::Left { minute: None, day: Some((per_day, 0)) }),
                        _ => Turn::Unknown,
                    };
                }
            }
        }
        Turn::Taken(left)
    }

    /// Reads the current minute's and day's calls of `client` from the database, for the limits
    /// it has (its first call of the minute or the day on this node).
    async fn load_turns(&self, client: &registry::Subsystem) -> kernel::Result<()> {
        let now = kernel::time::now_ms();
        if client.rate_per_minute > 0 {
            self.rates.load(&self.db, &client.id, now).await?;
        }
        if client.calls_per_day > 0 {
            self.quotas.load(&self.db, &client.id, now).await?;
        }
        Ok(())
    }

    /// Adds this node's calls to the minute's and the day's usage of each client with a rate
    /// limit or a daily quota, and reads back what all nodes used (every second, and as the
    /// server stops).
    pub async fn sync_quotas(&self) -> kernel::Result<()> {
        let (rates, quotas) = (self.rates.sync(&self.db).await, self.quotas.sync(&self.db).await);
        rates.and(quotas)
    }
}

/// What [`Lgsp::take_turn`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Turn {
    /// Counted; what the client's limits stand at now.
    Taken(quota::Left),
    /// Refused: this minute's calls are used up.
    RateLimited(quota::Left),
    /// Refused: today's calls are used up.
    QuotaUsed(quota::Left),
    /// The minute's or the day's calls of a client with a limit are not known on this node yet.
    Unknown,
}

/// Counts exchanges in the Prometheus metrics (`lgsp_exchanges_total{service,status}`,
/// `lgsp_exchange_seconds{service}`), a batch at a time: off the serving threads, and each
/// series looked up once per batch rather than once per exchange.
fn observe(xs: &[log::Exchange]) {
    let mut by_service: HashMap<&str, (HashMap<i64, u64>, Vec<f64>)> = HashMap::new();
    for x in xs {
        let service = metric_service(x);
        let (statuses, seconds) = by_service.entry(service).or_default();
        *statuses.entry(x.status).or_default() += 1;
        seconds.push(x.duration_ms as f64 / 1000.0);
    }
    for (service, (statuses, seconds)) in by_service {
        for (status, n) in statuses {
            metrics::counter!("lgsp_exchanges_total", "service" => service.to_owned(), "status" => status.to_string()).increment(n);
        }
        let h = metrics::histogram!("lgsp_exchange_seconds", "service" => service.to_owned());
        for s in seconds {
            h.record(s);
        }
    }
}

/// How long the writer lets records gather after the first before it writes them: a wake-up
/// per record cost more than writing it, and each transaction writes its pages again. (5 ms
/// was tried, for shorter writes: no change this machine could tell from its noise.)
const GATHER: std::time::Duration = std::time::Duration::from_millis(20);

/// The most records written in one transaction.
const BATCH_MAX: usize = 2000;

/// The service a record is counted under in the metrics. A call refused before its service
/// was found names whatever its caller wrote: counted under "-", so that nobody can add series
/// to the metrics by calling made-up services.
fn metric_service(x: &log::Exchange) -> &str {
    const UNRESOLVED: [&str; 7] = [
        "Client.MissingClientHeader",
        "Client.InvalidClientIdentifier",
        "Client.UnknownClient",
        "Client.AuthenticationFailed",
        "Client.InvalidRequestPath",
        "Server.ServerProxy.UnknownService",
        "Server.ServerProxy.UnknownMember",
    ];
    match x.error.as_deref() {
        Some(e) if UNRESOLVED.iter().any(|k| e.starts_with(k)) => "-",
        _ => &x.service,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_refused_before_their_service_is_known_add_no_series() {
        let x = |error: Option<&str>| log::Exchange {
            service: "VN/GOV/M/S/made-up-1234".into(),
            error: error.map(str::to_owned),
            ..Default::default()
        };
        assert_eq!(metric_service(&x(Some("Server.ServerProxy.UnknownService: không có dịch vụ"))), "-");
        assert_eq!(metric_service(&x(Some("Client.AuthenticationFailed: cần mã truy cập"))), "-");
        assert_eq!(metric_service(&x(Some("Server.ServerProxy.AccessDenied: không có quyền"))), "VN/GOV/M/S/made-up-1234");
        assert_eq!(metric_service(&x(None)), "VN/GOV/M/S/made-up-1234");
    }
}
