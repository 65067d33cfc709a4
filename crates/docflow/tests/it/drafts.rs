//! A draft changed before it goes for signature, and again after the leader sent it back:
//! its subject, summary and recipients, by the drafter or the department's head, at the
//! version they read; each mistake refused with nothing changed; the same from the pages.

use serde_json::{Value, json};
use testkit::{Answer, Session, TestApp, storage_test};

use crate::common::{PDF, PTA, STP, official, ok, upload, view};

const PROVINCE: &str = "000.00.00.H99";

async fn edit(app: &TestApp, s: &Session, id: &str, body: Value) -> Answer {
    app.send_as(s, reqwest::Method::PUT, &format!("/api/docflow/documents/{id}/draft"), Some(&body)).await
}

fn organs(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v["recipients"].as_array().unwrap().iter().map(|r| r["organ_id"].as_str().unwrap().to_owned()).collect();
    out.sort();
    out
}

storage_test!(demo a_draft_changes_until_it_goes_for_signature, async |app: &TestApp| {
    let drafter = official(app, "chuyenvien.stp").await;
    let d = ok(app, &drafter, "/api/docflow/documents/outgoing", json!({"kind": 1, "subject": "Về việc thử", "recipients": [PTA]})).await;
    let id = d["id"].as_str().unwrap().to_owned();
    let v1 = d["version"].as_i64().unwrap();

    // Changed: the subject, a summary, one more recipient.
    let change = json!({"version": v1, "kind": 1, "subject": "Về việc phối hợp rà soát thủ tục hành chính", "content": "Đề nghị phối hợp.",
        "recipients": [PTA, PROVINCE], "signer_position": "Giám đốc", "priority": 1});
    let r = edit(app, &drafter, &id, change.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let after = view(app, &drafter, &id).await;
    assert_eq!(after["document"]["subject"], "Về việc phối hợp rà soát thủ tục hành chính");
    assert_eq!((after["document"]["content"].as_str(), after["document"]["priority"].as_i64()), (Some("Đề nghị phối hợp."), Some(1)));
    assert_eq!(organs(&after), vec![PROVINCE.to_owned(), PTA.to_owned()]);
    assert_eq!(after["document"]["version"], v1 + 1);
    let actions: Vec<&str> = after["history"].as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["draft", "edit"]);

    // Refused, and nothing changes: the version read before, an unknown recipient, the
    // agency itself, another issuing agency; someone not the drafter; another agency.
    let stale = edit(app, &drafter, &id, change.clone()).await;
    assert_eq!(stale.status, 409, "{}", stale.text);
    let v2 = v1 + 1;
    let bad = edit(app, &drafter, &id, json!({"version": v2, "kind": 1, "subject": "Về việc thử", "recipients": ["000.99.99.H99", STP], "agency_code": PTA})).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(bad.error_fields(), vec!["agency_code", "recipients[0]", "recipients[1]"], "{}", bad.text);
    let reception = official(app, "tiepnhan.stp").await;
    assert_eq!(edit(app, &reception, &id, json!({"version": v2, "kind": 1, "subject": "Về việc khác"})).await.status, 403);
    let ward = official(app, "chuyenvien.pta").await;
    assert_eq!(edit(app, &ward, &id, json!({"version": v2, "kind": 1, "subject": "Về việc khác"})).await.status, 404);
    let unchanged = view(app, &drafter, &id).await;
    assert_eq!((unchanged["document"]["version"].as_i64(), organs(&unchanged)), (Some(v2), vec![PROVINCE.to_owned(), PTA.to_owned()]));

    // Submitted, it is the leader's: no more changes, until it is sent back.
    assert_eq!(upload(app, &drafter, &id, "main", "cv.pdf", "application/pdf", PDF).await.status, 201);
    let v = view(app, &drafter, &id).await["document"]["version"].clone();
    let d = ok(app, &drafter, &format!("/api/docflow/documents/{id}/submit"), json!({"version": v})).await;
    let late = edit(app, &drafter, &id, json!({"version": d["version"], "kind": 1, "subject": "Về việc khác"})).await;
    assert_eq!(late.status, 409, "{}", late.text);
    let leader = official(app, "lanhdao.stp").await;
    let d = ok(app, &leader, &format!("/api/docflow/documents/{id}/send-back"), json!({"version": d["version"], "note": "Bỏ nơi nhận UBND tỉnh"})).await;
    let head = official(app, "truongphong.stp").await;
    let r = edit(app, &head, &id, json!({"version": d["version"], "kind": 1, "subject": "Về việc phối hợp rà soát thủ tục hành chính", "recipients": [PTA]})).await;
    assert_eq!(r.status, 200, "the department's head may change it too: {}", r.text);
    assert_eq!(organs(&view(app, &head, &id).await), vec![PTA.to_owned()]);
});

storage_test!(demo the_drafting_form_changes_a_draft, async |app: &TestApp| {
    let drafter = official(app, "chuyenvien.stp").await;
    let d = ok(app, &drafter, "/api/docflow/documents/outgoing", json!({"kind": 1, "subject": "Về việc thử", "recipients": [PTA]})).await;
    let id = d["id"].as_str().unwrap().to_owned();
    let page = app.get_as(&drafter, &format!("/documents/{id}")).await.text;
    assert!(page.contains(&format!("href=\"/documents/{id}/edit\"")), "the draft's page links to its form");

    let form = app.get_as(&drafter, &format!("/documents/{id}/edit")).await;
    assert_eq!(form.status, 200, "{}", form.text);
    assert!(form.text.contains(&format!("action=\"/documents/{id}/edit\"")) && form.text.contains(&format!("name=\"version\" value=\"{}\"", d["version"])));
    assert!(form.text.contains(&format!("value=\"{PTA}\" checked")) && form.text.contains(">Về việc thử</textarea>"), "as it stands");
    assert!(!form.text.contains("type=\"file\""), "files are added on the document's page");

    // A mistake comes back beside its field, with what was typed; nothing changes.
    let version = d["version"].to_string();
    let r = app.form_as(&drafter, &format!("/documents/{id}/edit"), &[("version", &version), ("kind", "1"), ("subject", " "), ("recipients", PROVINCE)]).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains(&format!("value=\"{PROVINCE}\" checked")), "the choice kept");
    assert_eq!(view(app, &drafter, &id).await["document"]["subject"], "Về việc thử");

    let fields = [("version", version.as_str()), ("kind", "1"), ("subject", "Về việc phối hợp"), ("recipients", PTA), ("recipients", PROVINCE), ("priority", "0")];
    let r = app.form_as(&drafter, &format!("/documents/{id}/edit"), &fields).await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(r.header("location"), Some(format!("/documents/{id}?ok=edited").as_str()));
    let page = app.get_as(&drafter, &format!("/documents/{id}?ok=edited")).await.text;
    assert!(page.contains("Đã lưu các thay đổi của dự thảo.") && page.contains("Về việc phối hợp") && page.contains("Sửa dự thảo"));
    assert_eq!(organs(&view(app, &drafter, &id).await), vec![PROVINCE.to_owned(), PTA.to_owned()]);
    // The same form again, at the version it had: someone else changed it meanwhile.
    let r = app.form_as(&drafter, &format!("/documents/{id}/edit"), &fields).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("vừa được người khác thay đổi"), "the conflict is said");

    // Not the drafter's: the reception opens the page but gets no form.
    let reception = official(app, "tiepnhan.stp").await;
    assert!(!app.get_as(&reception, &format!("/documents/{id}")).await.text.contains("/edit\""));
    assert_eq!(app.get_as(&reception, &format!("/documents/{id}/edit")).await.status, 409);
});
