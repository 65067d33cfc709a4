//! The gateway: `{METHOD} /r1/{INSTANCE}/{CLASS}/{MEMBER}/{SUBSYSTEM}/{SERVICE}[/path]` with the
//! client named by `X-Road-Client` (or GovStack's `Information-Mediator-Client`) and proven by
//! an OAuth2 client-credentials token bound to that subsystem. Deny by default: the service
//! must be published and the client on its allow-list. Bodies are streamed both ways, hashed
//! on the way; hop-by-hop headers are dropped; redirects are not followed. Platform failures
//! answer with `X-Road-Error` and a `{type, message, detail}` body. Every exchange is logged.
//! Also the metaservices: `/listClients`, `.../listMethods`, `.../allowedMethods`,
//! `.../getOpenAPI?serviceCode=`.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use data_encoding::BASE64;
use futures_util::StreamExt;
use kernel::authz::PrincipalKind;
use serde_json::json;
use sha2::{Digest, Sha512};
use web::Caller;

use crate::Lgsp;
use crate::log::Exchange;
use crate::model::{SubsystemId, callable};
use crate::registry::{Service, Subsystem};

pub fn router() -> Router<Lgsp> {
    Router::new()
        .route("/listClients", get(list_clients))
        .route("/r1/{*rest}", any(handle))
        .route("/lgsp/v1/envelopes", axum::routing::post(envelope))
}

/// A platform-side failure as X-Road reports it.
struct Failure {
    status: StatusCode,
    kind: &'static str,
    message: String,
}

fn fail(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Failure {
    Failure { status, kind, message: message.into() }
}

impl Failure {
    fn response(&self, request_id: &str) -> Response {
        let body = json!({"type": self.kind, "message": self.message, "detail": request_id});
        let mut r = (self.status, axum::Json(body)).into_response();
        r.headers_mut().insert("x-road-error", HeaderValue::from_static(self.kind));
        if let Ok(v) = HeaderValue::from_str(request_id) {
            r.headers_mut().insert("x-road-request-id", v);
        }
        r
    }
}

/// Headers that belong to one connection, never forwarded.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-connection",
];

/// Headers of the caller's relation with this platform, not passed on.
const PLATFORM_ONLY: [&str; 5] = ["authorization", "cookie", "host", "information-mediator-client", "content-length"];

fn forwardable(name: &HeaderName, listed: &[String]) -> bool {
    let n = name.as_str();
    !HOP_BY_HOP.contains(&n) && !listed.iter().any(|l| l == n)
}

/// Names listed in the `Connection` header are hop-by-hop too.
fn connection_listed(h: &HeaderMap) -> Vec<String> {
    h.get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|x| x.trim().to_ascii_lowercase()))
        .filter(|x| !x.is_empty())
        .collect()
}

fn client_header(h: &HeaderMap) -> Option<&str> {
    h.get("x-road-client").or_else(|| h.get("information-mediator-client")).and_then(|v| v.to_str().ok())
}

/// The authenticated client subsystem, or why not.
async fn authenticate(l: &Lgsp, caller: &Caller, headers: &HeaderMap) -> Result<Subsystem, Failure> {
    let raw = client_header(headers).ok_or_else(|| {
        fail(StatusCode::BAD_REQUEST, "Client.MissingClientHeader", "thiếu X-Road-Client (the X-Road-Client header is missing)")
    })?;
    let id = SubsystemId::parse(raw).ok_or_else(|| {
        fail(StatusCode::BAD_REQUEST, "Client.InvalidClientIdentifier", "X-Road-Client phải là INSTANCE/CLASS/MEMBER/SUBSYSTEM")
    })?;
    let snap =
        l.snapshot().await.map_err(|e| fail(StatusCode::INTERNAL_SERVER_ERROR, "Server.ServerProxy.InternalError", e.to_string()))?;
    let sub = snap.subsystem(&id).filter(|s| s.active).cloned().ok_or_else(|| {
        fail(StatusCode::FORBIDDEN, "Client.UnknownClient", format!("phân hệ {id} chưa đăng ký (unknown client subsystem)"))
    })?;
    // A client certificate bound to the subsystem proves it as well as a token does.
    let by_certificate = sub.cert_sha256.is_some() && sub.cert_sha256 == caller.client_cert;
    let proven = by_certificate
        || match caller.principal.as_ref().filter(|p| p.kind == PrincipalKind::System) {
            None => false,
            Some(p) if sub.client_id.as_deref() == Some(p.id.as_str()) => true,
            // Another platform's gateway speaking for a member it hosts.
            Some(p) => snap.speaks_for(&p.id, &id),
        };
    if !proven {
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            "Client.AuthenticationFailed",
            "cần mã truy cập (client credentials) của ứng dụng gắn với phân hệ này (a token of the client bound to this subsystem is required)",
        ));
    }
    Ok(sub)
}

