//! The procedure catalog over HTTP, on SQLite and PostgreSQL.

use serde_json::{Value, json};
use testkit::{TestApp, storage_test};

fn names(v: &Value) -> Vec<String> {
    v["items"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap().to_owned()).collect()
}

storage_test!(demo search_without_accents_finds_the_procedure_first, async |app: &TestApp| {
    let r = app.get("/api/procedures?q=dang%20ky%20khai%20sinh").await;
    assert_eq!(r.status, 200);
    let n = names(&r.json());
    assert_eq!(n.first().map(String::as_str), Some("Đăng ký khai sinh"), "{n:?}");
    assert!(n.contains(&"Đăng ký khai sinh có yếu tố nước ngoài".to_string()));
    // Upper case, accents and đ all fold the same way.
    let r = app.get("/api/procedures?q=%C4%90%C4%82NG%20K%C3%9D%20KHAI%20SINH").await;
    assert_eq!(names(&r.json()).first().map(String::as_str), Some("Đăng ký khai sinh"));
    // Prefixes match while typing.
    let r = app.get("/api/procedures?q=giay%20phep%20xay").await;
    assert!(names(&r.json()).iter().all(|n| n.contains("giấy phép xây dựng") || n.contains("Giấy phép xây dựng") || n.contains("xây dựng")), "{:?}", names(&r.json()));
    assert!(r.json()["total"].as_i64().unwrap() >= 4);
    // Nothing matches nonsense.
    assert_eq!(app.get("/api/procedures?q=zzzqqq").await.json()["total"], 0);
});

storage_test!(demo filters_by_field_agency_and_level, async |app: &TestApp| {
    let all = app.get("/api/procedures?per_page=200").await.json();
    let total = all["total"].as_i64().unwrap();
    assert!(total >= 60, "{total}");
    let civil = app.get("/api/procedures?field=HT&per_page=200").await.json();
    assert!(civil["items"].as_array().unwrap().iter().all(|p| p["field_code"] == "HT"));
    assert_eq!(civil["total"], 10);
    let justice = app.get("/api/procedures?agency=000.00.13.H99").await.json();
    assert_eq!(justice["total"], 2, "{justice}");
    let commune = app.get("/api/procedures?level=commune&q=khai%20tu").await.json();
    assert_eq!(names(&commune).first().map(String::as_str), Some("Đăng ký khai tử"), "{commune}");
    assert!(commune["items"].as_array().unwrap().iter().all(|p| p["level"] == "commune"));
    let province = app.get("/api/procedures?level=province&q=khai%20tu").await.json();
    assert!(province["items"].as_array().unwrap().iter().all(|p| p["level"] == "province"));
    assert!(!names(&province).contains(&"Đăng ký khai tử".to_string()));
    let paged = app.get("/api/procedures?per_page=7&page=2").await.json();
    assert_eq!(paged["items"].as_array().unwrap().len(), 7);
    assert_eq!(paged["page"], 2);
});

fn input(code: &str, name: &str, decision: &str, from: &str) -> Value {
    json!({
        "code": code, "name": name, "field_code": "HT", "level": "commune", "online_level": "full",
        "processing_value": 3, "decision_number": decision, "effective_from": from,
        "documents": [{"code": "TP1", "name": "Tờ khai", "originals": 1}],
        "fees": [{"name": "Lệ phí", "amount": 10000}],
        "agency_codes": [],
        "eform": {"type": "object", "required": ["ho_ten"], "properties": {"ho_ten": {"type": "string"}}}
    })
}

