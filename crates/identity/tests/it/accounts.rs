//! Accounts, sign-in, sessions and lockout over HTTP, on SQLite and PostgreSQL.

use reqwest::Method;
use serde_json::json;
use testkit::{TestApp, storage_test};

const PW: &str = "Thai-An-2026!";

fn citizen(id: &str) -> serde_json::Value {
    json!({"citizen_id": id, "full_name": "Nguyễn Thị Dân", "email": format!("{id}@example.vn"), "password": PW})
}

storage_test!(citizens_register_sign_in_and_manage_sessions, async |app: &TestApp| {
    let r = app.post_anon("/api/identity/register/citizen", &citizen("001190001111")).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["login"], "001190001111");
    assert!(r.json().get("password_hash").is_none());
    assert_eq!(app.post_anon("/api/identity/register/citizen", &citizen("001190001111")).await.status, 409);
    let bad = app.post_anon("/api/identity/register/citizen", &json!({"citizen_id": "12", "full_name": "", "password": "short"})).await;
    assert_eq!(bad.status, 422);
    assert!(bad.error_fields().len() >= 3, "{}", bad.text);

    let (wrong, none) = app.login("001190001111", "Wrong-password-1", None).await;
    assert_eq!(wrong.status, 401);
    assert!(none.is_none());
    let (unknown, _) = app.login("079190009999", PW, None).await;
    assert_eq!(unknown.json()["detail"], wrong.json()["detail"], "unknown logins answer like wrong passwords");

    let (ok, s1) = app.login("001190001111", PW, None).await;
    let cookie = ok.header("set-cookie").unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let s1 = s1.unwrap();
    let s2 = app.session("001190001111", PW, None).await;
    let me = app.get_as(&s1, "/api/identity/me").await.json();
    assert_eq!(me["kind"], "citizen");
    assert_eq!(me["full_name"], "Nguyễn Thị Dân");
    let sessions = app.get_as(&s1, "/api/identity/sessions").await.json();
    assert_eq!(sessions.as_array().unwrap().len(), 2);
    // A write with the cookie but without the anti-forgery token is refused.
    let forged = app.raw(app.http.post(app.url("/api/identity/sessions/revoke-all")).header("cookie", &s1.cookie)).await;
    assert_eq!(forged.status, 403);
    assert_eq!(app.get_as(&s2, "/api/identity/me").await.status, 200);
    // Sign out the other session from this one.
    let other = sessions.as_array().unwrap().iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_owned();
    assert_eq!(app.send_as(&s1, Method::DELETE, &format!("/api/identity/sessions/{other}"), None).await.status, 204);
    assert_eq!(app.get_as(&s2, "/api/identity/me").await.status, 401);
    // Change the password, then sign out everywhere.
    let r = app.post_as(&s1, "/api/identity/password", &json!({"current_password": "nope", "new_password": "Another-Pass-2027"})).await;
    assert_eq!(r.status, 422);
    assert_eq!(
        app.post_as(&s1, "/api/identity/password", &json!({"current_password": PW, "new_password": "Another-Pass-2027"})).await.status,
        204
    );
    assert_eq!(app.post_as(&s1, "/api/identity/sessions/revoke-all", &json!({})).await.status, 204);
    assert_eq!(app.get_as(&s1, "/api/identity/me").await.status, 401);
    assert_eq!(app.login("001190001111", PW, None).await.0.status, 401);
    assert_eq!(app.login("001190001111", "Another-Pass-2027", None).await.0.status, 200);
});

storage_test!(businesses_register_with_tax_code_and_representatives, async |app: &TestApp| {
    let body = json!({"tax_code": "0100109106", "business_name": "Công ty TNHH Thử", "email": "ct@example.vn", "password": PW,
        "representatives": [{"citizen_id": "001090012345", "full_name": "Nguyễn Văn Đại Diện", "position": "Giám đốc"}]});
    let r = app.post_anon("/api/identity/register/business", &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["tax_code"], "0100109106");
    let s = app.session("0100109106", PW, None).await;
    assert_eq!(app.get_as(&s, "/api/identity/me").await.json()["kind"], "business");
    let mut bad = body.clone();
    bad["tax_code"] = json!("0100109107");
    bad["representatives"] = json!([]);
    let r = app.post_anon("/api/identity/register/business", &bad).await;
    assert_eq!(r.status, 422);
    let f = r.error_fields();
    assert!(f.contains(&"tax_code".into()) && f.contains(&"representatives".into()), "{f:?}");
});

storage_test!(repeated_wrong_passwords_lock_the_account, async |app: &TestApp| {
    assert_eq!(app.post_anon("/api/identity/register/citizen", &citizen("001190002222")).await.status, 201);
    for _ in 0..5 {
        assert_eq!(app.login("001190002222", "Wrong-password-1", None).await.0.status, 401);
    }
    let (locked, s) = app.login("001190002222", PW, None).await;
    assert_eq!(locked.status, 403, "{}", locked.text);
    assert!(s.is_none());
    assert!(locked.json()["detail"].as_str().unwrap().contains("locked"));
    let events = app.get_admin("/api/audit/security-events?kind=account.locked").await.json();
    assert_eq!(events["total"], 1, "{events}");
    assert!(app.get_admin("/api/audit/security-events?kind=login.failed").await.json()["total"].as_i64().unwrap() >= 5);
});

storage_test!(the_audit_log_cannot_be_edited, async |app: &TestApp| {
    assert_eq!(app.post_anon("/api/identity/register/citizen", &citizen("001190003333")).await.status, 201);
    app.login("001190003333", "Wrong-password-1", None).await;
    let n = kernel::db::q("SELECT COUNT(*) FROM security_events").fetch_i64(&app.app.db).await.unwrap();
    assert!(n >= 2);
    assert!(kernel::db::q("UPDATE security_events SET kind = 'x'").execute(&app.app.db).await.is_err());
    assert!(kernel::db::q("DELETE FROM security_events").execute(&app.app.db).await.is_err());
    assert_eq!(kernel::db::q("SELECT COUNT(*) FROM security_events").fetch_i64(&app.app.db).await.unwrap(), n);
});

/// One address gets `login_attempts_per_minute` sign-in attempts a minute; then even the right
/// password is refused until the next minute.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_from_one_address_are_limited_per_minute() {
    let app = TestApp::start_configured(testkit::Backend::Sqlite, |c| c.login_attempts_per_minute = 3).await.expect("app");
    let r = app.post_anon("/api/identity/register/citizen", &citizen("001190003333")).await;
    assert_eq!(r.status, 201, "{}", r.text);
    // The count restarts at each minute: retry if one began in the middle of the run.
    for _ in 0..3 {
        let minute = kernel::time::now_ms() / 60_000;
        let mut statuses = Vec::new();
        for _ in 0..3 {
            statuses.push(app.login("001190003333", "wrong-password", None).await.0.status.as_u16());
        }
        let (refused, session) = app.login("001190003333", PW, None).await;
        if kernel::time::now_ms() / 60_000 != minute {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            continue;
        }
        assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
        assert_eq!(refused.status, 429, "{}", refused.text);
        assert!(refused.text.contains("too many attempts"), "{}", refused.text);
        assert!(session.is_none());
        app.stop().await;
        return;
    }
    panic!("three minutes began during the run");
}
