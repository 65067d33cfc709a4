//! Statistics as every report counts them, the public tracking view, and the deadline watch.

use kernel::authz::Principal;
use kernel::db::{Where, q};
use kernel::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::Onestop;
use crate::model::{Status, deadline};
use crate::store;

#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct Statistics {
    /// First day of the period, `YYYY-MM-DD`.
    pub from: String,
    /// Last day of the period, `YYYY-MM-DD`.
    pub to: String,
    /// `agency` (default), `procedure` or `field`.
    pub group: Option<String>,
    /// Only this agency (QĐ 20 code).
    pub agency_code: Option<String>,
}

/// One line of the statistics (TT 01/2018 report form, QĐ 766 on-time rule).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct StatRow {
    pub key: String,
    pub name: String,
    /// Accepted before the period and not finished when it began.
    pub carried_over: i64,
    pub new_online: i64,
    pub new_in_person: i64,
    pub new_post: i64,
    pub received: i64,
    /// Finished in the period before the appointment date.
    pub early: i64,
    pub on_time: i64,
    /// After the appointment date, or with more than one supplement request, or with a
    /// consulted agency late on its share.
    pub late: i64,
    pub resolved: i64,
    pub pending_within_deadline: i64,
    pub pending_overdue: i64,
    pub pending: i64,
    pub withdrawn: i64,
    /// resolved early or on time ÷ resolved, in percent.
    pub on_time_rate: f64,
}

/// What anyone may see of a dossier with its code: no personal data.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Tracking {
    pub code: String,
    pub procedure_name: String,
    pub agency_code: String,
    pub status: Status,
    pub status_code: i64,
    pub status_name: String,
    pub received_on: Option<String>,
    pub due_on: Option<String>,
    pub step: Option<String>,
    pub returned_at: Option<i64>,
}

