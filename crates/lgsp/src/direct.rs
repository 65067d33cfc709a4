//! The gateway's direct path. A call that the registry snapshot in memory can decide alone (the
//! snapshot is fresh, the caller's token was verified before or its certificate is bound, the
//! service is published, plain HTTP, without SOAP or credentials at the upstream) is checked
//! ([`Lgsp::plan`]) and forwarded ([`Lgsp::forward`]) on the thread that read it, over that
//! thread's own keep-alive connections to the upstream (`upstream.rs`), speaking HTTP/1.1
//! itself (`h1.rs`) from the bytes the caller sent to the bytes of the answer: the way nginx's
//! workers proxy. The connection loop that reads the calls is `crates/server/src/lane.rs`.
//! Every other call goes to the router (`gateway::handle`), which may read the database and
//! answers refusals. Both paths check the same rules with the same functions and log the same
//! record.

use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::HeaderValue;
use data_encoding::BASE64;
use sha2::{Digest, Sha512};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use crate::Lgsp;
use crate::gateway::{clipped, log_failure, proves, split_target, timeout_failure, unreachable_failure};
use crate::h1::{self, Framing};
use crate::headers::{connection_listed, goes_back, goes_upstream};
use crate::log::Exchange;
use crate::model::callable;
use crate::relay::{Tap, Watch, take_in};
use crate::upstream::{Broke, Got, NoAnswer, call, connect, put_back, relay_body, take_idle};

/// A plain-HTTP upstream, split once when the registry snapshot is loaded.
pub(crate) struct Plain {
    /// host:port to connect to.
    connect: Arc<str>,
    /// The `Host` header.
    host: HeaderValue,
    /// The base path, without its trailing slash.
    base: String,
}

impl Plain {
    pub(crate) fn of(url: &str) -> Option<Plain> {
        let (connect, host, base) = plain_http(url)?;
        Some(Plain { connect: connect.into(), host: HeaderValue::from_str(host).ok()?, base: base.to_owned() })
    }
}

/// A plain-HTTP upstream URL as (host:port to connect to, `Host` header, base path without
/// the trailing slash); None for anything else (https, user info, a query).
fn plain_http(url: &str) -> Option<(String, &str, &str)> {
    let rest = url.get(..7).filter(|s| s.eq_ignore_ascii_case("http://")).map(|_| &url[7..])?;
    let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    if authority.is_empty() || authority.contains(['@', '?', '#']) || path.contains(['?', '#']) {
        return None;
    }
    let has_port = match authority.rfind(':') {
        Some(i) => authority.rfind(']').is_none_or(|j| j < i),
        None => false,
    };
    let connect = if has_port { authority.to_owned() } else { format!("{authority}:80") };
    Some((connect, authority, path.trim_end_matches('/')))
}

/// The hash of an empty body, sent as `X-Road-Request-Hash` for calls without one.
pub(crate) static EMPTY_HASH: LazyLock<String> = LazyLock::new(|| BASE64.encode(&Sha512::digest(b"")));

/// What a request body was, counted on its way to the upstream.
#[derive(Default)]
pub(crate) struct Sent {
    pub(crate) hasher: Sha512,
    pub(crate) bytes: u64,
    pub(crate) body: Option<Vec<u8>>,
    too_large: bool,
}

impl Sent {
    /// (hash, size, the body when kept, whether it went over the limit).
    pub(crate) fn finish(&mut self) -> (String, i64, Option<Vec<u8>>, bool) {
        (BASE64.encode(&std::mem::take(&mut self.hasher).finalize()), self.bytes as i64, self.body.take(), self.too_large)
    }
}

/// Counts a request body on its way to the upstream into [`Sent`], cutting it off past `limit`.
pub(crate) struct Counted {
    sent: Arc<Mutex<Sent>>,
    limit: u64,
}

impl Counted {
    /// `inner` wrapped to be hashed and counted (and kept when `keep`), with what it was.
    pub(crate) fn new<B>(inner: B, limit: u64, keep: bool) -> (Tap<B, Counted>, Arc<Mutex<Sent>>) {
        let sent = Arc::new(Mutex::new(Sent { body: keep.then(Vec::new), ..Default::default() }));
        (Tap { inner, watch: Counted { sent: sent.clone(), limit } }, sent)
    }
}

