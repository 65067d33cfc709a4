//! The gateway: `{METHOD} /r1/{INSTANCE}/{CLASS}/{MEMBER}/{SUBSYSTEM}/{SERVICE}[/path]` with the
//! client named by `X-Road-Client` (or GovStack's `Information-Mediator-Client`) and proven by
//! an OAuth2 client-credentials token bound to that subsystem. Deny by default: the service
//! must be published and the client on its allow-list. Bodies are streamed both ways, hashed
//! on the way; hop-by-hop headers are dropped; redirects are not followed. Platform failures
//! answer with `X-Road-Error` and a `{type, message, detail}` body. Every exchange is logged.
//! Also the metaservices: `/listClients`, `.../listMethods`, `.../allowedMethods`,
//! `.../getOpenAPI?serviceCode=`, `.../getWsdl?serviceCode=`.

use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use data_encoding::BASE64;
use kernel::authz::PrincipalKind;
use serde_json::json;
use sha2::{Digest, Sha512};
use web::Caller;

use crate::cache::Snapshot;
use crate::headers::{X_ROAD_USER_ID, client_header, request_headers, request_id_value, response_headers, service_header, xroad_id};
use crate::log::Exchange;
use crate::model::{SubsystemId, callable};
use crate::quota::Left;
use crate::registry::{Service, Subsystem};
use crate::relay::relay;
pub(crate) use crate::target::{Target, parse_target, split_target};
use crate::{Lgsp, Turn};

pub fn router() -> Router<Lgsp> {
    Router::new()
        .route("/listClients", get(crate::meta::list_clients))
        .route("/r1/{*rest}", any(handle))
        // `/r1` and `/r1/` name no service: the gateway's own refusal, logged, as for any
        // other path it cannot read.
        .route("/r1", any(handle))
        .route("/r1/", any(handle))
        .route("/lgsp/v1/envelopes", axum::routing::post(crate::envelope::envelope).fallback(envelope_method))
}

/// Envelopes are posted: any other method is told so in X-Road's form.
async fn envelope_method() -> Response {
    let mut r = fail(StatusCode::METHOD_NOT_ALLOWED, "Client.MethodNotAllowed", "phong bì được gửi bằng POST (envelopes are posted)")
        .response(&new_request_id());
    r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
    r
}

/// A platform-side failure as X-Road reports it.
pub(crate) struct Failure {
    status: StatusCode,
    kind: &'static str,
    message: String,
    /// Seconds after which the call may be made again (`Retry-After`), for a limit used up.
    retry_after: Option<i64>,
    /// `RateLimit-Policy` and `RateLimit`, for a limit used up.
    limits: Option<(String, String)>,
}

pub(crate) fn fail(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Failure {
    Failure { status, kind, message: message.into(), retry_after: None, limits: None }
}

impl Failure {
    pub(crate) fn response(&self, request_id: &str) -> Response {
        let mut r = (self.status, axum::Json(self.body(request_id))).into_response();
        r.headers_mut().insert("x-road-error", HeaderValue::from_static(self.kind));
        if let Some(s) = self.retry_after {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if let Some(fields) = &self.limits {
            put_limits(r.headers_mut(), fields);
        }
        if let Ok(v) = HeaderValue::from_str(request_id) {
            r.headers_mut().insert("x-road-request-id", v);
        }
        r
    }
}

impl Failure {
    /// X-Road's `{type, message, detail}` body; the detail is the request id.
    pub(crate) fn body(&self, request_id: &str) -> serde_json::Value {
        json!({"type": self.kind, "message": self.message, "detail": request_id})
    }

    /// The answer as HTTP/1.1 bytes (the direct path's), closing the connection when `close`.
    pub(crate) fn h1(&self, request_id: &str, close: bool) -> Vec<u8> {
        let body = serde_json::to_vec(&self.body(request_id)).unwrap_or_default();
        let mut fields: Vec<(&[u8], &[u8])> = vec![(b"content-type", b"application/json"), (b"x-road-error", self.kind.as_bytes())];
        if HeaderValue::from_str(request_id).is_ok() {
            fields.push((b"x-road-request-id", request_id.as_bytes()));
        }
        let after = self.retry_after.map(|s| s.to_string());
        if let Some(a) = &after {
            fields.push((b"retry-after", a.as_bytes()));
        }
        if let Some((policy, state)) = &self.limits {
            fields.push((b"ratelimit-policy", policy.as_bytes()));
            fields.push((b"ratelimit", state.as_bytes()));
        }
        crate::h1::whole_answer(self.status.as_u16(), &fields, &body, close)
    }
}

/// The authenticated client subsystem, or why not.
pub(crate) async fn authenticate(l: &Lgsp, caller: &Caller, headers: &HeaderMap) -> Result<Subsystem, Failure> {
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
    let system = caller.principal.as_ref().filter(|p| p.kind == PrincipalKind::System).map(|p| p.id.as_str());
    if !proves(&snap, &sub, system, caller.client_cert.as_deref()) {
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            "Client.AuthenticationFailed",
            "cần mã truy cập (client credentials) của ứng dụng gắn với phân hệ này (a token of the client bound to this subsystem is required)",
        ));
    }
    Ok(sub)
}

