//! Serving connections on every core: one thread per core, each with its own single-threaded
//! runtime, accepting on the same listening socket (the way nginx runs one worker per core). A
//! connection lives on the thread that accepted it. Gateway calls that the registry snapshot in
//! memory decides are forwarded right there ([`lgsp::Lgsp::direct`]), over that thread's own
//! connections to the upstream, with no hand-off between threads. Everything else (pages, the
//! API, gateway calls that need the database) runs through the router on the application's
//! runtime, where the database's connections, the background workers and blocking work live.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use data_encoding::HEXLOWER;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::app::App;
use crate::lane::{self, End, Rewind};

/// How long a client may take to send a request's headers, and a TLS handshake.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a serving thread with more connections than another waits before accepting.
const LET_OTHERS_ACCEPT: Duration = Duration::from_millis(1);

pub(crate) struct Site {
    pub(crate) app: App,
    router: Router,
    /// The application's runtime, where routed requests run.
    main: tokio::runtime::Handle,
    tls: Option<crate::tls::Tls>,
}

/// Who is at the other end of a connection: the address, and the SHA-256 (hex) of the client
/// certificate when one was presented over TLS and verified.
pub(crate) struct Peer {
    addr: SocketAddr,
    pub(crate) cert: Option<String>,
}

/// Starts one serving thread per core on `listener`; they stop accepting when `stop` turns
/// true, finish the requests in hand and end.
pub fn spawn(
    listener: tokio::net::TcpListener,
    router: Router,
    app: App,
    tls: Option<crate::tls::Tls>,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<Vec<std::thread::JoinHandle<()>>> {
    let listener = listener.into_std()?;
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let main = tokio::runtime::Handle::current();
    let open: Arc<[AtomicUsize]> = (0..cores).map(|_| AtomicUsize::new(0)).collect();
    let mut threads = Vec::with_capacity(cores);
    for i in 0..cores {
        // A site of its own per thread: the reference count each request takes stays on this
        // core's cache instead of bouncing between cores.
        let site = Arc::new(Site { app: app.clone(), router: router.clone(), main: main.clone(), tls: tls.clone() });
        let (l, stop, share) = (listener.try_clone()?, stop.clone(), Share { open: open.clone(), me: i });
        threads.push(std::thread::Builder::new().name(format!("tinhso-http-{i}")).spawn(move || {
            short_slice();
            match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt.block_on(accept(l, site, share, stop)),
                Err(e) => tracing::error!(error = %e, "a serving thread could not start its runtime"),
            }
        })?);
    }
    Ok(threads)
}

/// The scheduler's time slice asked for the serving threads. Linux's EEVDF scheduler (6.6+;
/// custom slices since 6.12) lets a thread that asks for a shorter slice than the others
/// (0.75–3 ms by default) take the core sooner when it wakes: a serving thread woken by a
/// request then preempts the log's writer or the load generator rather than waiting for their
/// slice to end. Older kernels ignore the request.
const SERVING_SLICE_NS: u64 = 100_000;

/// Asks for [`SERVING_SLICE_NS`] for the calling thread (`sched_setattr`, policy unchanged).
#[cfg(target_os = "linux")]
fn short_slice() {
    // `struct sched_attr` as Linux defines it (SCHED_ATTR_SIZE_VER1, 56 bytes).
    #[repr(C)]
    struct SchedAttr {
        size: u32,
        policy: u32,
        flags: u64,
        nice: i32,
        priority: u32,
        runtime: u64,
        deadline: u64,
        period: u64,
        util_min: u32,
        util_max: u32,
    }
    // SAFETY: getpriority only reads the calling thread's nice value, which is kept.
    let nice = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
    let attr = SchedAttr {
        size: std::mem::size_of::<SchedAttr>() as u32,
        policy: 0, // SCHED_OTHER
        flags: 0,
        nice,
        priority: 0,
        runtime: SERVING_SLICE_NS,
        deadline: 0,
        period: 0,
        util_min: 0,
        util_max: 0,
    };
    // SAFETY: the attribute block is a valid, fully initialised `sched_attr` that outlives the
    // call; pid 0 is the calling thread; the kernel only reads it.
    let r = unsafe { libc::syscall(libc::SYS_sched_setattr, 0, &attr as *const SchedAttr, 0) };
    if r != 0 {
        tracing::debug!(error = %std::io::Error::last_os_error(), "the serving thread keeps the scheduler's default slice");
    }
}

#[cfg(not(target_os = "linux"))]
fn short_slice() {}

/// Each serving thread's count of open connections, so that they share the connections: all
/// threads are woken by a new one and the first to call `accept` takes it, which without a
/// rule leaves the busiest thread, awake already, with most of a burst.
struct Share {
    open: Arc<[AtomicUsize]>,
    me: usize,
}

impl Share {
    /// Whether this thread has more connections than another one; it then lets the others
    /// take the next for a moment.
    fn ahead(&self) -> bool {
        let mine = self.open[self.me].load(Ordering::Relaxed);
        self.open.iter().enumerate().any(|(i, n)| i != self.me && n.load(Ordering::Relaxed) < mine)
    }

    fn opened(&self) -> Opened {
        self.open[self.me].fetch_add(1, Ordering::Relaxed);
        Opened { open: self.open.clone(), me: self.me }
    }
}

/// Counts a connection open until dropped.
struct Opened {
    open: Arc<[AtomicUsize]>,
    me: usize,
}

impl Drop for Opened {
    fn drop(&mut self) {
        self.open[self.me].fetch_sub(1, Ordering::Relaxed);
    }
}

