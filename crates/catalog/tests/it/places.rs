//! Administrative units, agencies and code lists over HTTP, on SQLite and PostgreSQL.

use serde_json::json;
use testkit::{TestApp, storage_test};

storage_test!(units_carry_the_two_tier_reform, async |app: &TestApp| {
    let batch = [
        json!({"code": "98", "name": "Tỉnh Thử", "kind": "province"}),
        json!({"code": "981", "name": "Huyện Cũ", "kind": "district", "parent_code": "98", "valid_to": "2025-06-30"}),
        json!({"code": "98501", "name": "Xã Mới", "kind": "commune", "parent_code": "98", "valid_from": "2025-07-01"}),
        json!({"code": "98101", "name": "Xã Cũ", "kind": "commune", "parent_code": "981", "valid_to": "2025-06-30", "merged_into_code": "98501"}),
    ];
    for u in &batch {
        let r = app.post("/api/units", u).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let old = app.get("/api/units/98101").await.json();
    assert_eq!(old["merged_into_code"], "98501");
    assert_eq!(old["parent_code"], "981");
    // Today only the new commune exists; in 2024 only the old one did.
    let today = app.get("/api/units?tier=commune&current=true").await.json();
    assert_eq!(today["total"], 1);
    assert_eq!(today["items"][0]["code"], "98501");
    let then = app.get("/api/units?tier=commune&on=2024-05-01").await.json();
    assert_eq!(then["items"][0]["code"], "98101");
    // A commune formed after the reform cannot hang under a district.
    let r = app
        .post(
            "/api/units",
            &json!({"code": "98502", "name": "Xã Sai", "kind": "commune", "parent_code": "981", "valid_from": "2025-08-01"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.error_fields(), vec!["parent_code"]);
    // Unknown parent, bad code length, bad kind.
    let r = app.post("/api/units", &json!({"code": "9850", "name": "X", "kind": "hamlet", "parent_code": "77"})).await;
    assert_eq!(r.status, 422);
    let f = r.error_fields();
    assert!(f.contains(&"code".into()) && f.contains(&"kind".into()), "{f:?}");
    // Accent-free name search.
    assert_eq!(app.get("/api/units?q=xa%20moi").await.json()["total"], 1);
    assert_eq!(app.get("/api/units/12345").await.status, 404);
});

storage_test!(agencies_form_a_tree_without_cycles, async |app: &TestApp| {
    let batch = [
        json!({"code": "000.00.00.H98", "name": "UBND tỉnh Thử", "level": "province"}),
        json!({"code": "000.00.13.H98", "qcvn_code": "000.00.13.H98", "name": "Sở Tư pháp", "level": "department", "parent_code": "000.00.00.H98",
               "email": "stp@thu.gov.vn", "working_week": {"mon": ["07:30-11:30"], "sat": ["07:30-11:30"]}}),
    ];
    for a in &batch {
        assert_eq!(app.post("/api/agencies", a).await.status, 201);
    }
    let a = app.get("/api/agencies/000.00.13.H98").await.json();
    assert_eq!(a["parent_code"], "000.00.00.H98");
    assert_eq!(a["working_week"]["sat"][0], "07:30-11:30");
    // Making the province a child of its own department is refused.
    let r = app
        .put(
            "/api/agencies/000.00.00.H98",
            &json!({"code": "000.00.00.H98", "name": "UBND tỉnh Thử", "level": "province", "parent_code": "000.00.13.H98"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(app.get("/api/agencies/000.00.00.H98").await.json()["parent_code"], serde_json::Value::Null);
    // Bad codes and contact data.
    let r = app.post("/api/agencies", &json!({"code": "000.00.13", "qcvn_code": "x", "name": "A", "level": "department", "email": "no", "parent_code": "000.00.00.H77"})).await;
    let f = r.error_fields();
    for x in ["code", "qcvn_code", "email"] {
        assert!(f.contains(&x.to_string()), "{x} in {f:?}");
    }
    assert_eq!(app.get("/api/agencies?parent_code=000.00.00.H98").await.json()["total"], 1);
    assert_eq!(app.get("/api/agencies/xyz").await.status, 422);
    assert_eq!(app.get("/api/agencies/000.00.00.H11").await.status, 404);
});

storage_test!(code_lists_are_seeded_and_extensible, async |app: &TestApp| {
    let lists = app.get("/api/code-lists").await.json();
    let count = |code: &str| lists.as_array().unwrap().iter().find(|l| l["code"] == code).map(|l| l["item_count"].as_i64().unwrap());
    assert_eq!(count("ethnic"), Some(54));
    assert!(count("country").unwrap() >= 249);
    assert_eq!(count("sex"), Some(3));
    assert_eq!(count("document-type"), Some(29));
    assert_eq!(app.get("/api/code-lists/country/items?q=viet").await.json()["items"][0]["code"], "VN");
    let r = app.post("/api/code-lists", &json!({"code": "ngach", "name": "Ngạch công chức"})).await;
    assert_eq!(r.status, 201);
    assert_eq!(app.post("/api/code-lists", &json!({"code": "ngach", "name": "again"})).await.status, 409);
    let r = app
        .put(
            "/api/code-lists/ngach/items",
            &json!([{"code": "01.003", "name": "Chuyên viên"}, {"code": "01.002", "name": "Chuyên viên chính"}]),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(app.get("/api/code-lists/ngach/items").await.json()["total"], 2);
    // One bad item: nothing is written.
    let r = app
        .put("/api/code-lists/ngach/items", &json!([{"code": "01.001", "name": "Chuyên viên cao cấp"}, {"code": "bad code!", "name": ""}]))
        .await;
    assert_eq!(r.status, 422);
    assert!(r.error_fields().contains(&"rows[1].code".to_string()));
    assert_eq!(app.get("/api/code-lists/ngach/items").await.json()["total"], 2);
    assert_eq!(app.get("/api/code-lists/nope/items").await.status, 404);
});
