//! A year of generated dossiers for the benchmarks.

use onestop::model::deadline::instant;
use time::macros::date;

/// Adds `n` finished and pending dossiers spread over 2026, copied from a real one with
/// varied agency, procedure, channel, dates and supplement counts, so the statistics run over
/// a province's year without running every lifecycle.
pub async fn bulk_year(db: &kernel::db::Db, n: i64) -> anyhow::Result<()> {
    let day = |col: &str| match db.backend() {
        kernel::db::Backend::Sqlite => format!("date(({col}) / 1000 + 25200, 'unixepoch')"),
        kernel::db::Backend::Postgres => format!("to_char(to_timestamp(({col}) / 1000 + 25200) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"),
    };
    let start = instant(date!(2026 - 01 - 02), 8 * 60);
    let accepted = format!("({start} + s.n * 31536000000 / {n})");
    let processed = format!("({accepted} + (s.n % 20) * 86400000)");
    let sql = format!(
        "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {n})
         INSERT INTO dossiers (id, code, procedure_id, procedure_version_id, procedure_code, procedure_version, procedure_name, field_code,
             process_id, agency_id, agency_code, account_id, applicant, proxy, channel, status, form, fee_total, paid, legal_value, legal_unit,
             submitted_at, accepted_at, received_on, due_on, original_due_on, processed_at, returned_at, current_step, paused_days,
             supplement_count, version, updated_at)
         SELECT 'bulk-' || s.n, NULL, d.procedure_id, d.procedure_version_id, '9.' || (s.n % 61), 1, 'Thủ tục ' || (s.n % 61), 'F' || (s.n % 16),
             d.process_id, COALESCE((SELECT g.id FROM agencies g WHERE g.code = '000.00.' || (10 + s.n % 30) || '.H99'), d.agency_id), '000.00.' || (10 + s.n % 30) || '.H99', NULL, d.applicant, NULL, 1 + s.n % 3,
             CASE WHEN s.n % 25 = 0 THEN 4 ELSE 10 END, d.form, 0, 0, 10, 'working_days',
             {accepted}, {accepted}, {acc_day}, {due_day}, {due_day},
             CASE WHEN s.n % 25 = 0 THEN NULL ELSE {processed} END, CASE WHEN s.n % 25 = 0 THEN NULL ELSE {processed} END, NULL, 0,
             CASE WHEN s.n % 97 = 0 THEN 2 ELSE 0 END, 1, {accepted}
         FROM s, (SELECT * FROM dossiers LIMIT 1) d",
        acc_day = day(&accepted),
        due_day = day(&format!("{accepted} + 14 * 86400000")),
    );
    kernel::db::q(sql).execute(db).await?;
    Ok(())
}

/// The value after `name` on the command line.
pub fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

/// A task's or process's name, parent, and user and kernel CPU seconds, from its `stat` file.
#[allow(dead_code)] // used by the LGSP benchmarks only
pub fn proc_stat(path: &std::path::Path) -> Option<(String, u64, f64, f64)> {
    let text = std::fs::read_to_string(path).ok()?;
    let (head, rest) = text.rsplit_once(')')?;
    let comm = head.split_once('(')?.1.to_owned();
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state, ppid, ... utime and stime are the 12th and 13th (clock ticks).
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).map(|t| t / 100.0);
    Some((comm, f.get(1)?.parse().ok()?, ticks(11)?, ticks(12)?))
}

/// The `p` quantile of sorted figures.
pub fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The demo province on a fresh database (SQLite in a temporary directory, or the
/// `--database-url` given), with a listener ready for the server.
pub struct Demo {
    pub _dir: tempfile::TempDir,
    pub db: kernel::db::Db,
    pub app: server::App,
    pub listener: tokio::net::TcpListener,
    pub addr: std::net::SocketAddr,
    pub backend: &'static str,
}

pub async fn demo(args: &[String], outbox_poll_ms: u64) -> anyhow::Result<Demo> {
    let dir = tempfile::tempdir()?;
    let mut config =
        kernel::config::Config { data_dir: dir.path().to_path_buf(), db_max_connections: 16, outbox_poll_ms, ..Default::default() };
    config.database_url =
        Some(arg(args, "--database-url").unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display())));
    config.admin_token = Some("bench".into());
    let db = server::serve::open(&config).await?;
    let backend = db.backend().name();
    let cat = catalog::Catalog::new(db.clone());
    catalog::seed::system(&cat).await?;
    catalog::seed::demo(&cat).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    config.public_url = Some(format!("http://{addr}"));
    let app = server::App::new(db.clone(), config, "bench".into());
    identity::seed::demo(&app.identity).await?;
    Ok(Demo { _dir: dir, db, app, listener, addr, backend })
}

/// The principal of a demo account, with its second factor passed.
pub async fn principal(app: &server::App, login: &str) -> anyhow::Result<kernel::authz::Principal> {
    let c = identity::store::accounts::credentials(&app.db, login).await?.ok_or_else(|| anyhow::anyhow!("no demo account {login}"))?;
    Ok(app.identity.principal(&c.id, true).await?)
}
