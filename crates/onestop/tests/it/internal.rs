//! Internal processes on the engine: an outgoing document drafted, sent back once, signed,
//! numbered and issued, with the same tasks, deadlines, history and control sheet as
//! dossiers; kept out of the one-stop statistics, the national sync and applicants' lists.

use identity::seed::{DEMO_PASSWORD, DEMO_TOTP_SECRET};
use serde_json::{Value, json};
use testkit::{Session, TestApp, storage_test};

async fn official(app: &TestApp, login: &str) -> Session {
    let needs = ["truongphong", "lanhdao"].iter().any(|p| login.starts_with(p));
    let code = needs.then(|| identity::totp::code(DEMO_TOTP_SECRET, identity::totp::now_secs()).unwrap());
    app.session(login, DEMO_PASSWORD, code.as_deref()).await
}

async fn step(app: &TestApp, s: &Session, id: &str, outcome: &str) -> Value {
    let tasks = app.get_as(s, "/api/onestop/tasks?per_page=100").await.json();
    let t =
        tasks["items"].as_array().unwrap().iter().find(|t| t["dossier_id"] == id).cloned().unwrap_or_else(|| panic!("no task in {tasks}"));
    let r = app
        .post_as(
            s,
            &format!("/api/onestop/tasks/{}/complete", t["id"].as_str().unwrap()),
            &json!({"version": t["version"], "outcome": outcome}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

storage_test!(demo an_outgoing_document_runs_through_the_engine, async |app: &TestApp| {
    let list = app.get("/api/onestop/internal-processes").await.json();
    let keys: Vec<&str> = list.as_array().unwrap().iter().map(|p| p["key"].as_str().unwrap()).collect();
    assert_eq!(keys, vec!["outgoing_document", "award_proposal", "asset_procurement"]);

    let specialist = official(app, "chuyenvien.stp").await;
    let citizen = app.session("001090012345", DEMO_PASSWORD, None).await;
    let body = json!({"subject": "Về việc hướng dẫn cấp Phiếu lý lịch tư pháp trực tuyến", "data": {"recipients": ["UBND các xã"]}});
    assert_eq!(app.post_as(&citizen, "/api/onestop/internal-processes/outgoing_document/cases", &body).await.status, 403);
    assert_eq!(app.post_as(&specialist, "/api/onestop/internal-processes/nope/cases", &body).await.status, 404);
    assert_eq!(app.post_as(&specialist, "/api/onestop/internal-processes/outgoing_document/cases", &json!({"subject": "x"})).await.status, 422);
    let r = app.post_as(&specialist, "/api/onestop/internal-processes/outgoing_document/cases", &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let d = r.json();
    let id = d["id"].as_str().unwrap().to_owned();
    assert_eq!(d["kind"], "internal");
    assert!(d["code"].as_str().unwrap().starts_with("NB-000.00.13.H99-"), "{d}");
    assert_eq!(d["status_code"], 4);
    assert_eq!(d["current_step"], "draft");
    assert!(d["due_on"].is_string());

    step(app, &specialist, &id, "done").await;
    let head = official(app, "truongphong.stp").await;
    let back = step(app, &head, &id, "returned").await;
    assert_eq!(back["current_step"], "draft", "the head sends the draft back");
    step(app, &specialist, &id, "done").await;
    step(app, &head, &id, "done").await;
    let leader = official(app, "lanhdao.stp").await;
    step(app, &leader, &id, "approved").await;
    let clerk = official(app, "vanthu.stp").await;
    let d = step(app, &clerk, &id, "done").await;
    assert_eq!(d["status_code"], 9);
    assert_eq!(d["current_step"], "issue");
    // The clerk issues it: the last step, done by its role (no reception involved).
    let reception = official(app, "tiepnhan.stp").await;
    assert_eq!(app.post_as(&reception, &format!("/api/onestop/dossiers/{id}/return"), &json!({"version": d["version"], "method": "electronic"})).await.status, 403);
    let r = app.post_as(&clerk, &format!("/api/onestop/dossiers/{id}/return"), &json!({"version": d["version"], "method": "in_person"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["status_code"], 10);

    // The control sheet shows the path; the case is not a dossier anywhere else.
    let (st, pdf) = app.get_bytes_as(&leader, &format!("/api/onestop/dossiers/{id}/papers/control-sheet")).await;
    assert_eq!(st, 200);
    if let Some(text) = testkit::pdf_text(&pdf) {
        assert!(text.contains("Chuyển xử lý: draft") && text.contains("Vũ Thị Thư") && text.contains("Mở hồ sơ công việc"), "{text}");
    }
    let code = d["code"].as_str().unwrap();
    assert_eq!(app.get(&format!("/api/onestop/tracking/{code}")).await.status, 404);
    assert_eq!(app.get_as(&leader, "/api/onestop/dossiers").await.json()["total"], 0);
    let stats = app.get_as(&leader, "/api/onestop/statistics?from=2000-01-01&to=2100-01-01").await.json();
    assert_eq!(stats.as_array().unwrap().len(), 0, "{stats}");
    let events = kernel::outbox::events_of(&app.app.db, &id).await.unwrap();
    assert!(!events.is_empty() && events.iter().all(|e| e.topic == "onestop.case.status"));
    // Officials of another agency do not see it.
    let ward = official(app, "chuyenvien.pta").await;
    assert_eq!(app.get_as(&ward, &format!("/api/onestop/dossiers/{id}")).await.status, 404);
});
