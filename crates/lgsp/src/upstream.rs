//! The direct path's side towards the upstream: each serving thread's keep-alive connections
//! per upstream address, one request sent and its answer's head read (interim answers read
//! past), and the answer's body relayed to the caller as the upstream framed it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use sha2::Sha512;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::direct::Sent;
use crate::h1::{self, Dechunk, Framing};
use crate::relay::take_in;

/// How long connecting to an upstream may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle connections kept per upstream and thread.
const IDLE_PER_UPSTREAM: usize = 256;
/// Answers are written to the caller in pieces of about this size.
const WRITE_CHUNK: usize = 64 * 1024;

/// A keep-alive connection to an upstream, with what was read from it and not used yet.
pub(crate) struct Upstream {
    tcp: TcpStream,
    pub(crate) buf: Vec<u8>,
}

thread_local! {
    /// This thread's idle connections, per upstream address.
    static IDLE: RefCell<HashMap<Arc<str>, Vec<Upstream>>> = RefCell::new(HashMap::new());
}

pub(crate) fn put_back(upstream: &Arc<str>, mut conn: Upstream) {
    conn.buf.clear();
    IDLE.with(|idle| {
        let mut idle = idle.borrow_mut();
        let list = idle.entry(upstream.clone()).or_default();
        if list.len() < IDLE_PER_UPSTREAM {
            list.push(conn);
        }
    });
}

/// An idle connection to `upstream` that has not been closed by the other end, as far as the
/// events seen so far tell (no system call when nothing happened on it).
pub(crate) fn take_idle(upstream: &Arc<str>) -> Option<Upstream> {
    loop {
        let conn = IDLE.with(|idle| idle.borrow_mut().get_mut(upstream).and_then(Vec::pop))?;
        let mut cx = Context::from_waker(Waker::noop());
        match conn.tcp.poll_read_ready(&mut cx) {
            Poll::Pending => return Some(conn),
            // Something happened: most likely the upstream closed it. Still open if nothing can be read.
            Poll::Ready(_) => {
                if matches!(conn.tcp.try_read(&mut [0u8; 1]), Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
                    return Some(conn);
                }
            }
        }
    }
}

pub(crate) async fn connect(upstream: &str) -> Result<Upstream, String> {
    let tcp = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(upstream)).await {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(e)) => return Err(e.to_string()),
        Err(_) => return Err(format!("no connection within {} s", CONNECT_TIMEOUT.as_secs())),
    };
    let _ = tcp.set_nodelay(true);
    Ok(Upstream { tcp, buf: Vec::with_capacity(8192) })
}

/// Why no answer came from the upstream.
pub(crate) enum NoAnswer {
    /// Could not connect, or the connection broke before a whole head came back.
    Unreachable(String),
    /// A reused connection was closed by the upstream before it answered: worth one more try
    /// on a new one.
    Stale,
    /// The caller stopped sending the body it announced.
    CallerLeft,
}

/// Sends a request (`head`, with the body when all of it was read, then `rest` more bytes of
/// body from `caller`) over `conn`, and reads the answer's head: its status and length in
/// `conn.buf`, and how its body is framed. Interim answers (1xx) are read past.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn call<C: AsyncRead + Unpin>(
    conn: &mut Upstream,
    head: &[u8],
    mut rest: u64,
    caller: &mut C,
    buf: &mut Vec<u8>,
    sent: &mut Sent,
    head_request: bool,
    reused: bool,
) -> Result<(u16, usize, Framing), NoAnswer> {
    let broke = |e: io::Error| if reused { NoAnswer::Stale } else { NoAnswer::Unreachable(e.to_string()) };
    conn.tcp.write_all(head).await.map_err(broke)?;
    // A body longer than what came with the head is passed on as it arrives.
    while rest > 0 {
        if buf.is_empty() && h1::fill(caller, buf).await.map_or(true, |n| n == 0) {
            return Err(NoAnswer::CallerLeft);
        }
        let n = (rest as usize).min(buf.len());
        sent.bytes += n as u64;
        take_in(&mut sent.hasher, &mut sent.body, &buf[..n]);
        conn.tcp.write_all(&buf[..n]).await.map_err(|e| NoAnswer::Unreachable(e.to_string()))?;
        buf.drain(..n);
        rest -= n as u64;
    }
    conn.buf.clear();
    let mut first = true;
    loop {
        let mut fields = [httparse::EMPTY_HEADER; h1::FIELDS_MAX];
        let mut r = httparse::Response::new(&mut fields);
        match r.parse(&conn.buf) {
            Ok(httparse::Status::Complete(n)) => {
                let status = r.code.unwrap_or(0);
                if status == 101 || !(100..1000).contains(&status) {
                    return Err(NoAnswer::Unreachable(format!("the service answered with status {status}")));
                }
                if status < 200 {
                    conn.buf.drain(..n);
                    continue;
                }
                // An answer whose length cannot be told is refused, not guessed at.
                let framing = h1::response_framing(head_request, status, r.headers)
                    .map_err(|_| NoAnswer::Unreachable("the answer's Content-Length is not one number".into()))?;
                return Ok((status, n, framing));
            }
            Ok(httparse::Status::Partial) if conn.buf.len() < h1::HEAD_MAX => {}
            Ok(httparse::Status::Partial) => return Err(NoAnswer::Unreachable("the answer's head is too large".into())),
            Err(e) => return Err(NoAnswer::Unreachable(format!("the answer is not HTTP/1.1: {e}"))),
        }
        match h1::fill(&mut conn.tcp, &mut conn.buf).await {
            Ok(0) if first && conn.buf.is_empty() && reused => return Err(NoAnswer::Stale),
            Ok(0) => return Err(NoAnswer::Unreachable("the connection closed before the answer".into())),
            Err(e) if first && conn.buf.is_empty() => return Err(broke(e)),
            Err(e) => return Err(NoAnswer::Unreachable(e.to_string())),
            Ok(_) => first = false,
        }
    }
}