impl Watch for Counted {
    fn data(&mut self, c: &Bytes) -> Result<(), axum::BoxError> {
        let mut s = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        s.bytes += c.len() as u64;
        if s.bytes > self.limit {
            s.too_large = true;
            return Err("request body too large".into());
        }
        let s = &mut *s;
        crate::relay::take_in(&mut s.hasher, &mut s.body, c);
        Ok(())
    }
}

/// A call the direct path takes: checked, its record begun and its head for the upstream
/// written.
pub struct Plan {
    upstream: Arc<str>,
    /// The head sent to the upstream, to which the body is added.
    head: Vec<u8>,
    /// The length of the request body (0: none).
    body_len: u64,
    head_request: bool,
    /// X-Road's headers of the answer but the request hash, and the client's limits.
    answer_fields: Vec<u8>,
    /// The client has limits, whose fields replace any the upstream sent.
    limited: bool,
    x: Exchange,
    started: Instant,
    timeout_ms: i64,
    log_bodies: bool,
}

/// What became of the connection to the caller after a call.
#[derive(Debug, PartialEq, Eq)]
pub enum After {
    /// Ready for the caller's next request.
    KeepAlive,
    /// To be closed: the caller asked, or the answer could not be framed otherwise, or the
    /// caller left.
    Close,
}

