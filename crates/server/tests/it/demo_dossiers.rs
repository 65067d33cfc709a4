//! The demo's dossiers, as `tinhso demo` seeds them and its users find them: each applicant sees
//! their own dossiers and what is asked of them, each official the work of their role at their
//! agency; the returned result is genuine; seeding again adds nothing.

use identity::seed::{DEMO_PASSWORD, DEMO_TOTP_SECRET};
use serde_json::Value;
use testkit::{Session, TestApp, storage_test};

async fn official(app: &TestApp, login: &str) -> Session {
    let needs = ["truongphong", "lanhdao", "quantri"].iter().any(|p| login.starts_with(p));
    let code = needs.then(|| identity::totp::code(DEMO_TOTP_SECRET, identity::totp::now_secs()).unwrap());
    app.session(login, DEMO_PASSWORD, code.as_deref()).await
}

/// What `f` takes of each item `s` finds at `path`, sorted.
async fn listed<T: Ord>(app: &TestApp, s: &Session, path: &str, f: impl Fn(&Value) -> T) -> Vec<T> {
    let r = app.get_as(s, path).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut out: Vec<T> = r.json()["items"].as_array().unwrap().iter().map(f).collect();
    out.sort();
    out
}

/// (procedure code, national status code) of the dossiers `s` sees.
async fn seen(app: &TestApp, s: &Session) -> Vec<(String, i64)> {
    listed(app, s, "/api/onestop/dossiers?per_page=100", |d| {
        (d["procedure_code"].as_str().unwrap().to_owned(), d["status_code"].as_i64().unwrap())
    })
    .await
}

/// (step, role) of the open tasks in `s`'s inbox.
async fn inbox(app: &TestApp, s: &Session) -> Vec<(String, String)> {
    listed(app, s, "/api/onestop/tasks?per_page=100", |t| {
        (t["step_id"].as_str().unwrap().to_owned(), t["role"].as_str().unwrap().to_owned())
    })
    .await
}

fn pair(a: &str, b: impl Into<String>) -> (String, String) {
    (a.to_owned(), b.into())
}

