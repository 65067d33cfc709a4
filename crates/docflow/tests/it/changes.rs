//! After issue: a recalled document (13) is given back when the recipient's clerk accepts
//! (15) or kept when refused (16); a replacing document names the one it replaces, and its
//! acceptance is reported (15). A document is linked to the dossier it answers.

use crate::common::*;
use serde_json::{Value, json};
use testkit::{TestApp, storage_test};

async fn arrived(app: &TestApp, clerk: &testkit::Session, subject: &str) -> Value {
    let mut found = Value::Null;
    until(app, "the package arrives", async || {
        let r = app.get_as(clerk, "/api/docflow/documents?direction=incoming").await.json();
        found = r["items"].as_array().unwrap().iter().find(|d| d["subject"] == subject).cloned().unwrap_or(Value::Null);
        !found.is_null()
    })
    .await;
    found
}

storage_test!(demo a_recall_is_answered_and_a_replacement_names_what_it_replaces, async |app: &TestApp| {
    let d = issue_from_stp(app, &[PTA], "Thông báo lịch tiếp công dân").await;
    let id = d["id"].as_str().unwrap().to_owned();
    let clerk = official(app, "vanthu.pta").await;
    let inc = arrived(app, &clerk, "Thông báo lịch tiếp công dân").await;
    let inc_id = inc["id"].as_str().unwrap().to_owned();
    ok(app, &clerk, &format!("/api/docflow/documents/{inc_id}/accept"), json!({"version": inc["version"]})).await;

    // The sender's leader recalls it; the recipient sees the request and accepts it.
    let leader = official(app, "lanhdao.stp").await;
    let r = app.post_as(&leader, &format!("/api/docflow/documents/{id}/withdraw"), &json!({"version": d["version"]})).await;
    assert_eq!(r.status, 422, "a recall needs a reason: {}", r.text);
    let w = ok(app, &leader, &format!("/api/docflow/documents/{id}/withdraw"), json!({"version": d["version"], "note": "Sai lịch"})).await;
    assert_eq!(w["state"], "withdrawn");
    until(app, "the recall reaches the recipient", async || view(app, &clerk, &inc_id).await["document"]["business_type"] == 1).await;
    let v = view(app, &clerk, &inc_id).await;
    let a = ok(app, &clerk, &format!("/api/docflow/documents/{inc_id}/recall-answer"), json!({"version": v["document"]["version"], "accept": true})).await;
    assert_eq!(a["state"], "recalled");
    let drafter = official(app, "chuyenvien.stp").await;
    until(app, "15 reaches the sender", async || view(app, &drafter, &id).await["recipients"][0]["status_code"] == "15").await;

    // A second document, then its replacement: the recipient's copy names the first.
    let first = issue_from_stp(app, &[PTA], "Kế hoạch kiểm tra năm 2027").await;
    let f_in = arrived(app, &clerk, "Kế hoạch kiểm tra năm 2027").await;
    ok(app, &clerk, &format!("/api/docflow/documents/{}/accept", f_in["id"].as_str().unwrap()), json!({"version": f_in["version"]})).await;
    let draft = ok(app, &drafter, "/api/docflow/documents/outgoing", json!({
        "kind": 11, "subject": "Kế hoạch kiểm tra năm 2027 (thay thế)", "recipients": [PTA], "business_type": 3, "business_of": first["id"], "content": "Điều chỉnh thời gian"
    })).await;
    let rid = draft["id"].as_str().unwrap().to_owned();
    upload(app, &drafter, &rid, "main", "kh.pdf", "application/pdf", PDF).await;
    let x = ok(app, &drafter, &format!("/api/docflow/documents/{rid}/submit"), json!({"version": draft["version"]})).await;
    let x = ok(app, &leader, &format!("/api/docflow/documents/{rid}/approve"), json!({"version": x["version"]})).await;
    let sender_clerk = official(app, "vanthu.stp").await;
    let x = ok(app, &sender_clerk, &format!("/api/docflow/documents/{rid}/issue"), json!({"version": x["version"]})).await;
    assert!(x["code_notation"].as_str().unwrap().starts_with("KH-"), "{x}");
    let r_in = arrived(app, &clerk, "Kế hoạch kiểm tra năm 2027 (thay thế)").await;
    assert_eq!(r_in["business_type"], 3);
    assert_eq!(r_in["business_of"], f_in["id"], "the replacement names the copy it replaces");
    ok(app, &clerk, &format!("/api/docflow/documents/{}/accept", r_in["id"].as_str().unwrap()), json!({"version": r_in["version"]})).await;
    until(app, "15 reaches the sender of the replacement", async || {
        view(app, &drafter, &rid).await["history"].as_array().unwrap().iter().any(|h| h["status_code"] == "15")
    })
    .await;
    let old = view(app, &clerk, f_in["id"].as_str().unwrap()).await;
    assert!(old["history"].as_array().unwrap().iter().any(|h| h["action"] == "changed"), "{}", old["history"]);

    // A revoking document (BussinessDocType 1) asks for the replacement's copy back, like a 13.
    let rv = ok(app, &drafter, "/api/docflow/documents/outgoing", json!({
        "kind": 2, "subject": "Quyết định thu hồi kế hoạch", "recipients": [PTA], "business_type": 1, "business_of": rid, "content": "Không còn phù hợp"
    })).await;
    let rv_id = rv["id"].as_str().unwrap().to_owned();
    upload(app, &drafter, &rv_id, "main", "qd.pdf", "application/pdf", PDF).await;
    let y = ok(app, &drafter, &format!("/api/docflow/documents/{rv_id}/submit"), json!({"version": rv["version"]})).await;
    let y = ok(app, &leader, &format!("/api/docflow/documents/{rv_id}/approve"), json!({"version": y["version"]})).await;
    ok(app, &sender_clerk, &format!("/api/docflow/documents/{rv_id}/issue"), json!({"version": y["version"]})).await;
    let copy = r_in["id"].as_str().unwrap().to_owned();
    until(app, "the revoking package marks the copy", async || view(app, &clerk, &copy).await["document"]["business_type"] == 1).await;
    let c = view(app, &clerk, &copy).await;
    let a = ok(app, &clerk, &format!("/api/docflow/documents/{copy}/recall-answer"), json!({"version": c["document"]["version"], "accept": true})).await;
    assert_eq!(a["state"], "recalled");
    until(app, "15 reaches the sender of the revoked document", async || view(app, &drafter, &rid).await["recipients"][0]["status_code"] == "15").await;
});

