//! The first reader of every connection on the serving threads: an HTTP/1.1 loop of our own,
//! made for the gateway's calls (`/r1/...`), the platform's busiest path. Each call the
//! registry snapshot decides alone is forwarded on this thread by the gateway's direct path
//! (`lgsp::Lgsp::plan` and `forward`), from the bytes read to the bytes written. Every other
//! request (a gateway call with a first token or to be refused, a page, the API) goes through
//! the router and its answer is written here, so that a client that fetches a token and then
//! calls the gateway keeps the direct path on the same connection. A request sent with
//! `Expect: 100-continue` (curl's way with uploads and large POST bodies) is told to go on once
//! the loop has decided to take it. The first request this loop does not take whole
//! (HTTP/1.0, upgrades, a body over [`BODY_MAX`], a head it cannot parse)
//! hands the connection, with every byte read so far, to hyper for the rest of its life.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri, Version, header};
use axum::response::Response;
use http_body::Body as _;
use http_body_util::BodyExt;
use lgsp::direct::{After, Plan};
use lgsp::h1::{self, BadFraming, FIELDS_MAX, HEAD_MAX, RequestBody};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::sync::watch;

use crate::cores::{Peer, Site};

/// How long a client may take to send a request's head, and may stay idle between requests.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest body of a routed request this loop reads before routing it; hyper takes the
/// connection of a larger one (uploads), streaming it.
const BODY_MAX: usize = 1024 * 1024;

/// How a connection left the loop.
pub(crate) enum End<T> {
    Closed,
    /// For hyper, with the bytes read and not answered yet.
    Handoff(T, Vec<u8>),
}

/// Serves `io` until it closes, the server stops (between requests) or hyper must take it.
pub(crate) async fn run<T>(io: T, site: &Site, peer: &Peer, stop: &mut watch::Receiver<bool>) -> End<T>
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    // True while the loop waits for a next request of which nothing has come yet.
    let waiting = AtomicBool::new(true);
    let stopping = AtomicBool::new(false);
    let work = serve(io, site, peer, &waiting, &stopping);
    tokio::pin!(work);
    tokio::select! {
        biased;
        end = &mut work => return end,
        _ = stop.wait_for(|v| *v) => {}
    }
    if waiting.load(Relaxed) {
        return End::Closed;
    }
    // Stopping: the request in hand is answered, then the connection closes.
    stopping.store(true, Relaxed);
    work.await
}

/// What to do with the request at the start of the buffer.
#[allow(clippy::large_enum_variant)] // made and taken apart once per request, never stored
enum Step {
    /// Not all here yet: to be read on while the buffer is shorter than this; with whether
    /// the client waits to be told to send its body (`Expect: 100-continue`).
    More(usize, bool),
    Handoff,
    /// A request whose framing is broken: refused with 400, then the connection closed.
    Refuse(&'static str),
    Take(Call),
}

/// The interim answer to `Expect: 100-continue`.
const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// A request this loop answers.
enum Call {
    /// `waits`: the client waits for [`CONTINUE`] before it sends the rest of the body.
    Direct {
        plan: Plan,
        head_len: usize,
        close: bool,
        waits: bool,
    },
    Route {
        req: Request<Body>,
        used: usize,
        head_request: bool,
        close: bool,
    },
}

async fn serve<T>(mut io: T, site: &Site, peer: &Peer, waiting: &AtomicBool, stopping: &AtomicBool) -> End<T>
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = Vec::with_capacity(8192);
    let deadline = tokio::time::sleep(HEAD_TIMEOUT);
    tokio::pin!(deadline);
    loop {
        if stopping.load(Relaxed) {
            return End::Closed;
        }
        let mut timed = false;
        // Whether this request's client was told to go on.
        let mut continued = false;
        let call = loop {
            match decide(site, peer, &buf) {
                Step::Take(call) => break call,
                Step::More(upto, waits) if buf.len() < upto => {
                    if waits && !continued {
                        continued = true;
                        if io.write_all(CONTINUE).await.is_err() {
                            return End::Closed;
                        }
                    }
                }
                Step::More(..) | Step::Handoff => return End::Handoff(io, buf),
                Step::Refuse(why) => {
                    let text: &[(&[u8], &[u8])] = &[(b"content-type", b"text/plain; charset=utf-8")];
                    let _ = io.write_all(&h1::whole_answer(400, text, why.as_bytes(), true)).await;
                    let _ = io.shutdown().await;
                    return End::Closed;
                }
            }
            waiting.store(buf.is_empty(), Relaxed);
            if !timed {
                deadline.as_mut().reset(tokio::time::Instant::now() + HEAD_TIMEOUT);
                timed = true;
            }
            let read = tokio::select! {
                biased;
                r = h1::fill(&mut io, &mut buf) => r,
                _ = &mut deadline => return End::Closed,
            };
            if !matches!(read, Ok(n) if n > 0) {
                return End::Closed;
            }
            if stopping.load(Relaxed) && buf.is_empty() {
                return End::Closed;
            }
        };
        waiting.store(false, Relaxed);
        let after = match call {
            Call::Direct { plan, head_len, close, waits } => {
                if waits && !continued && io.write_all(CONTINUE).await.is_err() {
                    return End::Closed;
                }
                site.app.lgsp.forward(plan, &mut io, &mut buf, head_len, close).await
            }
            Call::Route { req, used, head_request, close } => {
                buf.drain(..used);
                let r = site.route(req, peer).await;
                answer(&mut io, r, head_request, close).await
            }
        };
        if after == After::Close {
            let _ = io.shutdown().await;
            return End::Closed;
        }
    }
}

