//! Holidays and other dated exceptions to the working week.

use kernel::calendar::DayKind;
use kernel::db::{Ex, Row, q};
use kernel::{Error, Result};
use time::Date;

use crate::model::holiday::{HolidayEntry, kind_str, parse_kind};

fn from_row(r: &Row) -> Result<HolidayEntry> {
    Ok(HolidayEntry {
        id: r.text("id")?,
        date: r.date("date")?,
        agency_code: r.opt_text("agency_code")?,
        kind: parse_kind(&r.text("kind")?),
        name: r.text("name")?,
        name_en: r.opt_text("name_en")?,
        source: r.text("source")?,
    })
}

/// Sets the exception of `date` for `scope` ('' = province, else an agency id).
pub async fn upsert<'e>(
    ex: impl Into<Ex<'e>>,
    date: Date,
    scope: &str,
    kind: DayKind,
    name: &str,
    name_en: Option<&str>,
    source: &str,
) -> Result<String> {
    q("INSERT INTO holidays (id, date, scope, kind, name, name_en, source, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (date, scope) DO UPDATE SET kind = excluded.kind, name = excluded.name, name_en = excluded.name_en,
         source = excluded.source, updated_at = excluded.updated_at
       RETURNING id")
    .bind(kernel::id::new_id())
    .bind(kernel::time::date_text(date))
    .bind(scope)
    .bind(kind_str(kind))
    .bind(name)
    .bind(name_en)
    .bind(source)
    .bind(kernel::time::now_ms())
    .fetch_one(ex)
    .await?
    .text("id")
}

/// Inserts a seeded day unless one already exists for that date and scope (an
/// administrator's edit is never overwritten by seeding).
pub async fn seed<'e>(ex: impl Into<Ex<'e>>, date: Date, name: &str, name_en: &str, source: &str) -> Result<bool> {
    let n = q("INSERT INTO holidays (id, date, scope, kind, name, name_en, source, updated_at) VALUES ($1, $2, '', 'off', $3, $4, $5, $6)
               ON CONFLICT (date, scope) DO NOTHING")
    .bind(kernel::id::new_id())
    .bind(kernel::time::date_text(date))
    .bind(name)
    .bind(name_en)
    .bind(source)
    .bind(kernel::time::now_ms())
    .execute(ex)
    .await?;
    Ok(n > 0)
}

pub async fn delete<'e>(ex: impl Into<Ex<'e>>, id: &str) -> Result<()> {
    let n = q("DELETE FROM holidays WHERE id = $1").bind(id).execute(ex).await?;
    if n == 0 {
        return Err(Error::not_found(format!("ngày nghỉ {id}")));
    }
    Ok(())
}

/// Exceptions between two dates inclusive, for the province and, when given, one agency.
pub async fn between<'e>(ex: impl Into<Ex<'e>>, from: Date, to: Date, agency_id: Option<&str>) -> Result<Vec<HolidayEntry>> {
    let rows = q("SELECT h.id, h.date, h.kind, h.name, h.name_en, h.source, a.code AS agency_code
                  FROM holidays h LEFT JOIN agencies a ON a.id = h.scope
                  WHERE h.date >= $1 AND h.date <= $2 AND (h.scope = '' OR h.scope = $3)
                  ORDER BY h.date, h.scope")
    .bind(kernel::time::date_text(from))
    .bind(kernel::time::date_text(to))
    .bind(agency_id.unwrap_or(""))
    .fetch_all(ex)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Every exception of one year, of every scope (administration view).
pub async fn year<'e>(ex: impl Into<Ex<'e>>, year: i32) -> Result<Vec<HolidayEntry>> {
    let rows = q("SELECT h.id, h.date, h.kind, h.name, h.name_en, h.source, a.code AS agency_code
                  FROM holidays h LEFT JOIN agencies a ON a.id = h.scope
                  WHERE h.date >= $1 AND h.date <= $2 ORDER BY h.date, h.scope")
    .bind(format!("{year:04}-01-01"))
    .bind(format!("{year:04}-12-31"))
    .fetch_all(ex)
    .await?;
    rows.iter().map(from_row).collect()
}
