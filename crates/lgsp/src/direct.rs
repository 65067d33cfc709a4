//! The gateway's direct path. A call that the registry snapshot in memory can decide alone (the
//! snapshot is fresh, the caller's token was verified before or its certificate is bound, the
//! service is published, plain HTTP, without SOAP or credentials at the upstream) is checked and
//! forwarded on the thread that read it, over that thread's own connections to the upstream
//! (HTTP/1 through hyper), with no hand-off to another task or thread on the way: the way nginx's
//! workers proxy. Every other call goes back to the caller, who passes it to the router
//! (`gateway::handle`), which may read the database and answers refusals. Both paths check the
//! same rules with the same functions and log the same record.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Request, Uri, header};
use axum::response::Response;
use data_encoding::BASE64;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use sha2::{Digest, Sha512};

use crate::Lgsp;
use crate::gateway::{
    Failure, X_ROAD_USER_ID, client_header, clipped, log_failure, proves, request_headers, request_id_value, response_headers,
    split_target, timeout_failure, too_large_failure, unreachable_failure, xroad_id,
};
use crate::log::Exchange;
use crate::model::callable;
use crate::relay::{Tap, Watch, relay};

type Sender = hyper::client::conn::http1::SendRequest<Body>;

/// How long connecting to an upstream may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle connections kept per upstream and thread.
const IDLE_PER_UPSTREAM: usize = 256;

thread_local! {
    /// This thread's idle connections, per upstream address.
    static IDLE: RefCell<HashMap<Arc<str>, Vec<Sender>>> = RefCell::new(HashMap::new());
}

/// A connection to an upstream whose answer is being relayed; it goes back to the idle ones of
/// the thread that relays it once the answer was read to its end.
pub(crate) struct Idle {
    upstream: Arc<str>,
    sender: Sender,
}

impl Idle {
    pub(crate) fn put_back(self) {
        IDLE.with(|idle| {
            let mut idle = idle.borrow_mut();
            let list = idle.entry(self.upstream).or_default();
            if list.len() < IDLE_PER_UPSTREAM {
                list.push(self.sender);
            }
        });
    }
}

fn take_idle(upstream: &Arc<str>) -> Option<Sender> {
    IDLE.with(|idle| idle.borrow_mut().get_mut(upstream).and_then(Vec::pop))
}

/// Sends `req` over an idle connection to `upstream` (host:port), or a new one.
async fn send(upstream: Arc<str>, mut req: Request<Body>) -> Result<(Response<Incoming>, Idle), String> {
    while let Some(mut sender) = take_idle(&upstream) {
        if !sender.is_ready() {
            continue;
        }
        match sender.try_send_request(req).await {
            Ok(r) => return Ok((r, Idle { upstream, sender })),
            // The connection closed before the request left: another one.
            Err(mut e) => match e.take_message() {
                Some(back) => req = back,
                None => return Err(e.into_error().to_string()),
            },
        }
    }
    let tcp = match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(&*upstream)).await {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(e)) => return Err(e.to_string()),
        Err(_) => return Err(format!("no connection within {} s", CONNECT_TIMEOUT.as_secs())),
    };
    let _ = tcp.set_nodelay(true);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await.map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let r = sender.send_request(req).await.map_err(|e| e.to_string())?;
    Ok((r, Idle { upstream, sender }))
}

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
static EMPTY_HASH: LazyLock<String> = LazyLock::new(|| BASE64.encode(&Sha512::digest(b"")));

