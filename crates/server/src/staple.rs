//! OCSP stapling, with `tls_ocsp_stapling`: the server asks the responder that its own
//! certificate names (Authority Information Access) whether the certificate is good, and hands
//! the responder's signed answer to every client that asks for it in the handshake (the
//! certificate status request of RFC 6066). A client that checks revocation then need not ask
//! the CA itself, which is slower and tells the CA whom it visits.
//!
//! The answer is checked before it is stapled, as a client certificate's answer is
//! (`ocsp.rs`): signed by the issuer or a responder it delegated, about this certificate, and
//! current. Only a "good" answer is stapled. It is asked for again halfway to its next update,
//! and at least every hour (an answer without a next update is stapled for an hour from its
//! date), and is no longer stapled once its next update has passed. When the responder says the
//! certificate is revoked or unknown, nothing is stapled from then on and the log says why;
//! when it gives no usable answer, the last good answer is stapled while it holds, and the
//! responder is asked again after 5 s, then after twice as long each time, up to 5 minutes.
//! Without a staple the server is served as before: clients ask the CA themselves, or do not.
//! The first attempt is made before the server starts serving (at most 5 s, the time the
//! responder is given to answer), so the first clients get the answer.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::sync::watch;
use x509_cert::Certificate;
use x509_cert::der::Decode;

use crate::ocsp::{Issuer, issued, issuer, query, responder_named};

/// The first wait after a failed attempt; it doubles with each failure after it, up to
/// [`LAST_RETRY`].
const FIRST_RETRY: Duration = Duration::from_secs(5);
const LAST_RETRY: Duration = Duration::from_secs(300);
/// How long an answer that gives no next update is stapled, from its date.
const MAX_AGE: Duration = Duration::from_secs(3600);
/// The longest wait before asking again after a good answer, however long the answer holds: a
/// revocation shows within this.
const REFRESH_AT_MOST: Duration = Duration::from_secs(3600);
/// How long the responder may take to answer.
const ASK_TIMEOUT: Duration = Duration::from_secs(5);

/// The server's certificate and key, with the responder's good answer stapled while it holds.
pub struct Stapler {
    plain: Arc<CertifiedKey>,
    issuer: Issuer,
    url: String,
    http: reqwest::Client,
    /// The certificate with the answer, and until when the answer holds.
    stapled: RwLock<Option<(Arc<CertifiedKey>, SystemTime)>>,
    /// The wait after the next failed attempt.
    retry: Mutex<Duration>,
}

impl std::fmt::Debug for Stapler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stapler").field("responder", &self.url).finish_non_exhaustive()
    }
}

impl Stapler {
    /// Stapling for `key` (the chain from `tls_cert` and its private key): the certificate
    /// must name its responder, and its issuer's certificate must follow it in the chain.
    pub fn new(key: CertifiedKey) -> anyhow::Result<Stapler> {
        let end = key.cert.first().ok_or_else(|| anyhow::anyhow!("tls_cert holds no certificate"))?;
        let cert = Certificate::from_der(end.as_ref()).map_err(|e| anyhow::anyhow!("tls_cert: {e}"))?;
        let url = responder_named(&cert).map_err(|e| anyhow::anyhow!("tls_cert: {e}"))?.ok_or_else(|| {
            anyhow::anyhow!("tls_ocsp_stapling: the certificate in tls_cert names no OCSP responder (Authority Information Access)")
        })?;
        let mut found = None;
        for c in &key.cert[1..] {
            let Ok(candidate) = issuer(c.as_ref()) else { continue };
            match issued(end.as_ref(), &candidate) {
                Ok(()) => {
                    found = Some(candidate);
                    break;
                }
                Err(None) => {}
                Err(Some(why)) => anyhow::bail!(
                    "tls_ocsp_stapling: a certificate in tls_cert bears the issuer's name, but the server's certificate cannot be checked with its key: {why}"
                ),
            }
        }
        let issuer = found.ok_or_else(|| {
            anyhow::anyhow!("tls_ocsp_stapling: the issuer's certificate must follow the server's in tls_cert (the responder is asked by the issuer's name and key)")
        })?;
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(ASK_TIMEOUT).build()?;
        Ok(Stapler { plain: Arc::new(key), issuer, url, http, stapled: RwLock::new(None), retry: Mutex::new(FIRST_RETRY) })
    }

    /// Asks the responder once and staples its answer when it is good; gives how long to wait
    /// before asking again.
    pub async fn attempt(&self) -> Duration {
        let reply = query(&self.http, &self.url, self.plain.cert[0].as_ref(), &self.issuer, MAX_AGE).await;
        let why = match reply {
            Ok(r) if r.verdict.is_ok() => {
                let left = r.holds_until.duration_since(SystemTime::now()).unwrap_or_default();
                if left.is_zero() {
                    "the OCSP answer's next update has passed".to_owned()
                } else {
                    let mut key = (*self.plain).clone();
                    key.ocsp = Some(r.der);
                    *self.stapled.write().unwrap_or_else(|p| p.into_inner()) = Some((Arc::new(key), r.holds_until));
                    let next = (left / 2).min(REFRESH_AT_MOST);
                    if next >= FIRST_RETRY {
                        *self.retry.lock().unwrap_or_else(|p| p.into_inner()) = FIRST_RETRY;
                        tracing::info!(responder = %self.url, next_in_secs = next.as_secs(), "OCSP answer for the server's certificate stapled");
                        return next;
                    }
                    // Stapled while it holds, but asked for again as after a failure, not in a
                    // tight loop while the responder hands out an answer about to run out.
                    "the OCSP answer runs out within seconds".to_owned()
                }
            }
            Ok(r) => {
                // Revoked or unknown: a good answer kept from before must not vouch for it.
                *self.stapled.write().unwrap_or_else(|p| p.into_inner()) = None;
                r.verdict.err().unwrap_or_default()
            }
            Err(e) => e,
        };
        let mut retry = self.retry.lock().unwrap_or_else(|p| p.into_inner());
        let wait = *retry;
        *retry = (wait * 2).min(LAST_RETRY);
        tracing::warn!(responder = %self.url, error = %why, last_good_answer_stapled = self.stapled().is_some(), retry_in_secs = wait.as_secs(), "no fresh OCSP answer to staple for the server's certificate");
        wait
    }

    /// The answer stapled now, when one holds: what clients asking for it get.
    pub fn stapled(&self) -> Option<Vec<u8>> {
        self.current().ocsp.clone()
    }

    fn current(&self) -> Arc<CertifiedKey> {
        let stapled = self.stapled.read().unwrap_or_else(|p| p.into_inner());
        match &*stapled {
            Some((key, until)) if *until > SystemTime::now() => key.clone(),
            _ => self.plain.clone(),
        }
    }

    /// Asks the responder again whenever it is time, after a first wait of `first`, until the
    /// server stops.
    pub async fn keep(self: Arc<Self>, first: Duration, mut stop: watch::Receiver<bool>) {
        let mut wait = first;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.wait_for(|v| *v) => return,
            }
            wait = self.attempt().await;
        }
    }
}

impl ResolvesServerCert for Stapler {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}
