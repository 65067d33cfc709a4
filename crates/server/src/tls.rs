//! HTTPS served by the platform itself, when `tls_cert` and `tls_key` are set, optionally asking
//! clients for certificates signed by `tls_client_ca` (mutual TLS): systems calling the LGSP
//! may prove their subsystem with a certificate instead of a token. Browsers without a
//! certificate are still served. Handshakes run beside the accept loop, so a slow client does
//! not hold up the others.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use data_encoding::HEXLOWER;
use kernel::config::Config;
use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// Who is at the other end of a TLS connection: the address, and the SHA-256 (hex) of the
/// client certificate, when one was presented and verified.
#[derive(Clone, Debug)]
pub struct PeerInfo {
    pub addr: SocketAddr,
    pub cert_sha256: Option<String>,
}

impl Connected<IncomingStream<'_, TlsListener>> for PeerInfo {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        stream.remote_addr().clone()
    }
}

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

/// A listener that hands over connections once their TLS handshake is done.
pub struct TlsListener {
    rx: tokio::sync::mpsc::Receiver<(TlsStream<TcpStream>, PeerInfo)>,
    local: SocketAddr,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, acceptor: TlsAcceptor) -> std::io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let (tx, rx) = tokio::sync::mpsc::channel(256);
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    r = tcp.accept() => r,
                    _ = tx.closed() => return,
                };
                let (stream, addr) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    let handshake = tokio::time::timeout(std::time::Duration::from_secs(10), acceptor.accept(stream)).await;
                    let Ok(Ok(tls)) = handshake else { return };
                    let cert_sha256 =
                        tls.get_ref().1.peer_certificates().and_then(|c| c.first()).map(|c| HEXLOWER.encode(&Sha256::digest(c.as_ref())));
                    let _ = tx.send((tls, PeerInfo { addr, cert_sha256 })).await;
                });
            }
        });
        Ok(TlsListener { rx, local })
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = PeerInfo;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(x) => x,
            // The accept loop is gone: nothing more will come.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(PeerInfo { addr: self.local, cert_sha256: None })
    }
}

/// Makes a TLS connection's peer look like a plain one to the rest of the platform (the client
/// address as `ConnectInfo<SocketAddr>`) and passes the client certificate on as
/// [`web::ClientCert`].
pub async fn peer_info(mut req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    if let Some(axum::extract::ConnectInfo(p)) = req.extensions().get::<axum::extract::ConnectInfo<PeerInfo>>().cloned() {
        req.extensions_mut().insert(axum::extract::ConnectInfo(p.addr));
        if let Some(c) = p.cert_sha256 {
            req.extensions_mut().insert(web::ClientCert(c));
        }
    }
    next.run(req).await
}
