//! The LGSP monitoring page for administrators: throughput over time, exchanges, errors and
//! latency per service (charts and a table), the latest failures, the registry's services and
//! the state of the message log with its archive files (and a form to archive now); the figures
//! per service and per hour as CSV for spreadsheets. Metadata only, never payloads.

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use kernel::db::q;
use serde::Deserialize;
use web::chart::{bar_chart, column_chart};
use web::{Caller, Shell, render};

use crate::Lgsp;

pub struct ServiceRow {
    pub service: String,
    pub exchanges: i64,
    pub errors: i64,
    pub avg_ms: f64,
    pub max_ms: i64,
}

pub struct Failure {
    pub at: String,
    pub client: String,
    pub service: String,
    pub status: i64,
    pub error: String,
}

pub struct ArchiveRow {
    pub at: String,
    pub batches: String,
    pub records: String,
    pub file: String,
    pub node: String,
    pub sha256: String,
}

pub struct Registered {
    pub id: String,
    pub service: String,
    pub version: String,
    pub state: String,
}

#[derive(Template)]
#[template(path = "monitoring.html")]
struct MonitoringPage {
    shell: Shell,
    hours: i64,
    total: i64,
    errors: i64,
    avg_ms: f64,
    over_time: String,
    by_service_chart: String,
    latency_chart: String,
    rows: Vec<ServiceRow>,
    failures: Vec<Failure>,
    services: Vec<Registered>,
    batches: i64,
    unsealed: i64,
    last_sealed: String,
    csrf: String,
    notice: Option<String>,
    problems: Vec<String>,
    /// The archive directory, and the retention period in days.
    archive_dir: String,
    retention_days: Option<u32>,
    archives: Vec<ArchiveRow>,
    /// The day the archive form proposes.
    archive_before: String,
}

impl MonitoringPage {
    fn ms(&self, v: &f64) -> String {
        format!("{v:.1}")
    }

    fn rate(&self) -> String {
        if self.total == 0 { "0".into() } else { format!("{:.1}", self.errors as f64 * 100.0 / self.total as f64) }
    }
}

#[derive(Deserialize, Default)]
pub(super) struct Period {
    /// Read leniently: a page given a period it cannot read shows the default (24 hours).
    hours: Option<String>,
    ok: Option<String>,
    tag: Option<String>,
    /// For the CSV: `service` (the default) or `hour`.
    by: Option<String>,
}

impl Period {
    fn hours(&self) -> i64 {
        self.hours.as_deref().and_then(|h| h.trim().parse().ok()).unwrap_or(24)
    }
}

const HOUR: i64 = 3_600_000;

/// The start of the first of the last `hours` whole hours (the current one included).
fn window(hours: i64) -> i64 {
    (kernel::time::now_ms() / HOUR - hours + 1) * HOUR
}

