//! Administrative units.

use kernel::codes::UnitCode;
use kernel::db::{Ex, Row, Where, q};
use kernel::{Error, Result};

use crate::model::unit::{AdminUnit, Tier, UnitKind, ValidUnit};

const SELECT: &str = "SELECT u.id, u.code, u.name, u.name_en, u.kind, u.tier, u.valid_from, u.valid_to,
    p.code AS parent_code, m.code AS merged_code
    FROM admin_units u LEFT JOIN admin_units p ON p.id = u.parent_id LEFT JOIN admin_units m ON m.id = u.merged_into_id";

fn from_row(r: &Row) -> Result<AdminUnit> {
    let kind_s = r.text("kind")?;
    let kind = UnitKind::parse(&kind_s).ok_or_else(|| Error::internal(format!("unknown unit kind {kind_s}")))?;
    Ok(AdminUnit {
        id: r.text("id")?,
        code: UnitCode::parse(&r.text("code")?).map_err(Error::internal)?,
        name: r.text("name")?,
        name_en: r.opt_text("name_en")?,
        kind,
        tier: kind.tier(),
        parent_code: r.opt_text("parent_code")?,
        valid_from: r.opt_date("valid_from")?,
        valid_to: r.opt_date("valid_to")?,
        merged_into_code: r.opt_text("merged_code")?,
    })
}

/// Id and tier of the unit with `code`.
pub async fn find<'e>(ex: impl Into<Ex<'e>>, code: &str) -> Result<Option<(String, Tier)>> {
    let row = q("SELECT id, kind FROM admin_units WHERE code = $1").bind(code).fetch_optional(ex).await?;
    match row {
        None => Ok(None),
        Some(r) => {
            let kind = UnitKind::parse(&r.text("kind")?).ok_or_else(|| Error::internal("bad unit kind"))?;
            Ok(Some((r.text("id")?, kind.tier())))
        }
    }
}

pub async fn upsert<'e>(ex: impl Into<Ex<'e>>, u: &ValidUnit, parent_id: Option<&str>, merged_id: Option<&str>) -> Result<String> {
    let now = kernel::time::now_ms();
    q("INSERT INTO admin_units (id, code, name, name_en, kind, tier, parent_id, valid_from, valid_to, merged_into_id, name_folded, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
       ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, kind = excluded.kind,
         tier = excluded.tier, parent_id = excluded.parent_id, valid_from = excluded.valid_from, valid_to = excluded.valid_to,
         merged_into_id = excluded.merged_into_id, name_folded = excluded.name_folded, updated_at = excluded.updated_at
       RETURNING id")
    .bind(kernel::id::new_id())
    .bind(u.code.as_str())
    .bind(&u.name)
    .bind(u.name_en.clone())
    .bind(u.kind.as_str())
    .bind(u.kind.tier().as_str())
    .bind(parent_id)
    .bind(u.valid_from.map(kernel::time::date_text))
    .bind(u.valid_to.map(kernel::time::date_text))
    .bind(merged_id)
    .bind(kernel::fold::fold(&u.name))
    .bind(now)
    .fetch_one(ex)
    .await?
    .text("id")
}

pub async fn get<'e>(ex: impl Into<Ex<'e>>, code: &str) -> Result<AdminUnit> {
    let row = q(format!("{SELECT} WHERE u.code = $1")).bind(code).fetch_optional(ex).await?;
    from_row(&row.ok_or_else(|| Error::not_found(format!("đơn vị hành chính {code}")))?)
}

/// Filters of the unit list.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitFilter {
    /// province, district or commune.
    pub tier: Option<String>,
    pub parent_code: Option<String>,
    /// Only units that existed on this date (YYYY-MM-DD); `current=true` means today.
    pub on: Option<String>,
    pub current: Option<bool>,
    /// Name, folded (accents optional).
    pub q: Option<String>,
}

pub async fn list(db: &kernel::db::Db, f: &UnitFilter, offset: i64, limit: i64) -> Result<(Vec<AdminUnit>, i64)> {
    let mut w = Where::new();
    if let Some(t) = f.tier.as_deref().filter(|s| !s.is_empty()) {
        let p = w.arg(t);
        w.and(format!("u.tier = {p}"));
    }
    if let Some(pc) = f.parent_code.as_deref().filter(|s| !s.is_empty()) {
        let p = w.arg(pc);
        w.and(format!("p.code = {p}"));
    }
    let on = match (&f.on, f.current) {
        (Some(d), _) if !d.is_empty() => {
            Some(kernel::time::parse_date(d).ok_or_else(|| Error::invalid("on", "dùng YYYY-MM-DD (use YYYY-MM-DD)"))?)
        }
        (_, Some(true)) => Some(kernel::time::today_vn()),
        _ => None,
    };
    if let Some(d) = on {
        let p = w.arg(kernel::time::date_text(d));
        w.and(format!("(u.valid_from IS NULL OR u.valid_from <= {p}) AND (u.valid_to IS NULL OR u.valid_to >= {p})"));
    }
    if let Some(text) = f.q.as_deref().map(kernel::fold::fold).filter(|s| !s.is_empty()) {
        let p = w.arg(format!("%{text}%"));
        w.and(format!("u.name_folded LIKE {p}"));
    }
    let total = w
        .query(format!("SELECT COUNT(*) FROM admin_units u LEFT JOIN admin_units p ON p.id = u.parent_id{}", w.sql()))
        .fetch_i64(db)
        .await?;
    let rows = w.query(format!("{SELECT}{} ORDER BY u.code LIMIT {limit} OFFSET {offset}", w.sql())).fetch_all(db).await?;
    Ok((rows.iter().map(from_row).collect::<Result<_>>()?, total))
}

pub async fn count<'e>(ex: impl Into<Ex<'e>>) -> Result<i64> {
    q("SELECT COUNT(*) FROM admin_units").fetch_i64(ex).await
}
