//! Retention of the message log, on SQLite and PostgreSQL: sealed batches older than the
//! retention period move into archive files, on request (API and the monitoring page) and on
//! the schedule; each file checks alone, the log left in the database still verifies, and two
//! nodes archiving at once archive each batch once.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use kernel::db::q;
use serde_json::json;
use testkit::{Backend, TestApp};

use crate::common::{SERVICE, call, setup, upstream, wait_for_log};

const DAY_MS: i64 = 86_400_000;

async fn batches(app: &TestApp) -> i64 {
    q("SELECT COUNT(*) FROM lgsp_batches").fetch_i64(&app.app.db).await.unwrap()
}

async fn records(app: &TestApp) -> i64 {
    q("SELECT COUNT(*) FROM lgsp_messages").fetch_i64(&app.app.db).await.unwrap()
}

/// Makes `n` calls through the gateway and waits until their records are sealed.
async fn calls(app: &TestApp, token: &str, n: i64) {
    let before = records(app).await;
    for i in 0..n {
        let r = call(app, reqwest::Method::GET, &format!("{SERVICE}/persons/{i}"), Some(token)).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    wait_for_log(app, before + n).await;
    assert_eq!(app.post("/api/lgsp/log/seal", &json!({})).await.status, 200);
}

/// Makes every batch now in the database look `days` days old.
async fn age_all(app: &TestApp, days: i64) {
    q("UPDATE lgsp_batches SET sealed_at = sealed_at - $1 WHERE sealed_at > $2")
        .bind(days * DAY_MS)
        .bind(kernel::time::now_ms() - DAY_MS)
        .execute(&app.app.db)
        .await
        .unwrap();
}

fn verify_file(app: &TestApp, file: &str) -> lgsp::log::Verification {
    lgsp::log::verify_archive(&std::fs::read_to_string(file).unwrap(), &[app.app.lgsp.key().public()])
}

async fn verify_db(app: &TestApp) -> lgsp::log::Verification {
    let v = lgsp::log::verify(&app.app.db, &[app.app.lgsp.key().public()]).await.unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);
    v
}