/// Reads the head at the start of `buf` and decides who answers it.
fn decide(site: &Site, peer: &Peer, buf: &[u8]) -> Step {
    let mut fields = [httparse::EMPTY_HEADER; FIELDS_MAX];
    let mut req = httparse::Request::new(&mut fields);
    let head_len = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Step::More(HEAD_MAX, false),
        Err(_) => return Step::Handoff,
    };
    let (Some(method), Some(target), Some(1)) = (req.method, req.path, req.version) else { return Step::Handoff };
    let fields = &*req.headers;
    if h1::value(fields, "upgrade").is_some() {
        return Step::Handoff;
    }
    // A body in chunks is taken when chunked is its one coding; other codings are hyper's. A
    // framing that cannot be trusted is refused, but for a bad length, which hyper refuses.
    let (chunked, declared) = match h1::request_framing(fields) {
        Ok(RequestBody::Length(n)) => (false, n),
        Ok(RequestBody::Chunked) => (true, 0),
        Ok(RequestBody::Coded) | Err(BadFraming::Length) => return Step::Handoff,
        Err(bad) => return Step::Refuse(bad.reason()),
    };
    // Told to go on when some of the body is still to come. Other expectations are ignored, as
    // RFC 9110 (10.1.1) allows and hyper does.
    let expects = || h1::values(fields, "expect").any(|v| v.trim_ascii().eq_ignore_ascii_case(b"100-continue"));
    let waits = !chunked && (head_len as u64 + declared) > buf.len() as u64 && expects();
    let close = h1::lists(fields, "connection", "close");
    let system =
        bearer(fields).filter(|_| target.starts_with("/r1/")).and_then(|t| identity::oidc::flow::verified_client(&site.app.identity, t));
    // The direct path forwards a body by its length; one in chunks is routed.
    if !chunked
        && target.starts_with("/r1/")
        && (system.is_some() || peer.cert.is_some())
        && let Some(plan) = site.app.lgsp.plan(method, target, fields, system.as_deref(), peer.cert.as_deref())
    {
        return Step::Take(Call::Direct { plan, head_len, close, waits });
    }
    // The router's, once its body is here.
    if chunked {
        return match whole_chunked(&buf[head_len..]) {
            Chunks::Whole(body, n) => match request(method, target, fields, body.into()) {
                Some(req) => Step::Take(Call::Route { req, used: head_len + n, head_request: method == "HEAD", close }),
                None => Step::Handoff,
            },
            Chunks::More if buf.len() - head_len <= CHUNKED_MAX => Step::More(buf.len() + 1, expects()),
            Chunks::More | Chunks::Long => Step::Handoff,
            Chunks::Broken => Step::Refuse("the request body's chunked coding is broken (RFC 9112, 7.1)\n"),
        };
    }
    let used = head_len as u64 + declared;
    if used > buf.len() as u64 {
        return if used <= (head_len + BODY_MAX) as u64 { Step::More(used as usize, waits) } else { Step::Handoff };
    }
    let used = used as usize;
    match request(method, target, fields, Bytes::copy_from_slice(&buf[head_len..used])) {
        Some(req) => Step::Take(Call::Route { req, used, head_request: method == "HEAD", close }),
        None => Step::Handoff,
    }
}

/// The most bytes of a chunked body (with its chunk sizes and trailer) this loop reads before
/// routing it; hyper takes the connection of a longer one.
const CHUNKED_MAX: usize = 2 * BODY_MAX;

/// What is known of a chunked body at the start of the bytes read.
enum Chunks {
    /// All of it: decoded, with the bytes it took.
    Whole(Vec<u8>, usize),
    More,
    /// It decodes to more than [`BODY_MAX`].
    Long,
    Broken,
}

