//! Agencies.

use kernel::codes::{AgencyCode, QcvnAgencyCode};
use kernel::db::{Ex, Row, Where, q};
use kernel::{Error, Result};

use crate::model::agency::{Agency, AgencyLevel, ValidAgency};

const SELECT: &str = "SELECT a.id, a.code, a.qcvn_code, a.name, a.name_en, a.short_name, a.level, a.address, a.phone,
    a.email, a.website, a.working_week, a.active, p.code AS parent_code, u.code AS unit_code
    FROM agencies a LEFT JOIN agencies p ON p.id = a.parent_id LEFT JOIN admin_units u ON u.id = a.unit_id";

fn from_row(r: &Row) -> Result<Agency> {
    let level_s = r.text("level")?;
    let week: Option<String> = r.opt_text("working_week")?;
    Ok(Agency {
        id: r.text("id")?,
        code: AgencyCode::parse(&r.text("code")?).map_err(Error::internal)?,
        qcvn_code: r.opt_text("qcvn_code")?.map(|c| QcvnAgencyCode::parse(&c)).transpose().map_err(Error::internal)?,
        name: r.text("name")?,
        name_en: r.opt_text("name_en")?,
        short_name: r.opt_text("short_name")?,
        parent_code: r.opt_text("parent_code")?,
        level: AgencyLevel::parse(&level_s).ok_or_else(|| Error::internal(format!("bad level {level_s}")))?,
        unit_code: r.opt_text("unit_code")?,
        address: r.opt_text("address")?,
        phone: r.opt_text("phone")?,
        email: r.opt_text("email")?,
        website: r.opt_text("website")?,
        working_week: week.map(|w| serde_json::from_str(&w)).transpose().map_err(Error::internal)?,
        active: r.bool("active")?,
    })
}

pub async fn find_id<'e>(ex: impl Into<Ex<'e>>, code: &str) -> Result<Option<String>> {
    let row = q("SELECT id FROM agencies WHERE code = $1").bind(code).fetch_optional(ex).await?;
    row.map(|r| r.text("id")).transpose()
}

pub async fn upsert<'e>(ex: impl Into<Ex<'e>>, a: &ValidAgency, parent_id: Option<&str>, unit_id: Option<&str>) -> Result<String> {
    let now = kernel::time::now_ms();
    let week = a.working_week.as_ref().map(|w| serde_json::to_string(w).unwrap_or_default());
    q("INSERT INTO agencies (id, code, qcvn_code, name, name_en, short_name, parent_id, level, unit_id, address, phone, email,
         website, working_week, active, name_folded, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)
       ON CONFLICT (code) DO UPDATE SET qcvn_code = excluded.qcvn_code, name = excluded.name, name_en = excluded.name_en,
         short_name = excluded.short_name, parent_id = excluded.parent_id, level = excluded.level, unit_id = excluded.unit_id,
         address = excluded.address, phone = excluded.phone, email = excluded.email, website = excluded.website,
         working_week = excluded.working_week, active = excluded.active, name_folded = excluded.name_folded,
         updated_at = excluded.updated_at
       RETURNING id")
    .bind(kernel::id::new_id())
    .bind(a.code.as_str())
    .bind(a.qcvn_code.as_ref().map(|c| c.to_string()))
    .bind(&a.name)
    .bind(a.name_en.clone())
    .bind(a.short_name.clone())
    .bind(parent_id)
    .bind(a.level.as_str())
    .bind(unit_id)
    .bind(a.address.clone())
    .bind(a.phone.clone())
    .bind(a.email.clone())
    .bind(a.website.clone())
    .bind(week)
    .bind(a.active)
    .bind(kernel::fold::fold(&format!("{} {}", a.name, a.short_name.as_deref().unwrap_or(""))))
    .bind(now)
    .fetch_one(ex)
    .await?
    .text("id")
}

pub async fn get<'e>(ex: impl Into<Ex<'e>>, code: &str) -> Result<Agency> {
    let row = q(format!("{SELECT} WHERE a.code = $1")).bind(code).fetch_optional(ex).await?;
    from_row(&row.ok_or_else(|| Error::not_found(format!("cơ quan {code}")))?)
}

#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgencyFilter {
    /// central, province, department, district, commune or unit.
    pub level: Option<String>,
    pub parent_code: Option<String>,
    pub unit_code: Option<String>,
    /// Name, folded (accents optional).
    pub q: Option<String>,
    /// Include inactive agencies.
    pub all: Option<bool>,
}

pub async fn list<'e>(ex: impl Into<Ex<'e>>, f: &AgencyFilter, offset: i64, limit: i64) -> Result<(Vec<Agency>, i64)> {
    let mut ex = ex.into();
    let mut w = Where::new();
    if let Some(l) = f.level.as_deref().filter(|s| !s.is_empty()) {
        let p = w.arg(l);
        w.and(format!("a.level = {p}"));
    }
    if let Some(pc) = f.parent_code.as_deref().filter(|s| !s.is_empty()) {
        let p = w.arg(pc);
        w.and(format!("p.code = {p}"));
    }
    if let Some(uc) = f.unit_code.as_deref().filter(|s| !s.is_empty()) {
        let p = w.arg(uc);
        w.and(format!("u.code = {p}"));
    }
    if let Some(text) = f.q.as_deref().map(kernel::fold::fold).filter(|s| !s.is_empty()) {
        let p = w.arg(format!("%{text}%"));
        w.and(format!("a.name_folded LIKE {p}"));
    }
    if f.all != Some(true) {
        w.and("a.active = TRUE");
    }
    let from = "FROM agencies a LEFT JOIN agencies p ON p.id = a.parent_id LEFT JOIN admin_units u ON u.id = a.unit_id";
    let total = w.query(format!("SELECT COUNT(*) {from}{}", w.sql())).fetch_i64(ex.reborrow()).await?;
    let rows = w.query(format!("{SELECT}{} ORDER BY a.code LIMIT {limit} OFFSET {offset}", w.sql())).fetch_all(ex.reborrow()).await?;
    Ok((rows.iter().map(from_row).collect::<Result<_>>()?, total))
}

/// Every agency, for trees and pickers (a province has a few hundred).
pub async fn all<'e>(ex: impl Into<Ex<'e>>) -> Result<Vec<Agency>> {
    let rows = q(format!("{SELECT} WHERE a.active = TRUE ORDER BY a.code")).fetch_all(ex).await?;
    rows.iter().map(from_row).collect()
}