/// Exchanges, errors and times per service since `from`, the busiest first.
async fn by_service(l: &Lgsp, from: i64) -> kernel::Result<Vec<ServiceRow>> {
    q("SELECT service, COUNT(*) AS n, SUM(CASE WHEN status >= 400 OR error IS NOT NULL THEN 1 ELSE 0 END) AS errors,
              AVG(CAST(duration_ms AS DOUBLE PRECISION)) AS avg_ms, MAX(duration_ms) AS max_ms
       FROM lgsp_messages WHERE at >= $1 GROUP BY service ORDER BY COUNT(*) DESC, service")
    .bind(from)
    .long()
    .fetch_all(&l.db)
    .await?
    .iter()
    .map(|r| {
        Ok(ServiceRow {
            service: r.text("service")?,
            exchanges: r.int("n")?,
            errors: r.get::<Option<i64>>("errors")?.unwrap_or(0),
            avg_ms: r.get::<Option<f64>>("avg_ms")?.unwrap_or(0.0),
            max_ms: r.get::<Option<i64>>("max_ms")?.unwrap_or(0),
        })
    })
    .collect()
}

/// Exchanges and errors in each of the `hours` hours from `from` (every hour, empty ones too).
async fn by_hour(l: &Lgsp, from: i64, hours: i64) -> kernel::Result<Vec<(i64, i64, i64)>> {
    let mut out: Vec<(i64, i64, i64)> = (0..hours).map(|i| (from + i * HOUR, 0, 0)).collect();
    let rows = q("SELECT (at - $1) / 3600000 AS h, COUNT(*) AS n,
                         SUM(CASE WHEN status >= 400 OR error IS NOT NULL THEN 1 ELSE 0 END) AS errors
                  FROM lgsp_messages WHERE at >= $1 GROUP BY 1")
    .bind(from)
    .long()
    .fetch_all(&l.db)
    .await?;
    for r in rows {
        if let Some(c) = usize::try_from(r.int("h")?).ok().and_then(|i| out.get_mut(i)) {
            c.1 = r.int("n")?;
            c.2 = r.get::<Option<i64>>("errors")?.unwrap_or(0);
        }
    }
    Ok(out)
}

/// `GET /admin/lgsp/monitoring.csv?hours=&by=service|hour`: the page's figures as CSV (UTF-8
/// with a byte order mark, so spreadsheets show Vietnamese right), headed in the page's language.
pub(super) async fn csv(State(l): State<Lgsp>, shell: Shell, caller: Caller, web::Query(p): web::Query<Period>) -> Response {
    if let Err(r) = super::lgsp_admin(&shell, &caller, HERE) {
        return r;
    }
    let hours = p.hours().clamp(1, 24 * 31);
    let from = window(hours);
    let t = |vi: &'static str, en: &'static str| shell.t(vi, en);
    let per_hour = p.by.as_deref() == Some("hour");
    let table = async {
        let mut table: Vec<Vec<String>> = Vec::new();
        if per_hour {
            table.push(vec![t("Giờ bắt đầu", "Hour starting").into(), t("Trao đổi", "Exchanges").into(), t("Lỗi", "Errors").into()]);
            for (start, n, errors) in by_hour(&l, from, hours).await? {
                let at = kernel::time::vn_datetime(start)
                    .format(&time::macros::format_description!("[year]-[month]-[day] [hour]:00"))
                    .unwrap_or_default();
                table.push(vec![at, n.to_string(), errors.to_string()]);
            }
        } else {
            table.push(
                [
                    t("Dịch vụ", "Service"),
                    t("Trao đổi", "Exchanges"),
                    t("Lỗi", "Errors"),
                    t("Tỷ lệ lỗi (%)", "Error rate (%)"),
                    t("Thời gian TB (ms)", "Average time (ms)"),
                    t("Lâu nhất (ms)", "Longest (ms)"),
                ]
                .map(String::from)
                .to_vec(),
            );
            for r in by_service(&l, from).await? {
                let rate = if r.exchanges > 0 { r.errors as f64 * 100.0 / r.exchanges as f64 } else { 0.0 };
                table.push(vec![
                    r.service,
                    r.exchanges.to_string(),
                    r.errors.to_string(),
                    format!("{rate:.1}"),
                    format!("{:.1}", r.avg_ms),
                    r.max_ms.to_string(),
                ]);
            }
        }
        Ok::<_, kernel::Error>(table)
    };
    let written = table.await.and_then(|table| {
        let mut w = ::csv::WriterBuilder::new().terminator(::csv::Terminator::CRLF).from_writer(vec![0xEF, 0xBB, 0xBF]);
        for row in &table {
            w.write_record(row).map_err(|e| kernel::Error::internal(e.to_string()))?;
        }
        w.into_inner().map_err(|e| kernel::Error::internal(e.to_string()))
    });
    match written {
        Ok(bytes) => {
            let day = kernel::time::date_text(kernel::time::today_vn());
            let name = format!("lgsp-{}-{hours}h-{day}.csv", if per_hour { "theo-gio" } else { "theo-dich-vu" });
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
                ],
                bytes,
            )
                .into_response()
        }
        Err(e) => web::page::error_page(shell, e),
    }
}

fn when(ms: i64) -> String {
    kernel::time::vn_datetime(ms).format(&time::macros::format_description!("[day]/[month] [hour]:[minute]:[second]")).unwrap_or_default()
}

pub(super) async fn page(State(l): State<Lgsp>, shell: Shell, caller: Caller, web::Query(p): web::Query<Period>) -> Response {
    if let Err(r) = super::lgsp_admin(&shell, &caller, HERE) {
        return r;
    }
    show(&l, shell, &caller, p.hours(), super::Notice { ok: p.ok, tag: p.tag }.text(), vec![], None).await
}

const HERE: &str = "/admin/lgsp";

