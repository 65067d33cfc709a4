//! Code lists and their items.

use kernel::db::{Ex, Where, q};
use kernel::{Error, Result};

use crate::model::codelist::{CodeItem, CodeList};

pub async fn lists<'e>(ex: impl Into<Ex<'e>>) -> Result<Vec<CodeList>> {
    let rows = q("SELECT l.code, l.name, l.name_en, l.system, (SELECT COUNT(*) FROM code_items i WHERE i.list_code = l.code) AS n
                  FROM code_lists l ORDER BY l.code")
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CodeList {
                code: r.text("code")?,
                name: r.text("name")?,
                name_en: r.opt_text("name_en")?,
                system: r.bool("system")?,
                item_count: r.int("n")?,
            })
        })
        .collect()
}

pub async fn list_exists<'e>(ex: impl Into<Ex<'e>>, code: &str) -> Result<bool> {
    Ok(q("SELECT COUNT(*) FROM code_lists WHERE code = $1").bind(code).fetch_i64(ex).await? > 0)
}

pub async fn upsert_list<'e>(ex: impl Into<Ex<'e>>, code: &str, name: &str, name_en: Option<&str>, system: bool) -> Result<()> {
    q("INSERT INTO code_lists (code, name, name_en, system, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en")
    .bind(code)
    .bind(name)
    .bind(name_en)
    .bind(system)
    .bind(kernel::time::now_ms())
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn upsert_item<'e>(ex: impl Into<Ex<'e>>, list: &str, item: &CodeItem) -> Result<()> {
    q("INSERT INTO code_items (list_code, code, name, name_en, name_folded, sort, active, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (list_code, code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, name_folded = excluded.name_folded,
         sort = excluded.sort, active = excluded.active, updated_at = excluded.updated_at")
    .bind(list)
    .bind(item.code.trim())
    .bind(item.name.trim())
    .bind(item.name_en.clone())
    .bind(folded(item.code.trim(), item.name.trim(), item.name_en.as_deref()))
    .bind(item.sort)
    .bind(item.active)
    .bind(kernel::time::now_ms())
    .execute(ex)
    .await?;
    Ok(())
}

fn item_from_row(r: &kernel::db::Row) -> Result<CodeItem> {
    Ok(CodeItem {
        code: r.text("code")?,
        name: r.text("name")?,
        name_en: r.opt_text("name_en")?,
        sort: r.int("sort")?,
        active: r.bool("active")?,
    })
}

pub async fn item<'e>(ex: impl Into<Ex<'e>>, list: &str, code: &str) -> Result<Option<CodeItem>> {
    let row = q("SELECT code, name, name_en, sort, active FROM code_items WHERE list_code = $1 AND code = $2")
        .bind(list)
        .bind(code)
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(item_from_row).transpose()
}

pub async fn items<'e>(ex: impl Into<Ex<'e>>, list: &str, text: Option<&str>, offset: i64, limit: i64) -> Result<(Vec<CodeItem>, i64)> {
    let mut ex = ex.into();
    if !list_exists(ex.reborrow(), list).await? {
        return Err(Error::not_found(format!("danh mục {list}")));
    }
    let mut w = Where::new();
    let p = w.arg(list);
    w.and(format!("list_code = {p}"));
    if let Some(t) = text.map(kernel::fold::fold).filter(|t| !t.is_empty()) {
        let p = w.arg(format!("%{t}%"));
        w.and(format!("name_folded LIKE {p}"));
    }
    let total = w.query(format!("SELECT COUNT(*) FROM code_items{}", w.sql())).fetch_i64(ex.reborrow()).await?;
    let rows = w
        .query(format!(
            "SELECT code, name, name_en, sort, active FROM code_items{} ORDER BY sort, code LIMIT {limit} OFFSET {offset}",
            w.sql()
        ))
        .fetch_all(ex.reborrow())
        .await?;
    let items = rows.iter().map(item_from_row).collect::<Result<_>>()?;
    Ok((items, total))
}

/// What item search matches: code, name and English name, folded.
pub fn folded(code: &str, name: &str, name_en: Option<&str>) -> String {
    kernel::fold::fold(&format!("{code} {name} {}", name_en.unwrap_or("")))
}
