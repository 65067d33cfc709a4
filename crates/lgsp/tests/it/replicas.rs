//! File replicas of national data, on SQLite and PostgreSQL: files dropped in a directory are
//! imported into a registry once each, every import recorded with what it did; a bad row is
//! refused alone, an unreadable file is recorded as failed.

use serde_json::json;
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
    assert_eq!(again.as_array().unwrap().len(), 1, "only the failed file is tried again: {again}");
    std::fs::write(dir.path().join("2026-11-04.csv"), "MaSoThue,Ten\n0312345678,Công ty Mới\n").unwrap();
    let third = app.post(&format!("/api/lgsp/replicas/{id}/run"), &json!({})).await.json();
    let files: Vec<&str> = third.as_array().unwrap().iter().map(|i| i["file"].as_str().unwrap()).collect();
    assert!(files.contains(&"2026-11-04.csv") && !files.contains(&"2026-11-01.json"), "{files:?}");
    let listed = app.get_admin("/api/lgsp/replicas").await.json();
    assert!(listed[0]["imports"].as_array().unwrap().len() >= 5, "every import is recorded");
});
