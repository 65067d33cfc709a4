//! Documents inside one deployment, on SQLite and PostgreSQL: an outgoing document drafted,
//! approved, numbered and issued at one agency reaches another through the deployment's own
//! hub as a signed edXML package; there it is registered, assigned, handled and completed, and
//! every status comes back to the sender. Also: what is refused on the way.

use crate::common::*;
use serde_json::json;
use testkit::{TestApp, storage_test};

storage_test!(demo an_issued_document_is_handled_by_its_recipient_and_every_status_comes_back, async |app: &TestApp| {
    let d = issue_from_stp(app, &[PTA], "Về việc triển khai chữ ký số").await;
    let id = d["id"].as_str().unwrap().to_owned();
    assert_eq!(d["state"], "issued");
    assert_eq!(d["code_number"], "1");
    let notation = d["code_notation"].as_str().unwrap().to_owned();
    assert!(notation.ends_with("STP") || notation.contains('-') || !notation.is_empty(), "{notation}");
    assert!(d["edxml_id"].as_str().unwrap().starts_with(&format!("{STP},")), "{}", d["edxml_id"]);

    // The recipient's clerk sees it arrived, with its files and a valid signature.
    let clerk = official(app, "vanthu.pta").await;
    let mut arrived = serde_json::Value::Null;
    until(app, "the package arrives at the ward", async || {
        let r = app.get_as(&clerk, "/api/docflow/documents?direction=incoming&state=arrived").await.json();
        arrived = r["items"][0].clone();
        !arrived.is_null()
    })
    .await;
    let inc = arrived["id"].as_str().unwrap().to_owned();
    assert_eq!(arrived["subject"], "Về việc triển khai chữ ký số");
    assert_eq!(arrived["sender_organ_id"], STP);
    let v = view(app, &clerk, &inc).await;
    assert_eq!(v["files"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["files"][0]["role"], "main");
    assert!(v["history"][0]["note"].as_str().unwrap().contains("hợp lệ"), "{}", v["history"]);
    let (status, bytes) = app.get_bytes_as(&clerk, &format!("/api/docflow/documents/{inc}/files/{}", v["files"][0]["id"].as_str().unwrap())).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, PDF);

    // Registered with the next incoming number, assigned, handled, completed.
    let a = ok(app, &clerk, &format!("/api/docflow/documents/{inc}/accept"), json!({"version": arrived["version"]})).await;
    assert_eq!(a["state"], "registered");
    assert_eq!(a["reg_number"], 1);
    let leader = official(app, "lanhdao.pta").await;
    let handlers = app.get_as(&leader, "/api/docflow/handlers").await.json();
    let specialist = handlers.as_array().unwrap().iter().find(|h| h["full_name"] == "Đặng Thị Lý").expect("the ward's specialist")["account_id"].clone();
    let a = ok(app, &leader, &format!("/api/docflow/documents/{inc}/assign"), json!({
        "version": a["version"], "assignees": [{"account_id": specialist, "role": "main"}], "deadline": "2030-01-15", "note": "Tham mưu trả lời"
    })).await;
    assert_eq!(a["state"], "assigned");
    let handler = official(app, "chuyenvien.pta").await;
    let mine = app.get_as(&handler, "/api/docflow/documents?mine=true").await.json();
    assert_eq!(mine["total"], 1);
    let a = ok(app, &handler, &format!("/api/docflow/documents/{inc}/opinion"), json!({"version": a["version"], "note": "Đã nghiên cứu, đề xuất thực hiện"})).await;
    assert_eq!(a["state"], "processing");
    let a = ok(app, &handler, &format!("/api/docflow/documents/{inc}/complete"), json!({"version": a["version"], "note": "Đã triển khai"})).await;
    assert_eq!(a["state"], "done");

    // Every status reached the sender: 01 arrived, 03 accepted, 04, 05, 06.
    let drafter = official(app, "chuyenvien.stp").await;
    until(app, "status 06 reaches the sender", async || view(app, &drafter, &id).await["recipients"][0]["status_code"] == "06").await;
    let v = view(app, &drafter, &id).await;
    let codes: Vec<String> = v["history"].as_array().unwrap().iter().filter_map(|h| h["status_code"].as_str().map(str::to_owned)).collect();
    assert_eq!(codes, ["01", "03", "04", "05", "06"], "{}", v["history"]);

    // Someone of another agency sees neither document.
    let other = official(app, "vanthu.stp").await;
    assert_eq!(app.get_as(&other, &format!("/api/docflow/documents/{inc}")).await.status, 404);
});

