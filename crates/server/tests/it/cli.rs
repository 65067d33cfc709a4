//! The `tinhso` command line: migrate, import (all rows or none) and backup while serving.

use std::process::Command;

use testkit::{Backend, TestApp};

fn tinhso(data_dir: &std::path::Path, db_url: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tinhso"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--database-url")
        .arg(db_url)
        .env_remove("TINHSO_DATABASE_URL")
        .output()
        .expect("run tinhso");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

async fn database(backend: Backend, dir: &std::path::Path) -> Option<(String, Option<(String, String)>)> {
    match backend {
        Backend::Sqlite => Some((format!("sqlite://{}", dir.join("cli.db").display()), None)),
        Backend::Postgres => {
            let (admin, name) = testkit::fresh_pg_database().await?;
            Some((testkit::pg_url(&admin, &name), Some((admin, name))))
        }
    }
}

const UNITS_BAD: &str = "code,name,kind,parent_code,valid_from,valid_to,merged_into_code
97,Tỉnh Nhập,province,,,,
971,Huyện Nhập,district,97,,2025-06-30,
97101,Xã Sai Mã,hamlet,971,,2025-06-30,
9710,Xã Sai Độ Dài,commune,971,,,
97501,Xã Mới,commune,97,2025-07-01,,
";

const UNITS_GOOD: &str = "code,name,kind,parent_code,valid_from,valid_to,merged_into_code
97,Tỉnh Nhập,province,,,,
971,Huyện Nhập,district,97,,2025-06-30,
97101,Xã Cũ,commune,971,,2025-06-30,97501
97501,Xã Mới,commune,97,2025-07-01,,
";

