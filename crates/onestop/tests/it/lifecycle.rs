//! A dossier's whole life over HTTP on the demo province, on SQLite and PostgreSQL: online
//! submission with e-form and files, reception, every processing step by its role, one
//! supplement request, payment, electronic result, return, tracking; and what is refused
//! along the way (wrong state, stale version, bad input, other agencies and citizens).

use identity::seed::{DEMO_PASSWORD, DEMO_TOTP_SECRET};
use reqwest::Method;
use serde_json::{Value, json};
use testkit::{Session, TestApp, storage_test};

const PROCEDURE: &str = "2.000505"; // Phiếu lý lịch tư pháp: Sở Tư pháp, 10 working days, 200,000 VND
const AGENCY: &str = "000.00.13.H99";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

async fn official(app: &TestApp, login: &str) -> Session {
    let needs = ["truongphong", "lanhdao", "quantri"].iter().any(|p| login.starts_with(p));
    let code = needs.then(|| identity::totp::code(DEMO_TOTP_SECRET, identity::totp::now_secs()).unwrap());
    app.session(login, DEMO_PASSWORD, code.as_deref()).await
}

async fn upload(app: &TestApp, s: &Session, dossier: &str, query: &str, ct: &str, body: &[u8]) -> testkit::Answer {
    app.raw(
        app.http
            .post(app.url(&format!("/api/onestop/dossiers/{dossier}/attachments?{query}")))
            .header("cookie", &s.cookie)
            .header("x-csrf-token", &s.csrf)
            .header("content-type", ct)
            .body(body.to_vec()),
    )
    .await
}

/// The one open task of a dossier for `s`, from their inbox.
async fn task_for(app: &TestApp, s: &Session, dossier: &str) -> Value {
    let inbox = app.get_as(s, "/api/onestop/tasks?per_page=100").await.json();
    inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["dossier_id"] == dossier)
        .cloned()
        .unwrap_or_else(|| panic!("no task for {dossier} in {inbox}"))
}

