//! LGSP pub/sub benchmark (issue 6: events per second, end to end). A room publishes events on
//! the Information Mediator path through the gateway (`POST /r1/{room}/pub/v1/{eventType}`,
//! with its token, as any system would); one subscriber takes them by push (a webhook on
//! loopback), another by pull, acknowledging each (`GET .../pull/v1/{eventType}`, `DELETE
//! .../pull/v1/{eventType}/{eventId}`). Publishing, pushing and pulling run at once. Prints
//! the events published per second, the events each subscriber received per second from the
//! first publication to the last delivery, the time from publishing to the push's arrival
//! (p50, p99, max), and checks that every event reached both subscribers and was marked
//! delivered (duplicates, which at-least-once delivery allows, are counted; the first arrival
//! is the one timed).
//!
//!   bench_pubsub [--events 5000] [--publishers 8] [--database-url postgres://...]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[path = "common/bulk.rs"]
#[allow(dead_code)]
mod bulk;
use bulk::{arg, pct};

const ROOM: &str = "VN/GOV/000.00.00.H99/lgsp";
const PUSHER: &str = "VN/GOV/000.00.51.H99/motcua";
const PULLER: &str = "VN/GOV/000.00.13.H99/tuphap";
const EVENT_TYPE: &str = "dossier-status";

/// What the webhook received: the arrival of each event (by the publisher's sequence number),
/// and how many arrived more than once.
#[derive(Default)]
struct Received {
    at: HashMap<u64, Instant>,
    again: u64,
}