fn new_request_id() -> String {
    kernel::id::new_id()
}

/// Where a request goes: the provider subsystem, the service code and the rest of the path.
struct Target {
    provider: SubsystemId,
    service: String,
    rest: String,
}

fn parse_target(path: &str) -> Option<Target> {
    let rest = path.strip_prefix("/r1/")?;
    let mut parts = rest.splitn(6, '/');
    let ids: Vec<&str> = (0..4).map(|_| parts.next()).collect::<Option<_>>()?;
    let provider = SubsystemId::from_parts(&ids)?;
    let service = parts.next().filter(|s| !s.is_empty())?;
    let service = percent_encoding::percent_decode_str(service).decode_utf8().ok()?.into_owned();
    if !crate::model::part_ok(&service) {
        return None;
    }
    let rest = parts.next().map(|r| format!("/{r}")).unwrap_or_default();
    if rest.split('/').any(|seg| seg == ".." || seg == "." && !rest.is_empty() && seg.is_empty()) {
        return None;
    }
    Some(Target { provider, service, rest })
}

/// `GET /listClients`: every registered, active subsystem.
async fn list_clients(State(l): State<Lgsp>) -> Response {
    match l.subsystems().await {
        Ok(list) => axum::Json(json!({
            "member": list.iter().map(|s| json!({
                "id": {"object_type": "SUBSYSTEM", "xroad_instance": s.xid.instance, "member_class": s.xid.member_class,
                       "member_code": s.xid.member, "subsystem_code": s.xid.subsystem},
                "name": s.name,
            })).collect::<Vec<_>>()
        }))
        .into_response(),
        Err(e) => fail(StatusCode::INTERNAL_SERVER_ERROR, "Server.ServerProxy.InternalError", e.to_string()).response(&new_request_id()),
    }
}

fn service_list(services: &[Service]) -> Response {
    axum::Json(json!({
        "service": services.iter().map(|s| json!({
            "object_type": "SERVICE", "xroad_instance": s.provider.instance, "member_class": s.provider.member_class,
            "member_code": s.provider.member, "subsystem_code": s.provider.subsystem, "service_code": s.code,
            "service_version": s.version, "service_type": if s.description_kind == "wsdl" { "WSDL" } else { "REST" },
        })).collect::<Vec<_>>()
    }))
    .into_response()
}

async fn metaservice(
    l: &Lgsp,
    caller: &Caller,
    headers: &HeaderMap,
    query: Option<&str>,
    provider: &SubsystemId,
    which: &str,
) -> Result<Response, Failure> {
    let client = authenticate(l, caller, headers).await?;
    let internal = |e: kernel::Error| fail(StatusCode::INTERNAL_SERVER_ERROR, "Server.ServerProxy.InternalError", e.to_string());
    if l.subsystem(provider).await.map_err(internal)?.is_none() {
        return Err(fail(
            StatusCode::NOT_FOUND,
            "Server.ServerProxy.UnknownMember",
            format!("không có phân hệ {provider} (unknown subsystem)"),
        ));
    }
    match which {
        "listMethods" => Ok(service_list(&l.services_of(provider, true).await.map_err(internal)?)),
        "allowedMethods" => Ok(service_list(&l.allowed_services(&client.id, provider).await.map_err(internal)?)),
        _ => {
            let code = query
                .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("serviceCode=")))
                .map(|c| percent_encoding::percent_decode_str(c).decode_utf8_lossy().into_owned())
                .ok_or_else(|| fail(StatusCode::BAD_REQUEST, "Client.InvalidRequest", "thiếu serviceCode (serviceCode is required)"))?;
            let s = l
                .service(provider, &code)
                .await
                .map_err(internal)?
                .filter(|s| callable(&s.state))
                .ok_or_else(|| fail(StatusCode::NOT_FOUND, "Server.ServerProxy.UnknownService", format!("không có dịch vụ {code}")))?;
            match l.description(&s.id).await.map_err(internal)? {
                Some((kind, text)) if kind == "openapi" => {
                    let ct = if text.trim_start().starts_with('{') { "application/json" } else { "application/yaml" };
                    Ok(([(header::CONTENT_TYPE, ct)], text).into_response())
                }
                _ => Err(fail(
                    StatusCode::NOT_FOUND,
                    "Server.ServerProxy.NoDescription",
                    "dịch vụ không có mô tả OpenAPI (no OpenAPI description)",
                )),
            }
        }
    }
}

