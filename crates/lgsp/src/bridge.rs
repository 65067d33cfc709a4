//! The SOAP bridge in the gateway: a bridged service's request converted (JSON → SOAP or SOAP →
//! JSON), sent, and its answer converted back, with the same headers and log as any exchange.

use std::time::Instant;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use data_encoding::BASE64;
use sha2::{Digest, Sha512};

use crate::Lgsp;
use crate::gateway::{Failure, LOGGED_BODY_MAX, Target, fail};
use crate::log::Exchange;
use crate::registry::Service;

/// What a bridged call needs besides the request.
pub(crate) struct SoapCall<'a> {
    pub(crate) service: &'a Service,
    pub(crate) mapping: &'a crate::soap::SoapMapping,
    pub(crate) headers: HeaderMap,
    pub(crate) client: HeaderValue,
    pub(crate) xroad_id: HeaderValue,
    pub(crate) rid: &'a str,
    /// Whether the client may call this path of the service (`/{operation}`).
    pub(crate) allowed: &'a (dyn Fn(&str) -> bool + Sync),
}

/// An operation name fit to be an XML element name and a URL path segment.
fn operation_name(name: &str) -> Result<&str, Failure> {
    if crate::soap::valid_name(name) {
        Ok(name)
    } else {
        Err(fail(StatusCode::BAD_REQUEST, "Client.InvalidRequest", format!("«{name}» không phải tên thao tác (not an operation name)")))
    }
}