async fn complete(app: &TestApp, s: &Session, dossier: &str, outcome: &str) -> Value {
    let t = task_for(app, s, dossier).await;
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

storage_test!(demo a_dossier_goes_from_online_submission_to_electronic_result, async |app: &TestApp| {
    let citizen = app.session("001090012345", DEMO_PASSWORD, None).await;
    // Bad e-form data: each field reported, nothing created.
    let bad = app.post_as(&citizen, "/api/onestop/dossiers", &json!({"procedure_code": PROCEDURE, "form": {"ho_ten": "A", "so_dinh_danh": "12"}})).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    let fields = bad.error_fields();
    assert!(fields.iter().any(|f| f.contains("ho_ten")) && fields.iter().any(|f| f.contains("so_dinh_danh")), "{fields:?}");
    assert_eq!(app.get_as(&citizen, "/api/onestop/dossiers").await.json()["total"], 0);

    let form = json!({"ho_ten": "Nguyễn Văn An", "so_dinh_danh": "001090012345"});
    let r = app.post_as(&citizen, "/api/onestop/dossiers", &json!({"procedure_code": PROCEDURE, "form": form, "applicant": {"kind": "citizen", "name": "x", "email": "an.nguyen@example.vn"}})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let d = r.json();
    let id = d["id"].as_str().unwrap().to_owned();
    assert_eq!(d["status_code"], 1);
    assert_eq!(d["agency_code"], AGENCY);
    assert!(d["code"].is_null(), "the code is issued on acceptance");
    let early = app.send_as(&citizen, reqwest::Method::PUT, &format!("/api/onestop/dossiers/{id}/rating"), Some(&json!({"score": 5}))).await;
    assert_eq!(early.status, 409, "rated only once the result is returned");
    assert_eq!(d["applicant"]["name"], "Nguyễn Văn An", "the account names the applicant");

    // Files: the declared type must match the content; only PDF, JPEG, PNG.
    assert_eq!(upload(app, &citizen, &id, "purpose=application&document=TP1&name=to-khai.pdf", "application/pdf", PDF).await.status, 201);
    let wrong = upload(app, &citizen, &id, "purpose=application&name=x.pdf", "application/pdf", b"MZ\x90\x00").await;
    assert_eq!(wrong.status, 422);
    assert_eq!(upload(app, &citizen, &id, "purpose=application&name=x.exe", "application/x-msdownload", b"MZ").await.status, 422);
    assert_eq!(upload(app, &citizen, &id, "purpose=application&document=TP9&name=x.pdf", "application/pdf", PDF).await.status, 422);
    let mut big = PDF.to_vec();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    let too_big = upload(app, &citizen, &id, "purpose=application&name=big.pdf", "application/pdf", &big).await;
    assert_eq!(too_big.status, 422, "{}", too_big.text);
    assert_eq!(app.get_as(&citizen, &format!("/api/onestop/dossiers/{id}/attachments")).await.json().as_array().unwrap().len(), 1, "refused files leave nothing behind");
    assert_eq!(upload(app, &citizen, &id, "purpose=result&name=x.pdf", "application/pdf", PDF).await.status, 409, "citizens do not upload results");

    // Others see nothing of it.
    let other = app.session("079185004321", DEMO_PASSWORD, None).await;
    assert_eq!(app.get_as(&other, &format!("/api/onestop/dossiers/{id}")).await.status, 404);
    let ward = official(app, "tiepnhan.pta").await;
    assert_eq!(app.get_as(&ward, &format!("/api/onestop/dossiers/{id}")).await.status, 404);
    assert_eq!(app.post_as(&ward, &format!("/api/onestop/dossiers/{id}/accept"), &json!({"version": 1})).await.status, 404);
    assert_eq!(app.post_as(&citizen, &format!("/api/onestop/dossiers/{id}/accept"), &json!({"version": 1})).await.status, 403);

    // Reception: a stale version is refused; acceptance issues the code.
    let reception = official(app, "tiepnhan.stp").await;
    let stale = app.post_as(&reception, &format!("/api/onestop/dossiers/{id}/accept"), &json!({"version": 0})).await;
    assert_eq!(stale.status, 409);
    let r = app.post_as(&reception, &format!("/api/onestop/dossiers/{id}/accept"), &json!({"version": d["version"]})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let d = r.json();
    let code = d["code"].as_str().unwrap().to_owned();
    assert!(code.starts_with(&format!("{AGENCY}-")) && code.ends_with("-0001"), "{code}");
    assert_eq!(d["status_code"], 4);
    assert_eq!(d["current_step"], "process");
    assert!(d["due_on"].as_str().unwrap() > d["received_on"].as_str().unwrap());
    // Not allowed twice; the state is unchanged.
    let again = app.post_as(&reception, &format!("/api/onestop/dossiers/{id}/accept"), &json!({"version": d["version"]})).await;
    assert_eq!(again.status, 409);
    assert_eq!(app.get_as(&reception, &format!("/api/onestop/dossiers/{id}")).await.json()["version"], d["version"]);

    // The specialist claims the task; a second claim with the old version loses with 409.
    let specialist = official(app, "chuyenvien.stp").await;
    let t = task_for(app, &specialist, &id).await;
    assert_eq!(t["role"], "specialist");
    let tid = t["id"].as_str().unwrap().to_owned();
    assert_eq!(app.post_as(&specialist, &format!("/api/onestop/tasks/{tid}/claim"), &json!({"version": t["version"]})).await.status, 200);
    let lost = app.post_as(&specialist, &format!("/api/onestop/tasks/{tid}/claim"), &json!({"version": t["version"]})).await;
    assert_eq!(lost.status, 409);
    assert!(lost.json()["detail"].as_str().unwrap().contains("reload"));
    // The reception officer does not hold the step's role.
    assert_eq!(app.post_as(&reception, &format!("/api/onestop/tasks/{tid}/complete"), &json!({"version": 2, "outcome": "done"})).await.status, 403);

    // One supplement request listing everything; the citizen uploads and hands it in.
    let d = app.get_as(&specialist, &format!("/api/onestop/dossiers/{id}")).await.json();
    assert_eq!(app.post_as(&specialist, &format!("/api/onestop/dossiers/{id}/supplement-request"), &json!({"version": d["version"], "items": []})).await.status, 422);
    let r = app.post_as(&specialist, &format!("/api/onestop/dossiers/{id}/supplement-request"), &json!({"version": d["version"], "items": ["Bản sao CCCD rõ nét", "Tờ khai có chữ ký"]})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["status_code"], 5);
    assert_eq!(upload(app, &citizen, &id, "purpose=supplement&document=TP2&name=cccd.png", "image/png", b"\x89PNG\r\n\x1a\n....").await.status, 201);
    let r = app.post_as(&citizen, &format!("/api/onestop/dossiers/{id}/supplement"), &json!({"version": r.json()["version"], "note": "Đã bổ sung"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["status_code"], 4);
    assert_eq!(r.json()["supplement_count"], 1);

    // Outcomes must be the step's.
    let t = task_for(app, &specialist, &id).await;
    let bad = app.post_as(&specialist, &format!("/api/onestop/tasks/{}/complete", t["id"].as_str().unwrap()), &json!({"version": t["version"], "outcome": "approved"})).await;
    assert_eq!(bad.status, 422);
    complete(app, &specialist, &id, "done").await;
    let head = official(app, "truongphong.stp").await;
    // The head sends it back once, with a reason; the specialist redoes it.
    let t = task_for(app, &head, &id).await;
    let r = app.post_as(&head, &format!("/api/onestop/tasks/{}/send-back", t["id"].as_str().unwrap()), &json!({"version": t["version"], "reason": "Thiếu ý kiến thẩm định"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["current_step"], "process");
    complete(app, &specialist, &id, "done").await;
    complete(app, &head, &id, "done").await;
    let leader = official(app, "lanhdao.stp").await;
    complete(app, &leader, &id, "approved").await;
    let clerk = official(app, "vanthu.stp").await;
    let d = complete(app, &clerk, &id, "done").await;
    assert_eq!(d["status_code"], 6, "fees are due: {d}");
    assert_eq!(d["current_step"], "pay");

    // Payment: the exact amount, then on to the return step (processed).
    let wrong = app.post_as(&citizen, &format!("/api/onestop/dossiers/{id}/pay"), &json!({"version": d["version"], "amount": 1000, "method": "payment_gateway"})).await;
    assert_eq!(wrong.status, 422);
    let r = app.post_as(&citizen, &format!("/api/onestop/dossiers/{id}/pay"), &json!({"version": d["version"], "amount": 200000, "method": "payment_gateway", "reference": "GD-1"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let d = r.json();
    assert_eq!(d["status_code"], 9);
    assert_eq!(d["paid"], 200000);

    // The electronic result needs its file; the hash lets anyone check a copy.
    let no_file = app.post_as(&reception, &format!("/api/onestop/dossiers/{id}/return"), &json!({"version": d["version"], "method": "electronic"})).await;
    assert_eq!(no_file.status, 422);
    let result = b"%PDF-1.7\nPhieu ly lich tu phap so 1\n%%EOF";
    let up = upload(app, &reception, &id, "purpose=result&name=phieu-lltp.pdf", "application/pdf", result).await;
    assert_eq!(up.status, 201, "{}", up.text);
    let sha = up.json()["sha256"].as_str().unwrap().to_owned();
    let d = app.get_as(&reception, &format!("/api/onestop/dossiers/{id}")).await.json();
    let r = app.post_as(&reception, &format!("/api/onestop/dossiers/{id}/return"), &json!({"version": d["version"], "method": "electronic"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["status_code"], 10);
    let v = app.get(&format!("/api/onestop/tracking/{code}/verify-result?sha256={sha}")).await.json();
    assert_eq!(v["genuine"], true);
    let v = app.get(&format!("/api/onestop/tracking/{code}/verify-result?sha256={}", "0".repeat(64))).await.json();
    assert_eq!(v["genuine"], false);

    // The citizen downloads the result.
    let files = app.get_as(&citizen, &format!("/api/onestop/dossiers/{id}/attachments")).await.json();
    let res = files.as_array().unwrap().iter().find(|f| f["purpose"] == "result").unwrap();
    let got = app.get_as(&citizen, &format!("/api/onestop/dossiers/{id}/attachments/{}", res["id"].as_str().unwrap())).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.text.as_bytes(), result);

    // Public tracking: no personal data.
    let t = app.get(&format!("/api/onestop/tracking/{code}")).await;
    assert_eq!(t.status, 200);
    assert_eq!(t.json()["status_code"], 10);
    assert!(!t.text.contains("Nguyễn Văn An") && !t.text.contains("001090012345"), "{}", t.text);
    assert_eq!(app.get("/api/onestop/tracking/000.00.13.H99-200101-0001").await.status, 404);

    // History: every transition, in order, append-only.
    let h = app.get_as(&citizen, &format!("/api/onestop/dossiers/{id}/history")).await.json();
    let actions: Vec<&str> = h.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for a in ["submitted", "accepted", "processing_started", "claimed", "supplement_requested", "supplemented", "sent_back", "paid", "result_returned"] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    let edit = kernel::db::q("UPDATE dossier_events SET reason = 'x' WHERE dossier_id = $1").bind(id.as_str()).execute(&app.app.db).await;
    assert!(edit.is_err(), "the history cannot be edited");
    // Status events went to the outbox, one per status change.
    let events = kernel::outbox::events_of(&app.app.db, &id).await.unwrap();
    let statuses: Vec<i64> = events.iter().filter(|e| e.topic == "onestop.dossier.status").map(|e| e.payload["status"].as_i64().unwrap()).collect();
    assert_eq!(statuses, vec![1, 4, 5, 4, 6, 9, 10], "{statuses:?}");
    let first = &events.iter().find(|e| e.payload["status"] == 4).unwrap().payload;
    assert_eq!(first["code"], code.as_str());
    assert_eq!(first["channel"], 2);

    // The papers, as a person reads them.
    let (st, pdf) = app.get_bytes_as(&citizen, &format!("/api/onestop/dossiers/{id}/papers/receipt")).await;
    assert_eq!(st, 200);
    assert!(pdf.starts_with(b"%PDF-"));
    if let Ok(dir) = std::env::var("TINHSO_SAVE_PAPERS") {
        let _ = std::fs::write(format!("{dir}/receipt.pdf"), &pdf);
    }
    if let Some(text) = testkit::pdf_text(&pdf) {
        for want in ["GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", code.as_str(), "Nguyễn Văn An", "Cộng hòa xã hội chủ nghĩa việt nam".to_uppercase().as_str(), "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp", "200.000"] {
            assert!(text.contains(want), "{want:?} not in the receipt:\n{text}");
        }
    }
    let (_, pdf) = app.get_bytes_as(&citizen, &format!("/api/onestop/dossiers/{id}/papers/supplement-request")).await;
    if let Some(text) = testkit::pdf_text(&pdf) {
        assert!(text.contains("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ") && text.contains("Bản sao CCCD rõ nét") && text.contains("Tờ khai có chữ ký"), "{text}");
    }
    let (_, pdf) = app.get_bytes_as(&leader, &format!("/api/onestop/dossiers/{id}/papers/control-sheet")).await;
    if let Some(text) = testkit::pdf_text(&pdf) {
        for want in ["PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", "Tiếp nhận hồ sơ", "Trả lại bước trước", "Trả kết quả", "Lê Văn Thụ"] {
            assert!(text.contains(want), "{want:?} not in the control sheet:\n{text}");
        }
    }
    assert_eq!(app.get_bytes_as(&citizen, &format!("/api/onestop/dossiers/{id}/papers/refusal")).await.0, 409);
    assert_eq!(app.get_bytes_as(&other, &format!("/api/onestop/dossiers/{id}/papers/receipt")).await.0, 404);

    // The applicant gave an e-mail address: each status change with a code was sent to it
    // (recorded, as no mail server is configured in tests).
    let mut sent = 0;
    for _ in 0..100 {
        let m = app.get_admin("/api/notify/messages?per_page=100").await.json();
        sent = m["items"].as_array().unwrap().iter().filter(|x| x["recipient"] == "an.nguyen@example.vn" && x["template"] == "dossier_status").count();
        if sent >= 6 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(sent, 6, "statuses 4, 5, 4, 6, 9, 10 told to the applicant");

    // The applicant rates the service; only they may, from 1 to 5; leaders see it.
    let rating_path = format!("/api/onestop/dossiers/{id}/rating");
    let rate = async |s: &Session, body: Value| app.send_as(s, reqwest::Method::PUT, &rating_path, Some(&body)).await;
    assert_eq!(rate(&other, json!({"score": 1})).await.status, 404, "another citizen does not even see the dossier");
    assert_eq!(rate(&leader, json!({"score": 5})).await.status, 403);
    let bad = rate(&citizen, json!({"score": 9})).await;
    assert_eq!((bad.status.as_u16(), bad.error_fields()), (422, vec!["score".to_owned()]));
    assert!(app.get_as(&citizen, &format!("/api/onestop/dossiers/{id}/rating")).await.json().is_null(), "nothing stored");
    let first = rate(&citizen, json!({"score": 3, "comment": "Chờ hơi lâu"})).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let r = rate(&citizen, json!({"score": 4, "comment": "Cán bộ hướng dẫn tận tình"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["score"], 4, "the applicant changed their mind");
    let sat = app.get_as(&leader, "/api/onestop/satisfaction?from=2000-01-01&to=2100-01-01").await.json();
    assert_eq!((sat["count"].as_i64(), sat["average"].as_f64()), (Some(1), Some(4.0)), "{sat}");
    assert_eq!(sat["by_score"][3], 1);
    assert_eq!(sat["comments"][0]["comment"], "Cán bộ hướng dẫn tận tình");
    assert_eq!(app.get_as(&citizen, "/api/onestop/satisfaction?from=2000-01-01&to=2100-01-01").await.status, 403);

    // Statistics: one received online, resolved.
    let (from, to) = ("2000-01-01", "2100-01-01");
    let s = app.get_as(&leader, &format!("/api/onestop/statistics?from={from}&to={to}")).await;
    assert_eq!(s.status, 200, "{}", s.text);
    let row = s.json().as_array().unwrap().iter().find(|r| r["key"] == AGENCY).cloned().unwrap();
    assert_eq!((row["new_online"].as_i64(), row["resolved"].as_i64(), row["late"].as_i64()), (Some(1), Some(1), Some(0)), "{row}");
    assert_eq!(app.get_as(&citizen, &format!("/api/onestop/statistics?from={from}&to={to}")).await.status, 403);
    let by_field = app.get_as(&leader, &format!("/api/onestop/statistics?from={from}&to={to}&group=field")).await.json();
    let f = &by_field[0];
    assert_eq!(f["resolved"], 1);
    assert!(f["name"] != f["key"] && f["name"].as_str().unwrap().chars().any(|c| c.is_lowercase()), "fields are named: {f}");
});

storage_test!(demo a_walk_in_dossier_is_received_refused_or_withdrawn_and_stopped, async |app: &TestApp| {
    let reception = official(app, "tiepnhan.pta").await;
    let walk_in = json!({"procedure_code": "1.001193", "channel": "in_person",
        "applicant": {"kind": "citizen", "name": "Lê Văn Dũng", "citizen_id": "094300001122", "phone": "0912000111"},
        "form": {"ho_ten": "Lê Văn Dũng", "so_dinh_danh": "094300001122", "ho_ten_nguoi_duoc_dang_ky": "Lê Minh Khang"}});
    // Several communes handle birth registration: the officer's own must be named.
    let r = app.post_as(&reception, "/api/onestop/dossiers", &walk_in).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let mut body = walk_in.clone();
    body["agency_code"] = json!("000.00.51.H99");
    let bad_applicant = {
        let mut b = body.clone();
        b["applicant"]["citizen_id"] = json!("123");
        b
    };
    assert_eq!(app.post_as(&reception, "/api/onestop/dossiers", &bad_applicant).await.error_fields(), vec!["applicant.citizen_id"]);
    let d = app.post_as(&reception, "/api/onestop/dossiers", &body).await.json();
    assert_eq!(d["channel"], "in_person");
    let id = d["id"].as_str().unwrap();
    // Another agency's officer may not receive here.
    let stp = official(app, "tiepnhan.stp").await;
    assert_eq!(app.post_as(&stp, "/api/onestop/dossiers", &body).await.status, 403);
    // Refused with reasons (a reason is required).
    assert_eq!(app.post_as(&reception, &format!("/api/onestop/dossiers/{id}/refuse"), &json!({"version": d["version"], "reason": ""})).await.status, 422);
    let r = app.post_as(&reception, &format!("/api/onestop/dossiers/{id}/refuse"), &json!({"version": d["version"], "reason": "Không thuộc thẩm quyền"})).await;
    assert_eq!(r.json()["status_code"], 3);
    assert_eq!(app.post_as(&reception, &format!("/api/onestop/dossiers/{id}/accept"), &json!({"version": r.json()["version"]})).await.status, 409);
    let (st, pdf) = app.get_bytes_as(&reception, &format!("/api/onestop/dossiers/{id}/papers/refusal")).await;
    assert_eq!(st, 200);
    if let Some(text) = testkit::pdf_text(&pdf) {
        assert!(text.contains("PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ") && text.contains("Không thuộc thẩm quyền") && text.contains("Lê Văn Dũng"), "{text}");
    }
    assert_eq!(app.get_bytes_as(&reception, &format!("/api/onestop/dossiers/{id}/papers/receipt")).await.0, 409, "a refused dossier has no receipt");

    // A second one is accepted and then stopped by the leader.
    let d = app.post_as(&reception, "/api/onestop/dossiers", &body).await.json();
    let id = d["id"].as_str().unwrap();
    let d = app.post_as(&reception, &format!("/api/onestop/dossiers/{id}/accept"), &json!({"version": d["version"]})).await.json();
    assert_eq!(d["code"].as_str().unwrap().split('-').next_back(), Some("0001"));
    assert_eq!(app.post_as(&reception, &format!("/api/onestop/dossiers/{id}/stop"), &json!({"version": d["version"], "reason": "Dừng theo đề nghị"})).await.status, 403);
    let leader = official(app, "lanhdao.pta").await;
    let r = app.post_as(&leader, &format!("/api/onestop/dossiers/{id}/stop"), &json!({"version": d["version"], "reason": "Dừng theo đề nghị"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["status_code"], 8);
    let tasks = app.get_as(&leader, &format!("/api/onestop/dossiers/{id}/tasks")).await.json();
    assert!(tasks.as_array().unwrap().iter().all(|t| t["status"] != "open"));

    // A citizen's own online dossier may be withdrawn by them.
    let citizen = app.session("079185004321", DEMO_PASSWORD, None).await;
    let online = json!({"procedure_code": "1.001193", "agency_code": "000.00.51.H99", "form": {"ho_ten": "Trần Thị Bình", "so_dinh_danh": "079185004321", "ho_ten_nguoi_duoc_dang_ky": "Trần Minh An"}});
    let d = app.post_as(&citizen, "/api/onestop/dossiers", &online).await.json();
    let r = app.post_as(&citizen, &format!("/api/onestop/dossiers/{}/withdraw", d["id"].as_str().unwrap()), &json!({"version": d["version"], "reason": "Nộp nhầm"})).await;
    assert_eq!(r.json()["status_code"], 7);
    // Citizens submit online only.
    let mut counter = online.clone();
    counter["channel"] = json!("in_person");
    assert_eq!(app.send_as(&citizen, Method::POST, "/api/onestop/dossiers", Some(&counter)).await.status, 422);
    // The counter finds an applicant without an account by an earlier dossier of theirs, only
    // at the agencies the officer receives for.
    let mut again = body.clone();
    again["applicant"]["citizen_id"] = json!("094195000321");
    again["applicant"]["name"] = json!("Phạm Thị Hoa");
    again["form"]["so_dinh_danh"] = json!("094195000321");
    let r = app.post_as(&reception, "/api/onestop/dossiers", &again).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let page = app.get_as(&reception, "/counter?agency=000.00.51.H99&procedure=1.001193&find=094195000321").await;
    assert!(page.text.contains("value=\"Phạm Thị Hoa\""), "the earlier dossier fills the form");
    let page = app.get_as(&stp, "/counter?agency=000.00.13.H99&procedure=2.000505&find=094195000321").await;
    assert!(!page.text.contains("Phạm Thị Hoa"), "another agency's reception does not see it");
});