storage_test!(a_new_decision_makes_a_new_version_and_keeps_the_old, async |app: &TestApp| {
    let r = app.post("/api/procedures", &input("1.999001", "Thủ tục thử", "1/QĐ-UBND", "2024-01-01")).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["version"], 1);
    // Same code again is refused: a new decision is a new version.
    let r = app.post("/api/procedures", &input("1.999001", "Thủ tục thử", "1/QĐ-UBND", "2024-01-01")).await;
    assert_eq!(r.status, 422);
    let r = app.post("/api/procedures/1.999001/versions", &input("1.999001", "Thủ tục thử (sửa đổi)", "2/QĐ-UBND", "2025-01-01")).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["version"], 2);
    let cur = app.get("/api/procedures/1.999001").await.json();
    assert_eq!(cur["version"], 2);
    assert_eq!(cur["name"], "Thủ tục thử (sửa đổi)");
    let v1 = app.get("/api/procedures/1.999001/versions/1").await.json();
    assert_eq!(v1["name"], "Thủ tục thử");
    assert_eq!(v1["current"], false);
    // A version effective in the future is recorded but not in force yet.
    let r = app.post("/api/procedures/1.999001/versions", &input("1.999001", "Thủ tục thử (tương lai)", "3/QĐ-UBND", "2099-01-01")).await;
    assert_eq!(r.status, 201);
    assert_eq!(app.get("/api/procedures/1.999001").await.json()["version"], 2);
    assert_eq!(app.get("/api/procedures/1.999001/versions").await.json().as_array().unwrap().len(), 3);
    // Search sees the version in force.
    let found = app.get("/api/procedures?q=thu%20tuc%20thu").await.json();
    assert_eq!(found["items"][0]["version"], 2);
    // The body's code must match the path.
    let r = app.post("/api/procedures/1.999001/versions", &input("1.999002", "X", "4/QĐ", "2025-01-01")).await;
    assert_eq!(r.status, 422);
});

storage_test!(bad_procedures_are_refused_with_every_field_named, async |app: &TestApp| {
    let mut bad = input("1999001", "", "", "2024-13-01");
    bad["field_code"] = json!("NOPE");
    bad["level"] = json!("national");
    bad["agency_codes"] = json!(["000.00.00.H00"]);
    bad["fees"] = json!([{"name": "Lệ phí", "amount": -1}]);
    bad["eform"] = json!({"type": "object", "properties": {"a": {"type": "nonsense"}}});
    let r = app.post("/api/procedures", &bad).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let fields = r.error_fields();
    for f in ["code", "name", "decision_number", "effective_from", "level", "fees[0].amount"] {
        assert!(fields.contains(&f.to_string()), "{f} not in {fields:?}");
    }
    assert!(fields.iter().any(|f| f.starts_with("eform")), "{fields:?}");
    // References are checked once the fields themselves are valid.
    let mut refs = input("1.999003", "Thử", "1/QĐ", "2024-01-01");
    refs["field_code"] = json!("NOPE");
    refs["agency_codes"] = json!(["000.00.00.H00"]);
    let fields = app.post("/api/procedures", &refs).await.error_fields();
    assert!(fields.contains(&"field_code".to_string()) && fields.contains(&"agency_codes[0]".to_string()), "{fields:?}");
    // Nothing was written.
    assert_eq!(app.get("/api/procedures?q=thu").await.json()["total"], 0);
    // Malformed JSON and missing credentials.
    let raw = app
        .raw(
            app.http
                .post(app.url("/api/procedures"))
                .bearer_auth(&app.admin_token)
                .header("content-type", "application/json")
                .body("{not json"),
        )
        .await;
    assert_eq!(raw.status, 400);
    assert_eq!(raw.json()["type"], "/problems/malformed-request");
    assert_eq!(app.post_anon("/api/procedures", &input("1.999004", "X", "1", "2024-01-01")).await.status, 401);
    let wrong = app
        .raw(app.http.post(app.url("/api/procedures")).bearer_auth("not-the-token").json(&input("1.999004", "X", "1", "2024-01-01")))
        .await;
    // A bearer token that is not valid is refused as such (RFC 6750).
    assert_eq!(wrong.status, 401);
    assert!(wrong.header("www-authenticate").unwrap().contains("invalid_token"));
    assert_eq!(app.get("/api/procedures/1.999004").await.status, 404);
    assert_eq!(app.get("/api/procedures/abc").await.status, 422);
});
