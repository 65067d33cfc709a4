//! Two `tinhso` server processes on one PostgreSQL database, as two nodes of a province's
//! cluster: eight clients accept dossiers of one agency through both at once, and every
//! dossier code is unique and the day's sequence has no gap.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use identity::seed::DEMO_PASSWORD;
use serde_json::json;

/// A server process, stopped when dropped (also when the test fails).
struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(command: &str, db_url: &str, data_dir: &std::path::Path, port: u16) -> Node {
    let child = Command::new(env!("CARGO_BIN_EXE_tinhso"))
        .args(["--data-dir", data_dir.to_str().unwrap(), "--database-url", db_url, command, "--listen", &format!("127.0.0.1:{port}")])
        .env_remove("TINHSO_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tinhso");
    Node(child)
}

async fn ready(http: &reqwest::Client, base: &str) {
    for _ in 0..300 {
        if http.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{base} did not become ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_server_processes_issue_unique_consecutive_dossier_codes() {
    let Some((admin, name)) = testkit::fresh_pg_database().await else {
        eprintln!("skipped: TINHSO_TEST_PG_URL is not set");
        return;
    };
    let url = testkit::pg_url(&admin, &name);
    kernel::tls::init();
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let (pa, pb) = (testkit::free_port(), testkit::free_port());
    let (a, b) = (format!("http://127.0.0.1:{pa}"), format!("http://127.0.0.1:{pb}"));
    // The first node seeds the demo province; the second serves the same database.
    let node_a = start("demo", &url, dir.path(), pa);
    ready(&http, &a).await;
    let node_b = start("serve", &url, dir.path(), pb);
    ready(&http, &b).await;

    // A session opened on one node is valid on the other: sessions live in the database.
    let login = http
        .post(format!("{a}/api/identity/login"))
        .json(&json!({"login": "tiepnhan.pta", "password": DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(login.status().is_success());
    let cookie = login.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_owned();
    let csrf = login.json::<serde_json::Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_owned();
    let walk_in = json!({"procedure_code": "1.001193", "agency_code": "000.00.51.H99", "channel": "in_person",
        "applicant": {"kind": "citizen", "name": "Lê Văn Dũng", "citizen_id": "094300001122"},
        "form": {"ho_ten": "Lê Văn Dũng", "so_dinh_danh": "094300001122", "ho_ten_nguoi_duoc_dang_ky": "Lê Minh Khang"}});
    let mut ids = Vec::new();
    for i in 0..40 {
        let base = if i % 2 == 0 { &a } else { &b };
        let r = http
            .post(format!("{base}/api/onestop/dossiers"))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .json(&walk_in)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        ids.push(r.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
    }
    let mut clients = Vec::new();
    for c in 0..8 {
        let base = if c % 2 == 0 { a.clone() } else { b.clone() };
        let mine: Vec<String> = ids.iter().skip(c).step_by(8).cloned().collect();
        let (http, cookie, csrf) = (http.clone(), cookie.clone(), csrf.clone());
        clients.push(tokio::spawn(async move {
            let mut codes = Vec::new();
            for id in mine {
                let r = http
                    .post(format!("{base}/api/onestop/dossiers/{id}/accept"))
                    .header("cookie", &cookie)
                    .header("x-csrf-token", &csrf)
                    .json(&json!({"version": 1}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                codes.push(r.json::<serde_json::Value>().await.unwrap()["code"].as_str().unwrap().to_owned());
            }
            codes
        }));
    }
    let mut codes = Vec::new();
    for c in clients {
        codes.extend(c.await.unwrap());
    }
    drop((node_a, node_b));
    let mut by_day: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for c in &codes {
        let (day, seq) = c.rsplit_once('-').unwrap();
        by_day.entry(day.to_owned()).or_default().push(seq.to_owned());
    }
    assert_eq!(by_day.values().map(Vec::len).sum::<usize>(), 40);
    for (day, mut seqs) in by_day {
        seqs.sort();
        // The demo's own dossiers at the ward took the day's first numbers.
        let first: usize = seqs[0].parse().unwrap();
        let expected: Vec<String> = (first..first + seqs.len()).map(|n| format!("{n:04}")).collect();
        assert_eq!(seqs, expected, "codes of {day} unique and consecutive");
    }
    testkit::drop_pg_database(&admin, &name).await;
}