/// The authenticated client and the whole body (up to `max` bytes), for the requests the
/// gateway reads itself (pub/sub, envelopes); a refusal is logged and answered.
#[allow(clippy::too_many_arguments)]
async fn read_authenticated(
    l: &Lgsp,
    caller: &Caller,
    headers: &HeaderMap,
    body: Body,
    max: usize,
    x: &Exchange,
    started: Instant,
    rid: &str,
) -> Result<(Subsystem, Bytes), Response> {
    let refused = async |f: Failure| {
        log_failure(l, x.clone(), started, &f).await;
        f.response(rid)
    };
    let client = match authenticate(l, caller, headers).await {
        Ok(c) => c,
        Err(f) => return Err(refused(f).await),
    };
    match axum::body::to_bytes(body, max).await {
        Ok(b) => Ok((client, b)),
        Err(_) => {
            Err(refused(fail(StatusCode::PAYLOAD_TOO_LARGE, "Client.RequestTooLarge", format!("tối đa {max} byte (at most {max} bytes)")))
                .await)
        }
    }
}

/// What the log record is built from while the body streams; written when the response ends
/// (or is abandoned by the client).
struct Pending {
    lgsp: Lgsp,
    x: Exchange,
    started: Instant,
    hasher: Sha512,
    body: Option<Vec<u8>>,
    finished: bool,
}

struct LogOnDrop(Arc<Mutex<Pending>>);

impl Drop for LogOnDrop {
    fn drop(&mut self) {
        let mut p = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut x = std::mem::take(&mut p.x);
        x.response_hash = BASE64.encode(&std::mem::take(&mut p.hasher).finalize());
        x.response_body = p.body.take();
        x.duration_ms = p.started.elapsed().as_millis() as i64;
        if !p.finished && x.error.is_none() {
            x.error = Some("the client left before the end of the response".into());
        }
        let l = p.lgsp.clone();
        metrics::counter!("lgsp_exchanges_total", "service" => x.service.clone(), "status" => x.status.to_string()).increment(1);
        metrics::histogram!("lgsp_exchange_seconds", "service" => x.service.clone()).record(x.duration_ms as f64 / 1000.0);
        l.log(x);
    }
}

/// Keeps bodies in the log up to this size when a service asks for bodies.
const LOGGED_BODY_MAX: usize = 1024 * 1024;

async fn log_failure(l: &Lgsp, mut x: Exchange, started: Instant, f: &Failure) {
    x.status = f.status.as_u16() as i64;
    x.error = Some(format!("{}: {}", f.kind, f.message));
    x.duration_ms = started.elapsed().as_millis() as i64;
    metrics::counter!("lgsp_exchanges_total", "service" => x.service.clone(), "status" => x.status.to_string()).increment(1);
    l.log(x);
}

async fn handle(State(l): State<Lgsp>, caller: Caller, req: Request) -> Response {
    let started = Instant::now();
    let rid = new_request_id();
    let path = req.uri().path().to_owned();
    let mut x = Exchange {
        request_id: rid.clone(),
        at: kernel::time::now_ms(),
        client: client_header(req.headers()).unwrap_or("-").chars().take(200).collect(),
        service: "-".into(),
        method: req.method().as_str().to_owned(),
        path: path.chars().take(1000).collect(),
        user_id: req.headers().get("x-road-userid").and_then(|v| v.to_str().ok()).map(|s| s.chars().take(200).collect()),
        ..Default::default()
    };
    let Some(target) = parse_target(&path) else {
        let f = fail(
            StatusCode::BAD_REQUEST,
            "Client.InvalidRequestPath",
            "đường dẫn phải là /r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/...]",
        );
        log_failure(&l, x, started, &f).await;
        return f.response(&rid);
    };
    x.service = format!("{}/{}", target.provider.text(), target.service);
    if target.rest.is_empty() && matches!(target.service.as_str(), "listMethods" | "allowedMethods" | "getOpenAPI") {
        let which = target.service.clone();
        let (headers, query) = (req.headers().clone(), req.uri().query().map(str::to_owned));
        return match metaservice(&l, &caller, &headers, query.as_deref(), &target.provider, &which).await {
            Ok(r) => r,
            Err(f) => f.response(&rid),
        };
    }
    if matches!(target.service.as_str(), "api" | "pub" | "pull") && target.rest.starts_with("/v1/") {
        let (parts, body) = req.into_parts();
        let (client, bytes) = match read_authenticated(&l, &caller, &parts.headers, body, 1024 * 1024, &x, started, &rid).await {
            Ok(x) => x,
            Err(r) => return r,
        };
        if let Some(r) =
            crate::pubsub::handle(&l, &target.provider, &target.service, &target.rest, parts.method.as_str(), &client, &bytes).await
        {
            x.client = client.xid.text();
            x.status = r.status().as_u16() as i64;
            x.request_bytes = bytes.len() as i64;
            x.request_hash = BASE64.encode(&Sha512::digest(&bytes));
            x.duration_ms = started.elapsed().as_millis() as i64;
            l.log(x);
            return r;
        }
        let f = fail(StatusCode::NOT_FOUND, "Server.ServerProxy.UnknownService", "không có dịch vụ này (unknown service)");
        log_failure(&l, x, started, &f).await;
        return f.response(&rid);
    }
    match forward(&l, &caller, req, &target, &rid, x.clone(), started).await {
        Ok(r) => r,
        Err(f) => {
            log_failure(&l, x, started, &f).await;
            f.response(&rid)
        }
    }
}

