//! Page benchmark: server time of the five busiest pages — home, a procedure, "my dossiers",
//! the officer's inbox, a dossier — with a year of dossiers loaded (Sóc Trăng's 490,060 of
//! 2020 by default, generated over 2026; one in a thousand belongs to the demo citizen, the
//! open ones of the Department of Justice are tasks in the specialist's inbox). Requests over
//! loopback HTTP with a few concurrent clients; prints p50/p99 per page.
//!
//!   cargo run --release -p server --example bench_pages -- [--year-rows N] [--requests N]
//!       [--database-url postgres://...]

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

#[path = "common/bulk.rs"]
mod bulk;
use bulk::{arg, pct};

async fn login(http: &reqwest::Client, base: &str, login: &str, totp: Option<String>) -> anyhow::Result<String> {
    let r = http
        .post(format!("{base}/api/identity/login"))
        .json(&json!({"login": login, "password": identity::seed::DEMO_PASSWORD, "totp": totp}))
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "sign-in of {login} failed: {}", r.status());
    Ok(r.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or("").split(';').next().unwrap_or("").to_owned())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let year_rows: i64 = arg(&args, "--year-rows").and_then(|v| v.parse().ok()).unwrap_or(490_060);
    let requests: usize = arg(&args, "--requests").and_then(|v| v.parse().ok()).unwrap_or(2000);
    let bulk::Demo { _dir, db, app, listener, addr, backend } = bulk::demo(&args, 500).await?;
    let who = |login: &'static str| bulk::principal(&app, login);
    // A real dossier of the demo citizen, accepted and waiting for the specialist.
    let citizen = who("001090012345").await?;
    let input: onestop::service::SubmitInput =
        serde_json::from_value(json!({"procedure_code": "2.000505", "form": {"ho_ten": "Nguyễn Văn An", "so_dinh_danh": "001090012345"}}))?;
    let d = app.onestop.submit(&citizen, &input).await?;
    let d = app.onestop.accept(&who("tiepnhan.stp").await?, &d.id, &onestop::service::actions::Versioned { version: d.version }).await?;
    eprintln!("{backend}: loading {year_rows} dossiers ...");
    let t = Instant::now();
    bulk::bulk_year(&db, year_rows).await?;
    let agency = catalog::store::agencies::find_id(&db, "000.00.13.H99").await?.expect("agency");
    kernel::db::q("UPDATE dossiers SET account_id = $1 WHERE id LIKE 'bulk-%' AND CAST(substr(id, 6) AS INTEGER) % 1000 = 0")
        .bind(citizen.id.as_str())
        .execute(&db)
        .await?;
    kernel::db::q(
        "INSERT INTO tasks (id, dossier_id, step_id, step_name, kind, role, agency_id, agency_code, status, started_at, due_at, version)
         SELECT 'bt-' || id, id, 'process', 'Thụ lý, thẩm định hồ sơ', 'task', 'specialist', $1, '000.00.13.H99', 'open', accepted_at, accepted_at + 86400000, 1
         FROM dossiers WHERE id LIKE 'bulk-%' AND status = 4 AND agency_id = $1",
    )
    .bind(agency.as_str())
    .execute(&db)
    .await?;
    // As any database in service, statistics are up to date for the planner.
    kernel::db::q("ANALYZE").execute(&db).await?;
    let tasks = kernel::db::q("SELECT COUNT(*) FROM tasks WHERE status = 'open'").fetch_i64(&db).await?;
    let mine = kernel::db::q("SELECT COUNT(*) FROM dossiers WHERE account_id = $1").bind(citizen.id.as_str()).fetch_i64(&db).await?;
    println!(
        "[{backend}] loaded {year_rows} dossiers in {:.1} s; the citizen has {mine}, the specialist's inbox {tasks} open tasks",
        t.elapsed().as_secs_f64()
    );

    let running = server::serve::start(app.clone(), listener).await?;
    let base = format!("http://{addr}");
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let citizen_cookie = login(&http, &base, "001090012345", None).await?;
    let specialist_cookie = login(&http, &base, "chuyenvien.stp", None).await?;
    let pages: Vec<(&str, String, Option<String>)> = vec![
        ("home", "/".into(), None),
        ("procedure", "/procedures/2.000505".into(), None),
        ("my dossiers", "/dossiers".into(), Some(citizen_cookie.clone())),
        ("inbox", "/dossiers".into(), Some(specialist_cookie.clone())),
        ("dossier", format!("/dossiers/{}", d.id), Some(specialist_cookie.clone())),
        ("inbox API", "/api/onestop/tasks".into(), Some(specialist_cookie.clone())),
        ("dossiers API", "/api/onestop/dossiers".into(), Some(specialist_cookie.clone())),
    ];
    for (name, path, cookie) in pages {
        let lat = Arc::new(std::sync::Mutex::new(Vec::with_capacity(requests)));
        let started = Instant::now();
        let mut js = tokio::task::JoinSet::new();
        for w in 0..4 {
            let (http, url, cookie, lat) = (http.clone(), format!("{base}{path}"), cookie.clone(), lat.clone());
            js.spawn(async move {
                for _ in (w..requests).step_by(4) {
                    let mut req = http.get(&url);
                    if let Some(c) = &cookie {
                        req = req.header("cookie", c);
                    }
                    let t = Instant::now();
                    let r = req.send().await.expect("request");
                    assert!(r.status().is_success(), "{url}: {}", r.status());
                    let _ = r.bytes().await;
                    lat.lock().unwrap().push(t.elapsed().as_secs_f64() * 1000.0);
                }
            });
        }
        while js.join_next().await.is_some() {}
        let rate = requests as f64 / started.elapsed().as_secs_f64();
        let mut l = lat.lock().unwrap().clone();
        l.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "[{backend}] {name:<12} {path:<44} p50 {:6.2} ms  p99 {:6.2} ms  ({rate:.0} req/s, 4 clients)",
            pct(&l, 0.5),
            pct(&l, 0.99)
        );
    }
    let _ = running.shutdown.send(true);
    let _ = running.done.await;
    Ok(())
}
