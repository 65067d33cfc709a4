//! End-to-end document exchange latency between two `tinhso` deployments on loopback: the time
//! from the clerk's "issue" at province A until the signed package is an incoming document at
//! province B (built, signed, sent to B's hub, taken in and its signature checked), and until
//! A holds B's "01 arrived" status. Run by `bench/docflow.sh`; SQLite, and PostgreSQL when
//! `TINHSO_TEST_PG_URL` is set.

use std::time::{Duration, Instant};

use identity::seed::{DEMO_PASSWORD, DEMO_TOTP_SECRET};
use serde_json::{Value, json};
use testkit::{Backend, Session, TestApp};

async fn official(app: &TestApp, login: &str) -> Session {
    let code = login.starts_with("lanhdao").then(|| identity::totp::code(DEMO_TOTP_SECRET, identity::totp::now_secs()).unwrap());
    app.session(login, DEMO_PASSWORD, code.as_deref()).await
}

async fn ok(app: &TestApp, s: &Session, path: &str, body: Value) -> Value {
    let r = app.post_as(s, path, &body).await;
    assert!(r.status.is_success(), "{path}: {} {}", r.status, r.text);
    r.json()
}

async fn count(db: &kernel::db::Db, sql: &'static str) -> i64 {
    kernel::db::q(sql).fetch_i64(db).await.unwrap()
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

async fn run(backend: Backend, n: usize, attachment: usize) {
    let a = TestApp::start_demo(backend).await.expect("province A");
    let b = TestApp::start_demo(backend).await.expect("province B");
    kernel::db::q("UPDATE agencies SET qcvn_code = REPLACE(qcvn_code, 'H99', 'H98')").execute(&b.app.db).await.unwrap();
    let r = b.post("/api/oidc/clients", &json!({"name": "A", "grant_types": ["client_credentials"], "scopes": ["lgsp:call"]})).await;
    let (cid, secret) =
        (r.json()["client"]["client_id"].as_str().unwrap().to_owned(), r.json()["client_secret"].as_str().unwrap().to_owned());
    b.post("/api/docflow/hub/members", &json!({"organ_id": "000.00.13.H99", "name": "Sở Tư pháp tỉnh A", "client_id": cid})).await;
    let cert = a.get("/api/docflow/agencies/000.00.13.H99/certificate").await.text;
    b.post("/api/docflow/trust", &json!({"name": "A", "cert_pem": cert})).await;
    a.app.docflow.set_remote(Some(docflow::RemoteHub {
        url: b.url("/api/docflow/hub"),
        xroad_client: None,
        token_url: b.url("/oauth/token"),
        client_id: cid,
        client_secret: secret,
    }));
    let (drafter, leader, clerk) =
        (official(&a, "chuyenvien.stp").await, official(&a, "lanhdao.stp").await, official(&a, "vanthu.stp").await);
    let mut main = b"%PDF-1.4\n".to_vec();
    main.resize(attachment.max(64), b'x');
    let (mut to_b, mut back_to_a) = (Vec::new(), Vec::new());
    for i in 0..n {
        let d = ok(
            &a,
            &drafter,
            "/api/docflow/documents/outgoing",
            json!({"kind": 1, "subject": format!("Công văn đo {i}"), "recipients": ["000.00.13.H98"]}),
        )
        .await;
        let id = d["id"].as_str().unwrap().to_owned();
        let r = a
            .raw(
                a.http
                    .post(a.url(&format!("/api/docflow/documents/{id}/files?role=main&name=cv.pdf")))
                    .header("cookie", &drafter.cookie)
                    .header("x-csrf-token", &drafter.csrf)
                    .header("content-type", "application/pdf")
                    .body(main.clone()),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let d = ok(&a, &drafter, &format!("/api/docflow/documents/{id}/submit"), json!({"version": d["version"]})).await;
        let d = ok(&a, &leader, &format!("/api/docflow/documents/{id}/approve"), json!({"version": d["version"]})).await;
        let before = count(&b.app.db, "SELECT COUNT(*) FROM documents WHERE direction = 'incoming'").await;
        let statuses = count(&a.app.db, "SELECT COUNT(*) FROM document_recipients WHERE status_code IS NOT NULL").await;
        let t0 = Instant::now();
        ok(&a, &clerk, &format!("/api/docflow/documents/{id}/issue"), json!({"version": d["version"]})).await;
        loop {
            if count(&b.app.db, "SELECT COUNT(*) FROM documents WHERE direction = 'incoming'").await > before {
                to_b.push(t0.elapsed().as_secs_f64() * 1000.0);
                break;
            }
            assert!(t0.elapsed() < Duration::from_secs(30), "the package never arrived");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        loop {
            if count(&a.app.db, "SELECT COUNT(*) FROM document_recipients WHERE status_code IS NOT NULL").await > statuses {
                back_to_a.push(t0.elapsed().as_secs_f64() * 1000.0);
                break;
            }
            assert!(t0.elapsed() < Duration::from_secs(30), "the status never came back");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    println!(
        "{:<9} attachment {:>7} B  n={n}  issue→arrived at B: p50 {:>7.1} ms  p95 {:>7.1} ms  max {:>7.1} ms   issue→01 back at A: p50 {:>7.1} ms  p95 {:>7.1} ms",
        backend_name(backend),
        main.len(),
        pct(&mut to_b.clone(), 0.5),
        pct(&mut to_b.clone(), 0.95),
        pct(&mut to_b, 1.0),
        pct(&mut back_to_a.clone(), 0.5),
        pct(&mut back_to_a, 0.95),
    );
    b.stop().await;
    a.stop().await;
}

fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::var("N").ok().and_then(|v| v.parse().ok()).unwrap_or(30);
    println!(
        "document exchange between two deployments on loopback (A's worker pushes at once; B's hub wakes B's worker; A long-polls B's hub for statuses)"
    );
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if backend == Backend::Postgres && std::env::var("TINHSO_TEST_PG_URL").is_err() {
            println!("postgres: skipped (TINHSO_TEST_PG_URL not set)");
            continue;
        }
        for size in [10_000, 1 << 20] {
            run(backend, n, size).await;
        }
    }
}
