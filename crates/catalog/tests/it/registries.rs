//! Generic registries through the GovStack Digital Registries API, on SQLite and PostgreSQL.

use serde_json::json;
use testkit::{TestApp, storage_test};

const CLIENT: &str = "VN/GOV/000.00.00.H99/ONESTOP";

fn define() -> serde_json::Value {
    json!({
        "name": "nguoi-co-cong", "version": "1.0", "title": "Người có công",
        "schema": {"type": "object", "required": ["ID", "HoTen"], "properties": {
            "ID": {"type": "string"}, "HoTen": {"type": "string", "minLength": 2},
            "SoDinhDanh": {"type": "string", "pattern": "^[0-9]{12}$"}, "TroCap": {"type": "integer", "minimum": 0}}},
        "id_field": "ID", "personal_field": "SoDinhDanh"
    })
}

storage_test!(registry_records_are_created_read_and_logged, async |app: &TestApp| {
    assert_eq!(app.post("/api/registries", &define()).await.status, 201);
    let base = "/data/nguoi-co-cong/1.0";
    let rec = json!({"write": {"content": {"ID": "NCC-1", "HoTen": "Nguyễn Văn A", "SoDinhDanh": "001090012345", "TroCap": 2000000}}});
    let r = app
        .raw(
            app.http
                .post(app.url(&format!("{base}/create")))
                .bearer_auth(&app.admin_token)
                .header("Information-Mediator-Client", CLIENT)
                .json(&rec),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["content"]["HoTen"], "Nguyễn Văn A");
    assert_eq!(app.post(&format!("{base}/create"), &rec).await.status, 409);
    // Schema violations name the field.
    let bad = app.post(&format!("{base}/create"), &json!({"write": {"content": {"ID": "NCC-2", "HoTen": "B", "SoDinhDanh": "12"}}})).await;
    assert_eq!(bad.status, 422);
    assert!(bad.error_fields().contains(&"/HoTen".to_string()) && bad.error_fields().contains(&"/SoDinhDanh".to_string()), "{}", bad.text);
    // Personal data needs authentication; the administrator's reads are logged with the client.
    let q = json!({"query": {"content": {"ID": "NCC-1"}}});
    assert_eq!(app.post_anon(&format!("{base}/read"), &q).await.status, 401);
    let r = app
        .raw(
            app.http
                .post(app.url(&format!("{base}/read")))
                .bearer_auth(&app.admin_token)
                .header("Information-Mediator-Client", "VN/GOV/000.00.12.H99/BHXH")
                .json(&q),
        )
        .await;
    assert_eq!(r.json()["content"]["TroCap"], 2000000);
    let e = app.post(&format!("{base}/exists"), &json!({"query": {"content": {"SoDinhDanh": "001090012345"}}})).await.json();
    assert_eq!(e["answer"]["status"], true);
    let e = app.post(&format!("{base}/exists"), &json!({"query": {"content": {"ID": "NCC-9"}}})).await.json();
    assert_eq!(e["answer"]["status"], false);
    let nf = app.post(&format!("{base}/read"), &json!({"query": {"content": {"ID": "NCC-9"}}})).await;
    assert_eq!(nf.status, 404);
    assert_eq!(nf.json()["detail"], "no record found");
    assert_eq!(app.post(&format!("{base}/read"), &json!({"query": {"content": {"Nope": "x"}}})).await.status, 422);
    // Both spellings of read-value.
    assert_eq!(app.get_admin(&format!("{base}/NCC-1/readValue/HoTen.json")).await.json()["value"], "Nguyễn Văn A");
    assert_eq!(app.get_admin(&format!("{base}/NCC-1/read-value/HoTen.txt")).await.text, "Nguyễn Văn A");
    assert_eq!(app.get_admin(&format!("{base}/NCC-1/readValue/HoTen.exe")).await.status, 400);
    // Who read this person's data.
    let usage = app.get_admin("/data/myPersonalDataUsage?userID=001090012345").await.json();
    let readers: Vec<&str> = usage.as_array().unwrap().iter().filter_map(|u| u["ReaderID"].as_str()).collect();
    assert!(readers.contains(&"VN/GOV/000.00.12.H99/BHXH"), "{usage}");
    assert!(usage.as_array().unwrap().iter().any(|u| u["Action"] == "read-value"));
    let spec = app.get_admin("/data/MyPersonalDataUsage/1.0?userID=001090012345&DatabaseID=nguoi-co-cong").await;
    assert_eq!(spec.status, 200);
    assert_eq!(app.get("/data/myPersonalDataUsage?userID=001090012345").await.status, 401);
});

