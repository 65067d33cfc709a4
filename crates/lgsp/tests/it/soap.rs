//! The SOAP bridge through the gateway, on SQLite and PostgreSQL: a SOAP 1.1 registry service
//! called by a JSON client, a JSON service called by a SOAP 1.2 client; XML bombs and external
//! entities refused with the X-Road error and nothing forwarded.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::post;
use serde_json::{Value, json};
use testkit::{TestApp, storage_test};

const CLIENT: &str = "VN/GOV/000.00.51.H99/motcua";

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// A SOAP 1.1 civil-status service and a JSON persons service, counting calls.
async fn upstreams(calls: Arc<AtomicUsize>) -> (String, String) {
    let c1 = calls.clone();
    let soap = Router::new().route(
        "/ws",
        post(move |h: HeaderMap, body: String| async move {
            c1.fetch_add(1, Ordering::SeqCst);
            assert_eq!(h.get("soapaction").and_then(|v| v.to_str().ok()), Some("\"urn:hotich/TraCuu\""));
            assert!(h.get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/xml")));
            let ns = "http://schemas.xmlsoap.org/soap/envelope/";
            let inner = if body.contains("<soDinhDanh>000000000000</soDinhDanh>") {
                "<soap:Fault><faultcode>soap:Client</faultcode><faultstring>Không có công dân</faultstring></soap:Fault>".to_owned()
            } else {
                "<h:TraCuuResponse xmlns:h=\"urn:hotich\"><ten>Nguyễn Văn An</ten><con><ten>A</ten></con><con><ten>B</ten></con></h:TraCuuResponse>".to_owned()
            };
            ([("content-type", "text/xml; charset=utf-8")], format!("<soap:Envelope xmlns:soap=\"{ns}\"><soap:Body>{inner}</soap:Body></soap:Envelope>"))
        }),
    );
    let c2 = calls.clone();
    let rest = Router::new().route(
        "/api/TraCuu",
        post(move |body: axum::Json<Value>| async move {
            c2.fetch_add(1, Ordering::SeqCst);
            axum::Json(json!({"soDinhDanh": body["soDinhDanh"], "ten": "Trần Thị Bình"}))
        }),
    );
    (format!("{}/ws", serve(soap).await), format!("{}/api", serve(rest).await))
}

async fn service(app: &TestApp, code: &str, upstream: &str, soap: Value) {
    let r = app
        .post(
            "/api/lgsp/subsystems/VN/GOV/000.00.13.H99/tuphap/services",
            &json!({"code": code, "version": "1", "name": code, "upstream_url": upstream, "soap": soap, "description_kind": "wsdl"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    for s in ["testing", "published"] {
        app.post(&format!("/api/lgsp/services/{id}/state"), &json!({"state": s})).await;
    }
    app.post(&format!("/api/lgsp/services/{id}/access"), &json!({"client": CLIENT, "method": "POST"})).await;
}

storage_test!(soap_and_rest_meet_through_the_bridge, async |app: &TestApp| {
    let calls = Arc::new(AtomicUsize::new(0));
    let (soap_url, rest_url) = upstreams(calls.clone()).await;
    for (code, name) in [("000.00.13.H99", "Sở Tư pháp"), ("000.00.51.H99", "UBND huyện")] {
        app.post("/api/lgsp/members", &json!({"instance": "VN", "member_class": "GOV", "code": code, "name": name})).await;
    }
    let r = app.post("/api/oidc/clients", &json!({"name": "mc", "grant_types": ["client_credentials"], "scopes": ["lgsp:call"]})).await;
    let (id, secret) =
        (r.json()["client"]["client_id"].as_str().unwrap().to_owned(), r.json()["client_secret"].as_str().unwrap().to_owned());
    app.post("/api/lgsp/members/VN/GOV/000.00.51.H99/subsystems", &json!({"code": "motcua", "name": "Một cửa", "client_id": id})).await;
    app.post("/api/lgsp/members/VN/GOV/000.00.13.H99/subsystems", &json!({"code": "tuphap", "name": "Tư pháp"})).await;
    let bad = app
        .post("/api/lgsp/subsystems/VN/GOV/000.00.13.H99/tuphap/services", &json!({"code": "x", "version": "1", "name": "x", "upstream_url": soap_url, "soap": {"mode": "sideways", "version": "3", "namespace": ""}}))
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    service(app, "hotich", &soap_url, json!({"mode": "rest_to_soap", "version": "1.1", "namespace": "urn:hotich"})).await;
    service(app, "congdan", &rest_url, json!({"mode": "soap_to_rest", "version": "1.2", "namespace": "urn:congdan"})).await;
    let t =
        app.raw(app.http.post(app.url("/oauth/token")).basic_auth(&id, Some(&secret)).form(&[("grant_type", "client_credentials")])).await;
    let token = t.json()["access_token"].as_str().unwrap().to_owned();
    let call = |path: &str| {
        app.http.post(app.url(&format!("/r1/VN/GOV/000.00.13.H99/tuphap/{path}"))).header("X-Road-Client", CLIENT).bearer_auth(&token)
    };

    // A JSON client calls the SOAP service.
    let r = app.raw(call("hotich/TraCuu").json(&json!({"soDinhDanh": "001090012345"}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json(), json!({"TraCuuResponse": {"ten": "Nguyễn Văn An", "con": [{"ten": "A"}, {"ten": "B"}]}}));
    assert!(r.header("x-road-request-id").is_some());
    let r = app.raw(call("hotich/TraCuu").json(&json!({"soDinhDanh": "000000000000"}))).await;
    assert_eq!((r.status.as_u16(), r.json()["fault"].as_str()), (502, Some("Không có công dân")));
    let r = app.raw(call("hotich/TraCuu").body("{not json")).await;
    assert_eq!((r.status.as_u16(), r.header("x-road-error")), (400, Some("Client.InvalidJson")));

    // A SOAP 1.2 client calls the JSON service.
    let envelope = r#"<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><c:TraCuu xmlns:c="urn:congdan"><soDinhDanh>079185004321</soDinhDanh></c:TraCuu></s:Body></s:Envelope>"#;
    let r = app.raw(call("congdan").header("content-type", "application/soap+xml").body(envelope)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.header("content-type").is_some_and(|c| c.starts_with("application/soap+xml")));
    assert!(
        r.text.contains("TraCuuResponse")
            && r.text.contains("<ten>Trần Thị Bình</ten>")
            && r.text.contains("<soDinhDanh>079185004321</soDinhDanh>"),
        "{}",
        r.text
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3, "two SOAP calls and one JSON call; the bad JSON went nowhere");

    // XML bombs and external entities: the X-Road error, nothing forwarded.
    let bomb = r#"<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><TraCuu><soDinhDanh>&c;</soDinhDanh></TraCuu></s:Body></s:Envelope>"#;
    let xxe = r#"<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><TraCuu><soDinhDanh>&x;</soDinhDanh></TraCuu></s:Body></s:Envelope>"#;
    for doc in [bomb, xxe, "<s:Envelope><s:Body><TraCuu>"] {
        let r = app.raw(call("congdan").header("content-type", "application/soap+xml").body(doc)).await;
        assert_eq!((r.status.as_u16(), r.header("x-road-error")), (400, Some("Client.InvalidSoap")), "{}", r.text);
        assert!(!r.text.contains("root:"), "nothing of the file came back");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3, "nothing forwarded");
});
