//! Mutual TLS, on SQLite and PostgreSQL: the platform serves HTTPS and asks for client
//! certificates signed by the configured CA; a system proves its subsystem with the certificate
//! bound to it, without a token. Other certificates prove nothing; a certificate from another
//! CA does not even connect. Revocation by the CA's lists (the CA's OCSP responder: `ocsp.rs`).

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

pub(super) fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
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

/// A directory with the server's certificate and key (issued by `root`) and `root` as the
/// client CA: `server.pem`, `server.key`, `ca.pem`.
pub(super) fn server_files(root: &CertifiedIssuer<'static, KeyPair>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let (server_cert, server_key) = leaf(vec!["127.0.0.1".into(), "localhost".into()], "tinhso", root);
    std::fs::write(dir.path().join("server.pem"), server_cert).unwrap();
    std::fs::write(dir.path().join("server.key"), server_key).unwrap();
    std::fs::write(dir.path().join("ca.pem"), root.pem()).unwrap();
    dir
}

/// The platform serving HTTPS from `dir`'s files, asking for client certificates of its CA
/// and checking them against the lists in `crl`.
async fn start_with_lists(backend: Backend, dir: &std::path::Path, crl: &std::path::Path) -> Option<testkit::TestApp> {
    let path = |p: std::path::PathBuf| Some(p.to_str().unwrap().to_owned());
    testkit::TestApp::start_configured(backend, |c| {
        c.tls_cert = path(dir.join("server.pem"));
        c.tls_key = path(dir.join("server.key"));
        c.tls_client_ca = path(dir.join("ca.pem"));
        c.tls_client_crl = path(crl.to_owned());
    })
    .await
}

fn pki() -> Pki {
    let root = ca("CA thử nghiệm tỉnh Thái An");
    let other = ca("CA lạ");
    let dir = server_files(&root);
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

pub(super) const CLIENT: &str = "VN/GOV/000.00.51.H99/motcua";

/// The provider (the Department of Justice) and the district whose systems call it.
pub(super) async fn members(app: &testkit::TestApp) {
    for (code, name) in [("000.00.13.H99", "Sở Tư pháp"), ("000.00.51.H99", "UBND huyện")] {
        app.post("/api/lgsp/members", &json!({"instance": "VN", "member_class": "GOV", "code": code, "name": name})).await;
    }
}

/// A `hello` service on an upstream of its own, published and granted to `clients` for GET.
/// Returns its gateway address.
pub(super) async fn publish_hello(app: &testkit::TestApp, clients: &[&str]) -> String {
    let upstream = {
        let r = axum::Router::new().route("/hello", axum::routing::get(|| async { "xin chào" }));
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, r).await.unwrap() });
        format!("http://{a}")
    };
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
    for client in clients {
        app.post(&format!("/api/lgsp/services/{sid}/access"), &json!({"client": client, "method": "GET"})).await;
    }
    app.url("/r1/VN/GOV/000.00.13.H99/tuphap/hello/hello")
}

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
    members(&app).await;
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
    let url = publish_hello(&app, &[CLIENT]).await;

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

