//! File replicas of national data, on SQLite and PostgreSQL: files dropped in a directory are
//! imported into a registry once each, every import recorded with what it did; a bad row is
//! refused alone, an unreadable file is recorded as failed.

use serde_json::{Value, json};
use testkit::{TestApp, storage_test};

storage_test!(replica_files_are_imported_once_with_a_record_of_each, async |app: &TestApp| {
    let r = app
        .post(
            "/api/registries",
            &json!({"name": "doanh-nghiep", "version": "1.0", "title": "Doanh nghiệp (bản sao CSDL quốc gia)", "id_field": "MaSoThue",
                    "schema": {"type": "object", "required": ["MaSoThue", "Ten"], "properties": {
                        "MaSoThue": {"type": "string", "pattern": "^[0-9]{10}$"}, "Ten": {"type": "string", "minLength": 2}, "DiaChi": {"type": "string"}}}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("2026-11-01.json"),
        json!([{"MaSoThue": "0100109106", "Ten": "Công ty TNHH Thái An"}, {"MaSoThue": "0101245486", "Ten": "Công ty CP Sông Cầu"}, {"MaSoThue": "0300588569", "Ten": "Công ty Bến Thành"}]).to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("2026-11-02.csv"),
        "MaSoThue,Ten,DiaChi\n0100109106,Công ty TNHH Thái An (đổi tên),Phường 1\n12345,X,\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("2026-11-03.json"), "{ not json").unwrap();
    std::fs::write(dir.path().join("ghi-chu.txt"), "not a data file").unwrap();

    let bad = app.post("/api/lgsp/replicas", &json!({"name": "dn", "directory": "/khong/co/thu-muc", "registry": "doanh-nghiep", "registry_version": "1.0", "interval_minutes": 0})).await;
    assert_eq!(bad.status, 422);
    let fields = bad.error_fields();
    assert!(fields.contains(&"directory".to_owned()) && fields.contains(&"interval_minutes".to_owned()), "{fields:?}");
    let rep = app
        .post("/api/lgsp/replicas", &json!({"name": "dn", "directory": dir.path().to_str().unwrap(), "registry": "doanh-nghiep", "registry_version": "1.0", "interval_minutes": 60}))
        .await;
    assert_eq!(rep.status, 201, "{}", rep.text);
    let id = rep.json()["id"].as_str().unwrap().to_owned();
    // The same drop into the same registry again would import every file twice; sign-in
    // settings given with a directory would be kept and never used.
    let twice = app
        .post("/api/lgsp/replicas", &json!({"name": "dn2", "directory": dir.path().to_str().unwrap(), "registry": "doanh-nghiep", "registry_version": "1.0", "interval_minutes": 60}))
        .await;
    assert_eq!(twice.status, 409, "{}", twice.text);
    let keyed = app
        .post(
            "/api/lgsp/replicas",
            &json!({"name": "dn3", "directory": dir.path().to_str().unwrap(), "registry": "doanh-nghiep", "registry_version": "1.0",
                                           "interval_minutes": 60, "sftp_key_file": "/etc/hostname"}),
        )
        .await;
    assert_eq!((keyed.status.as_u16(), keyed.error_fields()), (422, vec!["sftp_key_file".to_owned()]), "{}", keyed.text);

    let run = app.post(&format!("/api/lgsp/replicas/{id}/run"), &json!({})).await;
    assert_eq!(run.status, 200, "{}", run.text);
    let imports = run.json();
    let by_file = |f: &str| imports.as_array().unwrap().iter().find(|i| i["file"] == f).cloned().unwrap();
    let a = by_file("2026-11-01.json");
    assert_eq!((a["status"].as_str(), a["created"].as_i64()), (Some("ok"), Some(3)));
    let b = by_file("2026-11-02.csv");
    assert_eq!((b["status"].as_str(), b["updated"].as_i64(), b["refused"].as_i64()), (Some("partial"), Some(1), Some(1)), "{b}");
    assert!(b["errors"].as_str().unwrap().contains("row 2"), "{b}");
    let c = by_file("2026-11-03.json");
    assert_eq!(c["status"], "failed");
    assert_eq!(imports.as_array().unwrap().len(), 3, "only JSON and CSV files");

    // The registry holds the rows, the later file's name winning.
    let read = app.post("/data/doanh-nghiep/1.0/read", &json!({"query": {"content": {"MaSoThue": "0100109106"}}})).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert!(read.text.contains("đổi tên"), "{}", read.text);

    // Files already imported are not imported again; a new one is.
    let again = app.post(&format!("/api/lgsp/replicas/{id}/run"), &json!({})).await.json();
    assert_eq!(again, json!([]), "nor is the file that could not be read, while its content is the same");
    std::fs::write(dir.path().join("2026-11-03.json"), json!([{"MaSoThue": "0300588569", "Ten": "Công ty Bến Thành (sửa)"}]).to_string())
        .unwrap();
    let fixed = app.post(&format!("/api/lgsp/replicas/{id}/run"), &json!({})).await.json();
    assert_eq!(
        (fixed[0]["file"].as_str(), fixed[0]["status"].as_str()),
        (Some("2026-11-03.json"), Some("ok")),
        "once corrected it is: {fixed}"
    );
    std::fs::write(dir.path().join("2026-11-04.csv"), "MaSoThue,Ten\n0312345678,Công ty Mới\n").unwrap();
    let third = app.post(&format!("/api/lgsp/replicas/{id}/run"), &json!({})).await.json();
    let files: Vec<&str> = third.as_array().unwrap().iter().map(|i| i["file"].as_str().unwrap()).collect();
    assert!(files.contains(&"2026-11-04.csv") && !files.contains(&"2026-11-01.json"), "{files:?}");
    let listed = app.get_admin("/api/lgsp/replicas").await.json();
    assert_eq!(listed[0]["imports"].as_array().unwrap().len(), 5, "every import is recorded, each once");

    // A file with the name, size and time of one imported before is not read again (the quick
    // check rsync makes); a new time gets it read, and its new content imported.
    let path = dir.path().join("2026-11-04.csv");
    let time = std::fs::metadata(&path).unwrap().modified().unwrap();
    std::fs::write(
        &path,
        "MaSoThue,Ten
0312345678,Công ty Khác
",
    )
    .unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), "MaSoThue,Ten\n0312345678,Công ty Mới\n".len() as u64);
    std::fs::File::options().write(true).open(&path).unwrap().set_modified(time).unwrap();
    assert_eq!(app.post(&format!("/api/lgsp/replicas/{id}/run"), &json!({})).await.json(), json!([]), "not read again");
    std::fs::File::options().write(true).open(&path).unwrap().set_modified(time + std::time::Duration::from_secs(60)).unwrap();
    let changed = app.post(&format!("/api/lgsp/replicas/{id}/run"), &json!({})).await.json();
    assert_eq!((changed[0]["file"].as_str(), changed[0]["updated"].as_i64()), (Some("2026-11-04.csv"), Some(1)), "{changed}");
});

storage_test!(demo replicas_are_added_run_and_followed_on_their_page, async |app: &TestApp| {
    let code = identity::totp::code(identity::seed::DEMO_TOTP_SECRET, identity::totp::now_secs()).unwrap();
    let admin = app.session("quantri.tinh", identity::seed::DEMO_PASSWORD, Some(&code)).await;
    let r = app
        .post(
            "/api/registries",
            &json!({"name": "ho-kinh-doanh", "version": "1", "title": "Hộ kinh doanh", "id_field": "Ma",
                    "schema": {"type": "object", "required": ["Ma", "Ten"], "properties": {"Ma": {"type": "string"}, "Ten": {"type": "string", "minLength": 2}}}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let page = app.get_as(&admin, "/admin/lgsp/replicas").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("value=\"ho-kinh-doanh/1\""), "the registry offered: {}", page.text);
    assert!(app.get_as(&admin, "/admin").await.text.contains("href=\"/admin/lgsp/replicas\""), "offered on the console");

    // Bad input: no such directory, an interval that is not a number; nothing stored.
    let before = kernel::db::q("SELECT COUNT(*) FROM lgsp_replicas").fetch_i64(&app.app.db).await.unwrap();
    let form = |dir: &str, interval: &str| {
        vec![("name".to_owned(), "Hộ kinh doanh (bản sao)".to_owned()), ("directory".to_owned(), dir.to_owned()),
             ("registry".to_owned(), "ho-kinh-doanh/1".to_owned()), ("interval_minutes".to_owned(), interval.to_owned())]
    };
    let post = async |f: Vec<(String, String)>, to: &str| {
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        app.form_as(&admin, to, &pairs).await
    };
    let bad = post(form("/khong/co/thu-muc", "sáu mươi"), "/admin/lgsp/replicas").await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("interval_minutes") && bad.text.contains("value=\"/khong/co/thu-muc\""), "{}", bad.text);
    let bad = post(form("/khong/co/thu-muc", "60"), "/admin/lgsp/replicas").await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("directory:"), "{}", bad.text);
    // An SFTP address needs the key file the platform signs in with; the address is kept.
    let bad = post(form("sftp://lgsp@127.0.0.1:1/xuat", "60"), "/admin/lgsp/replicas").await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("sftp_key_file:") && bad.text.contains("value=\"sftp://lgsp@127.0.0.1:1/xuat\""), "{}", bad.text);
    assert!(bad.text.contains("id=\"r-key\"") && bad.text.contains("id=\"r-hostkey\""), "{}", bad.text);
    assert_eq!(kernel::db::q("SELECT COUNT(*) FROM lgsp_replicas").fetch_i64(&app.app.db).await.unwrap(), before);

    let dir = tempfile::tempdir().unwrap();
    let ok = post(form(dir.path().to_str().unwrap(), "60"), "/admin/lgsp/replicas").await;
    assert_eq!(ok.status, 303, "{}", ok.text);
    let page = app.get_as(&admin, "/admin/lgsp/replicas").await.text;
    assert!(page.contains("Chưa nhập tệp nào"), "{page}");
    let run = page.split("action=\"").filter_map(|s| s.split('"').next()).find(|a| a.ends_with("/run")).unwrap().to_owned();

    // Nothing to import yet; then two files, one with a refused row, imported from the page.
    let r = app.form_as(&admin, &run, &[]).await;
    assert_eq!(r.status, 303);
    assert!(app.get_as(&admin, r.header("location").unwrap()).await.text.contains("Không có tệp mới"));
    std::fs::write(dir.path().join("01.json"), json!([{"Ma": "HKD-1", "Ten": "Tạp hoá Bình An"}, {"Ma": "HKD-2", "Ten": "Quán cơm Sông Cầu"}]).to_string()).unwrap();
    std::fs::write(dir.path().join("02.csv"), "Ma,Ten\nHKD-3,X\nHKD-1,Tạp hoá Bình An (đổi tên)\n").unwrap();
    let r = app.form_as(&admin, &run, &[]).await;
    assert_eq!(r.status, 303);
    let page = app.get_as(&admin, r.header("location").unwrap()).await.text;
    assert!(page.contains("Đã nhập 2 tệp mới: 3 bản ghi"), "{page}");
    assert!(page.contains("Nhập một phần") && page.contains("02.csv") && page.contains("row 1"), "the partial import and its problem: {page}");
    assert!(page.contains("Hộ kinh doanh (2 bản ghi)"), "the registry's record count: {page}");

    // A directory that went away: the page says so, and the imports stay as they were.
    drop(dir);
    let r = app.form_as(&admin, &run, &[]).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("role=\"alert\"") && r.text.contains("the directory cannot be read"), "{}", r.text);
    assert!(r.text.contains("02.csv"), "the imports are still listed");

    // Refused to others.
    let citizen = app.session("001090012345", identity::seed::DEMO_PASSWORD, None).await;
    assert_eq!(app.get_as(&citizen, "/admin/lgsp/replicas").await.status, 403);
    assert_eq!(app.form_as(&citizen, &run, &[]).await.status, 403);
    let forged = app.raw(app.http.post(app.url(&run)).header("cookie", &admin.cookie)).await;
    assert_eq!(forged.status, 403, "no anti-forgery token");
});

