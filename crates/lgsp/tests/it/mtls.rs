//! Mutual TLS, on SQLite and PostgreSQL: the platform serves HTTPS and asks for client
//! certificates signed by the configured CA; a system proves its subsystem with the certificate
//! bound to it, without a token. Other certificates prove nothing; a certificate from another
//! CA does not even connect.

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use serde_json::json;
use testkit::Backend;

struct Pki {
    dir: tempfile::TempDir,
    ca: String,
    client: (String, String),
    other_client: (String, String),
    stranger: (String, String),
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap()
}

fn leaf(names: Vec<String>, cn: &str, issuer: &CertifiedIssuer<'static, KeyPair>) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(names).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    let cert = p.signed_by(&key, issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn pki() -> Pki {
    let root = ca("CA thử nghiệm tỉnh Thái An");
    let other = ca("CA lạ");
    let dir = tempfile::tempdir().unwrap();
    let (server_cert, server_key) = leaf(vec!["127.0.0.1".into(), "localhost".into()], "tinhso", &root);
    std::fs::write(dir.path().join("server.pem"), server_cert).unwrap();
    std::fs::write(dir.path().join("server.key"), server_key).unwrap();
    std::fs::write(dir.path().join("ca.pem"), root.pem()).unwrap();
    Pki {
        ca: root.pem(),
        client: leaf(vec![], "motcua.phutan", &root),
        other_client: leaf(vec![], "khac", &root),
        stranger: leaf(vec![], "la", &other),
        dir,
    }
}

fn client(pki: &Pki, identity: Option<&(String, String)>) -> reqwest::Client {
    let mut b = reqwest::Client::builder().add_root_certificate(reqwest::Certificate::from_pem(pki.ca.as_bytes()).unwrap());
    if let Some((cert, key)) = identity {
        b = b.identity(reqwest::Identity::from_pem(format!("{cert}{key}").as_bytes()).unwrap());
    }
    b.build().unwrap()
}

const CLIENT: &str = "VN/GOV/000.00.51.H99/motcua";

async fn a_system_proves_its_subsystem_with_a_certificate(backend: Backend) {
    kernel::tls::init();
    let pki = pki();
    let path = |f: &str| Some(pki.dir.path().join(f).to_str().unwrap().to_owned());
    let Some(app) = testkit::TestApp::start_configured(backend, |c| {
        c.tls_cert = path("server.pem");
        c.tls_key = path("server.key");
        c.tls_client_ca = path("ca.pem");
    })
    .await
    else {
        return;
    };
    assert!(app.base.starts_with("https://"));
    let upstream = {
        let r = axum::Router::new().route("/hello", axum::routing::get(|| async { "xin chào" }));
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, r).await.unwrap() });
        format!("http://{a}")
    };
    for (code, name) in [("000.00.13.H99", "Sở Tư pháp"), ("000.00.51.H99", "UBND huyện")] {
        app.post("/api/lgsp/members", &json!({"instance": "VN", "member_class": "GOV", "code": code, "name": name})).await;
    }
    let bad = app
        .post(
            "/api/lgsp/members/VN/GOV/000.00.51.H99/subsystems",
            &json!({"code": "motcua", "name": "Một cửa", "certificate": "not a certificate"}),
        )
        .await;
    assert_eq!((bad.status.as_u16(), bad.error_fields()), (422, vec!["certificate".to_owned()]));
    let r = app
        .post(
            "/api/lgsp/members/VN/GOV/000.00.51.H99/subsystems",
            &json!({"code": "motcua", "name": "Một cửa", "certificate": pki.client.0}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["cert_sha256"].as_str().map(str::len), Some(64));
    app.post("/api/lgsp/members/VN/GOV/000.00.13.H99/subsystems", &json!({"code": "tuphap", "name": "Tư pháp"})).await;
    let s = app
        .post(
            "/api/lgsp/subsystems/VN/GOV/000.00.13.H99/tuphap/services",
            &json!({"code": "hello", "version": "1", "name": "Chào", "upstream_url": upstream}),
        )
        .await;
    let sid = s.json()["id"].as_str().unwrap().to_owned();
    for st in ["testing", "published"] {
        app.post(&format!("/api/lgsp/services/{sid}/state"), &json!({"state": st})).await;
    }
    app.post(&format!("/api/lgsp/services/{sid}/access"), &json!({"client": CLIENT, "method": "GET"})).await;
    let url = app.url("/r1/VN/GOV/000.00.13.H99/tuphap/hello/hello");

    // The bound certificate proves the subsystem: no token needed.
    let r = client(&pki, Some(&pki.client)).get(&url).header("X-Road-Client", CLIENT).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "xin chào");
    // No certificate, or another of the same CA: not proven.
    for id in [None, Some(&pki.other_client)] {
        let r = client(&pki, id).get(&url).header("X-Road-Client", CLIENT).send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers().get("x-road-error").and_then(|v| v.to_str().ok()), Some("Client.AuthenticationFailed"));
    }
    // A certificate from another CA is refused in the handshake.
    assert!(client(&pki, Some(&pki.stranger)).get(&url).header("X-Road-Client", CLIENT).send().await.is_err());
    // The certificate is replaced (say it leaked): the old one proves nothing, the new one does.
    let put = |body: serde_json::Value| {
        app.raw(app.http.put(app.url("/api/lgsp/subsystems/VN/GOV/000.00.51.H99/motcua")).bearer_auth(&app.admin_token).json(&body))
    };
    let r = put(json!({"code": "motcua", "name": "Một cửa", "certificate": pki.other_client.0})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let status = |id: &(String, String)| {
        let c = client(&pki, Some(id));
        let url = url.clone();
        async move { c.get(&url).header("X-Road-Client", CLIENT).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status(&pki.client).await, 401);
    assert_eq!(status(&pki.other_client).await, 200);
    // A disabled subsystem is refused whatever it proves.
    assert_eq!(put(json!({"code": "motcua", "name": "Một cửa", "certificate": pki.other_client.0, "active": false})).await.status, 200);
    assert_eq!(status(&pki.other_client).await, 403);
    // Pages are still served over HTTPS to browsers without certificates.
    assert_eq!(client(&pki, None).get(app.url("/")).send().await.unwrap().status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn a_system_proves_its_subsystem_with_a_certificate_sqlite() {
    a_system_proves_its_subsystem_with_a_certificate(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_system_proves_its_subsystem_with_a_certificate_postgres() {
    a_system_proves_its_subsystem_with_a_certificate(Backend::Postgres).await;
}