/// Archives the batches sealed before the posted day, and says what it did.
pub(super) async fn archive(State(l): State<Lgsp>, shell: Shell, caller: Caller, body: String) -> Response {
    let (_, f) = match super::posted(&shell, &caller, HERE, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let en = shell.lang.is_en();
    match l.archive_now(f.opt("before").as_deref()).await {
        Ok(run) if run.files.is_empty() => super::done(
            HERE,
            &if en {
                format!("No batch was sealed before {}; nothing archived.", run.before)
            } else {
                format!("Không có lô nào niêm phong trước {}; không có gì để lưu trữ.", run.before)
            },
        ),
        Ok(run) => {
            let records: i64 = run.files.iter().map(|a| a.records).sum();
            let batches: i64 = run.files.iter().map(|a| a.batches).sum();
            let more = match (run.more, en) {
                (false, _) => "",
                (true, true) => " More remain: archive again.",
                (true, false) => " Vẫn còn lô cũ hơn: hãy lưu trữ tiếp.",
            };
            let text = if en {
                format!(
                    "{batches} batch(es), {records} record(s) sealed before {} archived into {} file(s).{more}",
                    run.before,
                    run.files.len()
                )
            } else {
                format!("Đã lưu trữ {batches} lô, {records} bản ghi niêm phong trước {} vào {} tệp.{more}", run.before, run.files.len())
            };
            super::done(HERE, &text)
        }
        Err(e) => {
            let problems = super::problems(e);
            let r = show(&l, shell, &caller, 24, None, problems.clone(), f.opt("before")).await;
            super::failed(r, &problems)
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn show(
    l: &Lgsp,
    shell: Shell,
    caller: &Caller,
    hours: i64,
    notice: Option<String>,
    problems: Vec<String>,
    archive_before: Option<String>,
) -> Response {
    let hours = hours.clamp(1, 24 * 31);
    let title = shell.t("Giám sát nền tảng tích hợp (LGSP)", "Integration platform monitoring (LGSP)").to_owned();
    let shell = shell.titled(title, "admin");
    let en = shell.lang.is_en();
    let run = async {
        let from = window(hours);
        let rows = by_service(l, from).await?;
        let columns: Vec<(String, i64)> = by_hour(l, from, hours)
            .await?
            .into_iter()
            .map(|(start, n, _)| {
                let label = kernel::time::vn_datetime(start)
                    .format(&time::macros::format_description!("[hour]h [day]/[month]"))
                    .unwrap_or_default();
                (label, n)
            })
            .collect();
        let failures =
            q("SELECT at, client, service, status, error FROM lgsp_messages WHERE at >= $1 AND (status >= 400 OR error IS NOT NULL)
                          ORDER BY seq DESC LIMIT 20")
            .bind(from)
            .fetch_all(&l.db)
            .await?
            .iter()
            .map(|r| {
                Ok(Failure {
                    at: when(r.int("at")?),
                    client: r.text("client")?,
                    service: r.text("service")?,
                    status: r.int("status")?,
                    error: r.opt_text("error")?.unwrap_or_default(),
                })
            })
            .collect::<kernel::Result<Vec<_>>>()?;
        let services = l
            .services_all()
            .await?
            .into_iter()
            .map(|s| Registered {
                service: s.text(),
                id: s.id,
                version: s.version,
                state: super::state_name(&s.state, shell.lang.is_en()).to_owned(),
            })
            .collect::<Vec<_>>();
        let batches = q("SELECT COUNT(*) FROM lgsp_batches").fetch_i64(&l.db).await?;
        let unsealed = q("SELECT COUNT(*) FROM lgsp_messages WHERE batch_seq IS NULL").fetch_i64(&l.db).await?;
        let last_sealed = q("SELECT MAX(sealed_at) AS t FROM lgsp_batches")
            .fetch_one(&l.db)
            .await?
            .get::<Option<i64>>("t")?
            .map(when)
            .unwrap_or_default();
        let retention = l.retention();
        let retention_days = retention.and_then(|r| r.days);
        let archives = l
            .archives(10)
            .await?
            .into_iter()
            .map(|a| ArchiveRow {
                at: when(a.archived_at),
                batches: format!("{}–{}", a.from_batch, a.to_batch),
                records: a.records.map(|n| n.to_string()).unwrap_or_else(|| "—".into()),
                file: a.file,
                node: a.node.unwrap_or_else(|| "—".into()),
                sha256: a.sha256.chars().take(16).collect(),
            })
            .collect();
        let proposed = retention_days.map(|d| kernel::time::date_text(kernel::time::today_vn() - time::Duration::days(i64::from(d))));
        let total: i64 = rows.iter().map(|r| r.exchanges).sum();
        let errors: i64 = rows.iter().map(|r| r.errors).sum();
        let avg_ms = if total > 0 { rows.iter().map(|r| r.avg_ms * r.exchanges as f64).sum::<f64>() / total as f64 } else { 0.0 };
        let t = |vi: &str, e: &str| if en { e.to_owned() } else { vi.to_owned() };
        let short = |s: &str| s.rsplit('/').take(2).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("/");
        Ok::<_, kernel::Error>(render(&MonitoringPage {
            hours,
            total,
            errors,
            avg_ms,
            over_time: column_chart("per-hour", &t("Số trao đổi mỗi giờ", "Exchanges per hour"), &columns, (hours as usize / 6).max(1)),
            by_service_chart: bar_chart(
                "per-service",
                &t("Trao đổi theo dịch vụ", "Exchanges by service"),
                &rows.iter().map(|r| (short(&r.service), r.exchanges)).collect::<Vec<_>>(),
            ),
            latency_chart: bar_chart(
                "latency",
                &t("Thời gian trung bình (ms) theo dịch vụ", "Average time (ms) by service"),
                &rows.iter().map(|r| (short(&r.service), r.avg_ms.round() as i64)).collect::<Vec<_>>(),
            ),
            rows,
            failures,
            services,
            batches,
            unsealed,
            last_sealed,
            csrf: caller.csrf.clone().unwrap_or_default(),
            notice,
            problems,
            archive_dir: retention.map(|r| r.dir.display().to_string()).unwrap_or_default(),
            retention_days,
            archives,
            archive_before: archive_before.or(proposed).unwrap_or_default(),
            shell: shell.clone(),
        }))
    };
    run.await.unwrap_or_else(|e| web::page::error_page(shell, e))
}