storage_test!(registry_updates_merge_and_deletes_hide, async |app: &TestApp| {
    assert_eq!(app.post("/api/registries", &define()).await.status, 201);
    let base = "/data/nguoi-co-cong/1.0";
    for (id, name, money) in [("A1", "Trần Thị B", 100), ("A2", "Lê Văn C", 100), ("A3", "Phạm D", 300)] {
        let r = app.post(&format!("{base}/create"), &json!({"write": {"content": {"ID": id, "HoTen": name, "TroCap": money}}})).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = app.put(&format!("{base}/update"), &json!({"query": {"content": {"ID": "A1"}}, "write": {"content": {"TroCap": 150}}})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let a1 = app.post(&format!("{base}/read"), &json!({"query": {"content": {"ID": "A1"}}})).await.json();
    assert_eq!(a1["content"]["HoTen"], "Trần Thị B");
    assert_eq!(a1["content"]["TroCap"], 150);
    let r = app
        .put(&format!("{base}/updateEntries"), &json!({"query": {"content": {"TroCap": 100}}, "write": {"content": {"TroCap": 120}}}))
        .await;
    assert_eq!(r.json()["updated"], 1, "{}", r.text);
    let r = app
        .put(&format!("{base}/update-entries"), &json!({"query": {"content": {"TroCap": 120}}, "write": {"content": {"TroCap": -5}}}))
        .await;
    assert_eq!(r.status, 422, "a merged record must still satisfy the schema");
    let r = app
        .post(
            &format!("{base}/updateOrCreate"),
            &json!({"query": {"content": {"ID": "A4"}}, "write": {"content": {"HoTen": "Mới Tạo", "TroCap": 1}}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = app
        .post(&format!("{base}/update-or-create"), &json!({"query": {"content": {"ID": "A4"}}, "write": {"content": {"TroCap": 2}}}))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["content"]["TroCap"], 2);
    let list = app.get_admin(&format!("{base}?page_size=2")).await.json();
    assert_eq!(list["count"], 4);
    assert_eq!(list["results"].as_array().unwrap().len(), 2);
    assert!(list["next"].as_str().unwrap().contains("page=2"));
    let filtered = app.get_admin(&format!("{base}?query.HoTen=Ph%E1%BA%A1m%20D")).await.json();
    assert_eq!(filtered["count"], 1);
    assert_eq!(app.delete(&format!("{base}/A3/delete")).await.status, 204);
    assert_eq!(app.delete(&format!("{base}/A3/delete")).await.status, 404);
    assert_eq!(app.get_admin(base).await.json()["count"], 3);
    // The key of a deleted record can be used again.
    assert_eq!(app.post(&format!("{base}/create"), &json!({"write": {"content": {"ID": "A3", "HoTen": "Lại A3"}}})).await.status, 200);
    // Unknown registries and writes without the administrator.
    assert_eq!(app.get_admin("/data/nope/1.0").await.status, 404);
    assert_eq!(app.post_anon(&format!("{base}/create"), &json!({"write": {"content": {"ID": "Z"}}})).await.status, 401);
    // A registry without personal data is public to read.
    let open = json!({"name": "tram-y-te", "version": "2", "title": "Trạm y tế", "schema": {"type": "object", "properties": {"ID": {"type": "string"}, "Ten": {"type": "string"}}}});
    assert_eq!(app.post("/api/registries", &open).await.status, 201);
    assert_eq!(
        app.post("/data/tram-y-te/2/create", &json!({"write": {"content": {"ID": "T1", "Ten": "Trạm Y tế Phường 1"}}})).await.status,
        200
    );
    assert_eq!(app.get("/data/tram-y-te/2").await.json()["count"], 1);
    let bad = json!({"name": "x y", "version": "1", "title": "", "schema": {"type": "string"}, "id_field": "K"});
    let r = app.post("/api/registries", &bad).await;
    assert_eq!(r.status, 422);
    assert!(r.error_fields().len() >= 3, "{}", r.text);
});
