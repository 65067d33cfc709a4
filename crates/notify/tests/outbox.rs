//! The outbox itself: fan-out to subscribed consumers, leases shared by concurrent workers
//! without a delivery handed out twice, retries with backoff, dead letters and requeueing.

use std::collections::HashSet;

use kernel::outbox;
use serde_json::json;
use testkit::{TestApp, storage_test};

storage_test!(events_reach_each_subscribed_consumer_once_across_concurrent_workers, async |app: &TestApp| {
    let db = app.app.db.clone();
    outbox::subscribe(&db, "test-a", "test.").await.unwrap();
    outbox::subscribe(&db, "test-b", "test.only-b").await.unwrap();
    outbox::subscribe(&db, "test-b", "test.only").await.unwrap(); // overlapping prefixes: still one delivery
    let mut ids = HashSet::new();
    for i in 0..60 {
        let mut tx = db.begin().await.unwrap();
        let topic = if i % 3 == 0 { "test.only-b" } else { "test.other" };
        ids.insert(outbox::publish(&mut tx, topic, &format!("s{i}"), &json!({"i": i})).await.unwrap());
        tx.commit().await.unwrap();
    }
    // An event whose transaction rolls back is never delivered.
    let mut tx = db.begin().await.unwrap();
    outbox::publish(&mut tx, "test.other", "rolled-back", &json!({})).await.unwrap();
    tx.rollback().await.unwrap();

    // Four workers lease at once, in small batches, until nothing is left.
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let batch = outbox::lease(&db, "test-a", 5).await.unwrap();
                if batch.is_empty() {
                    break;
                }
                for d in batch {
                    outbox::done(&db, &d.id).await.unwrap();
                    got.push(d.event.id);
                }
            }
            got
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    assert_eq!(all.len(), 60, "each event leased exactly once");
    assert_eq!(all.iter().cloned().collect::<HashSet<_>>(), ids);
    let b = outbox::lease(&db, "test-b", 100).await.unwrap();
    assert_eq!(b.len(), 20);
    assert!(b.iter().all(|d| d.event.topic == "test.only-b"));
    // Leased but not finished: hidden until the lease runs out.
    assert!(outbox::lease(&db, "test-b", 100).await.unwrap().is_empty());
});

storage_test!(failures_back_off_then_dead_letter_and_can_be_requeued, async |app: &TestApp| {
    let db = app.app.db.clone();
    outbox::subscribe(&db, "test-c", "fail.").await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let id = outbox::publish(&mut tx, "fail.x", "s", &json!({"n": 1})).await.unwrap();
    tx.commit().await.unwrap();
    let d = outbox::lease(&db, "test-c", 1).await.unwrap().remove(0);
    assert_eq!((d.attempt, d.event.id.as_str()), (1, id.as_str()));
    outbox::failed(&db, &d, "receiver down", false).await.unwrap();
    // Not due again before the backoff.
    assert!(outbox::lease(&db, "test-c", 1).await.unwrap().is_empty());
    let stats = outbox::stats(&db).await.unwrap();
    assert!(stats.iter().any(|s| s.consumer == "test-c" && s.status == "pending" && s.count == 1));
    // A permanent failure goes straight to the dead letters; requeueing brings it back.
    outbox::failed(&db, &d, "no such address", true).await.unwrap();
    let stats = outbox::stats(&db).await.unwrap();
    assert!(stats.iter().any(|s| s.consumer == "test-c" && s.status == "dead" && s.count == 1));
    assert_eq!(outbox::retry_dead(&db, "test-c", None).await.unwrap(), 1);
    let again = outbox::lease(&db, "test-c", 1).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempt, 1, "a requeued delivery starts counting again");
    assert_eq!(outbox::events_of(&db, "s").await.unwrap().len(), 1);
});

// The SMS provider may be reached over HTTPS: the client speaks TLS (a loopback port with no
// TLS server refuses the connection; a client without TLS would refuse the scheme itself).
#[tokio::test]
async fn https_providers_are_reachable() {
    kernel::tls::init();
    let p = notify::provider::Provider::http("https://127.0.0.1:9/sms", None).unwrap();
    match p.send("0912345678", "x", "y", "ref").await {
        Err(notify::provider::SendError::Temporary(e)) => assert!(!e.contains("scheme"), "{e}"),
        other => panic!("expected a connection failure, got {other:?}"),
    }
}