async fn the_log_is_archived_past_its_retention(backend: Backend) {
    let Some(app) = TestApp::start_demo_configured(backend, |c| {
        c.lgsp_retention_days = Some(30);
        c.lgsp_archive_check_secs = 3600;
    })
    .await
    else {
        return;
    };
    let archive_dir = app.app.config.data_dir.join("lgsp-archive");
    let up = upstream(Arc::new(AtomicUsize::new(0))).await;
    let (_, token) = setup(&app, &up).await;
    let service_id = q("SELECT id FROM lgsp_services").fetch_one(&app.app.db).await.unwrap().text("id").unwrap();
    for st in ["testing", "published"] {
        app.post(&format!("/api/lgsp/services/{service_id}/state"), &json!({"state": st})).await;
    }
    calls(&app, &token, 12).await;
    let old_records = records(&app).await;
    age_all(&app, 40).await;
    calls(&app, &token, 5).await;
    let (all_batches, all_records) = (batches(&app).await, records(&app).await);

    let r = app.get_admin("/api/lgsp/log/archives").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["retention_days"], 30);
    assert_eq!(r.json()["directory"].as_str(), Some(archive_dir.to_str().unwrap()));
    assert_eq!(r.json()["archives"], json!([]));

    // Bad requests are refused and archive nothing.
    let tomorrow = kernel::time::date_text(kernel::time::today_vn() + time::Duration::days(1));
    for body in [json!({"before": "hôm qua"}), json!({"before": tomorrow}), json!({"before": 20250101})] {
        let r = app.post("/api/lgsp/log/archive", &body).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
    }
    let r = app.raw(app.http.post(app.url("/api/lgsp/log/archive")).bearer_auth(&app.admin_token).body("{not json")).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let r = app.raw(app.http.post(app.url("/api/lgsp/log/archive")).bearer_auth(&token)).await;
    assert_eq!(r.status, 403, "a member system may not archive: {}", r.text);
    assert_eq!((batches(&app).await, records(&app).await), (all_batches, all_records));
    assert!(!archive_dir.exists() || std::fs::read_dir(&archive_dir).unwrap().next().is_none());

    // Without a day, the retention period decides: the batches 40 days old go, the others stay.
    let r = app.raw(app.http.post(app.url("/api/lgsp/log/archive")).bearer_auth(&app.admin_token)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let run = r.json();
    let expected_day = kernel::time::date_text(kernel::time::today_vn() - time::Duration::days(30));
    assert_eq!(run["before"].as_str(), Some(expected_day.as_str()));
    assert_eq!(run["more"], false);
    let files = run["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{run}");
    assert_eq!(files[0]["records"].as_i64(), Some(old_records));
    let file = files[0]["file"].as_str().unwrap().to_owned();
    assert!(file.starts_with(archive_dir.to_str().unwrap()) && file.ends_with(".jsonl"), "{file}");
    let alone = verify_file(&app, &file);
    assert!(alone.problems.is_empty(), "{alone:?}");
    assert_eq!(alone.sealed_records, old_records);
    let v = verify_db(&app).await;
    assert_eq!(v.sealed_records, all_records - old_records);
    assert_eq!(records(&app).await, all_records - old_records);
    // Nothing more is that old.
    let r = app.raw(app.http.post(app.url("/api/lgsp/log/archive")).bearer_auth(&app.admin_token)).await;
    assert_eq!((r.status.as_u16(), r.json()["files"].clone()), (200, json!([])));
    let listed = app.get_admin("/api/lgsp/log/archives").await.json();
    assert_eq!(listed["archives"][0]["file"].as_str(), Some(file.as_str()));
    assert_eq!(listed["archives"][0]["records"].as_i64(), Some(old_records));
    assert!(listed["archives"][0]["node"].as_str().is_some_and(|n| !n.is_empty()));

    // The monitoring page lists the file and proposes the retention period's day.
    let code = identity::totp::code(identity::seed::DEMO_TOTP_SECRET, identity::totp::now_secs()).unwrap();
    let admin = app.session("quantri.tinh", identity::seed::DEMO_PASSWORD, Some(&code)).await;
    let page = app.get_as(&admin, "/admin/lgsp").await;
    assert_eq!(page.status, 200);
    let name = std::path::Path::new(&file).file_name().unwrap().to_str().unwrap();
    assert!(page.text.contains(name), "the archive file is not listed");
    assert!(page.text.contains(&format!("value=\"{expected_day}\"")), "the proposed day is not the retention period's");
    // A bad day on the page: 422 with the reason, nothing archived.
    age_all(&app, 35).await;
    let r = app.form_as(&admin, "/admin/lgsp/log/archive", &[("before", &tomorrow)]).await;
    assert_eq!(r.status, 422);
    assert!(r.text.contains(&tomorrow) && r.text.contains("role=\"alert\""), "{}", r.text);
    assert_eq!(records(&app).await, all_records - old_records);
    // The proposed day: the rest (now 35 days old) goes into a second file, the chain goes on.
    let r = app.form_as(&admin, "/admin/lgsp/log/archive", &[("before", &expected_day)]).await;
    assert_eq!(r.status, 303, "{}", r.text);
    let notice = app.get_as(&admin, r.header("location").unwrap()).await;
    assert!(notice.text.contains("1 tệp"), "{}", notice.text);
    assert_eq!(records(&app).await, 0);
    let listed = app.get_admin("/api/lgsp/log/archives").await.json();
    assert_eq!(listed["archives"].as_array().unwrap().len(), 2);
    for a in listed["archives"].as_array().unwrap() {
        assert!(verify_file(&app, a["file"].as_str().unwrap()).problems.is_empty());
    }
    // A citizen and a forged form get nothing.
    let citizen = app.session("001090012345", identity::seed::DEMO_PASSWORD, None).await;
    assert_eq!(app.form_as(&citizen, "/admin/lgsp/log/archive", &[("before", &expected_day)]).await.status, 403);
    let forged = app
        .raw(app.http.post(app.url("/admin/lgsp/log/archive")).header("cookie", &admin.cookie).form(&[("before", expected_day.as_str())]))
        .await;
    assert_eq!(forged.status, 403);

    // The schedule: a node that looks every second archives what passes the period by itself.
    calls(&app, &token, 4).await;
    age_all(&app, 31).await;
    let (_, node) = app.another_node_with(|c| c.lgsp_archive_check_secs = 1).await;
    let mut left = records(&app).await;
    for _ in 0..100 {
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        left = records(&app).await;
    }
    assert_eq!(left, 0, "the schedule did not archive the old batches");
    let _ = node.shutdown.send(true);
    let _ = node.done.await;
    assert_eq!(app.get_admin("/api/lgsp/log/archives").await.json()["archives"].as_array().unwrap().len(), 3);

    // Two nodes archiving the same batches at once: each batch goes into one file only, and the
    // other node's file is removed.
    calls(&app, &token, 6).await;
    age_all(&app, 60).await;
    let before_ms = kernel::time::now_ms() - 30 * DAY_MS;
    let other_db = server::serve::open(&app.app.config).await.unwrap();
    let other_dir = app.app.config.data_dir.join("other-node-archive");
    let other = lgsp::Lgsp::new(other_db, &app.app.config.data_dir.join("lgsp-signing.pk8"))
        .unwrap()
        .with_retention(lgsp::retention::Retention { dir: other_dir.clone(), days: Some(30) });
    let (a, b) = tokio::join!(app.app.lgsp.archive_before(before_ms, 20), other.archive_before(before_ms, 20));
    let (a, b) = (a.unwrap(), b.unwrap());
    let taken: i64 = a.iter().chain(b.iter()).map(|x| x.records).sum();
    assert_eq!(taken, 6, "{a:?} {b:?}");
    let on_disk = |d: &std::path::Path| std::fs::read_dir(d).map(|r| r.count()).unwrap_or(0);
    assert_eq!(on_disk(&archive_dir) + on_disk(&other_dir), 4, "a file left by the node that lost");
    assert_eq!(records(&app).await, 0);
    assert_eq!(app.get_admin("/api/lgsp/log/archives").await.json()["archives"].as_array().unwrap().len(), 4);
    // The same, step by step: both nodes chose the same batches; the first to finish has them,
    // the other changes nothing and removes its file.
    calls(&app, &token, 3).await;
    age_all(&app, 60).await;
    let key = app.app.lgsp.key();
    let first = lgsp::log::ArchivePlan::make(&app.app.db, before_ms, 1000).await.unwrap().unwrap();
    let second = lgsp::log::ArchivePlan::make(&other.db, before_ms, 1000).await.unwrap().unwrap();
    assert_eq!((first.from_batch(), first.to_batch()), (second.from_batch(), second.to_batch()));
    let late = other_dir.join("late.jsonl");
    let won = first.carry_out(&app.app.db, key, &archive_dir.join("first.jsonl")).await.unwrap();
    assert_eq!(won.records, 3);
    match second.carry_out(&other.db, key, &late).await {
        Err(kernel::Error::Conflict(why)) => assert!(why.contains("meanwhile"), "{why}"),
        other => panic!("the second node archived the same batches again: {other:?}"),
    }
    assert!(!late.exists(), "the losing node's file stays");
    assert_eq!(app.get_admin("/api/lgsp/log/archives").await.json()["archives"].as_array().unwrap().len(), 5);
    // New exchanges chain on from the last archived batch.
    calls(&app, &token, 2).await;
    assert_eq!(verify_db(&app).await.sealed_records, 2);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_is_archived_past_its_retention_sqlite() {
    the_log_is_archived_past_its_retention(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_is_archived_past_its_retention_postgres() {
    the_log_is_archived_past_its_retention(Backend::Postgres).await;
}
