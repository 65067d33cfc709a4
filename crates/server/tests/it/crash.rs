//! A server killed outright (SIGKILL) while the gateway is busy loses no record of an exchange
//! it answered: the records waiting for the log's writer are in the journal's rings, which
//! outlive the process, and the next start writes them once. On SQLite and PostgreSQL.
//! (Without the journal, the records of the last 20 ms, which the writer was gathering, were
//! lost.)

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

const LIST: &str = "/r1/VN/GOV/000.00.14.H99/dkkd/ho-kinh-doanh/1?search=B%C3%ACnh";

fn start(command: &str, db_url: Option<&str>, data_dir: &std::path::Path, port: u16) -> Child {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tinhso"));
    c.args(["--data-dir", data_dir.to_str().unwrap()]);
    if let Some(url) = db_url {
        c.args(["--database-url", url]);
    }
    c.args([command, "--listen", &format!("127.0.0.1:{port}")])
        .env_remove("TINHSO_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tinhso")
}

async fn ready(http: &reqwest::Client, base: &str) {
    for _ in 0..600 {
        if http.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{base} did not become ready");
}

async fn json_of(req: reqwest::RequestBuilder) -> Value {
    req.send().await.unwrap().json().await.unwrap()
}

async fn killed_while_busy(db_url: Option<&str>) {
    kernel::tls::init();
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let port = testkit::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start("demo", db_url, dir.path(), port);
    ready(&http, &base).await;
    let client = std::fs::read_to_string(dir.path().join("lgsp-demo-client")).unwrap();
    let (id, secret) = client.trim().split_once(':').unwrap();
    let t =
        json_of(http.post(format!("{base}/oauth/token")).basic_auth(id, Some(secret)).form(&[("grant_type", "client_credentials")])).await;
    let token = t["access_token"].as_str().unwrap().to_owned();

    // Eight callers at once; the server is killed as soon as the last answer is in.
    let mut callers = Vec::new();
    for _ in 0..8 {
        let (http, base, token) = (http.clone(), base.clone(), token.clone());
        callers.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for _ in 0..40 {
                let r = http
                    .get(format!("{base}{LIST}"))
                    .header("X-Road-Client", "VN/GOV/000.00.51.H99/motcua")
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                ids.push(r.headers()["x-road-request-id"].to_str().unwrap().to_owned());
            }
            ids
        }));
    }
    let mut answered = BTreeSet::new();
    for c in callers {
        answered.extend(c.await.unwrap());
    }
    // A record is queued just after its answer's last bytes are written (its hashes cover
    // them): a few microseconds, which 5 ms leave to it. The writer gathers for 20 ms, so the
    // last records are still waiting for it when the server is killed.
    tokio::time::sleep(Duration::from_millis(5)).await;
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(answered.len(), 320);

    // The next start writes what the killed one had answered and not written.
    let mut server = start("serve", db_url, dir.path(), port);
    ready(&http, &base).await;
    let admin = std::fs::read_to_string(dir.path().join("admin-token")).unwrap();
    let m = json_of(
        http.get(format!("{base}/api/lgsp/monitoring?service=VN/GOV/000.00.14.H99/dkkd/ho-kinh-doanh&limit=1000"))
            .bearer_auth(admin.trim()),
    )
    .await;
    let logged: Vec<&str> = m["records"].as_array().unwrap().iter().map(|r| r["request_id"].as_str().unwrap()).collect();
    let missing: Vec<_> = answered.iter().filter(|id| !logged.contains(&id.as_str())).collect();
    assert!(missing.is_empty(), "{} answered exchanges not in the log: {missing:?}", missing.len());
    assert_eq!(logged.len(), answered.len(), "each exchange logged once");
    let v = json_of(http.get(format!("{base}/api/lgsp/log/verify")).bearer_auth(admin.trim())).await;
    assert_eq!(v["problems"], serde_json::json!([]), "{v}");
    assert_eq!(v["unsealed_records"], 0, "{v}");
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_no_record_of_an_answered_exchange_sqlite() {
    killed_while_busy(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_no_record_of_an_answered_exchange_postgres() {
    let Some((admin, name)) = testkit::fresh_pg_database().await else {
        eprintln!("skipped: TINHSO_TEST_PG_URL is not set");
        return;
    };
    killed_while_busy(Some(&testkit::pg_url(&admin, &name))).await;
    testkit::drop_pg_database(&admin, &name).await;
}