impl Lgsp {
    /// Checks a `/r1/` call (`method`, the request `target` with its query, the header
    /// `fields`) against the snapshot in memory: `system` is the OAuth2 client id of a token
    /// already verified, `cert` the SHA-256 of the client certificate. None when the router
    /// must take it (a refusal, a stale snapshot, a metaservice or pub/sub call, a service
    /// needing more than a plain HTTP call); the caller's rate and daily quota count
    /// only calls taken.
    pub fn plan(
        &self,
        method: &str,
        target: &str,
        fields: &[httparse::Header<'_>],
        system: Option<&str>,
        cert: Option<&str>,
    ) -> Option<Plan> {
        // Printable ASCII only, as an upstream expects a request target to be.
        if !target.bytes().all(|b| b.is_ascii_graphic()) || target.contains('#') {
            return None;
        }
        let snap = self.snapshot_now()?;
        let (path, query) = target.split_once('?').map_or((target, None), |(p, q)| (p, Some(q)));
        // Names taken as they stand: anything percent-encoded goes the routed way, which decodes.
        let (provider, code, rest) = split_target(path)?;
        if provider.contains('%') || code.contains('%') {
            return None;
        }
        if matches!(code, "listMethods" | "allowedMethods" | "getOpenAPI" | "getWsdl" | "api" | "pub" | "pull") {
            return None;
        }
        let named = h1::value(fields, "x-road-client").or_else(|| h1::value(fields, "information-mediator-client"));
        let named = std::str::from_utf8(named?).ok().filter(|c| !c.contains('%'))?;
        let known = snap.known_client(named)?;
        let client = &known.sub;
        if !client.active || !proves(&snap, client, system, cert) {
            return None;
        }
        let entry = snap.known_service(provider, code).filter(|k| callable(&k.service.state))?;
        let service = &entry.service;
        if service.soap.is_some() || service.upstream_token_url.is_some() {
            return None;
        }
        let (plain, client_value) = (entry.plain.as_ref()?, known.header.as_ref()?);
        let sub_path = if rest.is_empty() { "/" } else { rest };
        if !snap.allowed(&client.id, &service.id, method, sub_path) {
            return None;
        }
        let limit = service.max_body_bytes.max(0) as u64;
        let declared = h1::content_length(fields).ok()?;
        if declared.is_some_and(|n| n > limit) {
            return None;
        }
        let crate::Turn::Taken(left) = self.take_turn(client) else {
            return None;
        };

        self.direct_calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let started = Instant::now();
        let (rid, at) = crate::gateway::new_request();
        let user_id = h1::field(fields, "x-road-userid").map(|s| clipped(s, 200));
        let xroad_id = h1::value(fields, "x-road-id").filter(|v| HeaderValue::from_bytes(v).is_ok()).unwrap_or(rid.as_bytes());

        let mut head = Vec::with_capacity(512);
        head.extend_from_slice(method.as_bytes());
        head.push(b' ');
        head.extend_from_slice(plain.base.as_bytes());
        head.extend_from_slice(sub_path.as_bytes());
        if let Some(q) = query {
            head.push(b'?');
            head.extend_from_slice(q.as_bytes());
        }
        head.extend_from_slice(b" HTTP/1.1\r\n");
        h1::put_field(&mut head, b"host", plain.host.as_bytes());
        let listed = connection_listed(h1::values(fields, "connection"));
        for f in fields.iter().filter(|f| goes_upstream(f.name, &listed)) {
            h1::put_field(&mut head, f.name.as_bytes(), f.value);
        }
        h1::put_field(&mut head, b"x-road-client", client_value.as_bytes());
        h1::put_field(&mut head, b"x-road-id", xroad_id);
        h1::put_field(&mut head, b"x-road-request-id", rid.as_bytes());
        if let Some(n) = declared {
            h1::put_length(&mut head, n);
        }
        head.extend_from_slice(b"\r\n");

        let mut answer_fields = Vec::with_capacity(256);
        h1::put_field(&mut answer_fields, b"x-road-client", client_value.as_bytes());
        if let Some(v) = &entry.header {
            h1::put_field(&mut answer_fields, b"x-road-service", v.as_bytes());
        }
        h1::put_field(&mut answer_fields, b"x-road-id", xroad_id);
        h1::put_field(&mut answer_fields, b"x-road-request-id", rid.as_bytes());
        let limits = left.fields(at);
        if let Some((policy, state)) = &limits {
            h1::put_field(&mut answer_fields, b"ratelimit-policy", policy.as_bytes());
            h1::put_field(&mut answer_fields, b"ratelimit", state.as_bytes());
        }

        let x = Exchange {
            request_id: rid,
            at,
            client: known.text.clone(),
            service: entry.text.clone(),
            method: method.to_owned(),
            path: clipped(path, 1000),
            user_id,
            ..Default::default()
        };
        Some(Plan {
            upstream: plain.connect.clone(),
            head,
            body_len: declared.unwrap_or(0),
            head_request: method == "HEAD",
            answer_fields,
            limited: limits.is_some(),
            x,
            started,
            timeout_ms: service.timeout_ms,
            log_bodies: service.log_bodies,
        })
    }

    /// Forwards a planned call whose head, `head_len` bytes, starts `buf` (with what else was
    /// read from the caller after it), and relays the answer to `caller`. Takes the call's
    /// bytes out of `buf`, leaving whatever the caller sent after them. `close`: the caller
    /// asked to close the connection after this call.
    pub async fn forward<C>(&self, p: Plan, caller: &mut C, buf: &mut Vec<u8>, head_len: usize, close: bool) -> After
    where
        C: AsyncRead + AsyncWrite + Unpin,
    {
        let Plan { upstream, mut head, body_len, head_request, mut answer_fields, limited, mut x, started, timeout_ms, log_bodies } = p;
        let mut sent = Sent { body: log_bodies.then(Vec::new), ..Default::default() };
        let here = (buf.len() - head_len) as u64;
        // The body when all of it is here (the usual case): sent with the head, and sent again
        // should a reused connection turn out to be closed.
        let whole = here >= body_len;
        let taken = if whole { head_len + body_len as usize } else { buf.len() };
        let body_here = &buf[head_len..taken];
        sent.bytes = body_here.len() as u64;
        take_in(&mut sent.hasher, &mut sent.body, body_here);
        head.extend_from_slice(body_here);
        buf.drain(..taken);
        let rest = body_len - sent.bytes;

        let timeout = Duration::from_millis(timeout_ms.max(1) as u64);
        let exchange = async {
            let mut retried = false;
            loop {
                let (mut conn, reused) = match take_idle(&upstream) {
                    Some(c) if !retried => (c, true),
                    _ => (connect(&upstream).await.map_err(NoAnswer::Unreachable)?, false),
                };
                match call(&mut conn, &head, rest, caller, buf, &mut sent, head_request, reused).await {
                    Ok(answer) => return Ok((conn, answer)),
                    Err(NoAnswer::Stale) if whole && !retried => retried = true,
                    Err(NoAnswer::Stale) => return Err(NoAnswer::Unreachable("the connection closed before the answer".into())),
                    Err(e) => return Err(e),
                }
            }
        };
        let answered = tokio::time::timeout(timeout, exchange).await;
        if body_len == 0 {
            x.request_hash = EMPTY_HASH.clone();
        } else {
            let finished = sent.finish();
            (x.request_hash, x.request_bytes, x.request_body) = (finished.0, finished.1, finished.2);
        }
        let failure = match answered {
            Ok(Ok(a)) => Ok(a),
            Ok(Err(NoAnswer::CallerLeft)) => {
                x.error = Some("the client left before the end of the request".into());
                x.duration_ms = started.elapsed().as_millis() as i64;
                self.log(x);
                return After::Close;
            }
            Ok(Err(NoAnswer::Unreachable(e))) => Err(unreachable_failure(e)),
            Ok(Err(NoAnswer::Stale)) => Err(unreachable_failure("the connection closed before the answer")),
            Err(_) => Err(timeout_failure(timeout_ms)),
        };
        let (mut conn, (status, answer_head, framing)) = match failure {
            Ok(a) => a,
            Err(f) => {
                // The rest of an unread body leaves the connection unusable.
                let close = close || sent.bytes < body_len;
                let out = f.h1(&x.request_id, close);
                log_failure(self, x, started, &f).await;
                return match caller.write_all(&out).await {
                    Ok(()) if !close => After::KeepAlive,
                    _ => After::Close,
                };
            }
        };
        x.status = status as i64;
        h1::put_field(&mut answer_fields, b"x-road-request-hash", x.request_hash.as_bytes());

        // The answer's head: the upstream's status and headers, X-Road's, the framing.
        let mut out = Vec::with_capacity(1024);
        let upstream_closes;
        {
            let mut fields = [httparse::EMPTY_HEADER; h1::FIELDS_MAX];
            let mut r = httparse::Response::new(&mut fields);
            let _ = r.parse(&conn.buf[..answer_head]);
            let fields = &*r.headers;
            upstream_closes = h1::lists(fields, "connection", "close") || r.version == Some(0);
            h1::put_status(&mut out, status);
            let listed = connection_listed(h1::values(fields, "connection"));
            let mut dated = false;
            let ours = |name: &str| name.eq_ignore_ascii_case("content-length") || (limited && crate::headers::limit_field(name));
            for f in fields.iter().filter(|f| goes_back(f.name, &listed) && !ours(f.name)) {
                dated |= f.name.eq_ignore_ascii_case("date");
                h1::put_field(&mut out, f.name.as_bytes(), f.value);
            }
            if !dated {
                h1::put_date(&mut out);
            }
            out.extend_from_slice(&answer_fields);
            match framing {
                Framing::Length(n) => h1::put_length(&mut out, n),
                Framing::Chunked | Framing::Close => h1::put_field(&mut out, b"transfer-encoding", b"chunked"),
                // A HEAD's or a 304's length describes the body not sent; kept as the upstream gave it.
                Framing::Empty => {
                    if let Some(v) = h1::value(fields, "content-length").filter(|_| status != 204 && !(100..200).contains(&status)) {
                        h1::put_field(&mut out, b"content-length", v);
                    }
                }
            }
            if close {
                h1::put_field(&mut out, b"connection", b"close");
            }
            out.extend_from_slice(b"\r\n");
        }
        conn.buf.drain(..answer_head);

        let mut got = Got { hasher: Sha512::new(), bytes: 0, body: log_bodies.then(Vec::new) };
        let relayed = relay_body(&mut conn, framing, caller, out, &mut got).await;
        x.response_bytes = got.bytes as i64;
        x.response_hash = BASE64.encode(&got.hasher.finalize());
        x.response_body = got.body;
        x.duration_ms = started.elapsed().as_millis() as i64;
        let after = match relayed {
            Ok(()) => {
                if framing != Framing::Close && !upstream_closes && conn.buf.is_empty() {
                    put_back(&upstream, conn);
                }
                if close { After::Close } else { After::KeepAlive }
            }
            Err(Broke::Upstream(e)) => {
                x.error = Some(format!("the response broke off: {e}"));
                After::Close
            }
            Err(Broke::Caller) => {
                x.error = Some("the client left before the end of the response".into());
                After::Close
            }
        };
        self.log(x);
        after
    }
}

#[cfg(test)]
mod tests {
    use super::plain_http;

    #[test]
    fn plain_http_upstreams_are_split_and_others_refused() {
        assert_eq!(plain_http("http://127.0.0.1:8080/api/"), Some(("127.0.0.1:8080".into(), "127.0.0.1:8080", "/api")));
        assert_eq!(plain_http("HTTP://svc.local"), Some(("svc.local:80".into(), "svc.local", "")));
        assert_eq!(plain_http("http://[::1]/x"), Some(("[::1]:80".into(), "[::1]", "/x")));
        assert_eq!(plain_http("http://[::1]:81"), Some(("[::1]:81".into(), "[::1]:81", "")));
        assert_eq!(plain_http("https://svc.local/"), None);
        assert_eq!(plain_http("http://u:p@svc.local/"), None);
        assert_eq!(plain_http("http://svc.local/a?b=1"), None);
    }
}