async fn forward(
    l: &Lgsp,
    caller: &Caller,
    req: Request,
    t: &Target,
    rid: &str,
    mut x: Exchange,
    started: Instant,
) -> Result<Response, Failure> {
    let internal = |e: kernel::Error| fail(StatusCode::INTERNAL_SERVER_ERROR, "Server.ServerProxy.InternalError", e.to_string());
    let (parts, body) = req.into_parts();
    let client = authenticate(l, caller, &parts.headers).await?;
    x.client = client.xid.text();
    if !l.take_turn(&client.id, client.rate_per_minute) {
        return Err(fail(StatusCode::TOO_MANY_REQUESTS, "Client.RateLimitExceeded", "vượt hạn mức yêu cầu mỗi phút (rate limit exceeded)"));
    }
    let snap = l.snapshot().await.map_err(internal)?;
    let service = snap.service(&t.provider, &t.service).filter(|s| callable(&s.state)).cloned().ok_or_else(|| {
        fail(
            StatusCode::NOT_FOUND,
            "Server.ServerProxy.UnknownService",
            format!("không có dịch vụ {}/{} (unknown service)", t.provider, t.service),
        )
    })?;
    let method = parts.method.as_str().to_owned();
    let sub_path = if t.rest.is_empty() { "/".to_owned() } else { t.rest.clone() };
    if !snap.allowed(&client.id, &service.id, &method, &sub_path) {
        return Err(fail(
            StatusCode::FORBIDDEN,
            "Server.ServerProxy.AccessDenied",
            format!("{} không có quyền gọi {} (access denied)", client.xid, service.text()),
        ));
    }
    let limit = service.max_body_bytes.max(0) as u64;
    let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(fail(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Client.RequestTooLarge",
            format!("nội dung vượt {limit} byte (the body is larger than {limit} bytes)"),
        ));
    }
    // The upstream address: the service's URL, the rest of the path, the query.
    let mut url = service.upstream_url.trim_end_matches('/').to_owned();
    url.push_str(&t.rest);
    if let Some(q) = parts.uri.query() {
        url.push('?');
        url.push_str(q);
    }
    let listed = connection_listed(&parts.headers);
    let mut headers = HeaderMap::new();
    for (k, v) in &parts.headers {
        if forwardable(k, &listed) && !PLATFORM_ONLY.contains(&k.as_str()) {
            headers.append(k.clone(), v.clone());
        }
    }
    let xroad_id =
        parts.headers.get("x-road-id").cloned().unwrap_or_else(|| HeaderValue::from_str(rid).unwrap_or(HeaderValue::from_static("-")));
    let client_value = HeaderValue::from_str(&client.xid.encoded())
        .map_err(|_| fail(StatusCode::BAD_REQUEST, "Client.InvalidClientIdentifier", "X-Road-Client"))?;
    headers.insert("x-road-client", client_value.clone());
    if service.upstream_token_url.is_some() {
        let token = l.upstream_token(&service).await?;
        if let Ok(v) = HeaderValue::from_str(&format!("Bearer {token}")) {
            headers.insert(header::AUTHORIZATION, v);
        }
    }
    headers.insert("x-road-id", xroad_id.clone());
    if let Ok(v) = HeaderValue::from_str(rid) {
        headers.insert("x-road-request-id", v);
    }
    if let Some(m) = service.soap.clone() {
        let out = SoapCall { service: &service, mapping: &m, headers, client: client_value, xroad_id, rid };
        return bridge(l, out, t, body, x, started).await;
    }
    // The request body, streamed with its hash and size counted on the way.
    let sent = Arc::new(Mutex::new((Sha512::new(), 0u64, service.log_bodies.then(Vec::new), false)));
    let counter = sent.clone();
    let body = body.into_data_stream().map(move |chunk| {
        let c = chunk.map_err(std::io::Error::other)?;
        let mut s = counter.lock().unwrap_or_else(|e| e.into_inner());
        s.1 += c.len() as u64;
        if s.1 > limit {
            s.3 = true;
            return Err(std::io::Error::other("request body too large"));
        }
        s.0.update(&c);
        if let Some(b) = s.2.as_mut()
            && b.len() + c.len() <= LOGGED_BODY_MAX
        {
            b.extend_from_slice(&c);
        }
        Ok::<Bytes, std::io::Error>(c)
    });
    let method =
        reqwest::Method::from_bytes(method.as_bytes()).map_err(|_| fail(StatusCode::BAD_REQUEST, "Client.InvalidRequest", "method"))?;
    let upstream = l
        .http
        .request(method, &url)
        .headers(headers)
        .timeout(std::time::Duration::from_millis(service.timeout_ms as u64))
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await;
    let (request_hash, request_bytes, request_body, too_large) = {
        let mut s = sent.lock().unwrap_or_else(|e| e.into_inner());
        (BASE64.encode(&s.0.clone().finalize()), s.1 as i64, s.2.take(), s.3)
    };
    x.request_hash = request_hash.clone();
    x.request_bytes = request_bytes;
    x.request_body = request_body;
    x.service = service.text();
    let upstream = match upstream {
        Ok(r) => r,
        Err(_) if too_large => {
            return Err(fail(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Client.RequestTooLarge",
                format!("nội dung vượt {limit} byte (the body is larger than {limit} bytes)"),
            ));
        }
        Err(e) if e.is_timeout() => {
            return Err(fail(
                StatusCode::GATEWAY_TIMEOUT,
                "Server.ServerProxy.Timeout",
                format!("dịch vụ không trả lời trong {} ms (the service timed out)", service.timeout_ms),
            ));
        }
        Err(e) => {
            return Err(fail(
                StatusCode::BAD_GATEWAY,
                "Server.ServerProxy.ServiceFailed",
                format!("không gọi được dịch vụ (the service could not be reached): {}", e.without_url()),
            ));
        }
    };
    let status = StatusCode::from_u16(upstream.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    x.status = status.as_u16() as i64;
    let listed = connection_listed(upstream.headers());
    let mut out = HeaderMap::new();
    for (k, v) in upstream.headers() {
        if forwardable(k, &listed) && k != header::CONTENT_LENGTH {
            out.append(k.clone(), v.clone());
        }
    }
    if let Some(n) = upstream.headers().get(header::CONTENT_LENGTH) {
        out.insert(header::CONTENT_LENGTH, n.clone());
    }
    out.insert("x-road-client", client_value);
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{}/{}",
        service.provider.encoded(),
        percent_encoding::utf8_percent_encode(&service.code, percent_encoding::NON_ALPHANUMERIC)
    )) {
        out.insert("x-road-service", v);
    }
    out.insert("x-road-id", xroad_id);
    if let Ok(v) = HeaderValue::from_str(rid) {
        out.insert("x-road-request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&request_hash) {
        out.insert("x-road-request-hash", v);
    }
    let pending = Arc::new(Mutex::new(Pending {
        lgsp: l.clone(),
        x,
        started,
        hasher: Sha512::new(),
        body: service.log_bodies.then(Vec::new),
        finished: false,
    }));
    let relay = Relay { inner: Box::pin(upstream.bytes_stream()), pending: pending.clone(), _log: LogOnDrop(pending) };
    let mut r = Response::new(Body::from_stream(relay));
    *r.status_mut() = status;
    *r.headers_mut() = out;
    Ok(r)
}