storage_test!(demo a_document_is_linked_to_the_dossier_it_answers, async |app: &TestApp| {
    let clerk = official(app, "vanthu.stp").await;
    let d = ok(app, &clerk, "/api/docflow/documents/incoming", json!({"kind": 1, "subject": "Trả lời xác minh", "sender_name": "Công an tỉnh"})).await;
    let id = d["id"].as_str().unwrap();
    let r = app.post_as(&clerk, &format!("/api/docflow/documents/{id}/links"), &json!({"dossier_code": "000.00.13.H99-990101-0001"})).await;
    assert_eq!(r.status, 422, "an unknown dossier is named: {}", r.text);
    let reception = official(app, "tiepnhan.stp").await;
    let sub = app.post_as(&reception, "/api/onestop/dossiers", &json!({"procedure_code": "2.000505", "agency_code": STP, "channel": "in_person",
        "applicant": {"kind": "citizen", "name": "Lê Văn Dũng", "citizen_id": "094300001122"},
        "form": {"ho_ten": "Lê Văn Dũng", "so_dinh_danh": "094300001122", "ngay_sinh": "1990-01-01", "muc_dich": "Xin việc"}})).await;
    assert_eq!(sub.status, 201, "{}", sub.text);
    let acc = app.post_as(&reception, &format!("/api/onestop/dossiers/{}/accept", sub.json()["id"].as_str().unwrap()), &json!({"version": 1})).await;
    assert_eq!(acc.status, 200, "{}", acc.text);
    let code = acc.json()["code"].as_str().unwrap().to_owned();
    let r = app.post_as(&clerk, &format!("/api/docflow/documents/{id}/links"), &json!({"dossier_code": code})).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(view(app, &clerk, id).await["dossiers"], json!([code]));
    let of = app.get_as(&reception, &format!("/api/docflow/dossiers/{code}/documents")).await.json();
    assert_eq!(of[0]["subject"], "Trả lời xác minh", "{of}");
    let other = official(app, "vanthu.pta").await;
    assert_eq!(app.get_as(&other, &format!("/api/docflow/dossiers/{code}/documents")).await.json(), json!([]), "not another agency's");
});
