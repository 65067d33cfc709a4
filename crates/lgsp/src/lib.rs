//! LGSP, the integration platform every call between systems passes: a registry of members,
//! subsystems and services; a gateway speaking X-Road's REST protocol (r1) that checks every
//! caller against deny-by-default allow-lists and rate limits, forwards with streamed bodies
//! and records every exchange; a message log sealed in signed, chained batches; monitoring.

pub mod api;
pub mod gateway;
pub mod log;
pub mod model;
pub mod registry;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kernel::db::Db;

#[derive(Clone)]
pub struct Lgsp {
    pub db: Db,
    http: reqwest::Client,
    key: Arc<log::SealKey>,
    /// Requests counted per client subsystem in the current minute (per node).
    counts: Arc<Mutex<HashMap<String, (i64, i64)>>>,
    /// Tokens this gateway holds at other gateways, per service, with their expiry (ms).
    tokens: Arc<Mutex<HashMap<String, (String, i64)>>>,
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
        Ok(Lgsp { db, http, key: Arc::new(log::SealKey::load_or_create(key_path)?), counts: Arc::default(), tokens: Arc::default() })
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

    /// True when `client` may make one more request this minute under `per_minute` (0: no limit).
    fn take_turn(&self, client: &str, per_minute: i64) -> bool {
        if per_minute <= 0 {
            return true;
        }
        let minute = kernel::time::now_ms() / 60_000;
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let e = counts.entry(client.to_owned()).or_insert((minute, 0));
        if e.0 != minute {
            *e = (minute, 0);
        }
        if e.1 >= per_minute {
            return false;
        }
        e.1 += 1;
        true
    }
}
