//! The LGSP message log's writing cost alone, without the network: records like the gateway
//! benchmark's (a GET with its X-Road names, hashes, sizes), written and sealed as the log's
//! writer does it (`log::record_sealed`, one transaction per batch), at the batch sizes the
//! writer meets (50 at a light load, 500 around 25,000 requests/s, 2,000 its largest). Prints
//! microseconds of the writer's thread per record and records per second, which is steady on
//! a machine whose end-to-end figures are not.
//!
//! Then times the evidence of one exchange among all those records.
//!
//!   bench_lgsp_log [--records 100000] [--database-url postgres://...]

use std::time::Instant;

use data_encoding::BASE64;
use sha2::{Digest, Sha512};

#[path = "common/bulk.rs"]
#[allow(dead_code)]
mod bulk;
use bulk::arg;

/// A record as the gateway benchmark's calls leave them, numbered `i`.
fn exchange(i: u64) -> lgsp::log::Exchange {
    let hash = |s: &str| BASE64.encode(&Sha512::digest(s.as_bytes()));
    // A time-ordered id (UUID v7) and the moment it names, as the gateway makes them.
    let (request_id, at) = kernel::id::new_id_at();
    lgsp::log::Exchange {
        request_id,
        at,
        client: "VN/GOV/000.00.51.H99/motcua".into(),
        service: "VN/GOV/000.00.13.H99/tuphap/persons".into(),
        method: "GET".into(),
        path: "/r1/VN/GOV/000.00.13.H99/tuphap/persons/persons/1".into(),
        status: 200,
        error: None,
        request_hash: hash(""),
        response_hash: hash(&format!("{{\"id\":\"{i}\"}}")),
        request_bytes: 0,
        response_bytes: 52,
        duration_ms: 1,
        user_id: None,
        request_body: None,
        response_body: None,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let records: u64 = arg(&args, "--records").and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let bulk::Demo { _dir, db, .. } = bulk::demo(&args, 1000).await?;
    let key = lgsp::log::SealKey::load_or_create(&_dir.path().join("seal.key"))?;
    let backend = db.backend().name();
    let mut next = 0u64;
    for batch in [50u64, 500, 2000] {
        let rounds = (records / batch).max(1);
        let xs: Vec<Vec<lgsp::log::Exchange>> = (0..rounds)
            .map(|_| {
                (0..batch)
                    .map(|_| {
                        exchange({
                            next += 1;
                            next
                        })
                    })
                    .collect()
            })
            .collect();
        let (wall, cpu) = (Instant::now(), process_cpu());
        for chunk in &xs {
            lgsp::log::record_sealed(&db, &key, chunk).await?;
        }
        let (wall, cpu) = (wall.elapsed().as_secs_f64(), process_cpu() - cpu);
        let n = (rounds * batch) as f64;
        println!(
            "[{backend}] batches of {batch:>4}: {:>7.2} µs per record on the wall, {:>6.2} µs of the process's CPU, {:>8.0} records/s",
            wall * 1e6 / n,
            cpu * 1e6 / n,
            n / wall
        );
    }
    let logged = kernel::db::q("SELECT COUNT(*) FROM lgsp_messages WHERE batch_seq IS NOT NULL").fetch_i64(&db).await?;
    anyhow::ensure!(logged as u64 == next, "{logged} records sealed of {next} written");
    println!("[{backend}] {logged} records written, every one sealed");
    // One exchange's evidence among them all, as an administrator asks for it.
    let mut took = Vec::new();
    for k in 1..=20 {
        let id = kernel::db::q("SELECT request_id FROM lgsp_messages WHERE seq = $1").bind(logged * k / 21).fetch_one(&db).await?;
        let id: String = id.get("request_id")?;
        let t = Instant::now();
        let ev = lgsp::log::evidence(&db, &id, &key).await?;
        took.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(ev["sealed"] == true && ev["record"]["request_id"] == id.as_str(), "evidence of {id}: {ev}");
    }
    took.sort_by(f64::total_cmp);
    println!(
        "[{backend}] one exchange's evidence among {logged} records: median {:.2} ms, slowest {:.2} ms",
        took[took.len() / 2],
        took[took.len() - 1]
    );
    Ok(())
}

/// CPU seconds this process has used (the writer's work runs on this thread, and on
/// SQLite's worker thread when the backend is SQLite).
fn process_cpu() -> f64 {
    bulk::proc_stat(std::path::Path::new("/proc/self/stat")).map_or(0.0, |(_, _, user, kernel)| user + kernel)
}