type ByteStream = std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// The upstream's response body on its way to the client: hashed, counted, kept when the
/// service asks, its end noted; the log record is written when the relay is dropped.
struct Relay {
    inner: ByteStream,
    pending: Arc<Mutex<Pending>>,
    _log: LogOnDrop,
}

impl futures_util::Stream for Relay {
    type Item = reqwest::Result<Bytes>;

    fn poll_next(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<Self::Item>> {
        let polled = self.inner.as_mut().poll_next(cx);
        if let std::task::Poll::Ready(item) = &polled {
            let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            match item {
                Some(Ok(c)) => {
                    p.hasher.update(c);
                    p.x.response_bytes += c.len() as i64;
                    if let Some(b) = p.body.as_mut()
                        && b.len() + c.len() <= LOGGED_BODY_MAX
                    {
                        b.extend_from_slice(c);
                    }
                }
                Some(Err(e)) => p.x.error = Some(format!("the response broke off: {e}")),
                None => p.finished = true,
            }
        }
        polled
    }
}

impl Lgsp {
    /// A token at the upstream gateway of `service` (client credentials), cached until a
    /// minute before it expires.
    async fn upstream_token(&self, service: &Service) -> Result<String, Failure> {
        let now = kernel::time::now_ms();
        if let Some((t, until)) = self.tokens.lock().unwrap_or_else(|e| e.into_inner()).get(&service.id)
            && *until > now
        {
            return Ok(t.clone());
        }
        let failed = |why: String| fail(StatusCode::BAD_GATEWAY, "Server.ServerProxy.UpstreamAuthFailed", why);
        let (Some(url), Some(id)) = (&service.upstream_token_url, &service.upstream_client_id) else {
            return Err(failed("no upstream credentials".into()));
        };
        let secret = self.upstream_secret(&service.id).await.map_err(|e| failed(e.to_string()))?.unwrap_or_default();
        let r = self
            .http
            .post(url)
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .timeout(std::time::Duration::from_millis(service.timeout_ms as u64))
            .send()
            .await
            .map_err(|e| failed(format!("the upstream gateway's token endpoint did not answer: {}", e.without_url())))?;
        if !r.status().is_success() {
            return Err(failed(format!("the upstream gateway refused this gateway's credentials ({})", r.status())));
        }
        let body: serde_json::Value = r.json().await.map_err(|e| failed(e.to_string()))?;
        let token = body["access_token"].as_str().ok_or_else(|| failed("no access_token in the answer".into()))?.to_owned();
        let ttl = body["expires_in"].as_i64().unwrap_or(300).max(61);
        self.tokens.lock().unwrap_or_else(|e| e.into_inner()).insert(service.id.clone(), (token.clone(), now + (ttl - 60) * 1000));
        Ok(token)
    }
}

/// The exchange envelope the provinces' documents describe: who receives, who sends, what
/// document, its content and attachments in base64.
#[derive(serde::Deserialize)]
struct Envelope {
    #[serde(rename = "receiverId", alias = "receiver_id", alias = "receiver")]
    receiver_id: Option<String>,
    #[serde(rename = "senderId", alias = "sender_id", alias = "sender")]
    sender_id: Option<String>,
    #[serde(rename = "documentCode", alias = "document_code")]
    document_code: Option<String>,
    #[serde(rename = "documentType", alias = "document_type")]
    document_type: Option<String>,
    content: Option<String>,
    #[serde(default)]
    attachments: Vec<EnvelopeAttachment>,
}

#[derive(serde::Deserialize)]
struct EnvelopeAttachment {
    id: Option<String>,
    name: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
    content: Option<String>,
}

/// Largest envelope accepted (base64 makes content a third larger).
const ENVELOPE_MAX: usize = 64 * 1024 * 1024;

/// Every problem of an envelope, by field; empty when it can be routed.
fn check_envelope(e: &Envelope, client: &SubsystemId) -> (Vec<String>, Option<SubsystemId>) {
    let mut problems = Vec::new();
    let receiver = match e.receiver_id.as_deref().map(SubsystemId::parse) {
        Some(Some(r)) => Some(r),
        Some(None) => {
            problems.push("receiverId: INSTANCE/CLASS/MEMBER/SUBSYSTEM".to_owned());
            None
        }
        None => {
            problems.push("receiverId: bắt buộc (required)".to_owned());
            None
        }
    };
    match e.sender_id.as_deref().map(SubsystemId::parse) {
        Some(Some(s)) if s == *client => {}
        Some(Some(_)) => problems.push("senderId: phải là phân hệ gửi, như X-Road-Client (must be the calling subsystem)".to_owned()),
        _ => problems.push("senderId: INSTANCE/CLASS/MEMBER/SUBSYSTEM".to_owned()),
    }
    if e.document_code.as_deref().is_none_or(|c| c.trim().is_empty() || c.len() > 200) {
        problems.push("documentCode: bắt buộc, tối đa 200 ký tự (required, at most 200 characters)".to_owned());
    }
    if e.document_type.as_deref().is_none_or(|c| c.trim().is_empty() || c.len() > 100) {
        problems.push("documentType: bắt buộc (required)".to_owned());
    }
    match e.content.as_deref() {
        None => problems.push("content: bắt buộc (required)".to_owned()),
        Some(c) if BASE64.decode(c.as_bytes()).is_err() => problems.push("content: không phải base64 (not base64)".to_owned()),
        _ => {}
    }
    let mut ids = std::collections::HashSet::new();
    for (i, a) in e.attachments.iter().enumerate() {
        match a.id.as_deref() {
            Some(id) if !id.trim().is_empty() && ids.insert(id.to_owned()) => {}
            _ => problems.push(format!("attachments[{i}].id: bắt buộc, không trùng (required, unique)")),
        }
        if a.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
            problems.push(format!("attachments[{i}].name: bắt buộc (required)"));
        }
        if a.content.as_deref().is_some_and(|c| BASE64.decode(c.as_bytes()).is_err()) {
            problems.push(format!("attachments[{i}].content: không phải base64 (not base64)"));
        }
    }
    (problems, receiver)
}

