//! Two nodes of one platform on one database, on SQLite and PostgreSQL: the second is a server
//! of its own, with its own registry snapshot, log writer and push worker, as another machine
//! of a province's cluster runs. Calls through both at once are each logged once, in one chain
//! of batches that checks out; either node's monitoring shows every call; a right withdrawn
//! through one node is enforced by the other once its snapshot is reloaded; events published
//! through both reach a push subscriber once each while both nodes' workers push.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use testkit::{TestApp, storage_test};

use crate::common::*;
use crate::pubsub::{ROOM, Webhook, member_system, webhook};

/// A member system allowed to subscribe to the room's events (not the gateway tests' client,
/// which `setup` registers already).
const SUBSCRIBER: &str = "VN/GOV/000.00.23.H99/thanhtra";

storage_test!(two_nodes_share_one_log_one_registry_and_one_delivery_of_each_event, async |app: &TestApp| {
    let calls = Arc::new(AtomicUsize::new(0));
    let up = upstream(calls.clone()).await;
    let (service_id, token) = setup(app, &up).await;
    publish(app, &service_id).await;
    let (other, running) = app.another_node().await;
    let nodes = [app.url(""), other.clone()];
    let logged_before = count(app, "SELECT COUNT(*) FROM lgsp_messages").await;

    // Four callers, 25 calls each, alternating between the nodes.
    let mut callers = Vec::new();
    for c in 0..4usize {
        let (http, token, nodes) = (app.http.clone(), token.clone(), nodes.clone());
        callers.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..25usize {
                let base = &nodes[(c + i) % 2];
                let r = http
                    .get(format!("{base}{SERVICE}/persons/{c}-{i}"))
                    .header("X-Road-Client", CLIENT)
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200, "call {c}-{i} through {base}");
                let id = r.headers().get("x-road-request-id").and_then(|v| v.to_str().ok()).unwrap().to_owned();
                let body: serde_json::Value = r.json().await.unwrap();
                assert_eq!(body["id"], format!("{c}-{i}"), "the answer to this call, not another's");
                ids.push(id);
            }
            ids
        }));
    }
    let mut ids = BTreeSet::new();
    for c in callers {
        ids.extend(c.await.unwrap());
    }
    assert_eq!(ids.len(), 100, "every call has its own request id");
    assert_eq!(calls.load(Ordering::SeqCst), 100);

    // Each call logged once, whichever node took it, and sealed in one chain.
    wait_for_log(app, logged_before + 100).await;
    let logged: Vec<String> = kernel::db::q("SELECT request_id FROM lgsp_messages WHERE service = $1")
        .bind("VN/GOV/000.00.13.H99/tuphap/persons")
        .fetch_all(&app.app.db)
        .await
        .unwrap()
        .iter()
        .map(|r| r.text("request_id").unwrap())
        .collect();
    assert_eq!(logged.len(), 100, "no call logged twice");
    assert_eq!(logged.iter().cloned().collect::<BTreeSet<_>>(), ids, "the calls' own ids");
    let key = lgsp::log::SealKey::load_or_create(&app.app.config.data_dir.join("lgsp-signing.pk8")).unwrap();
    let mut verified = lgsp::log::verify(&app.app.db, &[key.public()]).await.unwrap();
    for _ in 0..50 {
        if verified.unsealed_records == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        verified = lgsp::log::verify(&app.app.db, &[key.public()]).await.unwrap();
    }
    assert!(verified.problems.is_empty(), "{:?}", verified.problems);
    assert_eq!(verified.unsealed_records, 0, "both writers seal what they write");
    assert!(verified.sealed_records >= 100);

    // Either node's monitoring shows every call.
    for base in &nodes {
        let m = app
            .raw(
                app.http
                    .get(format!("{base}/api/lgsp/monitoring?service=VN/GOV/000.00.13.H99/tuphap/persons&limit=1000"))
                    .bearer_auth(&app.admin_token),
            )
            .await;
        assert_eq!(m.status, 200, "{}", m.text);
        assert_eq!(m.json()["records"].as_array().unwrap().len(), 100, "through {base}");
        assert_eq!(m.json()["by_service"][0]["exchanges"], 100, "through {base}");
    }

    // The right to GET withdrawn through the first node: it refuses at once, the other once
    // its snapshot is reloaded (at most two seconds after the change).
    let detail = app.get_admin(&format!("/api/lgsp/services/{service_id}")).await.json();
    let right = detail["access"].as_array().unwrap().iter().find(|a| a["method"] == "GET").unwrap()["id"].as_str().unwrap().to_owned();
    let r = app.delete(&format!("/api/lgsp/services/{service_id}/access/{right}")).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let person =
        |base: &str| app.raw(app.http.get(format!("{base}{SERVICE}/persons/1")).header("X-Road-Client", CLIENT).bearer_auth(&token));
    let r = person(&nodes[0]).await;
    assert_eq!((r.status.as_u16(), r.header("x-road-error")), (403, Some("Server.ServerProxy.AccessDenied")), "{}", r.text);
    let (withdrawn, mut allowed_meanwhile) = (Instant::now(), 0);
    loop {
        let r = person(&other).await;
        if r.status == 403 {
            assert_eq!(r.header("x-road-error"), Some("Server.ServerProxy.AccessDenied"), "{}", r.text);
            break;
        }
        assert_eq!(r.status, 200, "{}", r.text);
        allowed_meanwhile += 1;
        assert!(withdrawn.elapsed() < Duration::from_secs(10), "the other node still allows the call");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(calls.load(Ordering::SeqCst), 100 + allowed_meanwhile, "no refused call forwarded");

    // Pub/sub: one push subscriber; events published through both nodes; both nodes' workers
    // push. Each event arrives once.
    let room = member_system(app, ROOM).await;
    let subscriber = member_system(app, SUBSCRIBER).await;
    let w = Webhook::default();
    w.up.store(true, Ordering::SeqCst);
    let hook = webhook(w.clone()).await;
    let im = |base: &str, token: &str, client: &str, method: reqwest::Method, path: &str, body: serde_json::Value| {
        app.raw(
            app.http
                .request(method, format!("{base}/r1/{ROOM}/{path}"))
                .header("Information-Mediator-Client", client)
                .bearer_auth(token)
                .json(&body),
        )
    };
    let r = im(
        &nodes[0],
        &room,
        ROOM,
        reqwest::Method::POST,
        "api/v1/eventType",
        json!({"eventType": "dossier-status", "allowedClients": [SUBSCRIBER]}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // The subscriber was registered through the first node a moment ago: the other knows it
    // once its snapshot is reloaded, and until then refuses it as unknown.
    let registered = Instant::now();
    loop {
        let body = json!({"eventType": "dossier-status", "pushUrl": hook});
        let r = im(&other, &subscriber, SUBSCRIBER, reqwest::Method::POST, "api/v1/subs", body).await;
        if r.status == 201 {
            break;
        }
        assert_eq!(r.header("x-road-error"), Some("Client.UnknownClient"), "{}", r.text);
        assert!(registered.elapsed() < Duration::from_secs(10), "the other node still does not know the subscriber");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut published = BTreeSet::new();
    for i in 0..40usize {
        let r = im(&nodes[i % 2], &room, ROOM, reqwest::Method::POST, "pub/v1/dossier-status", json!({"n": i})).await;
        assert_eq!(r.status, 202, "{}", r.text);
        published.insert(r.json()["eventId"].as_str().unwrap().to_owned());
    }
    let started = Instant::now();
    while count(app, "SELECT COUNT(*) FROM lgsp_deliveries WHERE status = 'delivered'").await < 40 {
        assert!(started.elapsed() < Duration::from_secs(30), "events not delivered: {}", w.received.lock().unwrap().len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut times: BTreeMap<String, usize> = BTreeMap::new();
    for id in w.received.lock().unwrap().iter() {
        *times.entry(id.clone()).or_default() += 1;
    }
    assert_eq!(times.keys().cloned().collect::<BTreeSet<_>>(), published, "every event arrived");
    let twice: Vec<_> = times.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "pushed more than once while the subscriber answered: {twice:?}");

    let _ = running.shutdown.send(true);
    let _ = running.done.await;
});
