//! E-mail and phone verification, profile changes and password reset, with the messages
//! really delivered: through the outbox to a loopback SMTP server and an HTTP SMS endpoint.

use reqwest::Method;
use serde_json::json;
use testkit::sinks::{SmsSink, SmtpSink};
use testkit::{Backend, TestApp};

const PW: &str = "Thai-An-2026!";

struct World {
    app: TestApp,
    smtp: SmtpSink,
    sms: SmsSink,
}

async fn world(backend: Backend) -> Option<World> {
    let smtp = SmtpSink::start().await;
    let sms = SmsSink::start().await;
    let (su, mu) = (smtp.url(), sms.url());
    let app = TestApp::start_configured(backend, move |c| {
        c.smtp_url = Some(su);
        c.mail_from = "Tỉnh Thái An <no-reply@thaian.example>".into();
        c.sms_url = Some(mu);
        c.sms_token = Some("sms-secret".into());
        c.outbox_poll_ms = 50;
    })
    .await?;
    Some(World { app, smtp, sms })
}

macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let w = world(Backend::Sqlite).await.unwrap();
                let f = $body;
                f(&w).await;
                w.app.stop().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(w) = world(Backend::Postgres).await else {
                    eprintln!("skipped: TINHSO_TEST_PG_URL is not set");
                    return;
                };
                let f = $body;
                f(&w).await;
                w.app.stop().await;
            }
        }
    };
}

fn six_digits(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_digit()).find(|t| t.len() == 6).unwrap_or_else(|| panic!("no code in {text}")).to_owned()
}

