//! HTTPS served by the platform itself, when `tls_cert` and `tls_key` are set, optionally asking
//! clients for certificates signed by `tls_client_ca` (mutual TLS): systems calling the LGSP
//! may prove their subsystem with a certificate instead of a token. Browsers without a
//! certificate are still served. Handshakes run in each connection's task (`cores.rs`), so a
//! slow client does not hold up the others.

use std::sync::Arc;

use kernel::config::Config;
use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// The acceptor for the configured certificate, or None when HTTPS is not configured.
pub fn acceptor(c: &Config) -> anyhow::Result<Option<TlsAcceptor>> {
    let (Some(cert), Some(key)) = (&c.tls_cert, &c.tls_key) else { return Ok(None) };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| anyhow::anyhow!("tls_cert {cert}: {e}"))?
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("tls_cert {cert}: {e}"))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| anyhow::anyhow!("tls_key {key}: {e}"))?;
    let builder = rustls::ServerConfig::builder();
    let builder = match &c.tls_client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for der in CertificateDer::pem_file_iter(ca).map_err(|e| anyhow::anyhow!("tls_client_ca {ca}: {e}"))? {
                roots.add(der.map_err(|e| anyhow::anyhow!("tls_client_ca {ca}: {e}"))?)?;
            }
            let verifier = WebPkiClientVerifier::builder(Arc::new(roots)).allow_unauthenticated().build()?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(TlsAcceptor::from(Arc::new(config))))
}