/// `POST /lgsp/v1/envelopes`: checks an exchange envelope and routes it, by its receiver id,
/// to the receiving system's `envelope` service, with the same rights, headers and log as any
/// call through the gateway.
async fn envelope(State(l): State<Lgsp>, caller: Caller, req: Request) -> Response {
    let started = Instant::now();
    let rid = new_request_id();
    let x = Exchange {
        request_id: rid.clone(),
        at: kernel::time::now_ms(),
        client: client_header(req.headers()).unwrap_or("-").chars().take(200).collect(),
        service: "envelope".into(),
        method: "POST".into(),
        path: "/lgsp/v1/envelopes".into(),
        ..Default::default()
    };
    let (parts, body) = req.into_parts();
    let (client, bytes) = match read_authenticated(&l, &caller, &parts.headers, body, ENVELOPE_MAX, &x, started, &rid).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let parsed: Result<Envelope, _> = serde_json::from_slice(&bytes);
    let (problems, receiver) = match &parsed {
        Ok(e) => check_envelope(e, &client.xid),
        Err(e) => (vec![format!("JSON: {e}")], None),
    };
    let Some(receiver) = receiver.filter(|_| problems.is_empty()) else {
        let f = fail(StatusCode::BAD_REQUEST, "Client.InvalidEnvelope", problems.join("; "));
        log_failure(&l, x, started, &f).await;
        return f.response(&rid);
    };
    let target = Target { provider: receiver, service: "envelope".into(), rest: String::new() };
    let mut fwd = Request::from_parts(parts, Body::from(bytes));
    fwd.headers_mut().remove(header::CONTENT_LENGTH);
    match forward(&l, &caller, fwd, &target, &rid, x.clone(), started).await {
        Ok(r) => r,
        Err(f) => {
            log_failure(&l, x, started, &f).await;
            f.response(&rid)
        }
    }
}