/// The SOAP bridge of a service: JSON in, SOAP upstream (or SOAP in, JSON upstream), and the
/// answer converted back. Bodies are read whole here (up to the service's limit): a document
/// cannot be converted before it is complete.
pub(crate) async fn bridge(
    l: &Lgsp,
    c: SoapCall<'_>,
    t: &Target,
    body: Body,
    mut x: Exchange,
    started: Instant,
) -> Result<Response, Failure> {
    use crate::soap::{Message, free_content, read, typed};
    let limit = c.service.max_body_bytes.max(0) as usize;
    let bytes = crate::gateway::read_body(body, limit).await?;
    x.service = c.service.text();
    x.request_hash = BASE64.encode(&Sha512::digest(&bytes));
    x.request_bytes = bytes.len() as i64;
    let m = c.mapping;
    let mut headers = c.headers;
    for h in [header::CONTENT_TYPE, header::ACCEPT, HeaderName::from_static("soapaction")] {
        headers.remove(h);
    }
    let invalid = |kind: &'static str, why: String| fail(StatusCode::BAD_REQUEST, kind, why);
    let unknown = |why: String| fail(StatusCode::NOT_FOUND, "Client.UnknownOperation", why);
    // The operation, what goes upstream and how its answer is read.
    let (op_name, op, url, payload, content_type, action) = if m.mode == "rest_to_soap" {
        let name = t.rest.trim_start_matches('/');
        if name.is_empty() || name.contains('/') {
            return Err(invalid("Client.InvalidRequest", "gọi POST .../SERVICE/{thao tác} (call POST .../SERVICE/{operation})".into()));
        }
        let name = operation_name(name)?;
        let op = m.operation(name).map_err(unknown)?;
        let json: serde_json::Value = if bytes.is_empty() {
            serde_json::json!({})
        } else {
            serde_json::from_slice(&bytes).map_err(|e| invalid("Client.InvalidJson", format!("JSON: {e}")))?
        };
        let body = match op {
            Some(op) => typed::write_body(&op.input, &json, true),
            None => m.free_body(name, &json),
        }
        .map_err(|e| invalid("Client.InvalidJson", e))?;
        let action = m.action_of(name);
        let xml = m.envelope(&body);
        (name.to_owned(), op, c.service.upstream_url.clone(), xml.into_bytes(), m.content_type(&action), m.soap_action(&action))
    } else {
        let node = match read(&bytes).map_err(|e| invalid("Client.InvalidSoap", format!("SOAP: {e}")))? {
            Message::Call(node) => node,
            Message::Fault(_) => return Err(invalid("Client.InvalidSoap", "a fault is not a request".into())),
        };
        let op = m.operation_for(&node.name).map_err(unknown)?;
        let content = match op {
            Some(op) => typed::read_body(&op.input, &node, true).map_err(|e| invalid("Client.InvalidSoap", format!("SOAP: {e}")))?,
            None => free_content(&node),
        };
        let name = op.map_or(node.name.clone(), |o| o.name.clone());
        operation_name(&name)?;
        if !(c.allowed)(&format!("/{name}")) {
            return Err(fail(
                StatusCode::FORBIDDEN,
                "Server.ServerProxy.AccessDenied",
                format!("không có quyền gọi thao tác {name} (access denied to the operation {name})"),
            ));
        }
        let url = format!("{}/{}", c.service.upstream_url.trim_end_matches('/'), name);
        (name, op, url, content.to_string().into_bytes(), "application/json".to_owned(), None)
    };
    headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_str(&content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")));
    if let Some(a) = action.and_then(|a| HeaderValue::from_str(&a).ok()) {
        headers.insert("soapaction", a);
    }
    let mut sent = l
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
    // The answer, read whole to be converted, up to the service's limit.
    let mut answer = Vec::new();
    while let Some(chunk) =
        sent.chunk().await.map_err(|e| fail(StatusCode::BAD_GATEWAY, "Server.ServerProxy.ServiceFailed", e.to_string()))?
    {
        if answer.len() + chunk.len() > limit {
            return Err(fail(
                StatusCode::BAD_GATEWAY,
                "Server.ServerProxy.ServiceFailed",
                format!("câu trả lời vượt {limit} byte (the service's answer is larger than {limit} bytes)"),
            ));
        }
        answer.extend_from_slice(&chunk);
    }
    let failed = |why: String| fail(StatusCode::BAD_GATEWAY, "Server.ServerProxy.ServiceFailed", why);
    let output = op.and_then(|o| o.output.as_ref());
    let one_way = op.is_some_and(|o| o.output.is_none());
    let (code, ct, out): (StatusCode, String, Vec<u8>) =
        if m.mode == "rest_to_soap" && one_way && status.is_success() && answer.trim_ascii().is_empty() {
            // A one-way operation's service takes the message and answers nothing.
            (StatusCode::ACCEPTED, "application/json".into(), b"{}".to_vec())
        } else if m.mode == "rest_to_soap" {
            match read(&answer).map_err(|e| failed(format!("the SOAP service's answer cannot be read: {e}")))? {
                Message::Call(node) => {
                    let content = match output {
                        Some(out) => typed::read_body(out, &node, false).map_err(failed)?,
                        None => free_content(&node),
                    };
                    (StatusCode::OK, "application/json".into(), serde_json::json!({ node.name: content }).to_string().into_bytes())
                }
                Message::Fault(f) => {
                    (StatusCode::BAD_GATEWAY, "application/json".into(), serde_json::json!({"fault": f}).to_string().into_bytes())
                }
            }
        } else {
            let json: serde_json::Value =
                serde_json::from_slice(&answer).unwrap_or(serde_json::Value::String(String::from_utf8_lossy(&answer).into_owned()));
            let xml = if status.is_success() {
                let body = match output {
                    Some(out) => typed::write_body(out, &json, false),
                    None => m.free_body(&format!("{op_name}Response"), &json),
                };
                m.envelope(&body.map_err(|e| failed(format!("the answer cannot be put in SOAP: {e}")))?)
            } else {
                m.fault(status.is_client_error(), &format!("the service answered {status}: {}", json))
            };
            let code = if status.is_success() { StatusCode::OK } else { StatusCode::INTERNAL_SERVER_ERROR };
            (code, m.content_type(&m.action_of(&op_name)), xml.into_bytes())
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
    crate::headers::answer_xroad_headers(h, c.client, None, c.xroad_id, crate::headers::request_id_value(c.rid), &x.request_hash);
    Ok(r)
}