async fn import_is_all_or_nothing(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, pg)) = database(backend, dir.path()).await else {
        eprintln!("skipped: TINHSO_TEST_PG_URL is not set");
        return;
    };
    let (code, _, err) = tinhso(dir.path(), &url, &["migrate"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, _) = tinhso(dir.path(), &url, &["migrate"]);
    assert_eq!(code, 0, "migrating twice is harmless");

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, UNITS_BAD).unwrap();
    let (code, out, err) = tinhso(dir.path(), &url, &["import", "units", bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert!(err.contains("line 4 (row 3): kind"), "{err}");
    assert!(err.contains("line 5 (row 4): code"), "{err}");
    assert!(!err.contains("line 2"), "good rows are not reported: {err}");

    let good = dir.path().join("good.csv");
    std::fs::write(&good, UNITS_GOOD).unwrap();
    let (code, out, err) = tinhso(dir.path(), &url, &["import", "units", good.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("imported 4 rows"), "{out}");

    // Procedures from JSON referencing an unknown agency: refused, with the item named.
    let procs = dir.path().join("procs.json");
    std::fs::write(&procs, r#"[
        {"code": "1.888001", "name": "Thủ tục nhập 1", "field_code": "HT", "level": "commune", "online_level": "full", "processing_value": 2, "decision_number": "9/QĐ"},
        {"code": "1.888002", "name": "Thủ tục nhập 2", "field_code": "HT", "level": "commune", "online_level": "full", "processing_value": 2, "decision_number": "9/QĐ", "agency_codes": ["000.00.00.H42"]}
    ]"#).unwrap();
    let (code, _, err) = tinhso(dir.path(), &url, &["import", "procedures", procs.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("item 2: agency_codes[0]"), "{err}");
    let fixed = std::fs::read_to_string(&procs).unwrap().replace(r#", "agency_codes": ["000.00.00.H42"]"#, "");
    std::fs::write(&procs, fixed).unwrap();
    let (code, out, err) = tinhso(dir.path(), &url, &["import", "procedures", procs.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("imported 2 rows"));
    // Importing them again without --new-versions is refused; with it they get version 2.
    assert_eq!(tinhso(dir.path(), &url, &["import", "procedures", procs.to_str().unwrap()]).0, 2);
    assert_eq!(tinhso(dir.path(), &url, &["import", "procedures", procs.to_str().unwrap(), "--new-versions"]).0, 0);

    let (code, _, err) = tinhso(dir.path(), &url, &["import", "units", dir.path().join("missing.csv").to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(err.contains("cannot read"), "{err}");
    if let Some((admin, name)) = pg {
        testkit::drop_pg_database(&admin, &name).await;
    }
}

#[tokio::test]
async fn import_is_all_or_nothing_sqlite() {
    import_is_all_or_nothing(Backend::Sqlite).await;
}

#[tokio::test]
async fn import_is_all_or_nothing_postgres() {
    import_is_all_or_nothing(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backup_is_consistent_while_the_server_writes() {
    let app = TestApp::start_demo(Backend::Sqlite).await.unwrap();
    let url = app.app.config.database_url();
    let data_dir = app.app.config.data_dir.clone();
    // Keep writing while the copy is made.
    let writer = {
        let http = app.http.clone();
        let base = app.base.clone();
        let token = app.admin_token.clone();
        tokio::spawn(async move {
            for i in 0..40 {
                let body = serde_json::json!({"date": format!("2031-01-{:02}", (i % 28) + 1), "name": format!("Ngày thử {i}")});
                let r = http.post(format!("{base}/api/holidays")).bearer_auth(&token).json(&body).send().await.unwrap();
                assert!(r.status().is_success());
            }
        })
    };
    let out = data_dir.join("copy.db");
    let (code, stdout, stderr) = tokio::task::spawn_blocking({
        let out = out.clone();
        move || tinhso(&data_dir, &url, &["backup", "--output", out.to_str().unwrap()])
    })
    .await
    .unwrap();
    writer.await.unwrap();
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("integrity ok"), "{stdout}");
    let copy = kernel::db::Db::connect(&format!("sqlite://{}", out.display()), 2).await.unwrap();
    let n = kernel::db::q("SELECT COUNT(*) FROM procedure_index").fetch_i64(&copy).await.unwrap();
    assert!(n >= 60, "{n}");
    copy.close().await;
    // A second backup to the same file is refused rather than overwriting it.
    let (code, _, err) = tinhso(&app.app.config.data_dir, &app.app.config.database_url(), &["backup", "--output", out.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(err.contains("already exists"), "{err}");
    app.stop().await;
}

#[tokio::test]
async fn postgres_backup_checks_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, pg)) = database(Backend::Postgres, dir.path()).await else {
        eprintln!("skipped: TINHSO_TEST_PG_URL is not set");
        return;
    };
    assert_eq!(tinhso(dir.path(), &url, &["migrate"]).0, 0);
    let out = dir.path().join("x.dump");
    let (code, stdout, stderr) = tinhso(dir.path(), &url, &["backup", "--output", out.to_str().unwrap()]);
    if code == 0 {
        assert!(out.exists() && stdout.contains("pg_dump"), "{stdout}");
    } else {
        assert!(stderr.contains("pg_dump"), "{stderr}");
    }
    let unreachable = "postgres://nobody:x@127.0.0.1:1/none";
    let (code, _, err) = tinhso(dir.path(), unreachable, &["backup"]);
    assert_ne!(code, 0);
    assert!(err.contains("cannot reach the database") && !err.contains(":x@"), "{err}");
    if let Some((admin, name)) = pg {
        testkit::drop_pg_database(&admin, &name).await;
    }
}

/// `tinhso lgsp seal` and `tinhso lgsp verify-log` on the server's own database and key: a
/// whole log passes (exit 0); an edited record is named (exit 1).
async fn verify_log_names_tampering(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else { return };
    let (url, dir) = (app.app.config.database_url(), app.app.config.data_dir.clone());
    for i in 0..3 {
        let x = lgsp::log::Exchange {
            request_id: format!("cli-{i}"),
            at: 1_700_000_000_000 + i,
            client: "VN/GOV/000.00.51.H99/motcua".into(),
            service: "VN/GOV/000.00.13.H99/tuphap/persons".into(),
            method: "GET".into(),
            path: "/r1/VN/GOV/000.00.13.H99/tuphap/persons/1".into(),
            status: 200,
            ..Default::default()
        };
        lgsp::log::record(&app.app.db, &x).await.unwrap();
    }
    let run = |args: &[&str]| {
        let (dir, url) = (dir.clone(), url.clone());
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        tokio::task::spawn_blocking(move || tinhso(&dir, &url, &args.iter().map(String::as_str).collect::<Vec<_>>()))
    };
    let (code, out, err) = run(&["lgsp", "seal"]).await.unwrap();
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("sealed 1 batch"), "{out}");
    let (code, out, err) = run(&["lgsp", "verify-log"]).await.unwrap();
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("3 sealed record(s)") && out.contains("the log is whole"), "{out}");
    // Retention: the sealed batches go to an archive file; the log goes on, whole, from there.
    let archive = dir.join("log-archive.jsonl");
    let archive_arg = archive.to_str().unwrap();
    let (code, out, err) = run(&["lgsp", "archive", "--before", "2100-01-01", "--output", archive_arg]).await.unwrap();
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("archived 1 batch(es), 3 record(s)"), "{out}");
    assert_eq!(kernel::db::q("SELECT COUNT(*) FROM lgsp_messages").fetch_i64(&app.app.db).await.unwrap(), 0);
    for i in 3..5 {
        let x = lgsp::log::Exchange {
            request_id: format!("cli-{i}"),
            client: "c".into(),
            service: "s".into(),
            method: "GET".into(),
            path: "/".into(),
            status: 200,
            ..Default::default()
        };
        lgsp::log::record(&app.app.db, &x).await.unwrap();
    }
    assert_eq!(run(&["lgsp", "seal"]).await.unwrap().0, 0);
    let (code, out, _) = run(&["lgsp", "verify-log"]).await.unwrap();
    assert_eq!(code, 0, "the chain goes on from the archive: {out}");
    let (code, out, _) = run(&["lgsp", "verify-log", "--archive", archive_arg]).await.unwrap();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("3 sealed record(s)"), "{out}");
    let text = std::fs::read_to_string(&archive).unwrap().replacen("\"status\":200", "\"status\":500", 1);
    std::fs::write(&archive, text).unwrap();
    let (code, out, _) = run(&["lgsp", "verify-log", "--archive", archive_arg]).await.unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("edited in the archive"), "{out}");
    // An edit in the database is named too.
    kernel::db::q("UPDATE lgsp_messages SET client = 'VN/GOV/000.00.99.H99/other' WHERE request_id = 'cli-4'")
        .execute(&app.app.db)
        .await
        .unwrap();
    let (code, out, _) = run(&["lgsp", "verify-log"]).await.unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("PROBLEM: record 5: edited"), "{out}");
    app.stop().await;
}

#[tokio::test]
async fn verify_log_names_tampering_sqlite() {
    verify_log_names_tampering(Backend::Sqlite).await;
}

#[tokio::test]
async fn verify_log_names_tampering_postgres() {
    verify_log_names_tampering(Backend::Postgres).await;
}