fn whole_chunked(raw: &[u8]) -> Chunks {
    let mut d = h1::Dechunk::default();
    let mut size = 0;
    // Measured first: most calls come while the body is still arriving.
    let Ok(used) = d.feed(raw, |piece| size += piece.len()) else { return Chunks::Broken };
    if size > BODY_MAX {
        return Chunks::Long;
    }
    if !d.done() {
        return Chunks::More;
    }
    let mut body = Vec::with_capacity(size);
    match h1::Dechunk::default().feed(&raw[..used], |piece| body.extend_from_slice(piece)) {
        Ok(_) => Chunks::Whole(body, used),
        Err(_) => Chunks::Broken,
    }
}

/// The parsed request as the router takes it; None when a part is not valid HTTP.
fn request(method: &str, target: &str, fields: &[httparse::Header<'_>], body: Bytes) -> Option<Request<Body>> {
    let mut headers = HeaderMap::with_capacity(fields.len());
    for f in fields {
        headers.append(HeaderName::from_bytes(f.name.as_bytes()).ok()?, HeaderValue::from_bytes(f.value).ok()?);
    }
    let mut req = Request::new(Body::from(body));
    *req.method_mut() = Method::from_bytes(method.as_bytes()).ok()?;
    *req.uri_mut() = target.parse::<Uri>().ok()?;
    *req.version_mut() = Version::HTTP_11;
    *req.headers_mut() = headers;
    Some(req)
}

fn bearer<'a>(fields: &[httparse::Header<'a>]) -> Option<&'a str> {
    let (scheme, token) = h1::field(fields, "authorization")?.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Writes the router's answer `r` as HTTP/1.1: framed by its length when known, chunked
/// otherwise; the body left out for `HEAD`.
async fn answer<T: AsyncWrite + Unpin>(io: &mut T, r: Response, head_request: bool, mut close: bool) -> After {
    let (parts, mut body) = r.into_parts();
    let status = parts.status.as_u16();
    close |= parts.headers.get_all(header::CONNECTION).iter().any(|v| v.to_str().is_ok_and(|v| v.eq_ignore_ascii_case("close")));
    let bodiless = status == 204 || status == 304 || (100..200).contains(&status);
    let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let length = body.size_hint().exact().or(declared);
    let mut out = Vec::with_capacity(1024);
    h1::put_status(&mut out, status);
    for (k, v) in &parts.headers {
        if k != header::CONTENT_LENGTH && k != header::TRANSFER_ENCODING && k != header::CONNECTION {
            h1::put_field(&mut out, k.as_str().as_bytes(), v.as_bytes());
        }
    }
    if !parts.headers.contains_key(header::DATE) {
        h1::put_date(&mut out);
    }
    let chunked = !bodiless && length.is_none();
    match length {
        Some(n) if !bodiless => h1::put_length(&mut out, n),
        _ if chunked && !head_request => h1::put_field(&mut out, b"transfer-encoding", b"chunked"),
        _ => {}
    }
    if close {
        h1::put_field(&mut out, b"connection", b"close");
    }
    out.extend_from_slice(b"\r\n");
    if bodiless || head_request {
        return finish(io.write_all(&out).await, close);
    }
    let mut written = 0u64;
    loop {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Some(d) = frame.data_ref() {
                    written += d.len() as u64;
                    if chunked {
                        h1::put_chunk(&mut out, d);
                    } else {
                        out.extend_from_slice(d);
                    }
                }
            }
            // A body that broke off cannot be told apart from a whole one but by closing.
            Some(Err(_)) => {
                let _ = io.write_all(&out).await;
                return After::Close;
            }
            None => break,
        }
        // Each piece goes out as it comes: a body may be a progress stream.
        if !body.is_end_stream() {
            if io.write_all(&out).await.is_err() {
                return After::Close;
            }
            out.clear();
        }
    }
    if chunked {
        out.extend_from_slice(h1::LAST_CHUNK);
    }
    let short = length.is_some_and(|n| n != written);
    finish(io.write_all(&out).await, close || short)
}

fn finish(written: io::Result<()>, close: bool) -> After {
    if written.is_err() || close { After::Close } else { After::KeepAlive }
}

/// A connection handed to hyper, which first reads the bytes this loop read and did not answer.
pub(crate) struct Rewind<T> {
    read: Vec<u8>,
    at: usize,
    inner: T,
}

impl<T> Rewind<T> {
    pub(crate) fn new(read: Vec<u8>, inner: T) -> Rewind<T> {
        Rewind { read, at: 0, inner }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Rewind<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, out: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.at < this.read.len() {
            let n = out.remaining().min(this.read.len() - this.at);
            out.put_slice(&this.read[this.at..this.at + n]);
            this.at += n;
            if this.at == this.read.len() {
                this.read = Vec::new();
                this.at = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, out)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Rewind<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, b)
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, b: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, b)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