/// What a request body was, counted on its way to the upstream.
#[derive(Default)]
pub(crate) struct Sent {
    hasher: Sha512,
    bytes: u64,
    body: Option<Vec<u8>>,
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

impl Lgsp {
    /// Forwards `req` (a `/r1/` call) on this thread when the snapshot in memory decides it:
    /// `system` is the OAuth2 client id of a token already verified, `cert` the SHA-256 of the
    /// client certificate. Gives the request back when the router must take it (a refusal, a
    /// stale snapshot, a metaservice or pub/sub call, a service needing more than a plain
    /// HTTP call); the caller's rate is counted only for calls taken.
    #[allow(clippy::result_large_err)]
    pub fn direct(
        &self,
        req: Request<Incoming>,
        system: Option<&str>,
        cert: Option<&str>,
    ) -> Result<impl Future<Output = Response> + Send + 'static, Request<Incoming>> {
        let Some(snap) = self.snapshot_now() else { return Err(req) };
        // Names taken as they stand: anything percent-encoded goes the routed way, which decodes.
        let Some((provider, code, rest)) = split_target(req.uri().path()) else { return Err(req) };
        if provider.contains('%') || code.contains('%') {
            return Err(req);
        }
        if matches!(code, "listMethods" | "allowedMethods" | "getOpenAPI" | "api" | "pub" | "pull") {
            return Err(req);
        }
        let Some(known) = client_header(req.headers()).filter(|c| !c.contains('%')).and_then(|c| snap.known_client(c)) else {
            return Err(req);
        };
        let client = &known.sub;
        if !client.active || !proves(&snap, client, system, cert) {
            return Err(req);
        }
        let Some(entry) = snap.known_service(provider, code).filter(|k| callable(&k.service.state)) else { return Err(req) };
        let service = &entry.service;
        if service.soap.is_some() || service.upstream_token_url.is_some() {
            return Err(req);
        }
        let (Some(plain), Some(client_value)) = (&entry.plain, &known.header) else { return Err(req) };
        let sub_path = if rest.is_empty() { "/" } else { rest };
        if !snap.allowed(&client.id, &service.id, req.method().as_str(), sub_path) {
            return Err(req);
        }
        let limit = service.max_body_bytes.max(0) as u64;
        let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit) {
            return Err(req);
        }
        let mut target = String::with_capacity(plain.base.len() + sub_path.len() + 1);
        target.push_str(&plain.base);
        target.push_str(sub_path);
        if let Some(q) = req.uri().query() {
            target.push('?');
            target.push_str(q);
        }
        let Ok(uri) = target.parse::<Uri>() else { return Err(req) };
        if !self.take_turn(&client.id, client.rate_per_minute) {
            return Err(req);
        }

        self.direct_calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let started = Instant::now();
        let (rid, at) = crate::gateway::new_request();
        let rid_value = request_id_value(&rid);
        let (parts, body) = req.into_parts();
        let mut x = Exchange {
            request_id: rid,
            at,
            client: known.text.clone(),
            service: entry.text.clone(),
            method: parts.method.as_str().to_owned(),
            path: clipped(parts.uri.path(), 1000),
            user_id: parts.headers.get(X_ROAD_USER_ID).and_then(|v| v.to_str().ok()).map(|s| clipped(s, 200)),
            ..Default::default()
        };
        let xroad_id = xroad_id(&parts.headers, &rid_value);
        let mut headers = request_headers(&parts.headers, client_value, &xroad_id, &rid_value);
        headers.insert(header::HOST, plain.host.clone());
        let (body, sent) = if http_body::Body::is_end_stream(&body) {
            (Body::empty(), None)
        } else {
            let (counted, sent) = Counted::new(body, limit, service.log_bodies);
            (Body::new(counted), Some(sent))
        };
        let mut out = Request::new(body);
        *out.method_mut() = parts.method;
        *out.uri_mut() = uri;
        *out.headers_mut() = headers;
        let (l, upstream, log_bodies) = (self.clone(), plain.connect.clone(), service.log_bodies);
        let timeout = Duration::from_millis(service.timeout_ms.max(1) as u64);
        let (client_value, service_value, timeout_ms) = (client_value.clone(), entry.header.clone(), service.timeout_ms);
        Ok(async move {
            let answer = tokio::time::timeout(timeout, send(upstream, out)).await;
            let too_large = match sent {
                None => {
                    x.request_hash = EMPTY_HASH.clone();
                    false
                }
                Some(sent) => {
                    let (hash, bytes, body, too_large) = sent.lock().unwrap_or_else(|e| e.into_inner()).finish();
                    (x.request_hash, x.request_bytes, x.request_body) = (hash, bytes, body);
                    too_large
                }
            };
            let refused = async |x: Exchange, f: Failure| {
                let r = f.response(&x.request_id);
                log_failure(&l, x, started, &f).await;
                r
            };
            let (answer, idle) = match answer {
                Ok(Ok(a)) => a,
                Ok(Err(_)) if too_large => return refused(x, too_large_failure(limit)).await,
                Ok(Err(e)) => return refused(x, unreachable_failure(e)).await,
                Err(_) => return refused(x, timeout_failure(timeout_ms)).await,
            };
            let status = answer.status();
            let headers = response_headers(answer.headers(), client_value, service_value, xroad_id, rid_value, &x.request_hash);
            relay(&l, x, started, log_bodies, status, headers, answer.into_body(), Some(idle))
        })
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