async fn citizen(app: &TestApp, id: &str, email: &str, phone: &str) -> testkit::Session {
    let body = json!({"citizen_id": id, "full_name": "Trần Văn Bình", "email": email, "phone": phone, "password": PW});
    let r = app.post_anon("/api/identity/register/citizen", &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    app.session(id, PW, None).await
}

both!(email_is_verified_with_the_code_that_was_mailed, async |w: &World| {
    let app = &w.app;
    let s = citizen(app, "001190002222", "binh@example.vn", "0912345678").await;
    let me = app.get_as(&s, "/api/identity/me").await.json();
    assert_eq!(me["email_verified"], false, "{me}");

    let r = app.send_as(&s, Method::POST, "/api/identity/verification", Some(&json!({"channel": "email"}))).await;
    assert_eq!(r.status, 202, "{}", r.text);
    let mail = w.smtp.wait_for("binh@example.vn", 0).await;
    assert_eq!(mail.from, "no-reply@thaian.example");
    let text = mail.text();
    assert!(text.contains("Trần Văn Bình"), "{text}");
    let code = six_digits(&text);

    // A wrong code is refused and changes nothing.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = app.send_as(&s, Method::POST, "/api/identity/verification/confirm", Some(&json!({"channel": "email", "code": wrong}))).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.error_fields(), vec!["code"]);
    let r = app.send_as(&s, Method::POST, "/api/identity/verification/confirm", Some(&json!({"channel": "email", "code": code}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["email_verified"], true);
    // Used once only; and a verified address needs no new code.
    let again = app.send_as(&s, Method::POST, "/api/identity/verification/confirm", Some(&json!({"channel": "email", "code": code}))).await;
    assert_eq!(again.status, 422);
    let r = app.send_as(&s, Method::POST, "/api/identity/verification", Some(&json!({"channel": "email"}))).await;
    assert_eq!(r.status, 409);

    // Changing the address makes it unverified again.
    let r =
        app.send_as(&s, Method::PUT, "/api/identity/profile", Some(&json!({"email": "binh.moi@example.vn", "phone": "0912345678"}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["email_verified"], false);
    assert_eq!(r.json()["email"], "binh.moi@example.vn");
    let bad = app.send_as(&s, Method::PUT, "/api/identity/profile", Some(&json!({"email": "not-an-address", "phone": ""}))).await;
    assert_eq!(bad.status, 422);
    assert_eq!(app.get_as(&s, "/api/identity/me").await.json()["email"], "binh.moi@example.vn", "a refused change changes nothing");

    // The message and its delivery status are visible to the person.
    let mine = app.get_as(&s, "/api/notify/messages").await.json();
    assert_eq!(mine["items"][0]["status"], "sent", "{mine}");
    assert_eq!(mine["items"][0]["template"], "verify_email");
    // The security log has it.
    let events = app.get_admin("/api/audit/security-events?limit=200").await.json();
    let kinds: Vec<&str> = events["items"].as_array().unwrap().iter().filter_map(|e| e["kind"].as_str()).collect();
    assert!(kinds.contains(&"verification.confirmed") && kinds.contains(&"verification.failed"), "{kinds:?}");
});

both!(phone_codes_go_through_the_sms_provider_and_wrong_codes_run_out, async |w: &World| {
    let app = &w.app;
    let s = citizen(app, "001190003333", "c@example.vn", "0987654321").await;
    // The provider fails once: the outbox tries again.
    w.sms.script.lock().unwrap().push(503);
    let r = app.send_as(&s, Method::POST, "/api/identity/verification", Some(&json!({"channel": "sms"}))).await;
    assert_eq!(r.status, 202, "{}", r.text);
    let _ = r;
    // The first retry waits for the backoff (2 s).
    let sms = {
        let mut got = None;
        for _ in 0..100 {
            if let Some(m) = w.sms.received.lock().unwrap().iter().find(|m| m["to"] == "0987654321").cloned() {
                got = Some(m);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        got.expect("the text message arrived after a retry")
    };
    assert_eq!(w.sms.auth.lock().unwrap()[0], "Bearer sms-secret");
    let code = six_digits(sms["text"].as_str().unwrap());
    let msg = app.get_as(&s, "/api/notify/messages").await.json();
    assert_eq!(msg["items"][0]["attempts"], 2, "{msg}");

    // Five wrong codes spend it; the right one then no longer works.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let r = app.send_as(&s, Method::POST, "/api/identity/verification/confirm", Some(&json!({"channel": "sms", "code": wrong}))).await;
        assert_eq!(r.status, 422);
    }
    let r = app.send_as(&s, Method::POST, "/api/identity/verification/confirm", Some(&json!({"channel": "sms", "code": code}))).await;
    assert_eq!(r.status, 422, "a spent code stays spent");
    assert_eq!(app.get_as(&s, "/api/identity/me").await.json()["phone_verified"], false);
    // A new code works.
    let r = app.send_as(&s, Method::POST, "/api/identity/verification", Some(&json!({"channel": "sms"}))).await;
    assert_eq!(r.status, 202);
    let code = six_digits(w.sms.wait_for("0987654321", 1).await["text"].as_str().unwrap());
    let r = app.send_as(&s, Method::POST, "/api/identity/verification/confirm", Some(&json!({"channel": "sms", "code": code}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["phone_verified"], true);
});

both!(a_forgotten_password_is_reset_with_the_mailed_link_once, async |w: &World| {
    let app = &w.app;
    let s = citizen(app, "001190004444", "dung@example.vn", "").await;
    // Unknown accounts get the same answer and no mail.
    let r = app.post_anon("/api/identity/password/forgot", &json!({"login": "079190009999"})).await;
    assert_eq!(r.status, 202);
    let r = app.post_anon("/api/identity/password/forgot", &json!({"login": "dung@example.vn"})).await;
    assert_eq!(r.status, 202);
    let text = w.smtp.wait_for("dung@example.vn", 0).await.text();
    let link = text.split_whitespace().find(|t| t.contains("/password/reset?token=")).expect("a link").to_owned();
    let token = link.split("token=").nth(1).unwrap().to_owned();
    assert!(link.starts_with(&app.base), "{link}");

    // The page behind the link offers the form.
    let page = app.get(&format!("/password/reset?token={token}")).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("name=\"password2\""));
    // A weak password is refused and the link stays usable.
    let weak = app.post_anon("/api/identity/password/reset", &json!({"token": token, "password": "short"})).await;
    assert_eq!(weak.status, 422);
    assert_eq!(weak.error_fields(), vec!["password"]);
    let r = app.post_anon("/api/identity/password/reset", &json!({"token": token, "password": "Moi-Mat-Khau-2026"})).await;
    assert_eq!(r.status, 204, "{}", r.text);
    // Spent; sessions signed out; the old password is gone, the new one works.
    let again = app.post_anon("/api/identity/password/reset", &json!({"token": token, "password": "Lai-Mat-Khau-2026"})).await;
    assert_eq!(again.status, 422);
    assert_eq!(app.get(&format!("/password/reset?token={token}")).await.status, 404);
    assert_eq!(app.get_as(&s, "/api/identity/me").await.status, 401);
    assert_eq!(app.login("001190004444", PW, None).await.0.status, 401);
    let s2 = app.session("001190004444", "Moi-Mat-Khau-2026", None).await;
    // Following the mailed link proved the address.
    assert_eq!(app.get_as(&s2, "/api/identity/me").await.json()["email_verified"], true);
    let tampered = app.post_anon("/api/identity/password/reset", &json!({"token": "x".repeat(32), "password": "Moi-Mat-Khau-2026"})).await;
    assert_eq!(tampered.status, 422);
});

both!(undeliverable_mail_is_dead_lettered_and_shown_to_administrators, async |w: &World| {
    let app = &w.app;
    w.smtp.refuse.lock().unwrap().push("ghost@example.vn".into());
    let s = citizen(app, "001190005555", "ghost@example.vn", "").await;
    let r = app.send_as(&s, Method::POST, "/api/identity/verification", Some(&json!({"channel": "email"}))).await;
    assert_eq!(r.status, 202);
    let mut status = String::new();
    for _ in 0..100 {
        let m = app.get_admin("/api/notify/messages").await.json();
        status = m["items"][0]["status"].as_str().unwrap_or("").to_owned();
        if status == "dead" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, "dead");
    let queues = app.get_admin("/api/notify/queues").await.json();
    assert!(queues.as_array().unwrap().iter().any(|q| q["consumer"] == "notify" && q["status"] == "dead" && q["count"] == 1), "{queues}");
    // A citizen sees only their own messages and cannot read the queues.
    let other = citizen(app, "001190006666", "other@example.vn", "").await;
    assert_eq!(app.get_as(&other, "/api/notify/messages").await.json()["total"], 0);
    assert_eq!(app.get_as(&other, "/api/notify/queues").await.status, 403);
    // The administrators' page shows it.
    let page = app.get_admin("/admin/messages").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("ghost@example.vn"));
});
