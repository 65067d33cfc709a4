//! `/admin/lgsp/events` on SQLite and PostgreSQL: an operator sees each event type's
//! subscriptions with what waits for them, finds a dead letter with its last error, and sends it
//! again once the subscriber is back; nobody else may, and a stale request changes nothing.

use std::sync::atomic::Ordering;

use serde_json::json;
use testkit::{TestApp, storage_test};

use super::pubsub::{PUSHER, ROOM, Webhook, im, member_system, webhook};

storage_test!(demo dead_letters_are_shown_and_sent_again, async |app: &TestApp| {
    let code = identity::totp::code(identity::seed::DEMO_TOTP_SECRET, identity::totp::now_secs()).unwrap();
    let admin = app.session("quantri.tinh", identity::seed::DEMO_PASSWORD, Some(&code)).await;
    let room = member_system(app, ROOM).await;
    let pusher = member_system(app, PUSHER).await;
    let w = Webhook::default();
    let url = webhook(w.clone()).await;
    let r = im(app, &room, ROOM, reqwest::Method::POST, "api/v1/eventType", Some(json!({"eventType": "dossier-status", "description": "Trạng thái hồ sơ"}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = im(app, &pusher, PUSHER, reqwest::Method::POST, "api/v1/subs", Some(json!({"eventType": "dossier-status", "pushUrl": url}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = im(app, &room, ROOM, reqwest::Method::POST, "pub/v1/dossier-status", Some(json!({"status": 4}))).await;
    let id = r.json()["eventId"].as_str().unwrap().to_owned();
    // The subscriber is down: the delivery fails until it is given up.
    let dead = async || {
        kernel::db::q("SELECT COUNT(*) FROM lgsp_deliveries WHERE event_id = $1 AND status = 'dead'").bind(id.as_str()).fetch_i64(&app.app.db).await.unwrap()
    };
    for _ in 0..100 {
        kernel::db::q("UPDATE lgsp_deliveries SET attempts = 9, next_at = 0 WHERE event_id = $1 AND status = 'pending'")
            .bind(id.as_str())
            .execute(&app.app.db)
            .await
            .unwrap();
        app.app.lgsp.push_due(64).await.unwrap();
        if dead().await == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(dead().await, 1);

    let page = app.get_as(&admin, "/admin/lgsp/events").await;
    assert_eq!(page.status, 200, "{}", page.text);
    for want in ["dossier-status", "Trạng thái hồ sơ", PUSHER, url.as_str(), id.as_str(), "503", "Gửi lại"] {
        assert!(page.text.contains(want), "{want}: {}", page.text);
    }
    assert!(app.get_as(&admin, "/admin").await.text.contains("href=\"/admin/lgsp/events\""), "offered on the console");
    // Nobody else sees it or sends it again.
    assert_eq!(app.get("/admin/lgsp/events").await.status, 303, "to the sign-in");
    let citizen = app.session("001090012345", identity::seed::DEMO_PASSWORD, None).await;
    assert_eq!(app.get_as(&citizen, "/admin/lgsp/events").await.status, 403);
    let sub = kernel::db::q("SELECT subscription_id FROM lgsp_deliveries WHERE event_id = $1").bind(id.as_str()).fetch_one(&app.app.db).await.unwrap().text("subscription_id").unwrap();
    let fields = [("event_id", id.as_str()), ("subscription_id", sub.as_str())];
    assert_eq!(app.form_as(&citizen, "/admin/lgsp/events/redeliver", &fields).await.status, 403);
    let forged = app.raw(app.http.post(app.url("/admin/lgsp/events/redeliver")).header("cookie", &admin.cookie).form(&fields)).await;
    assert_eq!(forged.status, 403, "without the anti-forgery token");
    // A stale request (not a dead letter) is refused with the reason; nothing changes.
    let stale = app.form_as(&admin, "/admin/lgsp/events/redeliver", &[("event_id", "khong-co"), ("subscription_id", sub.as_str())]).await;
    assert_eq!(stale.status, 422, "{}", stale.text);
    assert!(stale.text.contains("no longer a dead letter"), "{}", stale.text);
    assert_eq!(dead().await, 1);

    // The subscriber is back: sent again, the event arrives and the dead letter is gone.
    w.up.store(true, Ordering::SeqCst);
    let sent = app.form_as(&admin, "/admin/lgsp/events/redeliver", &fields).await;
    assert_eq!(sent.status, 303, "{}", sent.text);
    for _ in 0..100 {
        if w.received.lock().unwrap().contains(&id) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(w.received.lock().unwrap().contains(&id), "delivered once sent again");
    let page = app.get_as(&admin, "/admin/lgsp/events").await.text;
    assert!(page.contains("Không có thư chết"), "{page}");
});
