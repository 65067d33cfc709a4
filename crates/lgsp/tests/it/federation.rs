//! Two provinces, two `tinhso` gateways: a client system in province A calls a service of
//! province B through A's gateway and B's. A signs in at B with its own client credentials and
//! B trusts it to speak for the member it hosts; rights, the message log, monitoring and the
//! X-Road headers are checked on both sides.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::get;
use serde_json::{Value, json};
use testkit::{TestApp, storage_test};

use crate::common::publish;

async fn upstream(calls: Arc<AtomicUsize>) -> String {
    let app = Router::new().route(
        "/persons/{id}",
        get(move |axum::extract::Path(id): axum::extract::Path<String>, h: HeaderMap| async move {
            calls.fetch_add(1, Ordering::SeqCst);
            let client = h.get("x-road-client").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            let xid = h.get("x-road-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            axum::Json(json!({"id": id, "client": client, "x_road_id": xid}))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn oauth_client(app: &TestApp, name: &str) -> (String, String) {
    let r = app.post("/api/oidc/clients", &json!({"name": name, "grant_types": ["client_credentials"], "scopes": ["lgsp:call"]})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    (r.json()["client"]["client_id"].as_str().unwrap().to_owned(), r.json()["client_secret"].as_str().unwrap().to_owned())
}

async fn ok(app: &TestApp, path: &str, body: Value) -> Value {
    let r = app.post(path, &body).await;
    assert!(r.status.is_success(), "{path}: {} {}", r.status, r.text);
    r.json()
}

const CLIENT: &str = "VN/GOV/000.00.51.H99/motcua";
const PATH: &str = "/r1/VN/GOV/000.00.13.H98/hotich/persons/persons/094300001122";

async fn records(app: &TestApp, n: usize) -> Vec<Value> {
    for _ in 0..100 {
        let m = app.get_admin("/api/lgsp/monitoring?limit=100").await.json();
        let r = m["records"].as_array().cloned().unwrap_or_default();
        if r.len() >= n {
            return r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("fewer than {n} exchanges recorded");
}

storage_test!(a_client_in_one_province_calls_a_service_of_another_through_both_gateways, async |a: &TestApp| {
    let backend = if a.app.db.backend() == kernel::db::Backend::Sqlite { testkit::Backend::Sqlite } else { testkit::Backend::Postgres };
    let b = TestApp::start(backend).await.expect("province B");
    let calls = Arc::new(AtomicUsize::new(0));
    let up = upstream(calls.clone()).await;

    // Province B: the civil-status registry's service, A's gateway trusted for A's member.
    ok(&b, "/api/lgsp/members", json!({"instance": "VN", "member_class": "GOV", "code": "000.00.13.H98", "name": "Sở Tư pháp tỉnh B"}))
        .await;
    ok(&b, "/api/lgsp/members/VN/GOV/000.00.13.H98/subsystems", json!({"code": "hotich", "name": "Hộ tịch"})).await;
    let svc_b = ok(
        &b,
        "/api/lgsp/subsystems/VN/GOV/000.00.13.H98/hotich/services",
        json!({"code": "persons", "version": "1", "name": "Tra cứu hộ tịch", "upstream_url": up}),
    )
    .await;
    let svc_b = svc_b["id"].as_str().unwrap().to_owned();
    publish(&b, &svc_b).await;
    ok(
        &b,
        "/api/lgsp/members",
        json!({"instance": "VN", "member_class": "GOV", "code": "000.00.51.H99", "name": "UBND huyện Phú Tân (tỉnh A)"}),
    )
    .await;
    ok(&b, "/api/lgsp/members/VN/GOV/000.00.51.H99/subsystems", json!({"code": "motcua", "name": "Một cửa Phú Tân"})).await;
    let (a_at_b, a_secret) = oauth_client(&b, "Cổng LGSP tỉnh A").await;
    ok(&b, "/api/lgsp/peers", json!({"client_id": a_at_b, "member": "VN/GOV/000.00.51.H99", "name": "LGSP tỉnh A"})).await;
    let right = ok(&b, &format!("/api/lgsp/services/{svc_b}/access"), json!({"client": CLIENT, "method": "GET"})).await;

    // Province A: its own member system, and B's service reached through B's gateway.
    ok(a, "/api/lgsp/members", json!({"instance": "VN", "member_class": "GOV", "code": "000.00.51.H99", "name": "UBND huyện Phú Tân"}))
        .await;
    let (local, local_secret) = oauth_client(a, "Một cửa Phú Tân").await;
    ok(a, "/api/lgsp/members/VN/GOV/000.00.51.H99/subsystems", json!({"code": "motcua", "name": "Một cửa", "client_id": local})).await;
    ok(a, "/api/lgsp/members", json!({"instance": "VN", "member_class": "GOV", "code": "000.00.13.H98", "name": "Sở Tư pháp tỉnh B"}))
        .await;
    ok(a, "/api/lgsp/members/VN/GOV/000.00.13.H98/subsystems", json!({"code": "hotich", "name": "Hộ tịch (tỉnh B)"})).await;
    let svc_a = ok(
        a,
        "/api/lgsp/subsystems/VN/GOV/000.00.13.H98/hotich/services",
        json!({
            "code": "persons", "version": "1", "name": "Tra cứu hộ tịch (tỉnh B)",
            "upstream_url": format!("{}/r1/VN/GOV/000.00.13.H98/hotich/persons", b.base),
            "upstream_auth": {"token_url": format!("{}/oauth/token", b.base), "client_id": a_at_b, "client_secret": a_secret}
        }),
    )
    .await;
    let svc_a = svc_a["id"].as_str().unwrap().to_owned();
    assert!(svc_a.len() > 10);
    assert!(!a.get_admin(&format!("/api/lgsp/services/{svc_a}")).await.text.contains(&a_secret), "the secret is never shown");
    publish(a, &svc_a).await;
    ok(a, &format!("/api/lgsp/services/{svc_a}/access"), json!({"client": CLIENT, "method": "GET"})).await;

    let t = a
        .raw(a.http.post(a.url("/oauth/token")).basic_auth(&local, Some(&local_secret)).form(&[("grant_type", "client_credentials")]))
        .await;
    let token = t.json()["access_token"].as_str().unwrap().to_owned();
    let r = a.raw(a.http.get(a.url(PATH)).header("X-Road-Client", CLIENT).header("X-Road-Id", "phien-123").bearer_auth(&token)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let body = r.json();
    assert_eq!(body["client"], CLIENT, "the original client reaches B's service");
    assert_eq!(body["x_road_id"], "phien-123", "the exchange keeps its id across both gateways");
    assert_eq!(r.header("x-road-id"), Some("phien-123"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // Both sides logged it, with the same client and service.
    for side in [a, &b] {
        let recs = records(side, 1).await;
        let x = recs.iter().find(|x| x["status"] == 200).unwrap_or_else(|| panic!("{recs:?}"));
        assert_eq!(x["client"], CLIENT);
        assert_eq!(x["service"], "VN/GOV/000.00.13.H98/hotich/persons");
        side.post("/api/lgsp/log/seal", &json!({})).await;
        assert_eq!(side.get_admin("/api/lgsp/log/verify").await.json()["problems"], json!([]));
    }

    // B withdraws the right: B refuses, and A hands B's X-Road error back to the client.
    let del = b
        .raw(
            b.http
                .delete(b.url(&format!("/api/lgsp/services/{svc_b}/access/{}", right["id"].as_str().unwrap())))
                .bearer_auth(&b.admin_token),
        )
        .await;
    assert_eq!(del.status, 204);
    let r = a.raw(a.http.get(a.url(PATH)).header("X-Road-Client", CLIENT).bearer_auth(&token)).await;
    assert_eq!((r.status.as_u16(), r.header("x-road-error")), (403, Some("Server.ServerProxy.AccessDenied")), "{}", r.text);
    assert_eq!(calls.load(Ordering::SeqCst), 1, "nothing reached the service");
    // A gateway B does not trust for that member cannot speak for it.
    let (stranger, s_secret) = oauth_client(&b, "Ai đó").await;
    let st = b
        .raw(b.http.post(b.url("/oauth/token")).basic_auth(&stranger, Some(&s_secret)).form(&[("grant_type", "client_credentials")]))
        .await;
    let st = st.json()["access_token"].as_str().unwrap().to_owned();
    let r = b
        .raw(b.http.get(b.url("/r1/VN/GOV/000.00.13.H98/hotich/persons/persons/1")).header("X-Road-Client", CLIENT).bearer_auth(&st))
        .await;
    assert_eq!((r.status.as_u16(), r.header("x-road-error")), (401, Some("Client.AuthenticationFailed")));
    b.stop().await;
});
