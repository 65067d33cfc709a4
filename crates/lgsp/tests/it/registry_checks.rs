//! What the registry refuses, on SQLite and PostgreSQL: codes the gateway could not address,
//! service codes the pub/sub paths take, descriptions that are not what their kind says,
//! addresses with credentials, certificates that do not read or prove two subsystems, the same
//! right twice (one withdrawal would leave it open), rights on a retired service, and trusted
//! gateways that could speak as systems signing in here. Each with 4xx and nothing changed.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use serde_json::json;
use testkit::{TestApp, storage_test};

use crate::common::*;

const SUBSYSTEMS: &str = "/api/lgsp/members/VN/GOV/000.00.13.H99/subsystems";
const SERVICES: &str = "/api/lgsp/subsystems/VN/GOV/000.00.13.H99/tuphap/services";

storage_test!(the_registry_refuses_what_the_gateway_could_not_serve_safely, async |app: &TestApp| {
    let up = upstream(Arc::new(AtomicUsize::new(0))).await;
    let (service_id, _) = setup(app, &up).await;
    let (members, subsystems, services) = (
        count(app, "SELECT COUNT(*) FROM lgsp_members").await,
        count(app, "SELECT COUNT(*) FROM lgsp_subsystems").await,
        count(app, "SELECT COUNT(*) FROM lgsp_services").await,
    );
    let service = |code: &str| json!({"code": code, "version": "1", "name": "Thử", "upstream_url": up});

    // Codes: dot segments, spaces, too long; the pub/sub paths' codes.
    for code in ["..", ".", "a b", &"x".repeat(101)] {
        let r = app.post("/api/lgsp/members", &json!({"instance": "VN", "member_class": "GOV", "code": code, "name": "Thử"})).await;
        assert_eq!(r.status, 422, "member {code}: {}", r.text);
        let r = app.post(SUBSYSTEMS, &json!({"code": code, "name": "Thử"})).await;
        assert_eq!(r.status, 422, "subsystem {code}: {}", r.text);
        let r = app.post(SERVICES, &service(code)).await;
        assert_eq!(r.status, 422, "service {code}: {}", r.text);
    }
    for code in ["api", "pub", "pull", "PUB"] {
        let r = app.post(SERVICES, &service(code)).await;
        assert_eq!(r.status, 422, "{code}: {}", r.text);
        assert!(r.text.contains("pub/sub"), "{}", r.text);
    }

    // Descriptions must be what their kind says; a user or password in the address is refused.
    for (kind, text) in
        [("openapi", "{not json"), ("openapi", "{\"paths\": {}}"), ("wsdl", "<notwsdl/>"), ("wsdl", "{\"openapi\": \"3.0.3\"}")]
    {
        let mut s = service("mota");
        s["description_kind"] = json!(kind);
        s["description"] = json!(text);
        let r = app.post(SERVICES, &s).await;
        assert_eq!((r.status.as_u16(), r.error_fields()), (422, vec!["description".to_owned()]), "{kind} {text}: {}", r.text);
    }
    let mut s = service("mota");
    s["description_kind"] = json!("openapi");
    s["description"] = json!("openapi: 3.0.3\ninfo: {title: Thử, version: '1'}\npaths: {}\n");
    assert_eq!(app.post(SERVICES, &s).await.status, 201, "an OpenAPI description in YAML");
    let mut s = service("matkhau");
    s["upstream_url"] = json!("http://nguoidung:matkhau@127.0.0.1:9/x");
    let r = app.post(SERVICES, &s).await;
    assert_eq!((r.status.as_u16(), r.error_fields()), (422, vec!["upstream_url".to_owned()]), "{}", r.text);
    assert!(!r.text.contains("matkhau@"), "the password is not echoed: {}", r.text);

    // Certificates: one that does not read as X.509 is refused; one proves one subsystem only.
    let r = app
        .post(
            SUBSYSTEMS,
            &json!({"code": "chungthu", "name": "Thử", "certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.error_fields()), (422, vec!["certificate".to_owned()]), "{}", r.text);
    let pem = rcgen::generate_simple_self_signed(vec!["motcua.thaian.gov.vn".to_owned()]).unwrap().cert.pem();
    assert_eq!(app.post(SUBSYSTEMS, &json!({"code": "chungthu", "name": "Thử", "certificate": pem})).await.status, 201);
    let r = app.post(SUBSYSTEMS, &json!({"code": "chungthu2", "name": "Thử", "certificate": pem})).await;
    assert_eq!(r.status, 409, "{}", r.text);
    let r = app
        .put("/api/lgsp/subsystems/VN/GOV/000.00.13.H99/tuphap", &json!({"code": "tuphap", "name": "Hộ tịch", "certificate": pem}))
        .await;
    assert_eq!(r.status, 409, "{}", r.text);

    // The same right twice is refused; a path prefix that could never match is refused.
    let access = format!("/api/lgsp/services/{service_id}/access");
    let r = app.post(&access, &json!({"client": CLIENT, "method": "get"})).await;
    assert_eq!(r.status, 409, "the GET right exists (setup): {}", r.text);
    for prefix in ["/../etc", "/x?y=1", "/a b"] {
        let r = app.post(&access, &json!({"client": CLIENT, "path_prefix": prefix})).await;
        assert_eq!((r.status.as_u16(), r.error_fields()), (422, vec!["path_prefix".to_owned()]), "{prefix}: {}", r.text);
    }
    let rights = count(app, "SELECT COUNT(*) FROM lgsp_access").await;
    // A retired service takes no new right.
    for to in ["testing", "published", "deprecated", "retired"] {
        assert_eq!(app.post(&format!("/api/lgsp/services/{service_id}/state"), &json!({"state": to})).await.status, 200, "{to}");
    }
    let r = app.post(&access, &json!({"client": CLIENT, "path_prefix": "/khac"})).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(count(app, "SELECT COUNT(*) FROM lgsp_access").await, rights);

    // A trusted gateway: not with a client that signs in for a subsystem here, not for a member
    // that is not registered or whose systems sign in here themselves.
    let motcua = app.get_admin("/api/lgsp/subsystems").await.json();
    let motcua_client =
        motcua.as_array().unwrap().iter().find(|s| s["xid"]["subsystem"] == "motcua").unwrap()["client_id"].as_str().unwrap().to_owned();
    let (gateway_b, _) = system_token(app, "LGSP tỉnh B").await;
    for (client, member, field) in [
        (motcua_client.as_str(), "VN/GOV/000.00.13.H99", "client_id"),
        (gateway_b.as_str(), "VN/GOV/000.00.99.H99", "member"),
        (gateway_b.as_str(), "VN/GOV/000.00.51.H99", "member"),
    ] {
        let r = app.post("/api/lgsp/peers", &json!({"client_id": client, "member": member, "name": "LGSP tỉnh B"})).await;
        assert_eq!((r.status.as_u16(), r.error_fields()), (422, vec![field.to_owned()]), "{client} for {member}: {}", r.text);
    }
    assert_eq!(count(app, "SELECT COUNT(*) FROM lgsp_peers").await, 0);
    // And a trusted gateway's client cannot then sign in for a subsystem here.
    app.post("/api/lgsp/members", &json!({"instance": "VN", "member_class": "GOV", "code": "000.00.98.H98", "name": "Tỉnh B"})).await;
    let r = app.post("/api/lgsp/peers", &json!({"client_id": gateway_b, "member": "VN/GOV/000.00.98.H98", "name": "LGSP tỉnh B"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = app.post(SUBSYSTEMS, &json!({"code": "gia", "name": "Thử", "client_id": gateway_b})).await;
    assert_eq!(r.status, 409, "{}", r.text);
    // Nor may a system of the member the gateway speaks for sign in here (in either order).
    let (own_client, _) = system_token(app, "Hệ thống tỉnh B").await;
    let r = app
        .post("/api/lgsp/members/VN/GOV/000.00.98.H98/subsystems", &json!({"code": "rieng", "name": "Thử", "client_id": own_client}))
        .await;
    assert_eq!(r.status, 409, "{}", r.text);

    // Nothing else was stored.
    assert_eq!(count(app, "SELECT COUNT(*) FROM lgsp_members").await, members + 1);
    assert_eq!(count(app, "SELECT COUNT(*) FROM lgsp_subsystems").await, subsystems + 1, "chungthu only");
    assert_eq!(count(app, "SELECT COUNT(*) FROM lgsp_services").await, services + 1, "mota only");
});
