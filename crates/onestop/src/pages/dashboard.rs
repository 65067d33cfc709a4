//! The leaders' dashboard and its CSV export.

use super::*;

#[derive(Template)]
#[template(path = "dashboard.html")]
pub(super) struct DashboardPage {
    shell: Shell,
    from: String,
    to: String,
    error: Option<String>,
    total: crate::service::StatRow,
    on_time_rate: f64,
    channel_chart: String,
    field_chart: String,
    by_field: Vec<crate::service::StatRow>,
    overdue: Vec<Dossier>,
    satisfaction: crate::service::ratings::Satisfaction,
    satisfaction_chart: String,
}

impl DashboardPage {
    fn pct(&self, v: &f64) -> String {
        format!("{v:.1} %")
    }

    fn date(&self, s: &Option<String>) -> String {
        date(s)
    }
}

pub(super) use web::chart::{bar_chart, esc};

#[derive(Deserialize, Default)]
pub(super) struct Period {
    from: Option<String>,
    to: Option<String>,
}

pub(super) fn period(q: &Period) -> (String, String) {
    let today = kernel::time::today_vn();
    (
        q.from.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| format!("{}-01-01", today.year())),
        q.to.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| kernel::time::date_text(today)),
    )
}

pub(super) fn sum(rows: &[crate::service::StatRow]) -> crate::service::StatRow {
    let mut t = crate::service::StatRow { key: "total".into(), name: "Tổng".into(), ..Default::default() };
    for r in rows {
        t.carried_over += r.carried_over;
        t.new_online += r.new_online;
        t.new_in_person += r.new_in_person;
        t.new_post += r.new_post;
        t.received += r.received;
        t.early += r.early;
        t.on_time += r.on_time;
        t.late += r.late;
        t.resolved += r.resolved;
        t.pending_within_deadline += r.pending_within_deadline;
        t.pending_overdue += r.pending_overdue;
        t.pending += r.pending;
        t.withdrawn += r.withdrawn;
    }
    t.on_time_rate = if t.resolved > 0 { ((t.early + t.on_time) as f64 * 1000.0 / t.resolved as f64).round() / 10.0 } else { 100.0 };
    t
}

/// Leaders' dashboard: on-time rate, volumes by channel and field (charts and table), the
/// overdue dossiers.
pub(super) async fn dashboard(State(o): State<Onestop>, shell: Shell, caller: Caller, web::Query(q): web::Query<Period>) -> Response {
    let Some(p) = caller.principal.clone() else { return sign_in("/dashboard") };
    let title = shell.t("Bảng điều hành", "Dashboard").to_owned();
    let shell = shell.titled(title, "dashboard");
    let (from, to) = period(&q);
    let run = async {
        let st = crate::service::Statistics { from: from.clone(), to: to.clone(), group: Some("field".into()), agency_code: None };
        let (by_field, error) = match o.statistics(&p, &st).await {
            Ok(rows) => (rows, None),
            Err(kernel::Error::Invalid(e)) => (vec![], Some(e.into_iter().map(|x| x.message).collect::<Vec<_>>().join("; "))),
            Err(e) => return Err(e),
        };
        let total = sum(&by_field);
        let en = shell.lang.is_en();
        let ch = |vi: &str, e: &str| if en { e.to_owned() } else { vi.to_owned() };
        let channel_chart = bar_chart(
            "by-channel-chart",
            &ch("Hồ sơ tiếp nhận theo kênh", "Received by channel"),
            &[
                (ch("Trực tuyến", "Online"), total.new_online),
                (ch("Trực tiếp", "In person"), total.new_in_person),
                (ch("Bưu chính", "Post"), total.new_post),
            ],
        );
        let field_chart = bar_chart(
            "by-field-chart",
            &ch("Hồ sơ tiếp nhận theo lĩnh vực", "Received by field"),
            &by_field.iter().map(|r| (r.name.clone(), r.received)).collect::<Vec<_>>(),
        );
        let mut overdue: Vec<Dossier> = o
            .dossiers(&p, Some(Status::Processing), 0, 500)
            .await?
            .0
            .into_iter()
            .filter(|d| d.overdue || d.due_on.as_deref().is_some_and(|x| x < kernel::time::date_text(kernel::time::today_vn()).as_str()))
            .collect();
        overdue.truncate(50);
        let day = |s: &str| kernel::time::parse_date(s);
        let satisfaction = match (day(&from), day(&to)) {
            (Some(a), Some(b)) => {
                o.satisfaction(&p, crate::model::deadline::instant(a, 0), crate::model::deadline::instant(b + time::Duration::days(1), 0))
                    .await?
            }
            _ => Default::default(),
        };
        let satisfaction_chart = bar_chart(
            "satisfaction-chart",
            &ch("Đánh giá theo mức độ hài lòng", "Ratings by score"),
            &(1..=5).rev().map(|k| (format!("{k} ★"), satisfaction.by_score[k - 1])).collect::<Vec<_>>(),
        );
        Ok(render(&DashboardPage {
            shell: shell.clone(),
            from: from.clone(),
            to: to.clone(),
            error,
            on_time_rate: total.on_time_rate,
            total,
            channel_chart,
            field_chart,
            by_field,
            overdue,
            satisfaction,
            satisfaction_chart,
        }))
    };
    match run.await {
        Ok(r) => r,
        Err(kernel::Error::Forbidden(m)) => web::page::error_page(shell, kernel::Error::Forbidden(m)),
        Err(e) => web::page::error_page(shell, e),
    }
}

/// The statistics by agency as CSV (opens in a spreadsheet), with the totals.
pub(super) async fn dashboard_csv(State(o): State<Onestop>, shell: Shell, caller: Caller, web::Query(q): web::Query<Period>) -> Response {
    let Some(p) = caller.principal.clone() else { return sign_in("/dashboard") };
    let (from, to) = period(&q);
    let st = crate::service::Statistics { from: from.clone(), to: to.clone(), group: Some("agency".into()), agency_code: None };
    match o.statistics(&p, &st).await {
        Ok(rows) => {
            let total = sum(&rows);
            let mut csv = String::from(
                "\u{feff}Mã,Tên,Kỳ trước chuyển sang,Trực tuyến,Trực tiếp,Bưu chính,Tiếp nhận,Trước hạn,Đúng hạn,Trễ hạn,Đã giải quyết,Trong hạn,Quá hạn,Đang giải quyết,Rút hồ sơ,Đúng hạn (%)\r\n",
            );
            for r in rows.iter().chain(std::iter::once(&total)) {
                csv.push_str(&format!(
                    "{},\"{}\",{},{},{},{},{},{},{},{},{},{},{},{},{},{:.1}\r\n",
                    r.key,
                    r.name.replace('"', "\"\""),
                    r.carried_over,
                    r.new_online,
                    r.new_in_person,
                    r.new_post,
                    r.received,
                    r.early,
                    r.on_time,
                    r.late,
                    r.resolved,
                    r.pending_within_deadline,
                    r.pending_overdue,
                    r.pending,
                    r.withdrawn,
                    r.on_time_rate
                ));
            }
            let name = format!("thong-ke-{from}-{to}.csv");
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
                ],
                csv,
            )
                .into_response()
        }
        Err(e) => web::page::error_page(shell, e),
    }
}
