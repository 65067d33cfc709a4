//! Helpers shared by the document management tests.
#![allow(dead_code)]

use identity::seed::{DEMO_PASSWORD, DEMO_TOTP_SECRET};
use serde_json::Value;
use testkit::{Answer, Session, TestApp};

pub const STP: &str = "000.00.13.H99"; // Sở Tư pháp
pub const PTA: &str = "000.00.51.H99"; // UBND phường Thái An
pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

pub async fn official(app: &TestApp, login: &str) -> Session {
    let needs = ["truongphong", "lanhdao", "quantri"].iter().any(|p| login.starts_with(p));
    let code = needs.then(|| identity::totp::code(DEMO_TOTP_SECRET, identity::totp::now_secs()).unwrap());
    app.session(login, DEMO_PASSWORD, code.as_deref()).await
}

pub async fn upload(app: &TestApp, s: &Session, doc: &str, role: &str, name: &str, ct: &str, body: &[u8]) -> Answer {
    app.raw(
        app.http
            .post(app.url(&format!("/api/docflow/documents/{doc}/files?role={role}&name={name}")))
            .header("cookie", &s.cookie)
            .header("x-csrf-token", &s.csrf)
            .header("content-type", ct)
            .body(body.to_vec()),
    )
    .await
}

pub async fn ok(app: &TestApp, s: &Session, path: &str, body: Value) -> Value {
    let r = app.post_as(s, path, &body).await;
    assert!(r.status.is_success(), "{path}: {} {}", r.status, r.text);
    r.json()
}

pub async fn view(app: &TestApp, s: &Session, id: &str) -> Value {
    let r = app.get_as(s, &format!("/api/docflow/documents/{id}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

/// Runs exchange rounds until `done` holds (the background worker runs too).
pub async fn until(app: &TestApp, what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..100 {
        app.app.docflow.exchange_round().await.expect("exchange round");
        if done().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("never happened: {what}");
}

/// Drafts, submits, approves and issues an outgoing document of Sở Tư pháp to `recipients`.
pub async fn issue_from_stp(app: &TestApp, recipients: &[&str], subject: &str) -> Value {
    let drafter = official(app, "chuyenvien.stp").await;
    let d = ok(
        app,
        &drafter,
        "/api/docflow/documents/outgoing",
        serde_json::json!({
            "kind": 1, "subject": subject, "recipients": recipients, "signer_position": "Giám đốc", "priority": 1
        }),
    )
    .await;
    let id = d["id"].as_str().unwrap().to_owned();
    let r = upload(app, &drafter, &id, "main", "congvan.pdf", "application/pdf", PDF).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = upload(app, &drafter, &id, "attachment", "phuluc.png", "image/png", b"\x89PNG\r\n\x1a\nrest-of-image").await;
    assert_eq!(r.status, 201, "{}", r.text);
    let d = ok(app, &drafter, &format!("/api/docflow/documents/{id}/submit"), serde_json::json!({"version": d["version"]})).await;
    let leader = official(app, "lanhdao.stp").await;
    let d = ok(app, &leader, &format!("/api/docflow/documents/{id}/approve"), serde_json::json!({"version": d["version"]})).await;
    let clerk = official(app, "vanthu.stp").await;
    ok(app, &clerk, &format!("/api/docflow/documents/{id}/issue"), serde_json::json!({"version": d["version"]})).await
}

/// Posts a multipart form as a browser sends it, with `csrf` as its anti-forgery field, without
/// following the redirect. Files are (field, file name, content type, bytes).
pub async fn multipart(
    app: &TestApp,
    s: &Session,
    path: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &str, &[u8])],
    csrf: &str,
) -> Answer {
    let boundary = "tinhso-test-7d1f0c";
    let mut body = Vec::new();
    for (k, v) in fields.iter().copied().chain([("_csrf", csrf)]) {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    for (k, name, ct, bytes) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: {ct}\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    app.raw(
        app.http
            .post(app.url(path))
            .header("cookie", &s.cookie)
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body),
    )
    .await
}

/// The `Location` a page redirected to.
pub fn location(r: &Answer) -> String {
    r.header("location").unwrap_or_else(|| panic!("no redirect: {} {}", r.status, r.text)).to_owned()
}

/// The document id in a redirect to `/documents/{id}?...`.
pub fn document_in(r: &Answer) -> String {
    let l = location(r);
    l.strip_prefix("/documents/").and_then(|x| x.split(['?', '#']).next()).unwrap_or_else(|| panic!("not a document: {l}")).to_owned()
}

/// The version a document page's forms carry.
pub fn page_version(html: &str) -> String {
    let at = html.find("name=\"version\" value=\"").expect("a form with the version") + "name=\"version\" value=\"".len();
    html[at..].split('"').next().unwrap_or_default().to_owned()
}