/// Starts the push subscriber's webhook; gives its URL.
async fn webhook(received: Arc<Mutex<Received>>) -> anyhow::Result<String> {
    let app = axum::Router::new().route(
        "/events",
        axum::routing::post(move |body: axum::Json<Value>| {
            let received = received.clone();
            async move {
                let now = Instant::now();
                let seq = body["payload"]["seq"].as_u64().unwrap_or(u64::MAX);
                let mut r = received.lock().unwrap_or_else(|p| p.into_inner());
                // A second delivery counts, but the first arrival is the one timed.
                match r.at.entry(seq) {
                    std::collections::hash_map::Entry::Occupied(_) => r.again += 1,
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(now);
                    }
                }
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{addr}/events"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let events: u64 = arg(&args, "--events").and_then(|v| v.parse().ok()).unwrap_or(5000);
    let publishers: u64 = arg(&args, "--publishers").and_then(|v| v.parse().ok()).unwrap_or(8).max(1);
    let bulk::Demo { _dir, db: _db, app, listener, addr, backend } = bulk::demo(&args, 500).await?;
    let running = server::serve::start(app.clone(), listener).await?;
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();
    let admin = |path: String, body: Value| {
        let (http, url) = (http.clone(), format!("{base}{path}"));
        async move {
            let r = http.post(url).bearer_auth("bench").json(&body).send().await?;
            anyhow::ensure!(r.status().is_success() || r.status() == 409, "{}: {}", r.status(), r.text().await?);
            Ok::<Value, anyhow::Error>(r.json().await.unwrap_or(Value::Null))
        }
    };
    // Each system: a member, a subsystem bound to an OAuth2 client, and that client's token.
    let mut tokens = HashMap::new();
    for xid in [ROOM, PUSHER, PULLER] {
        let p: Vec<&str> = xid.split('/').collect();
        let c =
            admin("/api/oidc/clients".into(), json!({"name": xid, "grant_types": ["client_credentials"], "scopes": ["lgsp:call"]})).await?;
        let (id, secret) = (c["client"]["client_id"].as_str().unwrap_or_default(), c["client_secret"].as_str().unwrap_or_default());
        admin("/api/lgsp/members".into(), json!({"instance": p[0], "member_class": p[1], "code": p[2], "name": p[2]})).await?;
        admin(format!("/api/lgsp/members/{}/{}/{}/subsystems", p[0], p[1], p[2]), json!({"code": p[3], "name": p[3], "client_id": id}))
            .await?;
        let t = http.post(format!("{base}/oauth/token")).basic_auth(id, Some(secret)).form(&[("grant_type", "client_credentials")]);
        let t: Value = t.send().await?.json().await?;
        tokens.insert(xid, t["access_token"].as_str().unwrap_or_default().to_owned());
    }
    let im = {
        let (http, base, tokens) = (http.clone(), base.clone(), tokens.clone());
        move |client: &'static str, method: reqwest::Method, path: String, body: Option<Value>| {
            let mut b = http
                .request(method, format!("{base}/r1/{ROOM}/{path}"))
                .header("Information-Mediator-Client", client)
                .bearer_auth(&tokens[client]);
            if let Some(v) = body {
                b = b.json(&v);
            }
            b.send()
        }
    };
    let post = reqwest::Method::POST;
    let r = im(ROOM, post.clone(), "api/v1/eventType".into(), Some(json!({"eventType": EVENT_TYPE, "allowedClients": [PUSHER, PULLER]})))
        .await?;
    anyhow::ensure!(r.status() == 201, "event type: {}", r.text().await?);
    let received = Arc::new(Mutex::new(Received::default()));
    let url = webhook(received.clone()).await?;
    for (client, sub) in
        [(PUSHER, json!({"eventType": EVENT_TYPE, "pushUrl": url})), (PULLER, json!({"eventType": EVENT_TYPE, "mode": "pull"}))]
    {
        let r = im(client, post.clone(), "api/v1/subs".into(), Some(sub)).await?;
        anyhow::ensure!(r.status() == 201, "subscription: {}", r.text().await?);
    }

    eprintln!("[{backend}] {events} events from {publishers} publishers at once, one push and one pull subscriber ...");
    let start = Instant::now();
    // The pull subscriber: takes what is pending (up to 100 at a time) and acknowledges each,
    // eight acknowledgements in flight, until it has every event.
    let puller = {
        let im = im.clone();
        tokio::spawn(async move {
            let (mut acked, mut again, mut last) = (std::collections::HashSet::new(), 0u64, start);
            while (acked.len() as u64) < events {
                let r = im(PULLER, reqwest::Method::GET, format!("pull/v1/{EVENT_TYPE}"), None).await?;
                anyhow::ensure!(r.status() == 200, "pull: {}", r.status());
                let page: Value = r.json().await?;
                let ids: Vec<String> =
                    page["events"].as_array().into_iter().flatten().filter_map(|e| e["eventId"].as_str().map(str::to_owned)).collect();
                if ids.is_empty() {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                }
                // An event offered again after its acknowledgement would be a second delivery.
                let fresh: Vec<String> = ids.into_iter().filter(|id| !acked.contains(id)).collect();
                again += (page["events"].as_array().map_or(0, Vec::len) - fresh.len()) as u64;
                for chunk in fresh.chunks(8) {
                    let acks: Vec<_> = chunk
                        .iter()
                        .map(|id| (id, tokio::spawn(im(PULLER, reqwest::Method::DELETE, format!("pull/v1/{EVENT_TYPE}/{id}"), None))))
                        .collect();
                    for (id, ack) in acks {
                        anyhow::ensure!(ack.await??.status() == 204, "acknowledging {id}");
                        acked.insert(id.clone());
                    }
                }
                last = Instant::now();
            }
            Ok::<(Duration, u64), anyhow::Error>((last - start, again))
        })
    };
    // The publishers, each its share of the events in turn; the time each publication was sent.
    let sent: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    let mut pubs = Vec::new();
    for p in 0..publishers {
        let (im, sent) = (im.clone(), sent.clone());
        pubs.push(tokio::spawn(async move {
            for seq in (p..events).step_by(publishers as usize) {
                let at = Instant::now();
                let body = json!({"seq": seq, "code": format!("000.00.13.H99-261125-{seq:04}"), "status": 4, "note": "Đã tiếp nhận hồ sơ"});
                let r = im(ROOM, reqwest::Method::POST, format!("pub/v1/{EVENT_TYPE}"), Some(body)).await?;
                anyhow::ensure!(r.status() == 202, "publishing: {} {}", r.status(), r.text().await?);
                sent.lock().unwrap_or_else(|p| p.into_inner()).insert(seq, at);
            }
            Ok::<(), anyhow::Error>(())
        }));
    }
    for p in pubs {
        p.await??;
    }
    let published = start.elapsed();
    // The push subscriber has everything when its webhook has seen every sequence number.
    let deadline = Instant::now() + Duration::from_secs(120);
    let pushed = loop {
        let last = {
            let r = received.lock().unwrap_or_else(|p| p.into_inner());
            (r.at.len() as u64 >= events).then(|| r.at.values().max().map(|t| *t - start).unwrap_or_default())
        };
        if let Some(last) = last {
            break last;
        }
        anyhow::ensure!(Instant::now() < deadline, "the push subscriber did not get every event within two minutes");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let (pulled, pull_again) = tokio::time::timeout(Duration::from_secs(120), puller).await???;
    let (latencies, push_again) = {
        let (r, s) = (received.lock().unwrap_or_else(|p| p.into_inner()), sent.lock().unwrap_or_else(|p| p.into_inner()));
        let mut l: Vec<f64> = r.at.iter().filter_map(|(seq, got)| Some((*got - *s.get(seq)?).as_secs_f64() * 1000.0)).collect();
        l.sort_by(f64::total_cmp);
        (l, r.again)
    };
    let rate = |d: Duration| events as f64 / d.as_secs_f64();
    println!("[{backend}] published {events} events in {:.2} s: {:.0} events/s", published.as_secs_f64(), rate(published));
    println!(
        "[{backend}] push: every event at the webhook {:.2} s after the first was published: {:.0} events/s end to end; publish to arrival p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {push_again} delivered twice",
        pushed.as_secs_f64(),
        rate(pushed),
        pct(&latencies, 0.5),
        pct(&latencies, 0.99),
        latencies.last().copied().unwrap_or_default()
    );
    println!(
        "[{backend}] pull: every event taken and acknowledged {:.2} s after the first was published: {:.0} events/s end to end; {pull_again} taken twice",
        pulled.as_secs_f64(),
        rate(pulled)
    );
    // The push worker writes a batch's outcomes once its last post is answered: give it a
    // moment, then every delivery must be marked delivered.
    let mut left = 0;
    for _ in 0..100 {
        left = kernel::db::q("SELECT COUNT(*) FROM lgsp_deliveries WHERE status <> 'delivered'").fetch_i64(&app.db).await?;
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("[{backend}] deliveries not marked delivered afterwards: {left}");
    anyhow::ensure!(left == 0, "{left} deliveries were not marked delivered");
    let _ = running.shutdown.send(true);
    let _ = running.done.await;
    Ok(())
}
