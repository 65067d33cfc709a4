//! LGSP gateway benchmark against nginx as a plain reverse proxy (the baseline). Both
//! forward `GET /persons/1` to the same upstream (an nginx answering a small JSON document);
//! wrk drives each with the same connections for the same time. The gateway does its whole
//! job on every request: the client's token and subsystem, the service, the allow-list, the
//! X-Road headers, the message log (sealed as it is written). Prints requests/s, latency and
//! the ratio at the peak, then the p99 latency that nginx and the gateway add to the
//! upstream's own at a steady half of the gateway's peak.
//!
//! At the peak it also prints the CPU each spends per request (from `/proc`), which this
//! 2-core machine, shared by wrk, the upstream and the proxy, measures far more steadily than
//! requests/s: nginx's as the proxy (its workers'), the upstream's in each run, the gateway's
//! split into its serving threads (user and kernel), the message log's writer, the rest of the
//! process and, given PostgreSQL's `postmaster.pid`, the database server's processes. The
//! proxy and the upstream are two nginx instances, so that neither figure is guessed from the
//! other.
//!
//!   bench_lgsp --upstream http://127.0.0.1:U --nginx http://127.0.0.1:P [--seconds 10]
//!       [--connections 32] [--database-url postgres://...] [--nginx-pid FILE]
//!       [--upstream-pid FILE] [--postgres-pid FILE]

use std::os::unix::process::CommandExt;
use std::process::Command;

use serde_json::json;

#[path = "common/bulk.rs"]
#[allow(dead_code)]
mod bulk;
use bulk::{arg, proc_stat};

struct Figures {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    non_2xx: u64,
}

/// CPU seconds (user, kernel) used so far: by this process's threads, grouped as the serving
/// threads, the message log's writer and the rest; by the proxy's and the upstream's nginx
/// workers and by PostgreSQL's processes (the children of the process whose id the first line
/// of the given pid file holds).
#[derive(Clone, Copy, Default)]
struct Cpu {
    serving: (f64, f64),
    writer: (f64, f64),
    rest: (f64, f64),
    nginx: (f64, f64),
    upstream: (f64, f64),
    postgres: (f64, f64),
}

impl Cpu {
    fn now(pids: &Pids) -> Cpu {
        let mut c = Cpu::default();
        let tasks = std::fs::read_dir("/proc/self/task").into_iter().flatten().flatten();
        for t in tasks {
            let Some((comm, _, user, kernel)) = proc_stat(&t.path().join("stat")) else { continue };
            let group = if comm.starts_with("tinhso-http") {
                &mut c.serving
            } else if comm == "tinhso-lgsp-log" {
                &mut c.writer
            } else {
                &mut c.rest
            };
            (group.0, group.1) = (group.0 + user, group.1 + kernel);
        }
        c.nginx = children(pids.nginx.as_deref());
        c.upstream = children(pids.upstream.as_deref());
        c.postgres = children(pids.postgres.as_deref());
        c
    }
}

/// The pid files of the processes whose CPU is counted.
struct Pids {
    nginx: Option<String>,
    upstream: Option<String>,
    postgres: Option<String>,
}

/// CPU seconds (user, kernel) used by the children of the process whose id starts `pid_file`.
fn children(pid_file: Option<&str>) -> (f64, f64) {
    let master = pid_file.and_then(|f| std::fs::read_to_string(f).ok()).and_then(|p| p.lines().next()?.trim().parse::<u64>().ok());
    let Some(master) = master else { return (0.0, 0.0) };
    let mut sum = (0.0, 0.0);
    for p in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        if let Some((_, _, user, kernel)) = proc_stat(&p.path().join("stat")).filter(|s| s.1 == master) {
            sum = (sum.0 + user, sum.1 + kernel);
        }
    }
    sum
}

/// Microseconds per request of a CPU figure spent over `requests`.
fn per(a: (f64, f64), b: (f64, f64), requests: f64) -> (f64, f64) {
    ((b.0 - a.0) * 1e6 / requests, (b.1 - a.1) * 1e6 / requests)
}