/// What the answer's body was, counted on its way to the caller.
pub(crate) struct Got {
    pub(crate) hasher: Sha512,
    pub(crate) bytes: u64,
    pub(crate) body: Option<Vec<u8>>,
}

impl Got {
    fn take(&mut self, c: &[u8]) {
        self.bytes += c.len() as u64;
        take_in(&mut self.hasher, &mut self.body, c);
    }
}

/// Where a relayed answer broke off.
pub(crate) enum Broke {
    Upstream(String),
    Caller,
}

/// Relays the answer's body from `conn` (what was read of it is in `conn.buf`) to `caller`
/// after the head in `out`: as it was delimited when by length, chunked otherwise.
pub(crate) async fn relay_body<C: AsyncWrite + Unpin>(
    conn: &mut Upstream,
    framing: Framing,
    caller: &mut C,
    mut out: Vec<u8>,
    got: &mut Got,
) -> Result<(), Broke> {
    let upstream_broke = |e: Option<io::Error>| Broke::Upstream(e.map_or("the connection closed".into(), |e| e.to_string()));
    match framing {
        Framing::Empty => caller.write_all(&out).await.map_err(|_| Broke::Caller),
        Framing::Length(n) => {
            let mut left = n;
            loop {
                let take = (left as usize).min(conn.buf.len());
                got.take(&conn.buf[..take]);
                out.extend_from_slice(&conn.buf[..take]);
                conn.buf.drain(..take);
                left -= take as u64;
                if left == 0 || out.len() >= WRITE_CHUNK {
                    caller.write_all(&out).await.map_err(|_| Broke::Caller)?;
                    out.clear();
                }
                if left == 0 {
                    return Ok(());
                }
                match h1::fill(&mut conn.tcp, &mut conn.buf).await {
                    Ok(0) => return Err(upstream_broke(None)),
                    Err(e) => return Err(upstream_broke(Some(e))),
                    Ok(_) => {}
                }
            }
        }
        Framing::Chunked | Framing::Close => {
            let mut dechunk = Dechunk::default();
            loop {
                let ended = if framing == Framing::Chunked {
                    let used = dechunk
                        .feed(&conn.buf, |c| {
                            got.take(c);
                            h1::put_chunk(&mut out, c);
                        })
                        .map_err(|_| Broke::Upstream("the chunked body is malformed".into()))?;
                    conn.buf.drain(..used);
                    dechunk.done()
                } else {
                    got.take(&conn.buf);
                    h1::put_chunk(&mut out, &conn.buf);
                    conn.buf.clear();
                    false
                };
                if ended {
                    out.extend_from_slice(h1::LAST_CHUNK);
                }
                caller.write_all(&out).await.map_err(|_| Broke::Caller)?;
                out.clear();
                if ended {
                    return Ok(());
                }
                if conn.buf.len() > h1::HEAD_MAX {
                    return Err(Broke::Upstream("a chunk's size line is too long".into()));
                }
                match h1::fill(&mut conn.tcp, &mut conn.buf).await {
                    Ok(0) if framing == Framing::Close => {
                        caller.write_all(h1::LAST_CHUNK).await.map_err(|_| Broke::Caller)?;
                        return Ok(());
                    }
                    Ok(0) => return Err(upstream_broke(None)),
                    Err(e) => return Err(upstream_broke(Some(e))),
                    Ok(_) => {}
                }
            }
        }
    }
}