/// A client certificate with a serial number of our choosing, as a CA's list names it.
fn numbered_leaf(cn: &str, serial: u64, issuer: &CertifiedIssuer<'static, KeyPair>) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.serial_number = Some(rcgen::SerialNumber::from(serial));
    let cert = p.signed_by(&key, issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

/// The CA's revocation list (number `number`) naming `serials`, current for a week.
fn revocation_list(issuer: &CertifiedIssuer<'static, KeyPair>, number: u64, serials: &[u64]) -> String {
    list_until(issuer, number, serials, time::OffsetDateTime::now_utc() + time::Duration::days(7))
}

/// The CA's revocation list (number `number`) naming `serials`, with its next update at `next`.
fn list_until(issuer: &CertifiedIssuer<'static, KeyPair>, number: u64, serials: &[u64], next: time::OffsetDateTime) -> String {
    let now = time::OffsetDateTime::now_utc();
    rcgen::CertificateRevocationListParams {
        this_update: next.min(now) - time::Duration::days(1),
        next_update: next,
        crl_number: rcgen::SerialNumber::from(number),
        issuing_distribution_point: None,
        revoked_certs: serials
            .iter()
            .map(|s| rcgen::RevokedCertParams {
                serial_number: rcgen::SerialNumber::from(*s),
                revocation_time: now,
                reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: rcgen::KeyIdMethod::Sha256,
    }
    .signed_by(issuer)
    .unwrap()
    .pem()
    .unwrap()
}

/// Replaces the file at `path` in one step, as a CA's publishing job would.
fn publish(path: &std::path::Path, text: &str) {
    let tmp = path.with_extension("new");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

async fn a_revoked_certificate_proves_nothing(backend: Backend) {
    kernel::tls::init();
    let root = ca("CA thử nghiệm tỉnh Thái An");
    let other = ca("CA lạ");
    let dir = server_files(&root);
    let crl = dir.path().join("ca.crl.pem");
    std::fs::write(&crl, revocation_list(&root, 1, &[])).unwrap();
    let path = |p: &std::path::Path| Some(p.to_str().unwrap().to_owned());

    // Misconfigurations stop the server from starting, naming what is wrong.
    let mut c = kernel::config::Config {
        tls_cert: path(&dir.path().join("server.pem")),
        tls_key: path(&dir.path().join("server.key")),
        tls_client_crl: path(&crl),
        ..Default::default()
    };
    let e = server::tls::acceptor(&c).err().expect("a list without its CA").to_string();
    assert!(e.contains("tls_client_crl needs tls_client_ca"), "{e}");
    c.tls_client_ca = path(&dir.path().join("ca.pem"));
    c.tls_client_crl = path(&dir.path().join("missing.pem"));
    let e = server::tls::acceptor(&c).err().expect("a missing list").to_string();
    assert!(e.contains("missing.pem"), "{e}");
    std::fs::write(dir.path().join("empty.pem"), "no list here\n").unwrap();
    c.tls_client_crl = path(&dir.path().join("empty.pem"));
    let e = server::tls::acceptor(&c).err().expect("a file without a list").to_string();
    assert!(e.contains("no X509 CRL"), "{e}");

    let Some(app) = start_with_lists(backend, dir.path(), &crl).await else { return };
    let (leaked, kept) = (numbered_leaf("motcua.phutan", 1001, &root), numbered_leaf("hotich.phutan", 1002, &root));
    members(&app).await;
    for (code, cert) in [("motcua", &leaked), ("hotich", &kept)] {
        let r = app
            .post("/api/lgsp/members/VN/GOV/000.00.51.H99/subsystems", &json!({"code": code, "name": code, "certificate": cert.0}))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let url = publish_hello(&app, &[CLIENT, "VN/GOV/000.00.51.H99/hotich"]).await;
    let pki = Pki { ca: root.pem(), client: leaked.clone(), other_client: kept.clone(), stranger: leaf(vec![], "la", &other), dir };
    let call = |c: &reqwest::Client, who: &str| {
        let (c, url, who) = (c.clone(), url.clone(), who.to_owned());
        async move { c.get(&url).header("X-Road-Client", who).send().await.map(|r| r.status().as_u16()).ok() }
    };
    const KEPT: &str = "VN/GOV/000.00.51.H99/hotich";

    // A list that names neither: both prove their subsystems. The leaked one keeps its
    // connection (and its TLS session) open.
    let open = client(&pki, Some(&leaked));
    assert_eq!(call(&open, CLIENT).await, Some(200));
    assert_eq!(call(&client(&pki, Some(&kept)), KEPT).await, Some(200));

    // The CA revokes the leaked certificate: new handshakes with it fail at once, the open
    // connection is closed, and its session is not resumed.
    publish(&crl, &revocation_list(&root, 2, &[1001]));
    assert_eq!(call(&client(&pki, Some(&leaked)), CLIENT).await, None);
    assert_eq!(call(&client(&pki, Some(&kept)), KEPT).await, Some(200));
    let mut refused = false;
    for _ in 0..50 {
        if call(&open, CLIENT).await.is_none() {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(refused, "the connection open with the revoked certificate still serves");
    assert_eq!(call(&open, CLIENT).await, None);
    // Browsers without certificates are still served.
    assert_eq!(client(&pki, None).get(app.url("/")).send().await.unwrap().status(), 200);

    // A broken update leaves the lists read before in force.
    publish(&crl, "-----BEGIN X509 CRL-----\nbm90IGEgbGlzdA==\n-----END X509 CRL-----\n");
    assert_eq!(call(&client(&pki, Some(&leaked)), CLIENT).await, None);
    assert_eq!(call(&client(&pki, Some(&kept)), KEPT).await, Some(200));
    // So does a file that went away.
    std::fs::remove_file(&crl).unwrap();
    assert_eq!(call(&client(&pki, Some(&leaked)), CLIENT).await, None);
    assert_eq!(call(&client(&pki, Some(&kept)), KEPT).await, Some(200));

    // Only another CA's list: no certificate of ours has a known status, so none is taken.
    publish(&crl, &revocation_list(&other, 1, &[]));
    assert_eq!(call(&client(&pki, Some(&kept)), KEPT).await, None);

    // The CA lifts the revocation (a list without it): the certificate proves its subsystem again.
    publish(&crl, &revocation_list(&root, 3, &[]));
    assert_eq!(call(&client(&pki, Some(&leaked)), CLIENT).await, Some(200));
    assert_eq!(call(&client(&pki, Some(&kept)), KEPT).await, Some(200));
    app.stop().await;
}

#[tokio::test]
async fn a_revoked_certificate_proves_nothing_sqlite() {
    a_revoked_certificate_proves_nothing(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_revoked_certificate_proves_nothing_postgres() {
    a_revoked_certificate_proves_nothing(Backend::Postgres).await;
}

/// An intermediate CA signed by `root`, with the serial number its list will name.
fn intermediate(name: &str, serial: u64, root: &CertifiedIssuer<'static, KeyPair>) -> CertifiedIssuer<'static, KeyPair> {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, name);
    p.serial_number = Some(rcgen::SerialNumber::from(serial));
    CertifiedIssuer::signed_by(p, KeyPair::generate().unwrap(), root).unwrap()
}

async fn every_certificate_of_the_chain_needs_a_current_list(backend: Backend) {
    kernel::tls::init();
    let root = ca("CA gốc tỉnh Thái An");
    let sub = intermediate("CA trung gian Sở TT&TT", 77, &root);
    let dir = server_files(&root);
    let crl = dir.path().join("ca.crl.pem");
    // At first only the root's list: the intermediate's own certificates have no known status.
    std::fs::write(&crl, revocation_list(&root, 1, &[])).unwrap();
    let Some(app) = start_with_lists(backend, dir.path(), &crl).await else { return };
    // One system's certificate comes from the intermediate (sent with its chain), the other's
    // straight from the root.
    let (via_cert, via_key) = numbered_leaf("motcua.phutan", 3001, &sub);
    let via = (format!("{via_cert}{}", sub.pem()), via_key);
    let direct = numbered_leaf("hotich.phutan", 3002, &root);
    members(&app).await;
    for (code, cert) in [("motcua", &via_cert), ("hotich", &direct.0)] {
        let r =
            app.post("/api/lgsp/members/VN/GOV/000.00.51.H99/subsystems", &json!({"code": code, "name": code, "certificate": cert})).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    const DIRECT: &str = "VN/GOV/000.00.51.H99/hotich";
    let url = publish_hello(&app, &[CLIENT, DIRECT]).await;
    let pki = Pki { ca: root.pem(), client: via.clone(), other_client: direct.clone(), stranger: leaf(vec![], "la", &ca("CA lạ")), dir };
    let call = |id: &(String, String), who: &str| {
        let (c, url, who) = (client(&pki, Some(id)), url.clone(), who.to_owned());
        async move { c.get(&url).header("X-Road-Client", who).send().await.map(|r| r.status().as_u16()).ok() }
    };
    assert_eq!(call(&via, CLIENT).await, None, "a certificate whose issuer has no list");
    assert_eq!(call(&direct, DIRECT).await, Some(200));

    // With the intermediate's list too, its certificates are taken.
    let both = |root_list: String, sub_list: String| format!("{root_list}{sub_list}");
    publish(&crl, &both(revocation_list(&root, 2, &[]), revocation_list(&sub, 1, &[])));
    assert_eq!(call(&via, CLIENT).await, Some(200));
    assert_eq!(call(&direct, DIRECT).await, Some(200));

    // The root revokes the intermediate: what it issued proves nothing, though its own list
    // names nothing.
    publish(&crl, &both(revocation_list(&root, 3, &[77]), revocation_list(&sub, 1, &[])));
    assert_eq!(call(&via, CLIENT).await, None, "a certificate from a revoked intermediate");
    assert_eq!(call(&direct, DIRECT).await, Some(200));

    // The root's list is past its next update: nothing it covers is taken, the intermediate's
    // certificates included.
    let yesterday = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    publish(&crl, &both(list_until(&root, 4, &[], yesterday), revocation_list(&sub, 1, &[])));
    assert_eq!(call(&direct, DIRECT).await, None, "a certificate whose list expired");
    assert_eq!(call(&via, CLIENT).await, None);
    // Browsers without certificates are still served.
    assert_eq!(client(&pki, None).get(app.url("/")).send().await.unwrap().status(), 200);

    // A current list brings both back.
    publish(&crl, &both(revocation_list(&root, 5, &[]), revocation_list(&sub, 2, &[])));
    assert_eq!(call(&via, CLIENT).await, Some(200));
    assert_eq!(call(&direct, DIRECT).await, Some(200));
    app.stop().await;
}

#[tokio::test]
async fn every_certificate_of_the_chain_needs_a_current_list_sqlite() {
    every_certificate_of_the_chain_needs_a_current_list(Backend::Sqlite).await;
}

#[tokio::test]
async fn every_certificate_of_the_chain_needs_a_current_list_postgres() {
    every_certificate_of_the_chain_needs_a_current_list(Backend::Postgres).await;
}