/// What a bridged call needs besides the request.
struct SoapCall<'a> {
    service: &'a Service,
    mapping: &'a crate::soap::SoapMapping,
    headers: HeaderMap,
    client: HeaderValue,
    xroad_id: HeaderValue,
    rid: &'a str,
}

/// The SOAP bridge of a service: JSON in, SOAP upstream (or SOAP in, JSON upstream), and the
/// answer converted back. Bodies are read whole here (up to the service's limit): a document
/// cannot be converted before it is complete.
async fn bridge(l: &Lgsp, c: SoapCall<'_>, t: &Target, body: Body, mut x: Exchange, started: Instant) -> Result<Response, Failure> {
    use crate::soap::{Message, read};
    let limit = c.service.max_body_bytes.max(0) as usize;
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        fail(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Client.RequestTooLarge",
            format!("nội dung vượt {limit} byte (the body is larger than {limit} bytes)"),
        )
    })?;
    x.service = c.service.text();
    x.request_hash = BASE64.encode(&Sha512::digest(&bytes));
    x.request_bytes = bytes.len() as i64;
    let m = c.mapping;
    let mut headers = c.headers;
    for h in [header::CONTENT_TYPE, header::ACCEPT, HeaderName::from_static("soapaction")] {
        headers.remove(h);
    }
    let invalid = |kind: &'static str, why: String| fail(StatusCode::BAD_REQUEST, kind, why);
    let (url, payload, content_type, action) = if m.mode == "rest_to_soap" {
        let op = t.rest.trim_start_matches('/');
        if op.is_empty() || op.contains('/') {
            return Err(invalid("Client.InvalidRequest", "gọi POST .../SERVICE/{thao tác} (call POST .../SERVICE/{operation})".into()));
        }
        let json: serde_json::Value = if bytes.is_empty() {
            serde_json::json!({})
        } else {
            serde_json::from_slice(&bytes).map_err(|e| invalid("Client.InvalidJson", format!("JSON: {e}")))?
        };
        let xml = m.envelope(op, &json).map_err(|e| invalid("Client.InvalidJson", e))?;
        (c.service.upstream_url.clone(), xml.into_bytes(), m.content_type(op), m.action(op))
    } else {
        let Message::Call { operation, content } = read(&bytes).map_err(|e| invalid("Client.InvalidSoap", format!("SOAP: {e}")))? else {
            return Err(invalid("Client.InvalidSoap", "a fault is not a request".into()));
        };
        let url = format!("{}/{}", c.service.upstream_url.trim_end_matches('/'), operation);
        (url, content.to_string().into_bytes(), "application/json".to_owned(), None)
    };
    headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_str(&content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")));
    if let Some(a) = action.and_then(|a| HeaderValue::from_str(&a).ok()) {
        headers.insert("soapaction", a);
    }
    let sent = l
        .http
        .post(&url)
        .headers(headers)
        .timeout(std::time::Duration::from_millis(c.service.timeout_ms as u64))
        .body(payload)
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                fail(StatusCode::GATEWAY_TIMEOUT, "Server.ServerProxy.Timeout", "dịch vụ không trả lời kịp (the service timed out)")
            } else {
                fail(StatusCode::BAD_GATEWAY, "Server.ServerProxy.ServiceFailed", format!("không gọi được dịch vụ: {}", e.without_url()))
            }
        })?;
    let status = sent.status();
    let answer = sent.bytes().await.map_err(|e| fail(StatusCode::BAD_GATEWAY, "Server.ServerProxy.ServiceFailed", e.to_string()))?;
    let failed = |why: String| fail(StatusCode::BAD_GATEWAY, "Server.ServerProxy.ServiceFailed", why);
    let (code, ct, out): (StatusCode, String, Vec<u8>) = if m.mode == "rest_to_soap" {
        match read(&answer).map_err(|e| failed(format!("the SOAP service's answer cannot be read: {e}")))? {
            Message::Call { operation, content } => {
                (StatusCode::OK, "application/json".into(), serde_json::json!({ operation: content }).to_string().into_bytes())
            }
            Message::Fault(f) => {
                (StatusCode::BAD_GATEWAY, "application/json".into(), serde_json::json!({"fault": f}).to_string().into_bytes())
            }
        }
    } else {
        let op = read(&bytes)
            .ok()
            .and_then(|msg| if let Message::Call { operation, .. } = msg { Some(operation) } else { None })
            .unwrap_or_default();
        let json: serde_json::Value =
            serde_json::from_slice(&answer).unwrap_or(serde_json::Value::String(String::from_utf8_lossy(&answer).into_owned()));
        let xml = if status.is_success() {
            m.envelope(&format!("{op}Response"), &json).map_err(|e| failed(format!("the answer cannot be put in SOAP: {e}")))?
        } else {
            m.fault(status.is_client_error(), &format!("the service answered {status}: {}", json))
        };
        let code = if status.is_success() { StatusCode::OK } else { StatusCode::INTERNAL_SERVER_ERROR };
        (code, m.content_type(&op), xml.into_bytes())
    };
    x.status = code.as_u16() as i64;
    x.response_hash = BASE64.encode(&Sha512::digest(&out));
    x.response_bytes = out.len() as i64;
    x.duration_ms = started.elapsed().as_millis() as i64;
    if c.service.log_bodies {
        x.request_body = Some(bytes.iter().take(LOGGED_BODY_MAX).copied().collect());
        x.response_body = Some(out.iter().take(LOGGED_BODY_MAX).copied().collect());
    }
    l.log(x.clone());
    let mut r = Response::new(Body::from(out));
    *r.status_mut() = code;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_str(&ct).unwrap_or(HeaderValue::from_static("application/octet-stream")));
    h.insert("x-road-client", c.client);
    h.insert("x-road-id", c.xroad_id);
    if let Ok(v) = HeaderValue::from_str(c.rid) {
        h.insert("x-road-request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&x.request_hash) {
        h.insert("x-road-request-hash", v);
    }
    Ok(r)
}