storage_test!(demo the_demo_dossiers_fill_every_role_s_queue, async |app: &TestApp| {
    server::serve::demo_dossiers(&app.app).await.unwrap();

    // Applicants: their own dossiers only.
    let an = app.session("001090012345", DEMO_PASSWORD, None).await;
    assert_eq!(seen(app, &an).await, vec![("1.001193".to_owned(), 10), ("2.000505".to_owned(), 1)]);
    let binh = app.session("079185004321", DEMO_PASSWORD, None).await;
    assert_eq!(seen(app, &binh).await, vec![("2.000505".to_owned(), 4), ("2.000505".to_owned(), 6)]);
    // Her accepted one falls due tomorrow (or today), and says so.
    let list = app.get_as(&binh, "/api/onestop/dossiers?status=4").await.json();
    let soon = &list["items"][0];
    assert_eq!((soon["due_soon"].as_bool(), soon["overdue"].as_bool()), (Some(true), Some(false)), "{soon}");
    assert!(soon["due_on"].as_str().unwrap() >= kernel::time::date_text(kernel::time::today_vn()).as_str(), "{soon}");
    let chau = app.session("094300001122", DEMO_PASSWORD, None).await;
    assert_eq!(seen(app, &chau).await, vec![("2.000505".to_owned(), 5)]);

    // Châu is asked for two documents, in one request.
    let list = app.get_as(&chau, "/api/onestop/dossiers").await.json();
    let waiting = &list["items"][0];
    let id = waiting["id"].as_str().unwrap();
    let (st, pdf) = app.get_bytes_as(&chau, &format!("/api/onestop/dossiers/{id}/papers/supplement-request")).await;
    assert_eq!(st, 200);
    if let Some(text) = testkit::pdf_text(&pdf) {
        assert!(text.contains("Bản sao Căn cước công dân") && text.contains("Tờ khai có chữ ký"), "{text}");
    }

    // Bình's fee is due: the exact amount closes the step.
    let list = app.get_as(&binh, "/api/onestop/dossiers?per_page=100").await.json();
    let due = list["items"].as_array().unwrap().iter().find(|d| d["status_code"] == 6).unwrap();
    assert_eq!((due["fee_total"].as_i64(), due["current_step"].as_str()), (Some(200_000), Some("pay")));

    // An's birth certificate: downloaded, and checked genuine by its code and hash.
    let list = app.get_as(&an, "/api/onestop/dossiers?per_page=100").await.json();
    let done = list["items"].as_array().unwrap().iter().find(|d| d["status_code"] == 10).unwrap().clone();
    let id = done["id"].as_str().unwrap();
    let files = app.get_as(&an, &format!("/api/onestop/dossiers/{id}/attachments")).await.json();
    let result = files.as_array().unwrap().iter().find(|f| f["purpose"] == "result").expect("the result file").clone();
    let (st, pdf) = app.get_bytes_as(&an, &format!("/api/onestop/dossiers/{id}/attachments/{}", result["id"].as_str().unwrap())).await;
    assert_eq!(st, 200);
    assert!(pdf.starts_with(b"%PDF-"));
    let code = done["code"].as_str().unwrap();
    let v = app.get(&format!("/api/onestop/tracking/{code}/verify-result?sha256={}", result["sha256"].as_str().unwrap())).await.json();
    assert_eq!(v["genuine"], true);
    let rating = app.get_as(&an, &format!("/api/onestop/dossiers/{id}/rating")).await.json();
    assert_eq!(rating["score"], 5);
    let h = app.get_as(&an, &format!("/api/onestop/dossiers/{id}/history")).await.json();
    let actions: Vec<&str> = h.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for a in ["submitted", "accepted", "claimed", "result_returned"] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }

    // Officials: the work of their role, at their agency.
    let reception = official(app, "tiepnhan.stp").await;
    let waiting = app.get_as(&reception, "/api/onestop/dossiers?status=1").await.json();
    assert_eq!(waiting["total"], 1, "{waiting}");
    let specialist = official(app, "chuyenvien.stp").await;
    assert_eq!(inbox(app, &specialist).await, vec![pair("process", "specialist"), pair("process", "specialist")]);
    let cashier = official(app, "thuphi.stp").await;
    assert_eq!(inbox(app, &cashier).await, vec![pair("pay", "cashier")]);
    let ward_head = official(app, "truongphong.pta").await;
    assert_eq!(inbox(app, &ward_head).await, vec![pair("review", "department_head")]);
    // The department's head has its outgoing letter to check (an internal case, in no dossier list).
    let head = official(app, "truongphong.stp").await;
    assert_eq!(inbox(app, &head).await, vec![pair("review", "department_head"), pair("review", "department_head")]);
    // One of them, received a month ago, is overdue: so are the dossier and the task.
    let late = app.get_as(&head, "/api/onestop/tasks?view=overdue").await.json();
    assert_eq!(late["total"], 1, "{late}");
    let id = late["items"][0]["dossier_id"].as_str().unwrap();
    let d = app.get_as(&head, &format!("/api/onestop/dossiers/{id}")).await.json();
    assert_eq!((d["overdue"].as_bool(), d["applicant"]["name"].as_str(), d["channel"].as_str()), (Some(true), Some("Đỗ Văn Hùng"), Some("in_person")));
    let cases = app.get_as(&head, "/api/onestop/internal-cases").await.json();
    assert_eq!(cases["total"], 1, "{cases}");
    assert_eq!((cases["items"][0]["procedure_code"].as_str(), cases["items"][0]["form"]["doc_type"].as_str()), (Some("outgoing_document"), Some("Công văn")));
    assert_eq!(app.get_as(&official(app, "chuyenvien.pta").await, "/api/onestop/internal-cases").await.json()["total"], 0);
    let ward: Vec<(String, i64)> = seen(app, &official(app, "tiepnhan.pta").await).await;
    assert_eq!(ward, vec![("1.000894".to_owned(), 4), ("1.001193".to_owned(), 10)], "the ward sees its own, not the department's");

    // Once only.
    server::serve::demo_dossiers(&app.app).await.unwrap();
    let total: Value = app.get_as(&reception, "/api/onestop/dossiers").await.json()["total"].clone();
    assert_eq!(total, 5, "the department's five, unchanged");
});