storage_test!(demo a_stale_version_or_a_wrong_step_changes_nothing, async |app: &TestApp| {
    let drafter = official(app, "chuyenvien.stp").await;
    let d = ok(app, &drafter, "/api/docflow/documents/outgoing", json!({"kind": 2, "subject": "Quyết định thử", "recipients": [PTA]})).await;
    let id = d["id"].as_str().unwrap();
    // No main file yet: cannot be submitted.
    let r = app.post_as(&drafter, &format!("/api/docflow/documents/{id}/submit"), &json!({"version": d["version"]})).await;
    assert_eq!(r.status, 422, "{}", r.text);
    upload(app, &drafter, id, "main", "qd.pdf", "application/pdf", PDF).await;
    // A file that is not what it says is refused.
    let r = upload(app, &drafter, id, "attachment", "x.pdf", "application/pdf", b"MZ not a pdf").await;
    assert_eq!(r.status, 422, "{}", r.text);
    let d = ok(app, &drafter, &format!("/api/docflow/documents/{id}/submit"), json!({"version": d["version"]})).await;
    // The clerk cannot issue what the leader has not signed.
    let clerk = official(app, "vanthu.stp").await;
    let r = app.post_as(&clerk, &format!("/api/docflow/documents/{id}/issue"), &json!({"version": d["version"]})).await;
    assert_eq!(r.status, 409, "{}", r.text);
    // The drafter cannot approve.
    let r = app.post_as(&drafter, &format!("/api/docflow/documents/{id}/approve"), &json!({"version": d["version"]})).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let leader = official(app, "lanhdao.stp").await;
    let stale = d["version"].as_i64().unwrap() - 1;
    let r = app.post_as(&leader, &format!("/api/docflow/documents/{id}/approve"), &json!({"version": stale})).await;
    assert_eq!(r.status, 409, "{}", r.text);
    let a = ok(app, &leader, &format!("/api/docflow/documents/{id}/approve"), json!({"version": d["version"]})).await;
    // Two clerks issuing at once: one wins, the other gets 409; one number is used.
    let clerk2 = official(app, "vanthu.stp").await;
    let body = json!({"version": a["version"]});
    let p1 = format!("/api/docflow/documents/{id}/issue");
    let (r1, r2) = tokio::join!(app.post_as(&clerk, &p1, &body), app.post_as(&clerk2, &p1, &body));
    let mut statuses = [r1.status.as_u16(), r2.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{} / {}", r1.text, r2.text);
    let won = if r1.status == 200 { r1.json() } else { r2.json() };
    assert_eq!(won["code_notation"].as_str().unwrap().split('-').next().unwrap(), "QĐ");
    // Bad input names its fields.
    let r = app.post_as(&drafter, "/api/docflow/documents/outgoing", &json!({"kind": 99, "subject": "", "recipients": ["000.00.99.H00"], "priority": 9})).await;
    assert_eq!(r.status, 422);
    let mut fields = r.error_fields();
    fields.sort();
    assert_eq!(fields, ["kind", "priority", "recipients[0]", "subject"], "{}", r.text);
});

storage_test!(demo incoming_typed_in_gets_consecutive_numbers_and_is_found_without_marks, async |app: &TestApp| {
    let clerk = official(app, "vanthu.stp").await;
    for (i, subject) in ["Giấy mời họp tổng kết công tác năm", "Báo cáo tình hình đất đai"].iter().enumerate() {
        let d = ok(app, &clerk, "/api/docflow/documents/incoming", json!({
            "kind": if i == 0 { 23 } else { 15 }, "subject": subject, "sender_name": "UBND huyện Đông Hải", "code_number": format!("{}", 10 + i),
            "code_notation": "GM-UBND", "promulgation_date": "2026-11-20"
        })).await;
        assert_eq!(d["reg_number"], i + 1);
    }
    let found = app.get_as(&clerk, "/api/docflow/documents?q=dat%20dai").await.json();
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["items"][0]["subject"], "Báo cáo tình hình đất đai");
    let r = app.post_as(&clerk, "/api/docflow/documents/incoming", &json!({"kind": 1, "subject": "x", "sender_name": "", "promulgation_date": "20/11/2026"})).await;
    assert_eq!(r.status, 422);
    let mut fields = r.error_fields();
    fields.sort();
    assert_eq!(fields, ["promulgation_date", "sender_name"]);
    // The register as a spreadsheet.
    let year = kernel::time::today_vn().year();
    let (status, bytes) = app.get_bytes_as(&clerk, &format!("/api/docflow/registers/export?direction=incoming&year={year}")).await;
    assert_eq!(status, 200);
    assert!(bytes.starts_with(b"PK"), "an xlsx is a zip");
    // A specialist cannot register.
    let sp = official(app, "chuyenvien.stp").await;
    let r = app.post_as(&sp, "/api/docflow/documents/incoming", &json!({"kind": 1, "subject": "x", "sender_name": "y"})).await;
    assert_eq!(r.status, 403);
});

storage_test!(demo the_demo_province_opens_on_registers_with_documents, async |app: &TestApp| {
    docflow::seed::demo(&app.app.docflow).await.expect("seed");
    docflow::seed::demo(&app.app.docflow).await.expect("seeding twice adds nothing");
    let clerk = official(app, "vanthu.stp").await;
    let incoming = app.get_as(&clerk, "/api/docflow/documents?direction=incoming").await.json();
    assert_eq!(incoming["total"], 3, "{incoming}");
    let leader = official(app, "lanhdao.stp").await;
    let review = app.get_as(&leader, "/api/docflow/documents?state=review").await.json();
    assert_eq!(review["total"], 1);
    let ward = official(app, "vanthu.pta").await;
    until(app, "the demo letter reaches the ward", async || {
        app.get_as(&ward, "/api/docflow/documents?state=arrived").await.json()["total"] == 1
    })
    .await;
});
