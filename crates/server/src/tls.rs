//! HTTPS served by the platform itself, when `tls_cert` and `tls_key` are set, optionally asking
//! clients for certificates signed by `tls_client_ca` (mutual TLS): systems calling the LGSP
//! may prove their subsystem with a certificate instead of a token. Browsers without a
//! certificate are still served. Handshakes run in each connection's task (`cores.rs`), so a
//! slow client does not hold up the others.
//!
//! With `tls_client_crl`, the CA's certificate revocation lists are checked too, for every
//! certificate of the chain a client presents (its own and any intermediate CA's), and a list
//! past its next update counts as no list: the file must hold a current list from each CA that
//! issues client certificates or intermediates. The file is read again when it changes (looked
//! at on every handshake and every two seconds): a revoked certificate is then refused in new
//! handshakes, connections open with it are closed, and sessions remembered for resumption are
//! forgotten, since a resumed session skips the check. Open connections are also checked again
//! every minute, so one outlives neither its certificate nor the lists that vouch for it.
//!
//! With `tls_client_ocsp`, the CA's OCSP responder is asked about each client certificate once
//! the handshake is done (`ocsp.rs`). With `tls_ocsp_stapling`, the server's own certificate's
//! answer is handed to clients in the handshake (`staple.rs`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use kernel::config::Config;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ServerSessionMemoryCache, StoresServerSessions, WebPkiClientVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer, UnixTime};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

/// HTTPS as configured: the acceptor, the revocation lists when there are any, and the OCSP
/// checks when they are on.
#[derive(Clone)]
pub struct Tls {
    pub acceptor: TlsAcceptor,
    pub revocation: Option<Arc<Revocation>>,
    pub ocsp: Option<Arc<crate::ocsp::Ocsp>>,
    /// The server's own certificate's OCSP answer, stapled (`tls_ocsp_stapling`).
    pub stapler: Option<Arc<crate::staple::Stapler>>,
}

/// The acceptor for the configured certificate, or None when HTTPS is not configured.
pub fn acceptor(c: &Config) -> anyhow::Result<Option<Tls>> {
    let (Some(cert), Some(key)) = (&c.tls_cert, &c.tls_key) else {
        if c.tls_client_ca.is_some() || c.tls_client_crl.is_some() || c.tls_client_ocsp {
            anyhow::bail!(
                "tls_client_ca, tls_client_crl and tls_client_ocsp need tls_cert and tls_key: client certificates come with HTTPS"
            );
        }
        if c.tls_ocsp_stapling {
            anyhow::bail!("tls_ocsp_stapling needs tls_cert and tls_key: the answer stapled is about the server's certificate");
        }
        return Ok(None);
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| anyhow::anyhow!("tls_cert {cert}: {e}"))?
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("tls_cert {cert}: {e}"))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| anyhow::anyhow!("tls_key {key}: {e}"))?;
    let builder = rustls::ServerConfig::builder();
    let mut revocation = None;
    let ocsp = match (&c.tls_client_ca, c.tls_client_ocsp) {
        (_, false) => None,
        (None, true) => anyhow::bail!("tls_client_ocsp needs tls_client_ca: the certificates asked about are the client CA's"),
        (Some(ca), true) => Some(Arc::new(crate::ocsp::Ocsp::new(
            ca,
            c.tls_client_ocsp_url.clone(),
            Duration::from_secs(c.tls_client_ocsp_max_age_secs.max(1)),
        )?)),
    };
    let builder = match (&c.tls_client_ca, &c.tls_client_crl) {
        (None, Some(_)) => anyhow::bail!("tls_client_crl needs tls_client_ca: the lists are the client CA's"),
        (None, None) => builder.with_no_client_auth(),
        (Some(ca), crl) => {
            let mut roots = RootCertStore::empty();
            for der in CertificateDer::pem_file_iter(ca).map_err(|e| anyhow::anyhow!("tls_client_ca {ca}: {e}"))? {
                roots.add(der.map_err(|e| anyhow::anyhow!("tls_client_ca {ca}: {e}"))?)?;
            }
            let roots = Arc::new(roots);
            match crl {
                None => builder.with_client_cert_verifier(WebPkiClientVerifier::builder(roots).allow_unauthenticated().build()?),
                Some(crl) => {
                    let r = Arc::new(Revocation::load(roots, Path::new(crl))?);
                    revocation = Some(r.clone());
                    builder.with_client_cert_verifier(r)
                }
            }
        }
    };
    let mut stapler = None;
    let mut config = if c.tls_ocsp_stapling {
        let key = rustls::sign::CertifiedKey::from_der(certs, key, builder.crypto_provider())?;
        let s = Arc::new(crate::staple::Stapler::new(key)?);
        stapler = Some(s.clone());
        builder.with_cert_resolver(s)
    } else {
        builder.with_single_cert(certs, key)?
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    if let Some(r) = &revocation {
        config.session_storage = Arc::new(Sessions(r.clone()));
    }
    Ok(Some(Tls { acceptor: TlsAcceptor::from(Arc::new(config)), revocation, ocsp, stapler }))
}

/// What identifies one version of the revocation file: when it was written, its size and inode.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp(Option<std::time::SystemTime>, u64, u64);

fn stamp(path: &Path) -> std::io::Result<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path)?;
    Ok(Stamp(m.modified().ok(), m.len(), m.ino()))
}

#[derive(Debug)]
struct Loaded {
    stamp: Stamp,
    verifier: Arc<dyn ClientCertVerifier>,
    sessions: Arc<ServerSessionMemoryCache>,
}

/// The client CA's certificate revocation lists, read again whenever their file changes.
#[derive(Debug)]
pub struct Revocation {
    path: PathBuf,
    roots: Arc<RootCertStore>,
    hints: Vec<DistinguishedName>,
    loaded: RwLock<Loaded>,
    /// Counts the versions of the lists taken in; open connections watch it.
    version: watch::Sender<u64>,
}