/// Runs wrk and reads its summary (`--latency` percentiles, requests/s, non-2xx count). With
/// `pace_ms`, each connection waits that long after an answer before its next request (a
/// steady load below the peak instead of as fast as it goes).
fn wrk(url: &str, headers: &[(&str, &str)], seconds: u64, connections: u64, pace_ms: Option<u64>) -> anyhow::Result<Figures> {
    let mut cmd = Command::new("wrk");
    // wrk gets a session of its own. Linux groups a session's processes for the scheduler
    // (autogroup, on by default) and shares the CPU between groups first: nginx, a daemon, is
    // in a session of its own, but the gateway runs in this process, whose session wrk would
    // otherwise join, so wrk and the gateway would split one group's share while nginx had a
    // whole one, and the upstream (its own group too, under its share) would preempt the
    // gateway on every wake-up. It also ends with this process.
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    cmd.args(["-t2", &format!("-c{connections}"), &format!("-d{seconds}s"), "--latency"]);
    if let Some(ms) = pace_ms {
        let script = std::env::temp_dir().join(format!("tinhso-bench-pace-{}-{ms}.lua", std::process::id()));
        std::fs::write(&script, format!("function delay()\n  return {ms}\nend\n"))?;
        cmd.arg("-s").arg(script);
    }
    for (k, v) in headers {
        cmd.args(["-H", &format!("{k}: {v}")]);
    }
    let out = cmd.arg(url).output()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let ms = |label: &str| -> f64 {
        text.lines()
            .find(|l| l.trim_start().starts_with(label))
            .and_then(|l| l.split_whitespace().nth(1))
            .map(|v| {
                let (n, unit) = v.split_at(v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len()));
                let n: f64 = n.parse().unwrap_or(f64::NAN);
                match unit {
                    "us" => n / 1000.0,
                    "s" => n * 1000.0,
                    _ => n,
                }
            })
            .unwrap_or(f64::NAN)
    };
    let rps = text
        .lines()
        .find(|l| l.starts_with("Requests/sec:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("wrk printed no figures:\n{text}{}", String::from_utf8_lossy(&out.stderr)))?;
    let non_2xx = text
        .lines()
        .find(|l| l.trim_start().starts_with("Non-2xx"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Ok(Figures { rps, p50_ms: ms("50%"), p99_ms: ms("99%"), non_2xx })
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let upstream = arg(&args, "--upstream").ok_or_else(|| anyhow::anyhow!("--upstream http://127.0.0.1:PORT is required"))?;
    let nginx = arg(&args, "--nginx").ok_or_else(|| anyhow::anyhow!("--nginx http://127.0.0.1:PORT is required"))?;
    let pids = Pids { nginx: arg(&args, "--nginx-pid"), upstream: arg(&args, "--upstream-pid"), postgres: arg(&args, "--postgres-pid") };
    let seconds: u64 = arg(&args, "--seconds").and_then(|v| v.parse().ok()).unwrap_or(10);
    let connections: u64 = arg(&args, "--connections").and_then(|v| v.parse().ok()).unwrap_or(32);
    let bulk::Demo { _dir, db: _db, app, listener, addr, backend } = bulk::demo(&args, 1000).await?;
    let running = server::serve::start(app.clone(), listener).await?;
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();
    let admin = |path: &str, body: serde_json::Value| {
        let (http, url) = (http.clone(), format!("{base}{path}"));
        async move {
            let r = http.post(url).bearer_auth("bench").json(&body).send().await?;
            anyhow::ensure!(r.status().is_success(), "{}: {}", r.status(), r.text().await?);
            Ok::<serde_json::Value, anyhow::Error>(r.json().await?)
        }
    };
    let client =
        admin("/api/oidc/clients", json!({"name": "bench", "grant_types": ["client_credentials"], "scopes": ["lgsp:call"]})).await?;
    let (cid, secret) = (
        client["client"]["client_id"].as_str().unwrap_or_default().to_owned(),
        client["client_secret"].as_str().unwrap_or_default().to_owned(),
    );
    for (code, name) in [("000.00.13.H99", "Sở Tư pháp"), ("000.00.51.H99", "UBND huyện")] {
        admin("/api/lgsp/members", json!({"instance": "VN", "member_class": "GOV", "code": code, "name": name})).await?;
    }
    admin("/api/lgsp/members/VN/GOV/000.00.51.H99/subsystems", json!({"code": "motcua", "name": "Một cửa", "client_id": cid})).await?;
    admin("/api/lgsp/members/VN/GOV/000.00.13.H99/subsystems", json!({"code": "tuphap", "name": "Hộ tịch"})).await?;
    let s = admin(
        "/api/lgsp/subsystems/VN/GOV/000.00.13.H99/tuphap/services",
        json!({"code": "persons", "version": "1", "name": "Tra cứu", "upstream_url": upstream}),
    )
    .await?;
    let sid = s["id"].as_str().unwrap_or_default().to_owned();
    for st in ["testing", "published"] {
        admin(&format!("/api/lgsp/services/{sid}/state"), json!({"state": st})).await?;
    }
    admin(&format!("/api/lgsp/services/{sid}/access"), json!({"client": "VN/GOV/000.00.51.H99/motcua", "method": "GET"})).await?;
    let t = http
        .post(format!("{base}/oauth/token"))
        .basic_auth(&cid, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await?;
    let token: serde_json::Value = t.json().await?;
    let token = token["access_token"].as_str().unwrap_or_default().to_owned();
    let bearer = format!("Bearer {token}");
    let gw_url = format!("{base}/r1/VN/GOV/000.00.13.H99/tuphap/persons/persons/1");
    let probe = http.get(&gw_url).header("X-Road-Client", "VN/GOV/000.00.51.H99/motcua").bearer_auth(&token).send().await?;
    anyhow::ensure!(probe.status().is_success(), "the gateway refused the benchmark's call: {}", probe.text().await?);

    eprintln!("[{backend}] {seconds} s each, {connections} connections, 2 wrk threads, on this machine's 2 cores ...");
    // Every phase sends the same request: the gateway's path, its X-Road client header and the
    // bearer token. nginx passes them all on to the upstream; the gateway checks and consumes
    // them. (Until session 16 nginx and the upstream got a bare `GET /persons/1`, about 900
    // bytes less to read and forward per request than the gateway.)
    let path = gw_url.trim_start_matches(&base);
    let (g_url, n_url) = (gw_url.clone(), format!("{nginx}{path}"));
    let hdrs = vec![("X-Road-Client".to_owned(), "VN/GOV/000.00.51.H99/motcua".to_owned()), ("Authorization".to_owned(), bearer)];
    let run = |url: String, headers: Vec<(String, String)>, connections: u64, pace: Option<u64>| {
        tokio::task::spawn_blocking(move || {
            let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            wrk(&url, &h, seconds, connections, pace)
        })
    };
    let c0 = Cpu::now(&pids);
    let baseline = run(n_url.clone(), hdrs.clone(), connections, None).await??;
    let c1 = Cpu::now(&pids);
    let ours = run(g_url.clone(), hdrs.clone(), connections, None).await??;
    let c2 = Cpu::now(&pids);
    // Half of the gateway's peak, the same steady load on the upstream itself, on nginx and on
    // the gateway: what each adds to the upstream's own latency.
    const PACE_MS: u64 = 10;
    let half = ours.rps / 2.0;
    let paced_conns = ((half * PACE_MS as f64 / 1000.0).round() as u64).max(2);
    let direct_url = format!("{upstream}{path}");
    let direct_half = run(direct_url, hdrs.clone(), paced_conns, Some(PACE_MS)).await??;
    let nginx_half = run(n_url, hdrs.clone(), paced_conns, Some(PACE_MS)).await??;
    let ours_half = run(g_url, hdrs, paced_conns, Some(PACE_MS)).await??;
    // Let the log catch up, then count what it holds.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let logged = kernel::db::q("SELECT COUNT(*) FROM lgsp_messages").fetch_i64(&app.db).await?;
    let sealed = kernel::db::q("SELECT COUNT(*) FROM lgsp_messages WHERE batch_seq IS NOT NULL").fetch_i64(&app.db).await?;
    println!(
        "[{backend}] nginx proxy:  {:>9.0} req/s  p50 {:.2} ms  p99 {:.2} ms  non-2xx {}",
        baseline.rps, baseline.p50_ms, baseline.p99_ms, baseline.non_2xx
    );
    println!(
        "[{backend}] LGSP gateway: {:>9.0} req/s  p50 {:.2} ms  p99 {:.2} ms  non-2xx {}",
        ours.rps, ours.p50_ms, ours.p99_ms, ours.non_2xx
    );
    println!(
        "[{backend}] ratio gateway/nginx: {:.2} (target > 1); exchanges in the message log: {logged}, sealed: {sealed}",
        ours.rps / baseline.rps
    );
    {
        let (n_base, n_ours) = (baseline.rps * seconds as f64, ours.rps * seconds as f64);
        let sum = |c: (f64, f64)| c.0 + c.1;
        let serving = per(c1.serving, c2.serving, n_ours);
        let (writer, rest) = (sum(per(c1.writer, c2.writer, n_ours)), sum(per(c1.rest, c2.rest, n_ours)));
        let postgres = sum(per(c1.postgres, c2.postgres, n_ours));
        let gateway = sum(serving) + writer + rest + postgres;
        if pids.nginx.is_some() {
            let proxy = per(c0.nginx, c1.nginx, n_base);
            println!(
                "[{backend}] CPU per request at the peak: nginx as the proxy {:.1} µs (user {:.1}, kernel {:.1})",
                sum(proxy),
                proxy.0,
                proxy.1
            );
        }
        if pids.upstream.is_some() {
            println!(
                "[{backend}] CPU per request at the peak: the upstream {:.1} µs behind nginx, {:.1} µs behind the gateway",
                sum(per(c0.upstream, c1.upstream, n_base)),
                sum(per(c1.upstream, c2.upstream, n_ours))
            );
        }
        println!(
            "[{backend}] CPU per request at the peak: gateway {gateway:.1} µs: serving threads {:.1} (user {:.1}, kernel {:.1}), log writer {writer:.1}, rest {rest:.1}{}",
            sum(serving),
            serving.0,
            serving.1,
            if pids.postgres.is_some() { format!(", PostgreSQL {postgres:.1}") } else { String::new() }
        );
    }
    println!("[{backend}] at half of the gateway's peak ({paced_conns} connections, each pausing {PACE_MS} ms between requests):");
    for (name, f) in [("upstream itself", &direct_half), ("nginx proxy", &nginx_half), ("LGSP gateway", &ours_half)] {
        println!("[{backend}]   {name:<16} {:>8.0} req/s  p50 {:.2} ms  p99 {:.2} ms  non-2xx {}", f.rps, f.p50_ms, f.p99_ms, f.non_2xx);
    }
    println!(
        "[{backend}] p99 added to the upstream's at half load: nginx {:.2} ms, gateway {:.2} ms (target < 1 ms)",
        nginx_half.p99_ms - direct_half.p99_ms,
        ours_half.p99_ms - direct_half.p99_ms
    );
    let _ = running.shutdown.send(true);
    let _ = running.done.await;
    Ok(())
}
