//! Rate limits and daily quotas of client subsystems, on SQLite and PostgreSQL: a call over
//! either is refused with 429, its X-Road error and `Retry-After`, and not forwarded; the day's
//! usage is kept in the database, where a node starting afresh and the other nodes' calls count.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use testkit::{TestApp, storage_test};

use crate::common::*;

const SUB: &str = "/api/lgsp/subsystems/VN/GOV/000.00.51.H99/motcua";

async fn published(app: &TestApp) -> (Arc<AtomicUsize>, String, Value) {
    let calls = Arc::new(AtomicUsize::new(0));
    let up = upstream(calls.clone()).await;
    let (service_id, token) = setup(app, &up).await;
    publish(app, &service_id).await;
    let subs = app.get_admin("/api/lgsp/subsystems").await.json();
    let sub = subs.as_array().unwrap().iter().find(|s| s["xid"]["subsystem"] == "motcua").unwrap().clone();
    (calls, token, sub)
}

/// Changes the client subsystem's limits, keeping the rest as it is.
async fn limits(app: &TestApp, sub: &Value, per_minute: i64, per_day: i64) -> testkit::Answer {
    let body = json!({"code": "motcua", "name": sub["name"], "client_id": sub["client_id"],
                      "rate_per_minute": per_minute, "calls_per_day": per_day});
    app.put(SUB, &body).await
}

async fn person(app: &TestApp, token: &str) -> testkit::Answer {
    app.raw(call(app, reqwest::Method::GET, &format!("{SERVICE}/persons/001090012345"), Some(token))).await
}

async fn used_today(app: &TestApp, sub: &Value) -> i64 {
    let day = lgsp::quota::day_of(kernel::time::now_ms());
    lgsp::quota::used(&app.app.db, sub["id"].as_str().unwrap(), day).await.unwrap()
}

storage_test!(a_daily_quota_counts_every_node_and_survives_a_restart, async |app: &TestApp| {
    let (calls, token, sub) = published(app).await;

    let bad = limits(app, &sub, 0, -1).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("calls_per_day"), "{}", bad.text);

    // The day's usage in the database, as an earlier run of this node or another node left it.
    let day = lgsp::quota::day_of(kernel::time::now_ms());
    kernel::db::q("INSERT INTO lgsp_usage (subsystem_id, day, calls) VALUES ($1, $2, 2)")
        .bind(sub["id"].as_str().unwrap())
        .bind(day)
        .execute(&app.app.db)
        .await
        .unwrap();
    let r = limits(app, &sub, 0, 3).await;
    assert_eq!((r.status.as_u16(), &r.json()["calls_per_day"]), (200, &json!(3)), "{}", r.text);

    // A call the allow-list refuses uses no quota.
    let denied = app.raw(call(app, reqwest::Method::DELETE, &format!("{SERVICE}/persons/001090012345"), Some(&token))).await;
    assert_eq!(denied.header("x-road-error"), Some("Server.ServerProxy.AccessDenied"), "{}", denied.text);
    let r = person(app, &token).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The answer tells the client its limit and what is left of it (RateLimit header fields).
    assert_eq!(r.header("ratelimit-policy"), Some("\"day\";q=3;w=86400"));
    assert_eq!(day_left(&r).0, 0, "2 of 3 used before, and this one");
    let r = person(app, &token).await;
    assert_eq!((r.status.as_u16(), r.header("x-road-error")), (429, Some("Client.QuotaExceeded")), "{}", r.text);
    assert_eq!(r.json()["type"], "Client.QuotaExceeded");
    assert_eq!(day_left(&r).0, 0, "the refusal carries the limit too");
    let after: i64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&after), "{after}");
    assert_eq!(calls.load(Ordering::SeqCst), 1, "a call over the quota is not forwarded");

    // The node adds its calls to the day's usage.
    app.app.lgsp.sync_quotas().await.unwrap();
    assert_eq!(used_today(app, &sub).await, 3);

    // A raised quota lets two more through (the second call of the known day takes the
    // direct path), then refuses again.
    limits(app, &sub, 0, 5).await;
    let direct = app.app.lgsp.direct_calls();
    for left in [1, 0] {
        let r = person(app, &token).await;
        assert_eq!(r.status, 200);
        assert_eq!(day_left(&r).0, left, "{:?}", r.header("ratelimit"));
    }
    assert_eq!(app.app.lgsp.direct_calls(), direct + 1, "the second by the direct path, with the fields too");
    assert_eq!(person(app, &token).await.status, 429);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    app.app.lgsp.sync_quotas().await.unwrap();
    assert_eq!(used_today(app, &sub).await, 5, "refused calls do not count");

    // Another node's calls: raised to 8, but another node took 3 meanwhile.
    limits(app, &sub, 0, 8).await;
    kernel::db::q("UPDATE lgsp_usage SET calls = calls + 3 WHERE subsystem_id = $1 AND day = $2")
        .bind(sub["id"].as_str().unwrap())
        .bind(day)
        .execute(&app.app.db)
        .await
        .unwrap();
    app.app.lgsp.sync_quotas().await.unwrap();
    let r = person(app, &token).await;
    assert_eq!((r.status.as_u16(), r.header("x-road-error")), (429, Some("Client.QuotaExceeded")), "{}", r.text);
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    // The day's usage, for administrators and for the client system itself.
    let today = kernel::time::date_text(kernel::time::today_vn());
    let seen = app.get_admin("/api/lgsp/usage?days=1").await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    assert_eq!(seen.json(), json!([{"client": CLIENT, "day": today, "calls": 8, "calls_per_day": 8}]));
    let own = app.raw(app.http.get(app.url("/api/lgsp/usage")).bearer_auth(&token)).await;
    assert_eq!((own.status.as_u16(), own.json()[0]["calls"].clone()), (200, json!(8)), "{}", own.text);
    let other = app.raw(app.http.get(app.url("/api/lgsp/usage?client=VN/GOV/000.00.13.H99/tuphap")).bearer_auth(&token)).await;
    assert_eq!(other.json(), json!([]), "a client system sees only its own usage");
    for bad in ["days=0", "days=400", "client=VN/GOV"] {
        let r = app.get_admin(&format!("/api/lgsp/usage?{bad}")).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
    }
    assert_eq!(app.get("/api/lgsp/usage").await.status, 401);

    // No quota: calls go through again.
    limits(app, &sub, 0, 0).await;
    let r = person(app, &token).await;
    assert_eq!(r.status, 200);
    assert_eq!((r.header("ratelimit-policy"), r.header("ratelimit")), (None, None), "no limits, no fields");
});

