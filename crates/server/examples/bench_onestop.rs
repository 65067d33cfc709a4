//! One-stop engine benchmark: full dossier lifecycles (submit at the counter → accept →
//! process → review → approve → number → pay → return) run through the engine's service layer
//! by concurrent workers, dossiers spread over a year; then statistics for that year, and
//! dossier lookup by code over HTTP at a fixed rate. Prints the figures.
//!
//!   cargo run --release -p server --example bench_onestop -- [--dossiers N] [--workers W]
//!       [--database-url postgres://...] [--lookup-rate 1000] [--lookup-seconds 10]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use kernel::authz::Principal;
use onestop::model::deadline::instant;
use onestop::service::actions::{Payment, ReturnInput, Versioned};
use onestop::service::stats::Statistics;
use onestop::service::tasks::Complete;
use serde_json::json;
use time::macros::date;

#[path = "common/bulk.rs"]
mod bulk;
use bulk::{arg, bulk_year, pct};

struct Roles {
    reception: Principal,
    specialist: Principal,
    head: Principal,
    leader: Principal,
    clerk: Principal,
    cashier: Principal,
}

async fn lifecycle(o: &onestop::Onestop, r: &Roles, at: i64, input: &onestop::service::SubmitInput) -> kernel::Result<String> {
    let step = 60_000; // a minute between actions
    let d = o.at(at).submit(&r.reception, input).await?;
    let d = o.at(at + step).accept(&r.reception, &d.id, &Versioned { version: d.version }).await?;
    let id = d.id.clone();
    let mut t = at + 2 * step;
    for (who, outcome) in [(&r.specialist, "done"), (&r.head, "done"), (&r.leader, "approved"), (&r.clerk, "done")] {
        let o = o.at(t);
        let task = o.open_task_of(who, &id).await?;
        o.complete(who, &task.0, &Complete { version: task.1, outcome: outcome.into(), note: None }).await?;
        t += step;
    }
    let d = o.at(t).dossier(&r.cashier, &id).await?.d;
    let d = o
        .at(t)
        .pay(&r.cashier, &id, &Payment { version: d.version, amount: d.fee_total - d.paid, method: "counter".into(), reference: None })
        .await?;
    let d = o
        .at(t + step)
        .return_result(&r.reception, &id, &ReturnInput { version: d.version, method: "in_person".into(), note: None })
        .await?;
    Ok(d.code.unwrap_or_default())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    // RUST_LOG=sqlx::query=debug,tinhso::sql=debug shows each statement (to count them per
    // lifecycle): sqlx's reads, and what runs on SQLite's writing connection.
    if std::env::var("RUST_LOG").is_ok() {
        tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).with_writer(std::io::stderr).init();
    }
    let args: Vec<String> = std::env::args().collect();
    let n: usize = arg(&args, "--dossiers").and_then(|v| v.parse().ok()).unwrap_or(5000);
    // Concurrent clients (officials of the province acting at once), each running lifecycles
    // one after the other.
    let workers: usize = arg(&args, "--workers").and_then(|v| v.parse().ok()).unwrap_or(32);
    let rate: u64 = arg(&args, "--lookup-rate").and_then(|v| v.parse().ok()).unwrap_or(1000);
    let lookup_secs: u64 = arg(&args, "--lookup-seconds").and_then(|v| v.parse().ok()).unwrap_or(10);
    let year_rows: i64 = arg(&args, "--year-rows").and_then(|v| v.parse().ok()).unwrap_or(0);
    let bulk::Demo { _dir, db, app, listener, addr, backend } = bulk::demo(&args, 1000).await?;
    let who = |login: &'static str| bulk::principal(&app, login);
    let roles = Arc::new(Roles {
        reception: who("tiepnhan.stp").await?,
        specialist: who("chuyenvien.stp").await?,
        head: who("truongphong.stp").await?,
        leader: who("lanhdao.stp").await?,
        clerk: who("vanthu.stp").await?,
        cashier: who("thuphi.stp").await?,
    });
    let input: onestop::service::SubmitInput = serde_json::from_value(json!({
        "procedure_code": "2.000505", "channel": "in_person",
        "applicant": {"kind": "citizen", "name": "Nguyễn Văn An", "citizen_id": "001090012345", "email": "an.nguyen@example.vn"},
        "form": {"ho_ten": "Nguyễn Văn An", "so_dinh_danh": "001090012345"}
    }))?;
    let input = Arc::new(input);
    // The consumers a province runs (applicants' notifications, the national portal's status
    // sync) are subscribed, so that every status change writes its deliveries as in service;
    // delivering them is the workers' business, outside the lifecycles measured here.
    for (consumer, topic) in [("notify", notify::service::DOSSIER_STATUS), ("lgsp-dossier-status", "onestop.dossier.status")] {
        kernel::outbox::subscribe(&db, consumer, topic).await?;
    }
    let year_start = instant(date!(2026 - 01 - 02), 8 * 60);
    let span = 360i64 * 86_400_000;
    eprintln!("{backend}: {n} full lifecycles with {workers} workers ...");
    let done = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut handles = Vec::new();
    for w in 0..workers {
        let (o, roles, input, done) = (app.onestop.clone(), roles.clone(), input.clone(), done.clone());
        handles.push(tokio::spawn(async move {
            let mut codes = Vec::new();
            let mut i = w;
            while i < n {
                let at = year_start + span * i as i64 / n as i64;
                codes.push(lifecycle(&o, &roles, at, &input).await.expect("lifecycle"));
                let k = done.fetch_add(1, Ordering::Relaxed) + 1;
                if k % 1000 == 0 {
                    eprintln!("  {k}/{n} dossiers ({:.0}/s)", k as f64 / started.elapsed().as_secs_f64());
                }
                i += workers;
            }
            codes
        }));
    }
    let mut codes = Vec::new();
    for h in handles {
        codes.extend(h.await?);
    }
    let secs = started.elapsed().as_secs_f64();
    let per_sec = n as f64 / secs;
    println!(
        "[{backend}] lifecycle: {n} dossiers in {secs:.1} s = {per_sec:.0} dossiers/s ({:.0} actions/s, 8 actions each; {workers} concurrent clients)",
        per_sec * 8.0
    );
    println!("[{backend}] projected for Sóc Trăng's 2020 (490,060 dossiers): {:.1} min (target < 10 min)", 490_060.0 / per_sec / 60.0);

    if year_rows > 0 {
        let t = Instant::now();
        bulk_year(&db, year_rows).await?;
        println!("[{backend}] added {year_rows} generated dossiers over 2026 for the statistics ({:.1} s)", t.elapsed().as_secs_f64());
    }
    let st = Statistics { from: "2026-01-01".into(), to: "2026-12-31".into(), group: None, agency_code: None };
    for group in ["agency", "procedure", "field"] {
        let s = Statistics { group: Some(group.into()), ..st.clone() };
        let t = Instant::now();
        let rows = app.onestop.statistics(&Principal::bootstrap(), &s).await?;
        let resolved: i64 = rows.iter().map(|r| r.resolved).sum();
        println!(
            "[{backend}] statistics for the year by {group}: {:.1} ms ({} rows, {resolved} resolved)",
            t.elapsed().as_secs_f64() * 1000.0,
            rows.len()
        );
    }

    // Lookup by code over HTTP at a fixed rate.
    // The API alone: the background workers would start on the deliveries the lifecycles
    // left pending (in service they are delivered as they come, not saved up for the end).
    let router = server::build_router(app.clone());
    let serving = tokio::spawn(async move {
        use axum::serve::ListenerExt;
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await
    });
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    let base = format!("http://{addr}");
    let total = (rate * lookup_secs) as usize;
    let interval = Duration::from_nanos(1_000_000_000 / rate.max(1));
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let lat = Arc::new(std::sync::Mutex::new(Vec::with_capacity(total)));
    let mut js = tokio::task::JoinSet::new();
    let t0 = Instant::now();
    for i in 0..total {
        tick.tick().await;
        let (client, lat) = (client.clone(), lat.clone());
        let url = format!("{base}/api/onestop/tracking/{}", codes[(i * 7919) % codes.len()]);
        js.spawn(async move {
            let t = Instant::now();
            let r = client.get(url).send().await.expect("lookup");
            assert!(r.status().is_success());
            let _ = r.bytes().await;
            lat.lock().unwrap().push(t.elapsed().as_secs_f64() * 1000.0);
        });
    }
    while js.join_next().await.is_some() {}
    let achieved = total as f64 / t0.elapsed().as_secs_f64();
    let mut l = lat.lock().unwrap().clone();
    l.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "[{backend}] lookup by code (GET /api/onestop/tracking/{{code}}) at {achieved:.0} req/s: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(&l, 0.5),
        pct(&l, 0.99),
        pct(&l, 1.0)
    );
    serving.abort();
    Ok(())
}
