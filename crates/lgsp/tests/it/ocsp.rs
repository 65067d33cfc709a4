//! Mutual TLS with the client CA's OCSP responder, on SQLite and PostgreSQL: each client
//! certificate is vouched for by the responder (answers made by OpenSSL's own OCSP code),
//! revocations close open connections, a forged answer with a key the client chose is refused.

use rcgen::{CertificateParams, CertifiedIssuer, DnType, KeyPair};
use serde_json::json;
use testkit::Backend;

use super::mtls::{CLIENT, ca, members, publish_hello, server_files};

/// A client certificate with a serial number of our choosing that names `responder` as its
/// CA's OCSP responder (Authority Information Access), when given.
fn leaf_asking(cn: &str, serial: u64, responder: Option<&str>, issuer: &CertifiedIssuer<'static, KeyPair>) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.serial_number = Some(rcgen::SerialNumber::from(serial));
    if let Some(uri) = responder {
        p.custom_extensions.push(naming_responder(uri));
    }
    let cert = p.signed_by(&key, issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

/// Authority Information Access naming `uri` as the OCSP responder.
fn naming_responder(uri: &str) -> rcgen::CustomExtension {
    // SEQUENCE { SEQUENCE { id-ad-ocsp, [6] uri } }
    let method = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01];
    let mut access = method.to_vec();
    access.extend([0x86, uri.len() as u8]);
    access.extend(uri.as_bytes());
    let mut description = vec![0x30, access.len() as u8];
    description.extend(access);
    let mut aia = vec![0x30, description.len() as u8];
    aia.extend(description);
    rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], aia)
}

/// An intermediate CA issued by `issuer`, naming `responder` (the issuer's) when given.
fn intermediate_asking(
    cn: &str,
    serial: u64,
    responder: Option<&str>,
    issuer: &CertifiedIssuer<'static, KeyPair>,
) -> CertifiedIssuer<'static, KeyPair> {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, cn);
    p.serial_number = Some(rcgen::SerialNumber::from(serial));
    if let Some(uri) = responder {
        p.custom_extensions.push(naming_responder(uri));
    }
    CertifiedIssuer::signed_by(p, KeyPair::generate().unwrap(), issuer).unwrap()
}

