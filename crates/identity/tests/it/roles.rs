//! Roles scoped to agencies, the second factor, and the authorization matrix over every
//! protected endpoint, on SQLite and PostgreSQL with the demo province.

use identity::seed::{DEMO_PASSWORD, DEMO_TOTP_SECRET};
use reqwest::Method;
use serde_json::{Value, json};
use testkit::{Session, TestApp, storage_test};

fn code() -> String {
    identity::totp::code(DEMO_TOTP_SECRET, identity::totp::now_secs()).unwrap()
}

async fn official(app: &TestApp, login: &str) -> Session {
    let needs = identity::seed::DEMO_OFFICIALS
        .iter()
        .find(|o| o.0 == login)
        .and_then(|o| kernel::authz::Role::parse(o.3))
        .is_some_and(kernel::authz::Role::needs_second_factor);
    app.session(login, DEMO_PASSWORD, needs.then(code).as_deref()).await
}

fn new_official(login: &str, agency: &str) -> Value {
    json!({"login": login, "full_name": "Cán Bộ Mới", "agency_code": agency, "password": "Can-Bo-Moi-2026"})
}

storage_test!(demo agency_admins_manage_only_their_own_agency, async |app: &TestApp| {
    let admin = official(app, "quantri.stp").await;
    let r = app.post_as(&admin, "/api/officials", &new_official("moi.stp", "000.00.13.H99")).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    // Another agency's officials are out of reach.
    assert_eq!(app.post_as(&admin, "/api/officials", &new_official("moi.pta", "000.00.51.H99")).await.status, 403);
    let ward_admin = official(app, "quantri.pta").await;
    let theirs = app.get_as(&ward_admin, "/api/officials").await.json();
    assert!(theirs["items"].as_array().unwrap().iter().all(|a| a["agency_code"] == "000.00.51.H99"), "{theirs}");
    assert_eq!(app.get_as(&ward_admin, &format!("/api/officials/{id}")).await.status, 404, "agency B reads agency A's official");
    assert_eq!(app.post_as(&ward_admin, &format!("/api/officials/{id}/roles"), &json!({"role": "specialist", "agency_code": "000.00.51.H99"})).await.status, 404);
    // Roles within scope; province-wide roles only from provincial administrators.
    let r = app.post_as(&admin, &format!("/api/officials/{id}/roles"), &json!({"role": "specialist", "agency_code": "000.00.13.H99"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["roles"].as_array().unwrap().len(), 1);
    assert_eq!(app.post_as(&admin, &format!("/api/officials/{id}/roles"), &json!({"role": "auditor", "agency_code": "000.00.13.H99"})).await.status, 403);
    assert_eq!(app.post_as(&admin, &format!("/api/officials/{id}/roles"), &json!({"role": "pope", "agency_code": "x"})).await.status, 422);
    let province = official(app, "quantri.tinh").await;
    let r = app.post_as(&province, &format!("/api/officials/{id}/roles"), &json!({"role": "auditor", "agency_code": "000.00.23.H99"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The new official signs in and holds the specialist role at the department.
    let s = app.session("moi.stp", "Can-Bo-Moi-2026", None).await;
    let me = app.get_as(&s, "/api/identity/me").await.json();
    assert_eq!(me["grants"].as_array().unwrap().len(), 2, "{me}");
    // Revoking a role signs the official out.
    let grant = r.json()["roles"].as_array().unwrap().iter().find(|g| g["role"] == "auditor").unwrap()["id"].as_str().unwrap().to_owned();
    assert_eq!(app.send_as(&province, Method::DELETE, &format!("/api/officials/{id}/roles/{grant}"), None).await.status, 200);
    assert_eq!(app.get_as(&s, "/api/identity/me").await.status, 401);
    // Disabling an account stops sign-in.
    assert_eq!(app.post_as(&admin, &format!("/api/officials/{id}/status"), &json!({"status": "disabled"})).await.status, 200);
    assert_eq!(app.login("moi.stp", "Can-Bo-Moi-2026", None).await.0.status, 403);
    let roles = app.get_admin("/api/audit/security-events?kind=role.granted").await.json();
    assert!(roles["total"].as_i64().unwrap() >= 2);
});

storage_test!(demo approval_and_admin_rights_need_the_second_factor, async |app: &TestApp| {
    // An account with a second factor cannot sign in without the code.
    let (r, _) = app.login("lanhdao.stp", DEMO_PASSWORD, None).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.error_fields(), vec!["totp"]);
    assert_eq!(app.login("lanhdao.stp", DEMO_PASSWORD, Some("000000")).await.0.status, 422);
    let (ok, s) = app.login("lanhdao.stp", DEMO_PASSWORD, Some(&code())).await;
    assert_eq!(ok.json()["mfa_required"], false);
    assert_eq!(app.get_as(&s.unwrap(), "/api/identity/me").await.json()["mfa"], true);
    // An administrator without a second factor gets no administration rights until enrolled.
    let admin = app.post("/api/officials", &new_official("quantri.moi", "000.00.13.H99")).await;
    let id = admin.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(app.post(&format!("/api/officials/{id}/roles"), &json!({"role": "agency_admin", "agency_code": "000.00.13.H99"})).await.status, 200);
    let (r, s) = app.login("quantri.moi", "Can-Bo-Moi-2026", None).await;
    assert_eq!(r.json()["mfa_required"], true);
    let s = s.unwrap();
    assert_eq!(app.post_as(&s, "/api/officials", &new_official("x.stp", "000.00.13.H99")).await.status, 403);
    let offer = app.post_as(&s, "/api/identity/mfa/offer", &json!({})).await.json();
    let secret = offer["secret"].as_str().unwrap().to_owned();
    assert!(offer["uri"].as_str().unwrap().starts_with("otpauth://totp/"));
    assert_eq!(app.post_as(&s, "/api/identity/mfa/enable", &json!({"secret": secret, "code": "123456"})).await.status, 422);
    let now = identity::totp::code(&secret, identity::totp::now_secs()).unwrap();
    assert_eq!(app.post_as(&s, "/api/identity/mfa/enable", &json!({"secret": secret, "code": now})).await.status, 204);
    assert_eq!(app.post_as(&s, "/api/officials", &new_official("x.stp", "000.00.13.H99")).await.status, 201);
    assert_eq!(app.login("quantri.moi", "Can-Bo-Moi-2026", None).await.0.status, 422, "the code is now required");
    assert_eq!(app.get_admin("/api/audit/security-events?kind=mfa.enabled").await.json()["total"], 1);
});

// Who may do what: every protected endpoint against every demo role, anonymous callers, a
// citizen and a business.
storage_test!(demo authorization_matrix, async |app: &TestApp| {
    let procedure = json!({"code": "1.777001", "name": "Thử quyền", "field_code": "HT", "level": "commune", "online_level": "full", "processing_value": 1, "decision_number": "1/QĐ"});
    let holiday = json!({"date": "2031-05-05", "name": "Thử quyền"});
    let read = json!({"query": {"content": {"ID": "HKD-1"}}});
    let process = app.get("/api/onestop/procedures/2.000505/process").await.json()["definition"].clone();
    assert_eq!(app.post("/data/ho-kinh-doanh/1.0/create", &json!({"write": {"content": {"ID": "HKD-1", "TenHo": "Hộ A", "ChuHo": "Nguyễn Văn An", "SoDinhDanh": "001090012345"}}})).await.status, 200);
    // (endpoint, method, body, roles allowed)
    let cases: Vec<(&str, Method, Option<&Value>, &[&str])> = vec![
        ("/api/procedures", Method::POST, Some(&procedure), &["provincial_admin"]),
        ("/api/holidays", Method::POST, Some(&holiday), &["provincial_admin"]),
        ("/api/officials", Method::GET, None, &["agency_admin", "provincial_admin"]),
        ("/api/audit/security-events", Method::GET, None, &["provincial_admin", "auditor"]),
        ("/data/ho-kinh-doanh/1.0/read", Method::POST, Some(&read), &["provincial_admin"]),
        ("/data/myPersonalDataUsage?userID=001090012345", Method::GET, None, &["provincial_admin"]),
        ("/api/oidc/clients", Method::GET, None, &["provincial_admin"]),
        ("/api/notify/queues", Method::GET, None, &["provincial_admin"]),
        ("/api/notify/queues/notify/retry", Method::POST, None, &["provincial_admin"]),
        ("/api/onestop/statistics?from=2026-01-01&to=2026-12-31", Method::GET, None, &["department_head", "agency_leader", "provincial_admin", "auditor"]),
        ("/api/onestop/procedures/2.000505/process", Method::PUT, Some(&process), &["provincial_admin"]),
    ];
    let mut callers: Vec<(String, Option<Session>)> = vec![("anonymous".into(), None)];
    for o in identity::seed::DEMO_OFFICIALS.iter().filter(|o| o.0.ends_with(".stp") || o.0.ends_with(".tinh")) {
        callers.push((o.3.to_string(), Some(official(app, o.0).await)));
    }
    callers.push(("citizen".into(), Some(app.session("001090012345", DEMO_PASSWORD, None).await)));
    callers.push(("business".into(), Some(app.session("0100109106", DEMO_PASSWORD, None).await)));
    let mut wrong = Vec::new();
    for (path, method, body, allowed) in &cases {
        for (role, session) in &callers {
            let r = match session {
                Some(s) => app.send_as(s, method.clone(), path, *body).await,
                None => app.raw({
                    let mut req = app.http.request(method.clone(), app.url(path));
                    if let Some(b) = body {
                        req = req.json(b);
                    }
                    req
                }).await,
            };
            let expect = allowed.contains(&role.as_str());
            let got = r.status.is_success() || r.status.as_u16() == 409;
            let denied_properly = matches!(r.status.as_u16(), 401 | 403);
            if expect != got || (!expect && !denied_properly) {
                wrong.push(format!("{role} {method} {path}: {} {}", r.status, &r.text[..r.text.len().min(120)]));
            }
        }
    }
    assert!(wrong.is_empty(), "unexpected answers:\n{}", wrong.join("\n"));
    // A citizen sees only their own account.
    let other = app.session("079185004321", DEMO_PASSWORD, None).await;
    let me = app.get_as(&other, "/api/identity/me").await.json();
    assert_eq!(me["citizen_id"], "079185004321");
    assert_eq!(app.get_as(&other, "/api/officials").await.status, 403);
});