/// The verifier for `roots` and the lists in the PEM file at `path`. Every certificate a client
/// presents, intermediates included, must be covered by a current list of its issuer: a
/// certificate whose status no list gives, or only an expired one, is refused as a revoked one
/// is.
fn verifier_for(roots: &Arc<RootCertStore>, path: &Path) -> anyhow::Result<(Arc<dyn ClientCertVerifier>, usize)> {
    let name = path.display();
    let crls: Vec<CertificateRevocationListDer<'static>> = CertificateRevocationListDer::pem_file_iter(path)
        .map_err(|e| anyhow::anyhow!("tls_client_crl {name}: {e}"))?
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("tls_client_crl {name}: {e}"))?;
    if crls.is_empty() {
        anyhow::bail!("tls_client_crl {name}: no X509 CRL in the file");
    }
    let n = crls.len();
    let v = WebPkiClientVerifier::builder(roots.clone())
        .with_crls(crls)
        .enforce_revocation_expiration()
        .allow_unauthenticated()
        .build()
        .map_err(|e| anyhow::anyhow!("tls_client_crl {name}: {e}"))?;
    Ok((v, n))
}

impl Revocation {
    fn load(roots: Arc<RootCertStore>, path: &Path) -> anyhow::Result<Revocation> {
        let st = stamp(path).map_err(|e| anyhow::anyhow!("tls_client_crl {}: {e}", path.display()))?;
        let (verifier, n) = verifier_for(&roots, path)?;
        tracing::info!(file = %path.display(), lists = n, "client certificate revocation lists read");
        Ok(Revocation {
            path: path.to_owned(),
            hints: roots.subjects(),
            roots,
            loaded: RwLock::new(Loaded { stamp: st, verifier, sessions: ServerSessionMemoryCache::new(256) }),
            version: watch::Sender::new(0),
        })
    }

    /// Reads the file again if it changed since it was last read. A file that cannot be read or
    /// holds no valid list leaves the lists read before in force (and is said once in the log):
    /// a broken update never lets a revoked certificate back in.
    pub fn refresh(&self) {
        let st = match stamp(&self.path) {
            Ok(s) => s,
            Err(e) => {
                let mut l = self.loaded.write().unwrap_or_else(|p| p.into_inner());
                let gone = Stamp(None, 0, 0);
                if l.stamp != gone {
                    tracing::error!(file = %self.path.display(), error = %e, "the revocation lists' file is gone; the lists read before stay in force");
                    l.stamp = gone;
                }
                return;
            }
        };
        if self.loaded.read().unwrap_or_else(|p| p.into_inner()).stamp == st {
            return;
        }
        let mut l = self.loaded.write().unwrap_or_else(|p| p.into_inner());
        if l.stamp == st {
            return;
        }
        l.stamp = st;
        match verifier_for(&self.roots, &self.path) {
            Ok((v, n)) => {
                l.verifier = v;
                l.sessions = ServerSessionMemoryCache::new(256);
                drop(l);
                self.version.send_modify(|n| *n += 1);
                tracing::info!(file = %self.path.display(), lists = n, "client certificate revocation lists read again");
            }
            Err(e) => {
                tracing::error!(error = %e, "the revocation lists' file changed but cannot be used; the lists read before stay in force")
            }
        }
    }

    fn verifier(&self) -> Arc<dyn ClientCertVerifier> {
        self.loaded.read().unwrap_or_else(|p| p.into_inner()).verifier.clone()
    }

    fn sessions(&self) -> Arc<ServerSessionMemoryCache> {
        self.loaded.read().unwrap_or_else(|p| p.into_inner()).sessions.clone()
    }

    /// Resolves when the lists change so that `chain` (a connection's client certificates) is
    /// no longer accepted; never while it still is.
    pub async fn until_refused(&self, chain: &[CertificateDer<'static>]) {
        let mut version = self.version.subscribe();
        let Some((end, intermediates)) = chain.split_first() else { return std::future::pending().await };
        loop {
            if version.changed().await.is_err() {
                return std::future::pending().await;
            }
            if self.verifier().verify_client_cert(end, intermediates, UnixTime::now()).is_err() {
                return;
            }
        }
    }

    /// Looks at the file every two seconds until the server stops, so that connections open
    /// with a certificate revoked meanwhile are closed even when no new client connects. Every
    /// thirtieth look also has the open connections check their chains again, for the
    /// certificates and lists that expired meanwhile, and forgets the sessions kept for
    /// resumption, which would skip that check.
    pub async fn watch(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        for tick in 1u64.. {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                _ = stop.wait_for(|v| *v) => return,
            }
            let me = self.clone();
            let _ = tokio::task::spawn_blocking(move || me.refresh()).await;
            if tick % 30 == 0 {
                self.loaded.write().unwrap_or_else(|p| p.into_inner()).sessions = ServerSessionMemoryCache::new(256);
                self.version.send_modify(|n| *n += 1);
            }
        }
    }
}

impl ClientCertVerifier for Revocation {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.refresh();
        self.verifier().verify_client_cert(end_entity, intermediates, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verifier().verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verifier().verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.verifier().supported_verify_schemes()
    }
}

/// Sessions kept for resumption, forgotten whenever the revocation lists change: a resumed
/// session brings back the client certificate of its first handshake without checking it.
#[derive(Debug)]
struct Sessions(Arc<Revocation>);

impl StoresServerSessions for Sessions {
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        self.0.sessions().put(key, value)
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.0.sessions().get(key)
    }

    fn take(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.0.sessions().take(key)
    }

    fn can_cache(&self) -> bool {
        true
    }
}