impl Onestop {
    pub async fn statistics(&self, p: &Principal, s: &Statistics) -> Result<Vec<StatRow>> {
        let from = kernel::time::parse_date(&s.from).ok_or_else(|| Error::invalid("from", "YYYY-MM-DD"))?;
        let to = kernel::time::parse_date(&s.to).ok_or_else(|| Error::invalid("to", "YYYY-MM-DD"))?;
        if to < from {
            return Err(Error::invalid("to", "ngày cuối trước ngày đầu (the period ends before it starts)"));
        }
        let (col, name_col) = match s.group.as_deref().unwrap_or("agency") {
            "agency" => ("d.agency_code", "COALESCE(g.name, d.agency_code)"),
            "procedure" => ("d.procedure_code", "MAX(d.procedure_name)"),
            "field" => ("d.field_code", "d.field_code"),
            _ => return Err(Error::invalid("group", "agency, procedure hoặc field")),
        };
        let start = deadline::instant(from, 0);
        let end = deadline::instant(to + time::Duration::days(1), 0);
        let end_day = kernel::time::date_text(to);
        let mut w = Where::new();
        super::report_scope(p, &mut w, "d.agency_id")?;
        if let Some(a) = &s.agency_code {
            let x = w.arg(a.as_str());
            w.and(format!("d.agency_code = {x}"));
        }
        w.and("d.kind = 'dossier'");
        w.and("(d.accepted_at IS NOT NULL OR d.status = 7)");
        let (a, b) = (w.arg(start), w.arg(end));
        let day = w.arg(end_day);
        // A dossier is finished when processing ended (status 9/10), or when it was stopped.
        let done_at = "COALESCE(d.processed_at, CASE WHEN d.status = 8 THEN d.updated_at END)";
        let late = "(d.supplement_count > 1 OR d.late_share OR substr(d.due_on, 1, 10) < substr(d.processed_at_day, 1, 10))";
        let sql = format!(
            "SELECT {col} AS key, {name_col} AS name,
               SUM(CASE WHEN d.accepted_at < {a} AND ({done_at} IS NULL OR {done_at} >= {a}) AND d.status <> 7 THEN 1 ELSE 0 END) AS carried,
               SUM(CASE WHEN d.accepted_at >= {a} AND d.accepted_at < {b} AND d.channel = 2 THEN 1 ELSE 0 END) AS n_online,
               SUM(CASE WHEN d.accepted_at >= {a} AND d.accepted_at < {b} AND d.channel = 1 THEN 1 ELSE 0 END) AS n_person,
               SUM(CASE WHEN d.accepted_at >= {a} AND d.accepted_at < {b} AND d.channel = 3 THEN 1 ELSE 0 END) AS n_post,
               SUM(CASE WHEN d.processed_at >= {a} AND d.processed_at < {b} AND NOT {late} AND d.processed_at_day < d.due_on THEN 1 ELSE 0 END) AS early,
               SUM(CASE WHEN d.processed_at >= {a} AND d.processed_at < {b} AND NOT {late} AND d.processed_at_day = d.due_on THEN 1 ELSE 0 END) AS on_time,
               SUM(CASE WHEN d.processed_at >= {a} AND d.processed_at < {b} AND {late} THEN 1 ELSE 0 END) AS late,
               SUM(CASE WHEN d.accepted_at < {b} AND ({done_at} IS NULL OR {done_at} >= {b}) AND d.status NOT IN (3, 7) AND d.due_on >= {day} THEN 1 ELSE 0 END) AS pending_ok,
               SUM(CASE WHEN d.accepted_at < {b} AND ({done_at} IS NULL OR {done_at} >= {b}) AND d.status NOT IN (3, 7) AND d.due_on < {day} THEN 1 ELSE 0 END) AS pending_late,
               SUM(CASE WHEN d.status = 7 AND d.updated_at >= {a} AND d.updated_at < {b} THEN 1 ELSE 0 END) AS withdrawn
             FROM (SELECT x.*, {processed_day} AS processed_at_day FROM dossiers x) d
             LEFT JOIN agencies g ON g.code = d.agency_code{where_}
             GROUP BY {col}{group_name}
             ORDER BY {col}",
            processed_day = processed_day_sql(&self.db),
            where_ = w.sql(),
            group_name = if s.group.as_deref().unwrap_or("agency") == "agency" { ", g.name" } else { "" },
        );
        let rows = w.query(sql).long().fetch_all(&self.db).await?;
        // Fields are grouped by code and named afterwards from the code list (a few hundred rows).
        let field_names: std::collections::HashMap<String, String> = if s.group.as_deref() == Some("field") {
            q("SELECT code, name FROM code_items WHERE list_code = $1")
                .bind(catalog::model::codelist::FIELD_LIST)
                .fetch_all(&self.db)
                .await?
                .iter()
                .map(|r| Ok((r.text("code")?, r.text("name")?)))
                .collect::<Result<_>>()?
        } else {
            Default::default()
        };
        rows.iter()
            .map(|r| {
                let mut s = StatRow {
                    key: r.text("key")?,
                    name: field_names.get(&r.text("key")?).cloned().map_or_else(|| r.text("name"), Ok)?,
                    carried_over: r.get::<Option<i64>>("carried")?.unwrap_or(0),
                    new_online: r.get::<Option<i64>>("n_online")?.unwrap_or(0),
                    new_in_person: r.get::<Option<i64>>("n_person")?.unwrap_or(0),
                    new_post: r.get::<Option<i64>>("n_post")?.unwrap_or(0),
                    early: r.get::<Option<i64>>("early")?.unwrap_or(0),
                    on_time: r.get::<Option<i64>>("on_time")?.unwrap_or(0),
                    late: r.get::<Option<i64>>("late")?.unwrap_or(0),
                    pending_within_deadline: r.get::<Option<i64>>("pending_ok")?.unwrap_or(0),
                    pending_overdue: r.get::<Option<i64>>("pending_late")?.unwrap_or(0),
                    withdrawn: r.get::<Option<i64>>("withdrawn")?.unwrap_or(0),
                    ..Default::default()
                };
                s.received = s.carried_over + s.new_online + s.new_in_person + s.new_post;
                s.resolved = s.early + s.on_time + s.late;
                s.pending = s.pending_within_deadline + s.pending_overdue;
                s.on_time_rate =
                    if s.resolved > 0 { ((s.early + s.on_time) as f64 * 1000.0 / s.resolved as f64).round() / 10.0 } else { 100.0 };
                Ok(s)
            })
            .collect()
    }