/// What a `RateLimit` field says is left of the day (`"day";r=N;t=S`), with the whole field;
/// the seconds until the day starts again are checked on the way.
fn day_left(r: &testkit::Answer) -> (i64, String) {
    let field = r.header("ratelimit").unwrap_or_default().to_owned();
    let day = field.split(", ").find_map(|p| p.strip_prefix("\"day\";")).unwrap_or_else(|| panic!("no day in {field:?}"));
    let (left, reset) = day.split_once(";t=").unwrap();
    let reset: i64 = reset.parse().unwrap();
    assert!((1..=86_400).contains(&reset), "{field}");
    (left.strip_prefix("r=").unwrap().parse().unwrap(), field)
}

storage_test!(a_rate_limit_refuses_the_calls_over_it_this_minute, async |app: &TestApp| {
    let (calls, token, sub) = published(app).await;
    let bad = limits(app, &sub, -5, 0).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    let r = limits(app, &sub, 2, 0).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let first = person(app, &token).await;
    assert_eq!(first.header("ratelimit-policy"), Some("\"minute\";q=2;w=60"));
    let state = first.header("ratelimit").unwrap();
    let reset: i64 = state.strip_prefix("\"minute\";r=1;t=").unwrap_or_else(|| panic!("{state}")).parse().unwrap();
    assert!((1..=60).contains(&reset), "{state}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // Two calls a minute: a third within the same minute is refused. (Should the minute turn
    // between the calls, the third is taken; the loop goes on to a fourth.)
    let mut refused = None;
    for _ in 0..3 {
        let r = person(app, &token).await;
        if r.status == 429 {
            refused = Some(r);
            break;
        }
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = refused.expect("a call over the rate limit is refused");
    assert_eq!(r.header("x-road-error"), Some("Client.RateLimitExceeded"), "{}", r.text);
    let after: i64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&after), "{after}");
    assert_eq!(r.header("ratelimit").map(|v| v.starts_with("\"minute\";r=0;t=")), Some(true), "{:?}", r.header("ratelimit"));
    let forwarded = calls.load(Ordering::SeqCst);
    assert!((2..=3).contains(&forwarded), "{forwarded}");
    app.app.lgsp.sync_quotas().await.unwrap();
    assert_eq!(used_today(app, &sub).await, 0, "without a quota nothing is counted");
});

storage_test!(a_rate_limit_holds_for_all_nodes_together, async |app: &TestApp| {
    let (calls, token, sub) = published(app).await;
    let r = limits(app, &sub, 4, 0).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // All within one minute: start with at least 25 s of it left.
    let into = kernel::time::now_ms() % 60_000;
    if into > 35_000 {
        tokio::time::sleep(std::time::Duration::from_millis((60_000 - into + 200) as u64)).await;
    }
    let minute = kernel::time::now_ms() / 60_000;
    // Three calls through another node of the same platform.
    let (other, running) = app.another_node().await;
    for _ in 0..3 {
        let r = app
            .raw(app.http.get(format!("{other}{SERVICE}/persons/001090012345")).header("X-Road-Client", CLIENT).bearer_auth(&token))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    // The other node adds them within a second; this node's first call of the minute reads them.
    let mut added = 0;
    for _ in 0..50 {
        added = kernel::db::q("SELECT calls FROM lgsp_rate_usage WHERE subsystem_id = $1 AND minute = $2")
            .bind(sub["id"].as_str().unwrap())
            .bind(minute)
            .fetch_optional(&app.app.db)
            .await
            .unwrap()
            .map_or(0, |r| r.int("calls").unwrap());
        if added >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(added, 3, "the other node added its calls");
    assert_eq!(person(app, &token).await.status, 200, "the fourth call of the minute");
    let r = person(app, &token).await;
    assert_eq!(r.header("x-road-error"), Some("Client.RateLimitExceeded"), "the fifth, on this node: {}", r.text);
    assert_eq!(calls.load(Ordering::SeqCst), 4, "the refused call is not forwarded");
    let _ = running.shutdown.send(true);
    let _ = running.done.await;
    // This node adds its own call: the minute's count is every node's.
    app.app.lgsp.sync_quotas().await.unwrap();
    let total = kernel::db::q("SELECT calls FROM lgsp_rate_usage WHERE subsystem_id = $1 AND minute = $2")
        .bind(sub["id"].as_str().unwrap())
        .bind(minute)
        .fetch_i64(&app.app.db)
        .await
        .unwrap();
    assert_eq!(total, 4);
});