storage_test!(the_demo_replica_is_seeded_once_and_imports_its_sample, async |app: &TestApp| {
    let data = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        lgsp::seed::demo(&app.app.lgsp, data.path()).await.unwrap();
    }
    let replicas = app.app.lgsp.replicas().await.unwrap();
    assert_eq!(replicas.len(), 1, "seeding again adds nothing");
    let imports = app.app.lgsp.run_replica(&replicas[0].id).await.unwrap();
    assert_eq!(imports.len(), 1);
    assert_eq!((imports[0].status.as_str(), imports[0].created, imports[0].refused), ("ok", 3, 0), "{:?}", imports[0]);
    let read = app.post("/data/ho-kinh-doanh/1/read", &json!({"query": {"content": {"MaSo": "TA-HKD-000102"}}})).await;
    assert!(read.text.contains("Quán cơm Sông Cầu"), "{}", read.text);
});

storage_test!(a_file_whose_import_fails_halfway_leaves_nothing_and_is_imported_whole_later, async |app: &TestApp| {
    let r = app
        .post(
            "/api/registries",
            &json!({"name": "doanh-nghiep", "version": "1.0", "title": "Doanh nghiệp", "id_field": "MaSoThue",
                    "schema": {"type": "object", "required": ["MaSoThue", "Ten"], "properties": {
                        "MaSoThue": {"type": "string"}, "Ten": {"type": "string"}}}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("01.csv"), "MaSoThue,Ten\n0100109106,Công ty Thái An\n").unwrap();
    let rows = json!([{"MaSoThue": "0100109106", "Ten": "Công ty Thái An (đổi tên)"}, {"MaSoThue": "0101245486", "Ten": "Công ty Sông Cầu"},
                      {"MaSoThue": "0399999999", "Ten": "Công ty Bến Thành"}]);
    std::fs::write(dir.path().join("02.json"), rows.to_string()).unwrap();
    let rep = app
        .post("/api/lgsp/replicas", &json!({"name": "dn", "directory": dir.path().to_str().unwrap(), "registry": "doanh-nghiep", "registry_version": "1.0", "interval_minutes": 60}))
        .await;
    assert_eq!(rep.status, 201, "{}", rep.text);
    let id = rep.json()["id"].as_str().unwrap().to_owned();

    // The database fails at the third row of the second file, as a full disk would.
    let db = &app.app.db;
    let sqlite = db.backend() == kernel::db::Backend::Sqlite;
    if sqlite {
        kernel::db::q("CREATE TRIGGER disk_full BEFORE INSERT ON registry_records WHEN NEW.key_value = '0399999999' BEGIN SELECT RAISE(ABORT, 'disk full'); END")
            .execute(db)
            .await
            .unwrap();
    } else {
        kernel::db::q("CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN IF NEW.key_value = '0399999999' THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $f$")
            .execute(db)
            .await
            .unwrap();
        kernel::db::q("CREATE TRIGGER disk_full BEFORE INSERT ON registry_records FOR EACH ROW EXECUTE FUNCTION disk_full()")
            .execute(db)
            .await
            .unwrap();
    }
    let run = app.post(&format!("/api/lgsp/replicas/{id}/run"), &json!({})).await;
    assert_eq!(run.status, 500, "{}", run.text);
    // The first file is in; of the second, neither its rows nor its record.
    let read =
        |key: &'static str| async move { app.post("/data/doanh-nghiep/1.0/read", &json!({"query": {"content": {"MaSoThue": key}}})).await };
    let first = read("0100109106").await;
    assert!(first.text.contains("Công ty Thái An") && !first.text.contains("đổi tên"), "{}", first.text);
    assert_eq!(read("0101245486").await.status, 404, "a row of the failed file was kept");
    let files = kernel::db::q("SELECT file FROM lgsp_imports ORDER BY file").fetch_all(db).await.unwrap();
    let files: Vec<String> = files.iter().map(|r| r.text("file").unwrap()).collect();
    assert_eq!(files, ["01.csv"]);
    let replica = async || {
        let all = app.get_admin("/api/lgsp/replicas").await.json();
        all.as_array().unwrap().iter().find(|r| r["id"] == id.as_str()).cloned().unwrap()
    };
    assert!(replica().await["last_error"].as_str().is_some_and(|e| e.contains("disk full")), "the failed run is kept with why");

    // Once the disk has room, the next run imports the whole file.
    kernel::db::q("DROP TRIGGER disk_full".to_owned() + if sqlite { "" } else { " ON registry_records" }).execute(db).await.unwrap();
    let run = app.post(&format!("/api/lgsp/replicas/{id}/run"), &json!({})).await;
    assert_eq!(run.status, 200, "{}", run.text);
    let imports = run.json();
    assert_eq!(imports.as_array().unwrap().len(), 1, "{imports}");
    assert_eq!((imports[0]["file"].as_str(), imports[0]["status"].as_str()), (Some("02.json"), Some("ok")), "{imports}");
    assert_eq!((imports[0]["created"].as_i64(), imports[0]["updated"].as_i64()), (Some(2), Some(1)), "{imports}");
    assert!(read("0100109106").await.text.contains("đổi tên"));
    assert_eq!(read("0399999999").await.status, 200);
    assert_eq!(replica().await["last_error"], Value::Null);
});