async fn accept(listener: std::net::TcpListener, site: Arc<Site>, share: Share, mut stop: watch::Receiver<bool>) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => return tracing::error!(error = %e, "a serving thread could not listen"),
    };
    let mut connections = tokio::task::JoinSet::new();
    loop {
        if share.ahead() {
            tokio::time::sleep(LET_OTHERS_ACCEPT).await;
        }
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = stop.wait_for(|v| *v) => break,
        };
        while connections.try_join_next().is_some() {}
        let (tcp, addr) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // Out of file descriptors, say: wait a little rather than spin.
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Answers go out as written, not held back for the client's acknowledgement (Nagle).
        let _ = tcp.set_nodelay(true);
        let opened = share.opened();
        let (site, stop) = (site.clone(), stop.clone());
        connections.spawn(async move {
            connection(tcp, addr, site, stop).await;
            drop(opened);
        });
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

async fn connection(tcp: TcpStream, addr: SocketAddr, site: Arc<Site>, stop: watch::Receiver<bool>) {
    let Some(t) = &site.tls else {
        return serve(tcp, Peer { addr, cert: None }, site, stop).await;
    };
    let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, t.acceptor.accept(tcp)).await else { return };
    let chain: Vec<_> = tls.get_ref().1.peer_certificates().unwrap_or_default().iter().map(|c| c.clone().into_owned()).collect();
    let cert = chain.first().map(|c| HEXLOWER.encode(&Sha256::digest(c.as_ref())));
    if cert.is_none() {
        return serve(tls, Peer { addr, cert }, site, stop).await;
    }
    if let Some(o) = &t.ocsp
        && let Err(why) = o.check(&chain).await
    {
        tracing::info!(peer = %addr, reason = %why, "refused a client certificate the OCSP responder does not vouch for");
        return refuse(tls, &why).await;
    }
    // A connection proven by a certificate lasts only as long as the certificate is good.
    let (lists, ocsp) = (t.revocation.clone(), t.ocsp.clone());
    let by_lists = async {
        match &lists {
            Some(r) => r.until_refused(&chain).await,
            None => std::future::pending().await,
        }
    };
    let by_ocsp = async {
        match &ocsp {
            Some(o) => o.until_refused(&chain).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = serve(tls, Peer { addr, cert }, site, stop) => {}
        _ = by_lists => tracing::info!(peer = %addr, "closed a connection whose client certificate was revoked"),
        _ = by_ocsp => tracing::info!(peer = %addr, "closed a connection whose client certificate the OCSP responder no longer vouches for"),
    }
}

/// Answers a connection whose certificate is refused after the handshake: its first request's
/// head is read (clients take no answer before they ask), the X-Road error is its answer, and
/// the connection closes.
async fn refuse<T: AsyncRead + AsyncWrite + Unpin>(mut io: T, why: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut request = Vec::new();
    let _ = tokio::time::timeout(HEADER_READ_TIMEOUT, async {
        let mut buf = [0u8; 4096];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 64 * 1024 {
            match io.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => request.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    let body = serde_json::json!({
        "type": "Server.ServerProxy.SslAuthenticationFailed",
        "message": "chứng thư số của máy khách không được chấp nhận (the client certificate is not accepted)",
        "detail": why,
    })
    .to_string();
    let head = format!(
        "HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\nx-road-error: Server.ServerProxy.SslAuthenticationFailed\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        let _ = io.write_all(format!("{head}{body}").as_bytes()).await;
        let _ = io.shutdown().await;
        // What the client still sends (a request's body) is read and dropped for a moment: closed
        // with unread data, the socket would reset and the client might lose the answer.
        let mut sink = [0u8; 4096];
        let _ = tokio::time::timeout(Duration::from_secs(1), async { while matches!(io.read(&mut sink).await, Ok(n) if n > 0) {} }).await;
    })
    .await;
}

/// Serves a connection: first the loop that takes the gateway's calls, then hyper if the
/// connection comes to need it.
async fn serve<T>(io: T, peer: Peer, site: Arc<Site>, mut stop: watch::Receiver<bool>)
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    match lane::run(io, &site, &peer, &mut stop).await {
        End::Closed => {}
        End::Handoff(io, read) => with_hyper(TokioIo::new(Rewind::new(read, io)), peer, site, stop).await,
    }
}

async fn with_hyper<I>(io: I, peer: Peer, site: Arc<Site>, mut stop: watch::Receiver<bool>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let peer = Arc::new(peer);
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let (site, peer) = (site.clone(), peer.clone());
        async move { Ok::<_, Infallible>(site.route(req.map(Body::new), &peer).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .serve_connection(io, service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stop.wait_for(|v| *v) => {}
    }
    // Stopping: the request in hand is answered, then the connection closes.
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

impl Site {
    /// Answers a request through the router, on the application's runtime.
    pub(crate) async fn route(&self, mut req: Request<Body>, peer: &Peer) -> Response {
        req.extensions_mut().insert(ConnectInfo(peer.addr));
        if let Some(c) = &peer.cert {
            req.extensions_mut().insert(web::ClientCert(c.clone()));
        }
        let api = crate::app::is_api(req.uri().path());
        let routed = self.router.clone().oneshot(req);
        match self.main.spawn(routed).await {
            Ok(Ok(r)) => r,
            Ok(Err(never)) => match never {},
            Err(e) => {
                // A handler that panicked: the caller still gets an answer it can read.
                tracing::error!(error = %e, "a request's handler failed");
                if api {
                    web::Problem::new("internal", None).into_response()
                } else {
                    (StatusCode::INTERNAL_SERVER_ERROR, "Lỗi hệ thống; hãy thử lại sau. (An internal error; please try again later.)")
                        .into_response()
                }
            }
        }
    }
}
