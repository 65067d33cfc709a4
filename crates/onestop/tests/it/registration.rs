//! The GovStack Registration API over the engine: services and e-forms, a document uploaded
//! (multipart) and an application naming it, operators' tasks completed through it, status
//! mapping, statistics.

use identity::seed::{DEMO_PASSWORD, DEMO_TOTP_SECRET};
use serde_json::json;
use testkit::{Session, TestApp, storage_test};

async fn official(app: &TestApp, login: &str) -> Session {
    let needs = ["truongphong", "lanhdao"].iter().any(|p| login.starts_with(p));
    let code = needs.then(|| identity::totp::code(DEMO_TOTP_SECRET, identity::totp::now_secs()).unwrap());
    app.session(login, DEMO_PASSWORD, code.as_deref()).await
}

/// A multipart/form-data upload with one `file` part, as GovStack clients send it.
async fn upload(app: &TestApp, s: &Session, name: &str, ct: &str, bytes: &[u8]) -> testkit::Answer {
    let boundary = "tinhso-test-boundary";
    let mut body =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {ct}\r\n\r\n")
            .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    app.raw(
        app.http
            .post(app.url("/registration/documents"))
            .header("cookie", &s.cookie)
            .header("x-csrf-token", &s.csrf)
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body),
    )
    .await
}

storage_test!(demo an_application_goes_through_the_registration_api, async |app: &TestApp| {
    let services = app.get("/registration/services?name=ly%20lich%20tu%20phap").await.json();
    assert!(services.as_array().unwrap().iter().any(|s| s["serviceKey"] == "2.000505"), "{services}");
    let s = app.get("/registration/services/2.000505").await.json();
    assert_eq!(s["type"], "Public");
    assert!(s["serviceBody"].as_array().unwrap().iter().any(|c| c["code"] == "document:TP1"));
    let forms = app.get("/registration/services/2.000505/eForms").await.json();
    let form_id = forms[0]["eFormId"].as_str().unwrap().to_owned();
    assert!(form_id.starts_with("2.000505@"));
    let form = app.get(&format!("/registration/eForms/{form_id}")).await.json();
    assert!(form["schema"]["properties"]["ho_ten"].is_object());
    assert_eq!(app.get("/registration/services/9.999999").await.status, 404);

    let citizen = app.session("001090012345", DEMO_PASSWORD, None).await;
    // A document, multipart as GovStack clients send it; a bad type is refused.
    let r = upload(app, &citizen, "to-khai.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let url = r.json()["url"].as_str().unwrap().to_owned();
    let r = upload(app, &citizen, "x.exe", "application/x-msdownload", b"MZ").await;
    assert_eq!(r.status, 422);

    // Someone else's applicant id is refused; the own one works.
    let body = |applicant: &str| json!({"applicantId": applicant, "formData": {"eFormId": form_id, "data": {"ho_ten": "Nguyễn Văn An", "so_dinh_danh": "001090012345"}}, "documentUrls": [url]});
    assert_eq!(app.post_as(&citizen, "/registration/services/2.000505/applications", &body("079185004321")).await.status, 403);
    let r = app.post_as(&citizen, "/registration/services/2.000505/applications", &body("001090012345")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let file = r.json();
    assert_eq!(file["status"]["code"], "PENDING");
    let file_id = file["fileId"].as_str().unwrap().to_owned();
    // The document is attached, once.
    let files = app.get_as(&citizen, &format!("/api/onestop/dossiers/{file_id}/attachments")).await.json();
    assert_eq!(files.as_array().unwrap().len(), 1);
    assert_eq!(app.post_as(&citizen, "/registration/services/2.000505/applications", &body("001090012345")).await.status, 422, "a staged document is used once");

    // Reception corrects the form before accepting; bad data is refused field by field.
    let reception = official(app, "tiepnhan.stp").await;
    let bad = app.send_as(&reception, reqwest::Method::PUT, &format!("/registration/applications/{file_id}"), Some(&json!({"formData": {"data": {"ho_ten": "A"}}}))).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    let ok = app.send_as(&reception, reqwest::Method::PUT, &format!("/registration/applications/{file_id}"), Some(&json!({"formData": {"data": {"ho_ten": "Nguyễn Văn An", "so_dinh_danh": "001090012345", "dien_thoai": "0912345678"}}}))).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let v = app.get_as(&reception, &format!("/api/onestop/dossiers/{file_id}")).await.json()["version"].clone();
    assert_eq!(app.post_as(&reception, &format!("/api/onestop/dossiers/{file_id}/accept"), &json!({"version": v})).await.status, 200);
    assert_eq!(app.send_as(&reception, reqwest::Method::PUT, &format!("/registration/applications/{file_id}"), Some(&json!({"formData": {"data": {}}}))).await.status, 409);

    // Operators work through /tasks.
    for (login, outcome) in [("chuyenvien.stp", None), ("truongphong.stp", None), ("lanhdao.stp", None)] {
        let s = official(app, login).await;
        let tasks = app.get_as(&s, &format!("/registration/tasks?fileId={file_id}")).await.json();
        let t = &tasks[0];
        assert_eq!(t["fileId"], file_id.as_str());
        let one = app.get_as(&s, &format!("/registration/tasks/{}", t["taskId"].as_str().unwrap())).await.json();
        assert_eq!(one["serviceKey"], "2.000505");
        let data = outcome.map(|o: &str| json!({"outcome": o})).unwrap_or(json!({}));
        let r = app.post_as(&s, &format!("/registration/tasks/{}/complete", t["taskId"].as_str().unwrap()), &json!({"data": data})).await;
        assert_eq!(r.status, 200, "{login}: {}", r.text);
        assert_eq!(r.json()["status"]["code"], "PENDING");
    }
    // The citizen sees their application; another citizen does not.
    let mine = app.get_as(&citizen, "/registration/applications").await.json();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let other = app.session("079185004321", DEMO_PASSWORD, None).await;
    assert_eq!(app.get_as(&other, &format!("/registration/applications/{file_id}")).await.status, 404);
    let leader = official(app, "lanhdao.stp").await;
    let stats = app.get_as(&leader, "/registration/data/statistics/1.0?from=2000-01-01&to=2100-01-01").await.json();
    assert_eq!(stats["services"][0]["serviceKey"], "2.000505");
    assert_eq!(stats["services"][0]["received"], 1);
});
