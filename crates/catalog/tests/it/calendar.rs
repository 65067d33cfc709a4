//! Holidays and working-day arithmetic over HTTP, on SQLite and PostgreSQL.

use serde_json::json;
use testkit::{TestApp, storage_test};

storage_test!(deadline_spanning_tet_skips_the_holidays, async |app: &TestApp| {
    let days = app.get("/api/holidays?year=2026").await.json();
    let dates: Vec<&str> = days.as_array().unwrap().iter().map(|d| d["date"].as_str().unwrap()).collect();
    for d in ["2026-01-01", "2026-02-16", "2026-02-17", "2026-02-20", "2026-04-26", "2026-04-30", "2026-05-01", "2026-09-02"] {
        assert!(dates.contains(&d), "{d} missing in {dates:?}");
    }
    let r = app.get("/api/calendar/add-working-days?from=2026-02-12&days=5").await.json();
    assert_eq!(r["due"], "2026-02-26");
    let r = app.get("/api/calendar/working-days-between?from=2026-02-12&to=2026-02-26").await.json();
    assert_eq!(r["working_days"], 5);
    // Tết 2030 is on 2 February in Vietnam.
    let days = app.get("/api/holidays?year=2030").await.json();
    assert!(days.as_array().unwrap().iter().any(|d| d["date"] == "2030-02-02" && d["name"].as_str().unwrap().contains("mùng 1")));
});

storage_test!(administrators_move_holidays_and_deadlines_follow, async |app: &TestApp| {
    let before = app.get("/api/calendar/add-working-days?from=2026-11-16&days=5").await.json();
    assert_eq!(before["due"], "2026-11-23");
    let r = app.post("/api/holidays", &json!({"date": "2026-11-18", "name": "Nghỉ bù theo thông báo của Chính phủ"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/calendar/add-working-days?from=2026-11-16&days=5").await.json()["due"], "2026-11-24");
    // A make-up Saturday counts again.
    assert_eq!(app.post("/api/holidays", &json!({"date": "2026-11-21", "kind": "working", "name": "Làm bù"})).await.status, 201);
    assert_eq!(app.get("/api/calendar/add-working-days?from=2026-11-16&days=5").await.json()["due"], "2026-11-23");
    assert_eq!(app.delete(&format!("/api/holidays/{id}")).await.status, 204);
    assert_eq!(app.delete(&format!("/api/holidays/{id}")).await.status, 404);
    // A deleted seeded holiday stays deleted (seeding runs once per year).
    let y2027 = app.get("/api/holidays?year=2027").await.json();
    let new_year = y2027.as_array().unwrap().iter().find(|d| d["date"] == "2027-01-01").unwrap()["id"].as_str().unwrap().to_owned();
    assert_eq!(app.delete(&format!("/api/holidays/{new_year}")).await.status, 204);
    assert!(!app.get("/api/holidays?year=2027").await.json().as_array().unwrap().iter().any(|d| d["date"] == "2027-01-01"));
    // Bad input.
    let r = app.post("/api/holidays", &json!({"date": "2026-02-30", "kind": "maybe", "name": ""})).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.error_fields().len(), 3);
    assert_eq!(app.post("/api/holidays", &json!({"date": "2026-03-02", "name": "X", "agency_code": "000.00.00.H00"})).await.status, 422);
    assert_eq!(app.get("/api/calendar/add-working-days?from=2026-13-01&days=1").await.status, 422);
    assert_eq!(app.get("/api/calendar/add-working-days?from=2026-12-01&days=x").await.status, 422);
});

storage_test!(agencies_have_their_own_working_week, async |app: &TestApp| {
    let r = app.post("/api/agencies", &json!({"code": "000.00.00.H98", "name": "UBND", "level": "province",
        "working_week": {"mon": ["07:30-11:30"], "tue": ["07:30-11:30"], "wed": ["07:30-11:30"], "thu": ["07:30-11:30"], "fri": ["07:30-11:30"], "sat": ["07:30-11:30"]}})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    // Friday plus one working day: Saturday for this agency, Monday for the province.
    assert_eq!(app.get("/api/calendar/add-working-days?from=2026-11-20&days=1&agency=000.00.00.H98").await.json()["due"], "2026-11-21");
    assert_eq!(app.get("/api/calendar/add-working-days?from=2026-11-20&days=1").await.json()["due"], "2026-11-23");
    // The province's default week can change too.
    let r = app.put("/api/calendar/default-week", &json!({"mon": ["08:00-12:00"], "tue": ["08:00-12:00"], "wed": ["08:00-12:00"], "thu": ["08:00-12:00"], "fri": ["08:00-12:00"], "sat": ["08:00-12:00"]})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(app.get("/api/calendar/add-working-days?from=2026-11-20&days=1").await.json()["due"], "2026-11-21");
    assert_eq!(app.put("/api/calendar/default-week", &json!({})).await.status, 422);
    assert_eq!(app.put("/api/calendar/default-week", &json!({"mon": ["bad"]})).await.status, 422);
});
