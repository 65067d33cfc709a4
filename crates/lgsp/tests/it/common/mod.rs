//! What the gateway's tests share: an upstream test service, a member system with a token,
//! the service published for it, and waiting for the message log.
#![allow(dead_code)] // each test file uses its own part

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde_json::{Value, json};
use testkit::TestApp;

/// A national-registry stand-in on loopback: shows what it received; counts calls.
pub async fn upstream(calls: Arc<AtomicUsize>) -> String {
    let c1 = calls.clone();
    let c2 = calls.clone();
    let c3 = calls.clone();
    let app = Router::new()
        .route(
            "/persons/{id}",
            get(move |axum::extract::Path(id): axum::extract::Path<String>, h: HeaderMap| async move {
                c1.fetch_add(1, Ordering::SeqCst);
                let seen: Value = h
                    .iter()
                    .map(|(k, v)| (k.as_str().to_owned(), Value::from(v.to_str().unwrap_or(""))))
                    .collect::<serde_json::Map<_, _>>()
                    .into();
                axum::Json(json!({"id": id, "name": "Nguyễn Văn An", "headers": seen}))
            }),
        )
        .route(
            "/echo",
            post(move |body: axum::body::Bytes| async move {
                c2.fetch_add(1, Ordering::SeqCst);
                body
            }),
        )
        .route(
            "/slow",
            get(move || async move {
                c3.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                "late"
            }),
        )
        .route("/moved", get(|| async { axum::response::Redirect::to("http://127.0.0.1:9/elsewhere") }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

pub async fn system_token(app: &TestApp, name: &str) -> (String, String) {
    let r = app.post("/api/oidc/clients", &json!({"name": name, "grant_types": ["client_credentials"], "scopes": ["lgsp:call"]})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let (id, secret) =
        (r.json()["client"]["client_id"].as_str().unwrap().to_owned(), r.json()["client_secret"].as_str().unwrap().to_owned());
    let t =
        app.raw(app.http.post(app.url("/oauth/token")).basic_auth(&id, Some(&secret)).form(&[("grant_type", "client_credentials")])).await;
    assert_eq!(t.status, 200, "{}", t.text);
    (id, t.json()["access_token"].as_str().unwrap().to_owned())
}

pub const CLIENT: &str = "VN/GOV/000.00.51.H99/motcua";
pub const SERVICE: &str = "/r1/VN/GOV/000.00.13.H99/tuphap/persons";

/// Members, subsystems, the service (published), the client's right to GET it.
pub async fn setup(app: &TestApp, upstream_url: &str) -> (String, String) {
    for (code, name) in [("000.00.13.H99", "Sở Tư pháp"), ("000.00.51.H99", "UBND huyện Phú Tân")] {
        let r = app.post("/api/lgsp/members", &json!({"instance": "VN", "member_class": "GOV", "code": code, "name": name})).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let (client_id, token) = system_token(app, "Một cửa Phú Tân").await;
    let r = app
        .post(
            "/api/lgsp/members/VN/GOV/000.00.51.H99/subsystems",
            &json!({"code": "motcua", "name": "Một cửa điện tử", "client_id": client_id}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = app.post("/api/lgsp/members/VN/GOV/000.00.13.H99/subsystems", &json!({"code": "tuphap", "name": "Hệ thống hộ tịch"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = app
        .post(
            "/api/lgsp/subsystems/VN/GOV/000.00.13.H99/tuphap/services",
            &json!({"code": "persons", "version": "1.0", "name": "Tra cứu công dân", "upstream_url": upstream_url, "timeout_ms": 500,
                    "max_body_bytes": 1024, "log_bodies": true, "description_kind": "openapi",
                    "description": "{\"openapi\": \"3.0.3\", \"info\": {\"title\": \"Tra cứu công dân\", \"version\": \"1.0\"}, \"paths\": {}}"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let service_id = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(r.json()["state"], "draft");
    let grant = app.post(&format!("/api/lgsp/services/{service_id}/access"), &json!({"client": CLIENT, "method": "GET"})).await;
    assert_eq!(grant.status, 201, "{}", grant.text);
    let grant = app
        .post(&format!("/api/lgsp/services/{service_id}/access"), &json!({"client": CLIENT, "method": "POST", "path_prefix": "/echo"}))
        .await;
    assert_eq!(grant.status, 201, "{}", grant.text);
    (service_id, token)
}

/// A count the test reads straight from the database.
pub async fn count(app: &TestApp, sql: &'static str) -> i64 {
    kernel::db::q(sql).fetch_i64(&app.app.db).await.unwrap()
}

/// Moves a draft service through testing to published, each move answered 200.
pub async fn publish(app: &TestApp, service_id: &str) {
    for to in ["testing", "published"] {
        let r = app.post(&format!("/api/lgsp/services/{service_id}/state"), &json!({"state": to})).await;
        assert_eq!(r.status, 200, "{to}: {}", r.text);
    }
}

pub fn call(app: &TestApp, method: reqwest::Method, path: &str, token: Option<&str>) -> reqwest::RequestBuilder {
    let mut b = app.http.request(method, app.url(path)).header("X-Road-Client", CLIENT);
    if let Some(t) = token {
        b = b.bearer_auth(t);
    }
    b
}

pub async fn wait_for_log(app: &TestApp, n: i64) {
    for _ in 0..100 {
        let have = kernel::db::q("SELECT COUNT(*) FROM lgsp_messages").fetch_i64(&app.app.db).await.unwrap();
        if have >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the message log did not reach {n} records");
}
