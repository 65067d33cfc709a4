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
    let body = json!({"subject": "Về việc hướng dẫn cấp Phiếu lý lịch tư pháp trực tuyến", "data": {"doc_type": "Công văn", "recipients": ["UBND các xã"]}});
    assert_eq!(app.post_as(&citizen, "/api/onestop/internal-processes/outgoing_document/cases", &body).await.status, 403);
    assert_eq!(app.post_as(&specialist, "/api/onestop/internal-processes/nope/cases", &body).await.status, 404);
    // Every mistake at once: a short subject, a missing required field, one of the wrong kind.
    let bad = json!({"subject": "x", "data": {"recipients": "UBND các xã", "summary": 3}});
    let r = app.post_as(&specialist, "/api/onestop/internal-processes/outgoing_document/cases", &bad).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.error_fields(), vec!["subject", "data.doc_type", "data.recipients", "data.summary"], "{}", r.text);
    // A list with an item that is not a line of text: that one mistake, said once.
    let bad = json!({"subject": "Về việc thử", "data": {"doc_type": "Công văn", "recipients": ["UBND các xã", 7]}});
    let r = app.post_as(&specialist, "/api/onestop/internal-processes/outgoing_document/cases", &bad).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.error_fields(), vec!["data.recipients"], "{}", r.text);
    assert_eq!(app.get_as(&specialist, "/api/onestop/internal-cases").await.json()["total"], 0, "nothing opened");
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

storage_test!(demo officials_open_and_work_internal_cases_from_the_pages, async |app: &TestApp| {
    let specialist = official(app, "chuyenvien.stp").await;
    let page = app.get_as(&specialist, "/cases").await;
    assert_eq!(page.status, 200);
    for name in ["Soạn thảo, ký ban hành văn bản đi", "Đề nghị khen thưởng", "Mua sắm tài sản", "Chưa có việc nội bộ."] {
        assert!(page.text.contains(name), "{name} missing from the list page");
    }
    assert!(page.text.contains("href=\"/cases/new/asset_procurement\""));
    let form = app.get_as(&specialist, "/cases/new/asset_procurement").await;
    assert_eq!(form.status, 200);
    // The agencies the official works for (the department and its office), their own chosen.
    assert!(form.text.contains("<option value=\"000.00.13.H99\" selected>"), "{}", form.text);
    assert!(form.text.contains("<option value=\"000.01.13.H99\" >"), "{}", form.text);
    assert!(form.text.contains("Dự toán (đồng)") && form.text.contains("name=\"f.needed_by\" type=\"date\""));
    assert_eq!(app.get_as(&specialist, "/cases/new/nope").await.status, 404);

    // Mistakes: each named beside its field, what was typed kept, nothing opened.
    let r = app
        .form_as(&specialist, "/cases/new/asset_procurement", &[("agency", "000.00.13.H99"), ("subject", "Mua máy quét"), ("f.asset", "Máy quét tài liệu A3"), ("f.quantity", "hai"), ("f.needed_by", "31/12/2026")])
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("một số nguyên lớn hơn 0"), "the quantity's error");
    assert!(r.text.contains("một ngày dạng YYYY-MM-DD"), "the date's error");
    assert!(r.text.contains("bắt buộc"), "the missing estimate");
    assert!(r.text.contains("value=\"Máy quét tài liệu A3\"") && r.text.contains("value=\"hai\""), "typed values kept");
    assert_eq!(app.get_as(&specialist, "/api/onestop/internal-cases").await.json()["total"], 0);
    // Without the anti-forgery token: refused.
    let forged = app
        .raw(app.http.post(app.url("/cases/new/asset_procurement")).header("cookie", &specialist.cookie).form(&[("subject", "Mua máy quét")]))
        .await;
    assert_eq!(forged.status, 403);

    // Opened: the amount read with its thousands separators, the list one item per line.
    let r = app
        .form_as(
            &specialist,
            "/cases/new/asset_procurement",
            &[("agency", "000.00.13.H99"), ("subject", "Mua máy quét"), ("f.asset", "Máy quét tài liệu A3"), ("f.quantity", "2"), ("f.estimate_vnd", "48.500.000"), ("f.needed_by", "2026-12-31")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let to = r.header("location").unwrap().to_owned();
    assert!(to.starts_with("/dossiers/") && to.contains("?ok="), "{to}");
    let list = app.get_as(&specialist, "/api/onestop/internal-cases").await.json();
    assert_eq!(list["total"], 1);
    let case = &list["items"][0];
    assert_eq!(case["form"], json!({"asset": "Máy quét tài liệu A3", "quantity": 2, "estimate_vnd": 48500000, "needed_by": "2026-12-31"}));
    assert_eq!(case["subject"], "Mua máy quét");
    let id = case["id"].as_str().unwrap().to_owned();
    assert!(to.starts_with(&format!("/dossiers/{id}?")));

    // Its page: the process, the subject, the details by their labels, the step to complete.
    let page = app.get_as(&specialist, &format!("/dossiers/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    for text in ["Mua sắm tài sản", "Mua máy quét", "Tài sản cần mua", "48500000", "Hoàn thành bước: Đề nghị mua sắm, dự toán", "Người mở"] {
        assert!(page.text.contains(text), "{text} missing from the case's page");
    }
    let list = app.get_as(&specialist, "/cases").await;
    assert!(list.text.contains(&format!("href=\"/dossiers/{id}\"")) && list.text.contains("Đề nghị mua sắm, dự toán"), "listed at its step");

    // Nobody else sees it: another agency's official, a citizen.
    let ward = official(app, "chuyenvien.pta").await;
    assert!(!app.get_as(&ward, "/cases").await.text.contains(&id));
    assert_eq!(app.get_as(&ward, "/api/onestop/internal-cases").await.json()["total"], 0);
    let citizen = app.session("001090012345", DEMO_PASSWORD, None).await;
    assert_eq!(app.get_as(&citizen, "/cases").await.status, 403);
    assert_eq!(app.get_as(&citizen, "/cases/new/asset_procurement").await.status, 403);
    assert_eq!(app.get_as(&citizen, "/api/onestop/internal-cases").await.status, 403);
    assert_eq!(app.get("/cases").await.status, 303, "signing in first");
});