/// Counts the call against the client's rate limit and daily quota, or refuses it (429) when
/// either is used up; what its limits stand at after it. A client's first call of the minute
/// or the day on this node reads the calls all nodes made in it.
async fn take_turn(l: &Lgsp, client: &Subsystem) -> Result<Left, Failure> {
    let mut turn = l.take_turn(client);
    // Twice at most: the minute may turn between the reading and the second try.
    for _ in 0..2 {
        if turn != Turn::Unknown {
            break;
        }
        l.load_turns(client)
            .await
            .map_err(|e| fail(StatusCode::INTERNAL_SERVER_ERROR, "Server.ServerProxy.InternalError", e.to_string()))?;
        turn = l.take_turn(client);
    }
    let now = kernel::time::now_ms();
    match turn {
        Turn::Taken(left) => Ok(left),
        Turn::RateLimited(left) => Err(Failure {
            retry_after: Some(60 - (now / 1000) % 60),
            limits: left.fields(now),
            ..fail(StatusCode::TOO_MANY_REQUESTS, "Client.RateLimitExceeded", "vượt hạn mức yêu cầu mỗi phút (rate limit exceeded)")
        }),
        // Unknown still only when the minute turned twice meanwhile: try again in a second.
        Turn::Unknown => Err(Failure {
            retry_after: Some(1),
            ..fail(StatusCode::TOO_MANY_REQUESTS, "Client.RateLimitExceeded", "thử lại sau một giây (try again in a second)")
        }),
        Turn::QuotaUsed(left) => Err(Failure {
            retry_after: Some(crate::quota::seconds_to_next_day(now)),
            limits: left.fields(now),
            ..fail(
                StatusCode::TOO_MANY_REQUESTS,
                "Client.QuotaExceeded",
                format!(
                    "đã dùng hết {} lượt gọi trong ngày; hạn mức tính lại từ 0 giờ (daily quota of {} calls used up; it starts again at midnight, Vietnam time)",
                    client.calls_per_day, client.calls_per_day
                ),
            )
        }),
    }
}

/// Sets `RateLimit-Policy` and `RateLimit` (see [`Left::fields`]).
pub(crate) fn put_limits(headers: &mut HeaderMap, (policy, state): &(String, String)) {
    if let (Ok(p), Ok(s)) = (HeaderValue::from_str(policy), HeaderValue::from_str(state)) {
        headers.insert(HeaderName::from_static("ratelimit-policy"), p);
        headers.insert(HeaderName::from_static("ratelimit"), s);
    }
}

/// Whether the caller proves it is `sub`: by the client certificate bound to the subsystem, or
/// by a token of the OAuth2 client (`system`) bound to it or of a peer gateway hosting its member.
pub(crate) fn proves(snap: &Snapshot, sub: &Subsystem, system: Option<&str>, cert: Option<&str>) -> bool {
    let by_certificate = sub.cert_sha256.is_some() && sub.cert_sha256.as_deref() == cert;
    by_certificate
        || match system {
            None => false,
            Some(c) if sub.client_id.as_deref() == Some(c) => true,
            // Another platform's gateway speaking for a member it hosts.
            Some(c) => snap.speaks_for(c, &sub.xid),
        }
}

pub(crate) fn new_request_id() -> String {
    kernel::id::new_id()
}

/// A new request id and the moment it names, which is the record's `at`: the evidence of an
/// exchange is looked up by both (`log::evidence`).
pub(crate) fn new_request() -> (String, i64) {
    kernel::id::new_id_at()
}

/// `s`, cut to its first `max` characters (a record's bounded fields).
pub(crate) fn clipped(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    match s.char_indices().nth(max) {
        Some((end, _)) => s[..end].to_owned(),
        None => s.to_owned(),
    }
}

/// The authenticated client and the whole body (up to `max` bytes), for the requests the
/// gateway reads itself (pub/sub, envelopes); a refusal is logged and answered.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn read_authenticated(
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
    match read_body(body, max).await {
        Ok(b) => Ok((client, b)),
        Err(f) => Err(refused(f).await),
    }
}