/// A CA's OCSP responder on a loopback port: each request is answered by OpenSSL's own OCSP
/// code (`openssl ocsp -reqin ... -respout ...`), from an index of the certificates the CA
/// issued (serial, revoked), signed with `signer`'s files. Stopped when dropped.
struct Responder(tokio::task::JoinHandle<()>, std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Responder {
    /// How many requests it answered.
    fn asked(&self) -> usize {
        self.1.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn responder(dir: &std::path::Path, port: u16, signer: &str, index: &[(u64, bool)]) -> Responder {
    responder_for(dir, port, "ca", signer, index).await
}

/// The same, for the CA whose certificate is `{ca}.pem`.
async fn responder_for(dir: &std::path::Path, port: u16, ca: &str, signer: &str, index: &[(u64, bool)]) -> Responder {
    responder_signing(dir, port, ca, signer, index, &[]).await
}

/// The same, with `openssl ocsp`'s signing options `sign` (`-rsigopt ...`).
async fn responder_signing(dir: &std::path::Path, port: u16, ca: &str, signer: &str, index: &[(u64, bool)], sign: &[&str]) -> Responder {
    let lines: String = index
        .iter()
        .map(|(serial, revoked)| {
            let (status, when) = if *revoked { ("R", "250101000000Z") } else { ("V", "") };
            format!("{status}\t491231235959Z\t{when}\t{serial:02X}\tunknown\t/CN=n{serial}\n")
        })
        .collect();
    std::fs::write(dir.join("index.txt"), lines).unwrap();
    let (dir, signer, ca) = (dir.to_owned(), signer.to_owned(), format!("{ca}.pem"));
    let sign: Vec<String> = sign.iter().map(|s| s.to_string()).collect();
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = asked.clone();
    let answer = move |body: axum::body::Bytes| {
        let (dir, signer, ca, sign) = (dir.clone(), signer.clone(), ca.clone(), sign.clone());
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async move {
            tokio::task::spawn_blocking(move || {
                let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
                let (req, resp) = (dir.join(format!("req-{n}.der")), dir.join(format!("resp-{n}.der")));
                std::fs::write(&req, &body).unwrap();
                let ok = std::process::Command::new("openssl")
                    .args(["ocsp", "-index", "index.txt", "-CA", &ca, "-nmin", "1"])
                    .args(&sign)
                    .args(["-rsigner", &format!("{signer}.pem"), "-rkey", &format!("{signer}.key")])
                    .arg("-reqin")
                    .arg(&req)
                    .arg("-respout")
                    .arg(&resp)
                    .current_dir(&dir)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status()
                    .unwrap();
                assert!(ok.success(), "openssl ocsp");
                ([("content-type", "application/ocsp-response")], std::fs::read(&resp).unwrap())
            })
            .await
            .unwrap()
        }
    };
    let app = axum::Router::new().route("/", axum::routing::post(answer));
    let listener = loop {
        // The port of the responder stopped just before may take a moment to be free.
        match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
            Ok(l) => break l,
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    };
    Responder(tokio::spawn(async move { axum::serve(listener, app).await.unwrap() }), asked)
}

/// The test CA, the server's files with the CA's key beside them (for its responder), and a
/// free loopback port with its URL for the responder; None when OpenSSL, which plays the
/// responder, is not here (and not required).
fn with_ca() -> Option<(CertifiedIssuer<'static, KeyPair>, tempfile::TempDir, u16, String)> {
    kernel::tls::init();
    if std::process::Command::new("openssl").arg("version").output().is_err() {
        assert_ne!(std::env::var("TINHSO_REQUIRE_TOOLS").as_deref(), Ok("1"), "openssl is required (Debian's openssl)");
        return None;
    }
    let root = ca("CA thử nghiệm tỉnh Thái An");
    let dir = server_files(&root);
    std::fs::write(dir.path().join("ca.key"), root.key().serialize_pem()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    Some((root, dir, port, format!("http://127.0.0.1:{port}")))
}

async fn the_cas_ocsp_responder_vouches_for_each_client_certificate(backend: Backend) {
    let Some((root, dir, port, url)) = with_ca() else { return };
    let files = dir.path();
    let good = leaf_asking("motcua.phutan", 11, Some(&url), &root);
    let revoked = leaf_asking("mat-khoa", 12, Some(&url), &root);
    let unknown = leaf_asking("khong-co-trong-so", 13, Some(&url), &root);
    let silent = leaf_asking("khong-ghi-noi-hoi", 14, None, &root);
    let responder_files = |name: &str, eku: bool| {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, name);
        if eku {
            p.extended_key_usages.push(rcgen::ExtendedKeyUsagePurpose::OcspSigning);
        }
        let cert = p.signed_by(&key, &root).unwrap();
        std::fs::write(files.join(format!("{name}.pem")), cert.pem()).unwrap();
        std::fs::write(files.join(format!("{name}.key")), key.serialize_pem()).unwrap();
    };
    responder_files("delegated", true);
    responder_files("not-delegated", false);
    let mut running = Some(responder(files, port, "ca", &[(11, false), (12, true), (14, false), (18, false)]).await);

    // Misconfigured: OCSP without the client CA stops the server from starting.
    let path = |name: &str| Some(files.join(name).to_str().unwrap().to_owned());
    let c =
        kernel::config::Config { tls_cert: path("server.pem"), tls_key: path("server.key"), tls_client_ocsp: true, ..Default::default() };
    let e = server::tls::acceptor(&c).err().expect("OCSP without the client CA").to_string();
    assert!(e.contains("tls_client_ocsp needs tls_client_ca"), "{e}");

    let Some(app) = testkit::TestApp::start_configured(backend, |c| {
        c.tls_cert = path("server.pem");
        c.tls_key = path("server.key");
        c.tls_client_ca = path("ca.pem");
        c.tls_client_ocsp = true;
        c.tls_client_ocsp_max_age_secs = 1;
    })
    .await
    else {
        return;
    };
    members(&app).await;
    let r = app
        .post("/api/lgsp/members/VN/GOV/000.00.51.H99/subsystems", &json!({"code": "motcua", "name": "Một cửa", "certificate": good.0}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let hello = publish_hello(&app, &[CLIENT]).await;
    let ca_only = |identity: Option<&(String, String)>| {
        let mut b = reqwest::Client::builder().add_root_certificate(reqwest::Certificate::from_pem(root.pem().as_bytes()).unwrap());
        if let Some((cert, key)) = identity {
            b = b.identity(reqwest::Identity::from_pem(format!("{cert}{key}").as_bytes()).unwrap());
        }
        b.build().unwrap()
    };
    let call = |c: &reqwest::Client| c.get(&hello).header("X-Road-Client", CLIENT).send();

    // The responder says good: the certificate proves the subsystem.
    let holder = ca_only(Some(&good));
    let r = call(&holder).await.unwrap();
    assert_eq!(r.status(), 200);
    // Revoked, unknown to the responder, or naming no responder: refused with the reason.
    for (id, why) in [(&revoked, "revoked"), (&unknown, "does not know"), (&silent, "names no OCSP responder")] {
        let r = call(&ca_only(Some(id))).await.unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(r.headers().get("x-road-error").and_then(|v| v.to_str().ok()), Some("Server.ServerProxy.SslAuthenticationFailed"));
        let body = r.text().await.unwrap();
        assert!(body.contains(why), "{why}: {body}");
    }
    // Eight connections at once with one certificate: one request to the responder.
    let busy = leaf_asking("nhieu-ket-noi", 18, Some(&url), &root);
    let before = running.as_ref().unwrap().asked();
    let calls: Vec<_> = (0..8).map(|_| ca_only(Some(&busy))).collect();
    let answers = futures_util::future::join_all(calls.iter().map(&call)).await;
    assert!(answers.iter().all(|r| r.as_ref().is_ok_and(|r| r.status() == 401)), "vouched for, though bound to no subsystem");
    assert_eq!(running.as_ref().unwrap().asked() - before, 1, "the answer was asked for once");
    // Browsers without a certificate are not asked about.
    assert_eq!(ca_only(None).get(app.url("/")).send().await.unwrap().status(), 200);

    // The CA revokes the certificate: once the answer kept runs out (a second here), the open
    // connection is closed and new ones are refused.
    drop(running.take());
    running = Some(responder(files, port, "ca", &[(11, true), (12, true), (14, false)]).await);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let r = call(&holder).await.unwrap();
    assert_eq!(r.status(), 403, "the kept connection was closed and the new one refused");

    // The responder is down: no answer, refused (fail closed).
    drop(running.take());
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let fresh = leaf_asking("moi", 15, Some(&url), &root);
    let r = call(&ca_only(Some(&fresh))).await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("cannot be reached"));

    // A responder the CA delegated (its certificate made for OCSP signing) is believed; one
    // with a certificate of the CA's not made for it is not.
    running = Some(responder(files, port, "delegated", &[(16, false), (17, false)]).await);
    let delegated = leaf_asking("uy-quyen", 16, Some(&url), &root);
    assert_eq!(call(&ca_only(Some(&delegated))).await.unwrap().status(), 401, "good, though bound to no subsystem");
    drop(running.take());
    let _undelegated = responder(files, port, "not-delegated", &[(16, false), (17, false)]).await;
    let r = call(&ca_only(Some(&leaf_asking("khong-uy-quyen", 17, Some(&url), &root)))).await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("not made for OCSP signing"));
    // That responder's answers do not hold, but the good answer the delegate signed for the
    // certificate vouched for before holds for a minute: it stands meanwhile.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(call(&ca_only(Some(&delegated))).await.unwrap().status(), 401, "the last good answer still holds");
    drop(_undelegated);

    // A delegated responder with an RSA key that signs its answers with RSASSA-PSS (SHA-256,
    // MGF1 over SHA-256, a 32-byte salt) is believed; PSS with a salt shorter than the hash,
    // which ring cannot check (it takes salts as long as the hash only), is refused with the
    // reason.
    let openssl = |args: &[&str]| {
        let ok = std::process::Command::new("openssl").args(args).current_dir(files).stderr(std::process::Stdio::null()).status().unwrap();
        assert!(ok.success(), "openssl {args:?}");
    };
    std::fs::write(files.join("pss.ext"), "extendedKeyUsage=OCSPSigning\n").unwrap();
    openssl(&["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "pss.key", "-subj", "/CN=pss", "-out", "pss.csr"]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        "pss.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-set_serial",
        "77",
        "-days",
        "2",
        "-extfile",
        "pss.ext",
        "-out",
        "pss.pem",
    ]);
    let pss = ["-rmd", "sha256", "-rsigopt", "rsa_padding_mode:pss", "-rsigopt", "rsa_pss_saltlen:digest"];
    let by_pss = responder_signing(files, port, "ca", "pss", &[(19, false), (20, false)], &pss).await;
    assert_eq!(
        call(&ca_only(Some(&leaf_asking("pss", 19, Some(&url), &root)))).await.unwrap().status(),
        401,
        "good, though bound to no subsystem"
    );
    drop(by_pss);
    let short_salt = ["-rmd", "sha256", "-rsigopt", "rsa_padding_mode:pss", "-rsigopt", "rsa_pss_saltlen:16"];
    let _by_short = responder_signing(files, port, "ca", "pss", &[(20, false)], &short_salt).await;
    let r = call(&ca_only(Some(&leaf_asking("pss-ngan", 20, Some(&url), &root)))).await.unwrap();
    assert_eq!(r.status(), 403);
    let body = r.text().await.unwrap();
    assert!(body.contains("RSASSA-PSS") && body.contains("salt of 16 bytes"), "{body}");
    drop(_by_short);

    // A client cannot choose the key answers are checked with: beside its revoked certificate
    // it sends one of its own bearing the CA's name, and a forger on the way to the responder
    // signs "good" with that key. The CA's real key is the one that signed the certificate,
    // so the forged answer does not hold.
    let forger = ca("CA thử nghiệm tỉnh Thái An");
    std::fs::write(files.join("forger.pem"), forger.pem()).unwrap();
    std::fs::write(files.join("forger.key"), forger.key().serialize_pem()).unwrap();
    let _forging = responder_for(files, port, "forger", "forger", &[(12, false)]).await;
    let with_forger = (format!("{}{}", revoked.0, forger.pem()), revoked.1.clone());
    let r = call(&ca_only(Some(&with_forger))).await.unwrap();
    assert_eq!(r.status(), 403);
    let body = r.text().await.unwrap();
    assert!(body.contains("signature"), "{body}");

    // An intermediate CA between the client CA and the client: its certificate names the
    // client CA's responder, and is asked about there as the client's is at its own CA's.
    let root_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let sub_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (root_url, sub_url) = (format!("http://127.0.0.1:{root_port}"), format!("http://127.0.0.1:{sub_port}"));
    let sub = intermediate_asking("CA cấp dưới Phú Tân", 21, Some(&root_url), &root);
    let quiet = intermediate_asking("CA cấp dưới không ghi nơi hỏi", 22, None, &root);
    let (root_dir, sub_dir) = (files.join("root-ocsp"), files.join("sub-ocsp"));
    for (d, name, pem, key) in [
        (&root_dir, "ca", root.pem(), root.key().serialize_pem()),
        (&sub_dir, "sub", sub.pem(), sub.key().serialize_pem()),
        (&sub_dir, "quiet", quiet.pem(), quiet.key().serialize_pem()),
    ] {
        std::fs::create_dir_all(d).unwrap();
        std::fs::write(d.join(format!("{name}.pem")), pem).unwrap();
        std::fs::write(d.join(format!("{name}.key")), key).unwrap();
    }
    let under = |cn: &str, serial: u64, ca: &CertifiedIssuer<'static, KeyPair>| {
        let (cert, key) = leaf_asking(cn, serial, Some(&sub_url), ca);
        (format!("{cert}{}", ca.pem()), key)
    };
    let mut at_root = Some(responder_for(&root_dir, root_port, "ca", "ca", &[(21, false), (22, false)]).await);
    let at_sub = responder_for(&sub_dir, sub_port, "sub", "sub", &[(31, false), (32, false)]).await;
    let r = call(&ca_only(Some(&under("qua-ca-cap-duoi", 31, &sub)))).await.unwrap();
    assert_eq!(r.status(), 401, "both vouched for, though bound to no subsystem");
    assert_eq!((at_root.as_ref().unwrap().asked(), at_sub.asked()), (1, 1), "each CA's responder asked about its own certificate");
    // The client CA revokes the intermediate: certificates under it are refused, whatever
    // their own CA says of them.
    drop(at_root.take());
    at_root = Some(responder_for(&root_dir, root_port, "ca", "ca", &[(21, true), (22, false)]).await);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await; // the good answer kept runs out
    let r = call(&ca_only(Some(&under("ca-cap-duoi-bi-thu-hoi", 32, &sub)))).await.unwrap();
    assert_eq!(r.status(), 403);
    let body = r.text().await.unwrap();
    assert!(body.contains("intermediate CA") && body.contains("revoked"), "{body}");
    // An intermediate that names no responder is left to the lists: its client's certificate
    // alone is asked about.
    drop(at_sub);
    let _at_quiet = responder_for(&sub_dir, sub_port, "quiet", "quiet", &[(33, false)]).await;
    let before = at_root.as_ref().unwrap().asked();
    let r = call(&ca_only(Some(&under("duoi-ca-khong-ghi", 33, &quiet)))).await.unwrap();
    assert_eq!(r.status(), 401, "vouched for by its own CA");
    assert_eq!(at_root.as_ref().unwrap().asked(), before, "the client CA's responder was not asked");
    app.stop().await;
}

#[tokio::test]
async fn the_cas_ocsp_responder_vouches_for_each_client_certificate_sqlite() {
    the_cas_ocsp_responder_vouches_for_each_client_certificate(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_cas_ocsp_responder_vouches_for_each_client_certificate_postgres() {
    the_cas_ocsp_responder_vouches_for_each_client_certificate(Backend::Postgres).await;
}

/// What `openssl s_client -status` says of the answer stapled in the handshake: the status
/// read from it, or None when the server sent none.
async fn stapled_status(port: u16, ca: &std::path::Path) -> Option<String> {
    let ca = ca.to_owned();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("openssl")
            .args(["s_client", "-connect", &format!("127.0.0.1:{port}"), "-servername", "localhost", "-status", "-CAfile"])
            .arg(&ca)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if text.contains("OCSP response: no response sent") {
        return None;
    }
    assert!(text.contains("OCSP Response Status: successful"), "{text}");
    let status = text.lines().find_map(|l| l.trim().strip_prefix("Cert Status: ")).unwrap_or_else(|| panic!("{text}"));
    Some(status.to_owned())
}

fn port_of(app: &testkit::TestApp) -> u16 {
    app.url("").rsplit(':').next().and_then(|p| p.parse().ok()).expect("the app's port")
}

/// The server's certificate (serial 41, issued by `root`, naming `responder`) followed by its
/// issuer's, with its key: `stapled.pem`, `stapled.key`.
fn stapled_files(files: &std::path::Path, root: &CertifiedIssuer<'static, KeyPair>, responder: Option<&str>, chain: bool) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    p.distinguished_name.push(DnType::CommonName, "tinhso");
    p.serial_number = Some(rcgen::SerialNumber::from(41u64));
    if let Some(uri) = responder {
        p.custom_extensions.push(naming_responder(uri));
    }
    let cert = p.signed_by(&key, root).unwrap().pem();
    let pem = if chain { format!("{cert}{}", root.pem()) } else { cert };
    std::fs::write(files.join("stapled.pem"), pem).unwrap();
    std::fs::write(files.join("stapled.key"), key.serialize_pem()).unwrap();
}

async fn the_servers_own_certificate_has_its_ocsp_answer_stapled(backend: Backend) {
    let Some((root, dir, port, url)) = with_ca() else { return };
    let files = dir.path();
    let path = |name: &str| Some(files.join(name).to_str().unwrap().to_owned());
    let stapling = kernel::config::Config {
        tls_cert: path("stapled.pem"),
        tls_key: path("stapled.key"),
        tls_ocsp_stapling: true,
        ..Default::default()
    };

    // Misconfigured, the server does not start: a certificate that names no responder, one
    // without its issuer after it, stapling without HTTPS.
    stapled_files(files, &root, None, true);
    let e = server::tls::acceptor(&stapling).err().expect("no responder named").to_string();
    assert!(e.contains("names no OCSP responder"), "{e}");
    stapled_files(files, &root, Some(&url), false);
    let e = server::tls::acceptor(&stapling).err().expect("no issuer").to_string();
    assert!(e.contains("issuer's certificate must follow"), "{e}");
    let plain = kernel::config::Config { tls_ocsp_stapling: true, ..Default::default() };
    let e = server::tls::acceptor(&plain).err().expect("no HTTPS").to_string();
    assert!(e.contains("tls_ocsp_stapling needs tls_cert"), "{e}");

    // The responder is down when the server starts: it serves without a staple, and staples
    // the good answer once the responder is back (asked again after 5 s).
    stapled_files(files, &root, Some(&url), true);
    let start = |stapling: bool| {
        testkit::TestApp::start_configured(backend, move |c| {
            c.tls_cert = path("stapled.pem");
            c.tls_key = path("stapled.key");
            c.tls_ocsp_stapling = stapling;
        })
    };
    let Some(app) = start(true).await else { return };
    let https = port_of(&app);
    let ca_pem = files.join("ca.pem");
    assert_eq!(stapled_status(https, &ca_pem).await, None, "no answer yet");
    let client =
        reqwest::Client::builder().add_root_certificate(reqwest::Certificate::from_pem(root.pem().as_bytes()).unwrap()).build().unwrap();
    assert_eq!(client.get(app.url("/")).send().await.unwrap().status(), 200, "served without a staple");
    let running = responder(files, port, "ca", &[(41, false)]).await;
    let mut status = None;
    for _ in 0..60 {
        status = stapled_status(https, &ca_pem).await;
        if status.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(status.as_deref(), Some("good"), "stapled once the responder answered");
    assert_eq!(running.asked(), 1, "asked once, not per handshake");
    assert_eq!(stapled_status(https, &ca_pem).await.as_deref(), Some("good"));
    assert_eq!(running.asked(), 1);
    // Clients that do not ask for the status are served as before.
    assert_eq!(client.get(app.url("/")).send().await.unwrap().status(), 200);
    app.stop().await;

    // A revoked certificate's answer is not stapled, and the server still serves.
    drop(running);
    let revoked = responder(files, port, "ca", &[(41, true)]).await;
    let Some(app) = start(true).await else { return };
    let asked = revoked.asked();
    assert!(asked >= 1, "asked before serving");
    assert_eq!(stapled_status(port_of(&app), &ca_pem).await, None);
    assert_eq!(client.get(app.url("/")).send().await.unwrap().status(), 200);
    app.stop().await;
    // Without the setting the responder is not asked.
    let asked = revoked.asked();
    let Some(app) = start(false).await else { return };
    assert_eq!(stapled_status(port_of(&app), &ca_pem).await, None);
    assert_eq!(revoked.asked(), asked);
    app.stop().await;
    drop(revoked);

    // Attempt by attempt: a good answer is stapled; while the responder is down it stays
    // stapled (it still holds); once the responder says revoked, it is dropped at once.
    let stapler = server::tls::acceptor(&stapling).unwrap().unwrap().stapler.expect("a stapler");
    let good = responder(files, port, "ca", &[(41, false)]).await;
    stapler.attempt().await;
    let answer = stapler.stapled().expect("stapled");
    let parsed = <x509_ocsp::OcspResponse as x509_cert::der::Decode>::from_der(&answer).expect("an OCSP response as the responder sent it");
    assert_eq!(parsed.response_status, x509_ocsp::OcspResponseStatus::Successful);
    drop(good);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let wait = stapler.attempt().await;
    assert_eq!(stapler.stapled().as_deref(), Some(&answer[..]), "the last good answer holds");
    assert_eq!(wait, std::time::Duration::from_secs(5), "asked again after 5 s");
    assert_eq!(stapler.attempt().await, std::time::Duration::from_secs(10), "then after twice as long");
    let _revoked = responder(files, port, "ca", &[(41, true)]).await;
    stapler.attempt().await;
    assert_eq!(stapler.stapled(), None, "a revoked certificate's good answer is no longer stapled");
}

#[tokio::test]
async fn the_servers_own_certificate_has_its_ocsp_answer_stapled_sqlite() {
    the_servers_own_certificate_has_its_ocsp_answer_stapled(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_servers_own_certificate_has_its_ocsp_answer_stapled_postgres() {
    the_servers_own_certificate_has_its_ocsp_answer_stapled(Backend::Postgres).await;
}