    /// Public tracking by dossier code.
    pub async fn track(&self, code: &str) -> Result<Tracking> {
        let d = store::by_code(&self.db, code.trim()).await?.ok_or_else(|| Error::not_found(format!("hồ sơ {}", code.trim())))?;
        let step = match &d.d.current_step {
            Some(s) if !d.d.status.is_final() => self.process_by_id(&d.process_id).await?.step(s).map(|x| x.name.clone()),
            _ => None,
        };
        Ok(Tracking {
            code: d.d.code.clone().unwrap_or_default(),
            procedure_name: d.d.procedure_name.clone(),
            agency_code: d.d.agency_code.clone(),
            status: d.d.status,
            status_code: d.d.status.code(),
            status_name: d.d.status.label(false).into(),
            received_on: d.d.received_on.clone(),
            due_on: d.d.due_on.clone(),
            step,
            returned_at: d.d.returned_at,
        })
    }

    /// Flags dossiers in processing whose appointment date is tomorrow or today (due soon) or
    /// past (overdue), once each, with an event. Returns (due soon, overdue) counts.
    pub async fn watch_deadlines(&self) -> Result<(usize, usize)> {
        let now = self.now();
        let (today, _) = deadline::local(now);
        let rows = q(
            "SELECT id, agency_code, due_on, due_soon, overdue FROM dossiers WHERE status = 4 AND due_on IS NOT NULL AND overdue = FALSE",
        )
        .fetch_all(&self.db)
        .await?;
        let (mut soon, mut late) = (0, 0);
        for r in rows {
            let Some(due) = kernel::time::parse_date(&r.text("due_on")?) else { continue };
            let cal = self.calendar(&r.text("agency_code")?).await?;
            let id = r.text("id")?;
            let (flag, topic) = if today > due {
                ("overdue", "onestop.dossier.overdue")
            } else if !r.bool("due_soon")? && cal.working_days_between(today, due) <= 1 {
                ("due_soon", "onestop.dossier.due_soon")
            } else {
                continue;
            };
            let mut tx = self.db.begin().await?;
            let n = q(format!("UPDATE dossiers SET {flag} = TRUE WHERE id = $1 AND {flag} = FALSE AND status = 4"))
                .bind(id.as_str())
                .execute(&mut tx)
                .await?;
            if n == 1 {
                kernel::outbox::publish(&mut tx, topic, &id, &json!({"dossier_id": id, "due_on": kernel::time::date_text(due)})).await?;
                store::append(
                    &mut tx,
                    &id,
                    now,
                    ("system", "Hệ thống"),
                    flag,
                    None,
                    None,
                    None,
                    None,
                    json!({"due_on": kernel::time::date_text(due)}),
                )
                .await?;
                if flag == "overdue" { late += 1 } else { soon += 1 }
            }
            tx.commit().await?;
        }
        Ok((soon, late))
    }
}

/// The local (UTC+7) date of `processed_at` as `YYYY-MM-DD`, per backend.
fn processed_day_sql(db: &kernel::db::Db) -> &'static str {
    match db.backend() {
        kernel::db::Backend::Sqlite => "date(x.processed_at / 1000 + 25200, 'unixepoch')",
        kernel::db::Backend::Postgres => "to_char(to_timestamp(x.processed_at / 1000 + 25200) AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
    }
}