/// How long a client may take to send a body the gateway reads whole (the site's request
/// timeout does not apply to the gateway's paths).
const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The whole body, up to `max` bytes, within [`BODY_READ_TIMEOUT`].
pub(crate) async fn read_body(body: Body, max: usize) -> Result<Bytes, Failure> {
    match tokio::time::timeout(BODY_READ_TIMEOUT, axum::body::to_bytes(body, max)).await {
        Ok(Ok(b)) => Ok(b),
        Ok(Err(_)) => Err(fail(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Client.RequestTooLarge",
            format!("nội dung vượt {max} byte (the body is larger than {max} bytes)"),
        )),
        Err(_) => Err(fail(
            StatusCode::REQUEST_TIMEOUT,
            "Client.RequestTimeout",
            format!("nội dung không đến đủ trong {} giây (the body did not arrive in time)", BODY_READ_TIMEOUT.as_secs()),
        )),
    }
}

async fn handle(State(l): State<Lgsp>, caller: Caller, req: Request) -> Response {
    let started = Instant::now();
    let (rid, at) = new_request();
    let path = req.uri().path().to_owned();
    let mut x = Exchange {
        request_id: rid.clone(),
        at,
        client: clipped(client_header(req.headers()).unwrap_or("-"), 200),
        service: "-".into(),
        method: req.method().as_str().to_owned(),
        path: clipped(&path, 1000),
        user_id: req.headers().get(X_ROAD_USER_ID).and_then(|v| v.to_str().ok()).map(|s| clipped(s, 200)),
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
    if target.rest.is_empty() && matches!(target.service.as_str(), "listMethods" | "allowedMethods" | "getOpenAPI" | "getWsdl") {
        let which = target.service.clone();
        let (headers, query) = (req.headers().clone(), req.uri().query().map(str::to_owned));
        // Metaservices are exchanges with the platform itself: logged like any other.
        return match crate::meta::metaservice(&l, &caller, &headers, query.as_deref(), &target.provider, &which).await {
            Ok((mut r, client)) => {
                x.client = client;
                x.status = r.status().as_u16() as i64;
                x.request_hash = crate::direct::EMPTY_HASH.clone();
                x.duration_ms = started.elapsed().as_millis() as i64;
                l.log(x);
                if let Ok(v) = HeaderValue::from_str(&rid) {
                    r.headers_mut().insert("x-road-request-id", v);
                }
                r
            }
            Err(f) => {
                log_failure(&l, x, started, &f).await;
                f.response(&rid)
            }
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
            let r = with_request_id(r, &rid, &mut x).await;
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

pub(crate) async fn forward(
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
    let snap = l.snapshot().await.map_err(internal)?;
    // Borrowed from the snapshot, not copied: a service carries its whole OpenAPI text.
    let service = snap.service(&t.provider, &t.service).filter(|s| callable(&s.state)).ok_or_else(|| {
        fail(
            StatusCode::NOT_FOUND,
            "Server.ServerProxy.UnknownService",
            format!("không có dịch vụ {}/{} (unknown service)", t.provider, t.service),
        )
    })?;
    let method = parts.method.as_str().to_owned();
    let sub_path = if t.rest.is_empty() { "/".to_owned() } else { t.rest.clone() };
    // A SOAP client of a bridged JSON service names the operation in its message: the bridge
    // checks the right for `/{operation}` once it has read it.
    let soap_client = service.soap.as_ref().is_some_and(|m| m.mode == "soap_to_rest");
    let permitted = if soap_client {
        snap.allowed_some(&client.id, &service.id, &method)
    } else {
        snap.allowed(&client.id, &service.id, &method, &sub_path)
    };
    if !permitted {
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
    // Counted only now, as on the direct path: a call refused above uses no quota.
    let limits = take_turn(l, &client).await?.fields(kernel::time::now_ms());
    // The upstream address: the service's URL, the rest of the path, the query.
    let mut url = service.upstream_url.trim_end_matches('/').to_owned();
    url.push_str(&t.rest);
    if let Some(q) = parts.uri.query() {
        url.push('?');
        url.push_str(q);
    }
    let rid_value = request_id_value(rid);
    let xroad_id = xroad_id(&parts.headers, &rid_value);
    let client_value = HeaderValue::from_str(&client.xid.encoded())
        .map_err(|_| fail(StatusCode::BAD_REQUEST, "Client.InvalidClientIdentifier", "X-Road-Client"))?;
    let mut headers = request_headers(&parts.headers, &client_value, &xroad_id, &rid_value);
    if service.upstream_token_url.is_some() {
        let token = l.upstream_token(service).await?;
        if let Ok(v) = HeaderValue::from_str(&format!("Bearer {token}")) {
            headers.insert(header::AUTHORIZATION, v);
        }
    }
    if let Some(m) = &service.soap {
        let allowed = |path: &str| snap.allowed(&client.id, &service.id, &method, path);
        let out = crate::bridge::SoapCall { service, mapping: m, headers, client: client_value, xroad_id, rid, allowed: &allowed };
        let mut answer = crate::bridge::bridge(l, out, t, body, x, started).await?;
        if let Some(fields) = &limits {
            put_limits(answer.headers_mut(), fields);
        }
        return Ok(answer);
    }
    // The request body, streamed with its hash and size counted on the way.
    let (body, sent) = crate::direct::Counted::new(body, limit, service.log_bodies);
    let method =
        reqwest::Method::from_bytes(method.as_bytes()).map_err(|_| fail(StatusCode::BAD_REQUEST, "Client.InvalidRequest", "method"))?;
    let upstream = l
        .http
        .request(method, &url)
        .headers(headers)
        .timeout(std::time::Duration::from_millis(service.timeout_ms as u64))
        .body(reqwest::Body::wrap_stream(http_body_util::BodyDataStream::new(body)))
        .send()
        .await;
    let (request_hash, request_bytes, request_body, too_large) = sent.lock().unwrap_or_else(|e| e.into_inner()).finish();
    x.request_hash = request_hash;
    x.request_bytes = request_bytes;
    x.request_body = request_body;
    x.service = service.text();
    let upstream = match upstream {
        Ok(r) => r,
        Err(_) if too_large => return Err(too_large_failure(limit)),
        Err(e) if e.is_timeout() => return Err(timeout_failure(service.timeout_ms)),
        Err(e) => return Err(unreachable_failure(e.without_url())),
    };
    let status = StatusCode::from_u16(upstream.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut out = response_headers(upstream.headers(), client_value, service_header(service), xroad_id, rid_value, &x.request_hash);
    if let Some(fields) = &limits {
        put_limits(&mut out, fields);
    }
    let body = Box::pin(reqwest::Body::from(upstream));
    Ok(relay(l, x, started, service.log_bodies, status, out, body))
}

pub(crate) fn too_large_failure(limit: u64) -> Failure {
    fail(
        StatusCode::PAYLOAD_TOO_LARGE,
        "Client.RequestTooLarge",
        format!("nội dung vượt {limit} byte (the body is larger than {limit} bytes)"),
    )
}

pub(crate) fn timeout_failure(timeout_ms: i64) -> Failure {
    fail(
        StatusCode::GATEWAY_TIMEOUT,
        "Server.ServerProxy.Timeout",
        format!("dịch vụ không trả lời trong {timeout_ms} ms (the service timed out)"),
    )
}

pub(crate) fn unreachable_failure(e: impl std::fmt::Display) -> Failure {
    fail(
        StatusCode::BAD_GATEWAY,
        "Server.ServerProxy.ServiceFailed",
        format!("không gọi được dịch vụ (the service could not be reached): {e}"),
    )
}

/// Keeps bodies in the log up to this size when a service asks for bodies.
pub(crate) const LOGGED_BODY_MAX: usize = 1024 * 1024;

/// A pub/sub answer with the request id in `X-Road-Request-Id` and, for a refusal, in its
/// body's detail as every other X-Road error has it; a refusal's kind and message go to the
/// record's error.
async fn with_request_id(r: Response, rid: &str, x: &mut Exchange) -> Response {
    let (mut parts, body) = r.into_parts();
    if let Ok(v) = HeaderValue::from_str(rid) {
        parts.headers.insert("x-road-request-id", v);
    }
    if !parts.headers.contains_key("x-road-error") {
        return Response::from_parts(parts, body);
    }
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    let Some(mut v) = serde_json::from_slice::<serde_json::Value>(&bytes).ok().filter(serde_json::Value::is_object) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    x.error = Some(format!("{}: {}", v["type"].as_str().unwrap_or_default(), v["message"].as_str().unwrap_or_default()));
    v["detail"] = json!(rid);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(serde_json::to_vec(&v).unwrap_or_default()))
}

pub(crate) async fn log_failure(l: &Lgsp, mut x: Exchange, started: Instant, f: &Failure) {
    x.status = f.status.as_u16() as i64;
    x.error = Some(format!("{}: {}", f.kind, f.message));
    x.duration_ms = started.elapsed().as_millis() as i64;
    l.log(x);
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

#[cfg(test)]
mod tests {
    use super::clipped;

    #[test]
    fn clipped_keeps_whole_characters() {
        assert_eq!(clipped("abc", 5), "abc");
        assert_eq!(clipped("abcdef", 3), "abc");
        assert_eq!(clipped("hộ tịch", 2), "hộ");
        assert_eq!(clipped("ộộộ", 3), "ộộộ");
    }
}
