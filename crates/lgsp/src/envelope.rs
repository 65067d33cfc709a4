//! The exchange envelope the provinces' documents describe, accepted at
//! `POST /lgsp/v1/envelopes`, checked field by field and routed by its receiver id to the
//! receiving system's `envelope` service through the gateway.

use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use data_encoding::BASE64;
use web::Caller;

use crate::Lgsp;
use crate::gateway::{Target, fail, forward, log_failure, new_request, read_authenticated};
use crate::headers::client_header;
use crate::log::Exchange;
use crate::model::SubsystemId;

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
pub(crate) async fn envelope(State(l): State<Lgsp>, caller: Caller, req: Request) -> Response {
    let started = Instant::now();
    let (rid, at) = new_request();
    let x = Exchange {
        request_id: rid.clone(),
        at,
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
