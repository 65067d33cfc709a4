//! Pub/sub on the Information Mediator paths, on SQLite and PostgreSQL: a room publishes
//! dossier-status events; one subscriber takes them by push and is down for a while, another
//! pulls and acknowledges. Every event reaches each subscriber once acknowledged, also after
//! the platform restarts; a subscriber that never answers ends in the dead letters.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use testkit::{TestApp, storage_test};

pub(super) const ROOM: &str = "VN/GOV/000.00.00.H99/lgsp";
pub(super) const PUSHER: &str = "VN/GOV/000.00.51.H99/motcua";
const PULLER: &str = "VN/GOV/000.00.13.H99/tuphap";
const STRANGER: &str = "VN/GOV/000.00.23.H99/thanhtra";

#[derive(Clone, Default)]
pub(super) struct Webhook {
    pub(super) up: Arc<AtomicBool>,
    pub(super) received: Arc<Mutex<Vec<String>>>,
}

pub(super) async fn webhook(w: Webhook) -> String {
    let app = Router::new().route(
        "/events",
        post(move |h: HeaderMap, body: axum::Json<Value>| {
            let w = w.clone();
            async move {
                if !w.up.load(Ordering::SeqCst) {
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                assert_eq!(h.get("x-road-client").and_then(|v| v.to_str().ok()), Some(ROOM));
                assert_eq!(h.get("event-id").and_then(|v| v.to_str().ok()), body["eventId"].as_str());
                w.received.lock().unwrap().push(body["eventId"].as_str().unwrap().to_owned());
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/events")
}

pub(super) async fn member_system(app: &TestApp, xid: &str) -> String {
    let p: Vec<&str> = xid.split('/').collect();
    let r = app.post("/api/oidc/clients", &json!({"name": xid, "grant_types": ["client_credentials"], "scopes": ["lgsp:call"]})).await;
    let (id, secret) =
        (r.json()["client"]["client_id"].as_str().unwrap().to_owned(), r.json()["client_secret"].as_str().unwrap().to_owned());
    let m = app.post("/api/lgsp/members", &json!({"instance": p[0], "member_class": p[1], "code": p[2], "name": p[2]})).await;
    assert!(m.status.is_success() || m.status == 409, "{}", m.text);
    let s = app
        .post(&format!("/api/lgsp/members/{}/{}/{}/subsystems", p[0], p[1], p[2]), &json!({"code": p[3], "name": p[3], "client_id": id}))
        .await;
    assert_eq!(s.status, 201, "{}", s.text);
    let t =
        app.raw(app.http.post(app.url("/oauth/token")).basic_auth(&id, Some(&secret)).form(&[("grant_type", "client_credentials")])).await;
    t.json()["access_token"].as_str().unwrap().to_owned()
}

pub(super) async fn im(
    app: &TestApp,
    token: &str,
    client: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> testkit::Answer {
    let mut b =
        app.http.request(method, app.url(&format!("/r1/{ROOM}/{path}"))).header("Information-Mediator-Client", client).bearer_auth(token);
    if let Some(v) = body {
        b = b.json(&v);
    }
    app.raw(b).await
}

async fn pending(app: &TestApp) -> i64 {
    kernel::db::q("SELECT COUNT(*) FROM lgsp_deliveries d JOIN lgsp_subscriptions s ON s.id = d.subscription_id WHERE s.mode = 'push' AND d.status = 'pending'")
        .fetch_i64(&app.app.db)
        .await
        .unwrap()
}

storage_test!(events_reach_every_subscriber_once_acknowledged, async |app: &TestApp| {
    let room = member_system(app, ROOM).await;
    let pusher = member_system(app, PUSHER).await;
    let puller = member_system(app, PULLER).await;
    let stranger = member_system(app, STRANGER).await;
    let w = Webhook::default();
    let url = webhook(w.clone()).await;

    let t = im(
        app,
        &room,
        ROOM,
        reqwest::Method::POST,
        "api/v1/eventType",
        Some(json!({"eventType": "dossier-status", "description": "Trạng thái hồ sơ", "allowedClients": [PUSHER, PULLER]})),
    )
    .await;
    assert_eq!(t.status, 201, "{}", t.text);
    let types = im(app, &pusher, PUSHER, reqwest::Method::GET, "api/v1/eventType", None).await.json();
    assert_eq!(types["eventTypes"][0]["eventType"], "dossier-status");
    // Only the room publishes; only allowed clients subscribe; a push URL must be a URL.
    let r = im(app, &pusher, PUSHER, reqwest::Method::POST, "pub/v1/dossier-status", Some(json!({"x": 1}))).await;
    assert_eq!((r.status.as_u16(), r.header("x-road-error")), (403, Some("Server.ServerProxy.AccessDenied")));
    // As every X-Road error: the request id in the header and the detail, the refusal logged.
    let rid = r.header("x-road-request-id").expect("a request id").to_owned();
    assert_eq!(r.json()["detail"], rid.as_str());
    crate::common::wait_for_log(app, 1).await;
    let mut logged = None;
    for _ in 0..100 {
        logged =
            kernel::db::q("SELECT error FROM lgsp_messages WHERE request_id = $1").bind(&rid).fetch_optional(&app.app.db).await.unwrap();
        if logged.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let error = logged.expect("the refusal logged").opt_text("error").unwrap();
    assert!(error.as_deref().is_some_and(|e| e.starts_with("Server.ServerProxy.AccessDenied")), "{error:?}");
    let r =
        im(app, &stranger, STRANGER, reqwest::Method::POST, "api/v1/subs", Some(json!({"eventType": "dossier-status", "mode": "pull"})))
            .await;
    assert_eq!(r.status, 403);
    let r = im(
        app,
        &pusher,
        PUSHER,
        reqwest::Method::POST,
        "api/v1/subs",
        Some(json!({"eventType": "dossier-status", "mode": "push", "pushUrl": "not a url"})),
    )
    .await;
    assert_eq!(r.status, 422);
    // Nor where clouds answer with the machine's credentials, nor with credentials in it.
    for bad in ["http://169.254.169.254/latest/meta-data", "http://[fe80::1]:8080/x", "http://u:p@127.0.0.1:9/x"] {
        let body = json!({"eventType": "dossier-status", "pushUrl": bad});
        let r = im(app, &pusher, PUSHER, reqwest::Method::POST, "api/v1/subs", Some(body)).await;
        assert_eq!((r.status.as_u16(), r.header("x-road-error")), (422, Some("Client.InvalidRequest")), "{bad}: {}", r.text);
    }
    let r =
        im(app, &pusher, PUSHER, reqwest::Method::POST, "api/v1/subs", Some(json!({"eventType": "dossier-status", "pushUrl": url}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r =
        im(app, &puller, PULLER, reqwest::Method::POST, "api/v1/subs", Some(json!({"eventType": "dossier-status", "mode": "pull"}))).await;
    assert_eq!(r.status, 201, "{}", r.text);

    // Five events while the push subscriber is down.
    let mut ids = Vec::new();
    for i in 0..5 {
        let r = im(
            app,
            &room,
            ROOM,
            reqwest::Method::POST,
            "pub/v1/dossier-status",
            Some(json!({"code": format!("000.00.13.H99-261122-000{i}"), "status": 4})),
        )
        .await;
        assert_eq!(r.status, 202, "{}", r.text);
        ids.push(r.json()["eventId"].as_str().unwrap().to_owned());
    }
    // (The platform's own worker may have taken the first attempt; either way it failed.)
    let mut push = Value::Null;
    for _ in 0..50 {
        app.app.lgsp.push_due(64).await.unwrap();
        let status = im(app, &room, ROOM, reqwest::Method::GET, &format!("api/v1/events/{}", ids[0]), None).await.json();
        push = status["deliveries"].as_array().unwrap().iter().find(|d| d["mode"] == "push").cloned().unwrap();
        if push["attempts"].as_i64() >= Some(1) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(w.received.lock().unwrap().is_empty());
    assert_eq!(push["status"], "pending");
    assert!(push["attempts"].as_i64().unwrap() >= 1 && push["lastError"].as_str().unwrap().contains("503"), "{push}");

    // The platform restarts (a new instance on the same database) and two more are published.
    let again = lgsp::Lgsp::new(app.app.db.clone(), &app.app.config.data_dir.join("lgsp-signing.pk8")).unwrap();
    for i in 5..7 {
        let r = im(
            app,
            &room,
            ROOM,
            reqwest::Method::POST,
            "pub/v1/dossier-status",
            Some(json!({"code": format!("000.00.13.H99-261122-000{i}"), "status": 5})),
        )
        .await;
        ids.push(r.json()["eventId"].as_str().unwrap().to_owned());
    }
    // The subscriber comes back; the retries (after their backoff) deliver everything.
    w.up.store(true, Ordering::SeqCst);
    for _ in 0..200 {
        again.push_due(64).await.unwrap();
        if pending(app).await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut got = w.received.lock().unwrap().clone();
    got.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(got, want, "every event once");

    // The puller takes them in order and acknowledges some; the rest wait for it.
    let pulled = im(app, &puller, PULLER, reqwest::Method::GET, "pull/v1/dossier-status", None).await.json();
    let pulled: Vec<String> = pulled["events"].as_array().unwrap().iter().map(|e| e["eventId"].as_str().unwrap().to_owned()).collect();
    assert_eq!(pulled, ids, "all seven, oldest first");
    for id in &ids[..3] {
        let r = im(app, &puller, PULLER, reqwest::Method::DELETE, &format!("pull/v1/dossier-status/{id}"), None).await;
        assert_eq!(r.status, 204, "{}", r.text);
    }
    let r = im(app, &puller, PULLER, reqwest::Method::DELETE, &format!("pull/v1/dossier-status/{}", ids[0]), None).await;
    assert_eq!((r.status.as_u16(), r.header("x-road-error")), (404, Some("Server.ServerProxy.UnknownEvent")), "acknowledged once");
    // A pub/sub path asked with another method, and an event the room never published.
    let r = im(app, &puller, PULLER, reqwest::Method::GET, "pub/v1/dossier-status", None).await;
    assert_eq!((r.status.as_u16(), r.header("x-road-error"), r.header("allow")), (405, Some("Client.MethodNotAllowed"), Some("POST")));
    let r = im(app, &room, ROOM, reqwest::Method::GET, "api/v1/events/khong-co", None).await;
    assert_eq!((r.status.as_u16(), r.header("x-road-error")), (404, Some("Server.ServerProxy.UnknownEvent")), "{}", r.text);
    let rest = im(app, &puller, PULLER, reqwest::Method::GET, "pull/v1/dossier-status", None).await.json();
    assert_eq!(rest["events"].as_array().unwrap().len(), 4);
    assert_eq!(
        im(app, &pusher, PUSHER, reqwest::Method::GET, "pull/v1/dossier-status", None).await.status,
        404,
        "a push subscriber has nothing to pull"
    );
    let r = im(app, &pusher, PUSHER, reqwest::Method::GET, "pull/v1/dossier-status", None).await;
    assert_eq!(r.header("x-road-error"), Some("Server.ServerProxy.UnknownSubscription"), "{}", r.text);

    // A subscriber that never answers ends among the dead letters.
    w.up.store(false, Ordering::SeqCst);
    let last = im(app, &room, ROOM, reqwest::Method::POST, "pub/v1/dossier-status", Some(json!({"status": 10}))).await.json()["eventId"]
        .as_str()
        .unwrap()
        .to_owned();
    let push_of = async |id: &str| {
        let status = im(app, &room, ROOM, reqwest::Method::GET, &format!("api/v1/events/{id}"), None).await.json();
        status["deliveries"].as_array().unwrap().iter().find(|d| d["mode"] == "push").cloned().unwrap()
    };
    // The platform's own worker, told of the event, makes the first attempt; then the
    // delivery is made to have failed nine times, and the next failure is its last.
    let attempted = async |id: &str| {
        for _ in 0..100 {
            let push = push_of(id).await;
            if push["attempts"].as_i64() >= Some(1) {
                return push;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the platform's worker did not attempt the delivery of {id}");
    };
    attempted(&last).await;
    kernel::db::q("UPDATE lgsp_deliveries SET attempts = 9, next_at = 0 WHERE event_id = $1")
        .bind(last.as_str())
        .execute(&app.app.db)
        .await
        .unwrap();
    let mut push = Value::Null;
    for _ in 0..100 {
        again.push_due(64).await.unwrap();
        push = push_of(&last).await;
        if push["status"] == "dead" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(push["status"], "dead", "{push}");
    assert_eq!(push["attempts"], 10, "{push}");
    // Unsubscribing stops the deliveries still pending (one failed once, its retry due in 2 s)
    // and new ones.
    let waiting = im(app, &room, ROOM, reqwest::Method::POST, "pub/v1/dossier-status", Some(json!({"status": 8}))).await.json()["eventId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(attempted(&waiting).await["attempts"], 1);
    assert_eq!(im(app, &pusher, PUSHER, reqwest::Method::DELETE, "api/v1/subs/dossier-status", None).await.status, 204);
    w.up.store(true, Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    again.push_due(64).await.unwrap();
    let push = push_of(&waiting).await;
    assert_eq!((push["status"].as_str(), push["attempts"].as_i64()), (Some("cancelled"), Some(1)), "not attempted again: {push}");
    assert!(!w.received.lock().unwrap().contains(&waiting));
    let one_more = im(app, &room, ROOM, reqwest::Method::POST, "pub/v1/dossier-status", Some(json!({"status": 9}))).await.json()["eventId"]
        .as_str()
        .unwrap()
        .to_owned();
    let status = im(app, &room, ROOM, reqwest::Method::GET, &format!("api/v1/events/{one_more}"), None).await.json();
    assert_eq!(status["deliveries"].as_array().unwrap().len(), 1, "only the puller");
    // Subscribing again starts anew: the next event is pushed, the cancelled one is not.
    let r =
        im(app, &pusher, PUSHER, reqwest::Method::POST, "api/v1/subs", Some(json!({"eventType": "dossier-status", "pushUrl": url}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r =
        im(app, &pusher, PUSHER, reqwest::Method::POST, "api/v1/subs", Some(json!({"eventType": "dossier-status", "pushUrl": url}))).await;
    assert_eq!(r.status, 409, "subscribed already");
    let after = im(app, &room, ROOM, reqwest::Method::POST, "pub/v1/dossier-status", Some(json!({"status": 10}))).await.json()["eventId"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..100 {
        if w.received.lock().unwrap().contains(&after) {
            break;
        }
        again.push_due(64).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(w.received.lock().unwrap().contains(&after), "pushed after subscribing again");
    assert!(!w.received.lock().unwrap().contains(&waiting));
    assert_eq!(push_of(&waiting).await["status"], "cancelled");

    // The puller ends its subscription and starts again by push: how earlier events reached
    // it stays as it was.
    assert_eq!(im(app, &puller, PULLER, reqwest::Method::DELETE, "api/v1/subs/dossier-status", None).await.status, 204);
    let r =
        im(app, &puller, PULLER, reqwest::Method::POST, "api/v1/subs", Some(json!({"eventType": "dossier-status", "pushUrl": url}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let status = im(app, &room, ROOM, reqwest::Method::GET, &format!("api/v1/events/{}", ids[0]), None).await.json();
    let pulled = status["deliveries"].as_array().unwrap().iter().find(|d| d["subscriber"] == PULLER).cloned().unwrap();
    assert_eq!((pulled["mode"].as_str(), pulled["status"].as_str()), (Some("pull"), Some("delivered")), "{pulled}");
});

/// Dossier status changes from the one-stop engine reach a national-sync subscriber as
/// `dossier-status` events of the platform's room.
async fn dossier_status_reaches_the_national_sync(backend: testkit::Backend) {
    let Some(app) = TestApp::start_configured(backend, |c| c.lgsp_room = Some(ROOM.into())).await else { return };
    // The room exists with its event type as soon as the platform starts.
    let sync = member_system(&app, "VN/GOV/000.00.00.H01/dongbo").await;
    let r = im(
        &app,
        &sync,
        "VN/GOV/000.00.00.H01/dongbo",
        reqwest::Method::POST,
        "api/v1/subs",
        Some(json!({"eventType": "dossier-status", "mode": "pull"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let mut tx = app.app.db.begin().await.unwrap();
    let payload = json!({"code": "000.00.13.H99-261122-0001", "status": 4, "channel": 2});
    kernel::outbox::publish(&mut tx, "onestop.dossier.status", "dossier-1", &payload).await.unwrap();
    tx.commit().await.unwrap();
    let mut events = Value::Null;
    for _ in 0..100 {
        events = im(&app, &sync, "VN/GOV/000.00.00.H01/dongbo", reqwest::Method::GET, "pull/v1/dossier-status", None).await.json();
        if events["events"].as_array().is_some_and(|e| !e.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let e = &events["events"][0];
    assert_eq!(e["payload"]["sync"], payload, "{events}");
    assert_eq!(e["payload"]["dossierId"], "dossier-1");
    assert!(e["payload"]["sourceEventId"].as_str().is_some_and(|s| !s.is_empty()), "subscribers can deduplicate");
    app.stop().await;
}

#[tokio::test]
async fn dossier_status_reaches_the_national_sync_sqlite() {
    dossier_status_reaches_the_national_sync(testkit::Backend::Sqlite).await;
}

#[tokio::test]
async fn dossier_status_reaches_the_national_sync_postgres() {
    dossier_status_reaches_the_national_sync(testkit::Backend::Postgres).await;
}

/// A node pushes what it publishes at once, not at its next look for due deliveries (an hour
/// away here).
async fn a_publication_is_pushed_at_once(backend: testkit::Backend) {
    let Some(app) = TestApp::start_configured(backend, |c| c.outbox_poll_ms = 3_600_000).await else { return };
    let room = member_system(&app, ROOM).await;
    let pusher = member_system(&app, PUSHER).await;
    let w = Webhook { up: Arc::new(AtomicBool::new(true)), ..Default::default() };
    let url = webhook(w.clone()).await;
    let r = im(&app, &room, ROOM, reqwest::Method::POST, "api/v1/eventType", Some(json!({"eventType": "dossier-status"}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r =
        im(&app, &pusher, PUSHER, reqwest::Method::POST, "api/v1/subs", Some(json!({"eventType": "dossier-status", "pushUrl": url}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    // The worker's first look, at start, is past; it now sleeps for an hour unless told.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    let r = im(&app, &room, ROOM, reqwest::Method::POST, "pub/v1/dossier-status", Some(json!({"status": 4}))).await;
    assert_eq!(r.status, 202, "{}", r.text);
    let id = r.json()["eventId"].as_str().unwrap().to_owned();
    while !w.received.lock().unwrap().contains(&id) {
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "not pushed at once");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn a_publication_is_pushed_at_once_sqlite() {
    a_publication_is_pushed_at_once(testkit::Backend::Sqlite).await;
}

#[tokio::test]
async fn a_publication_is_pushed_at_once_postgres() {
    a_publication_is_pushed_at_once(testkit::Backend::Postgres).await;
}
