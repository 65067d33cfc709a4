//! The security audit log: append-only (the database refuses updates and deletes).

use kernel::Result;
use kernel::db::{Ex, Where, q};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SecurityEvent {
    pub id: String,
    /// RFC 3339, Vietnam time.
    pub at: String,
    pub kind: String,
    pub account_id: Option<String>,
    pub actor: Option<String>,
    pub ip: Option<String>,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

pub async fn record<'e>(
    ex: impl Into<Ex<'e>>,
    kind: &str,
    account_id: Option<&str>,
    actor: Option<&str>,
    ip: Option<&str>,
    detail: serde_json::Value,
) -> Result<()> {
    q("INSERT INTO security_events (id, at, kind, account_id, actor, ip, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(kernel::id::new_id())
        .bind(kernel::time::now_ms())
        .bind(kind)
        .bind(account_id)
        .bind(actor)
        .bind(ip)
        .bind(detail.to_string())
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn query<'e>(
    ex: impl Into<Ex<'e>>,
    kind: Option<&str>,
    account_id: Option<&str>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<SecurityEvent>, i64)> {
    let mut ex = ex.into();
    let mut w = Where::new();
    if let Some(k) = kind.filter(|k| !k.is_empty()) {
        let p = w.arg(k);
        w.and(format!("kind = {p}"));
    }
    if let Some(a) = account_id.filter(|a| !a.is_empty()) {
        let p = w.arg(a);
        w.and(format!("account_id = {p}"));
    }
    let total = w.query(format!("SELECT COUNT(*) FROM security_events{}", w.sql())).fetch_i64(ex.reborrow()).await?;
    let rows = w
        .query(format!("SELECT id, at, kind, account_id, actor, ip, detail FROM security_events{} ORDER BY at DESC, id DESC LIMIT {limit} OFFSET {offset}", w.sql()))
        .fetch_all(ex.reborrow())
        .await?;
    let events = rows
        .iter()
        .map(|r| {
            Ok(SecurityEvent {
                id: r.text("id")?,
                at: kernel::time::rfc3339_vn(r.int("at")?),
                kind: r.text("kind")?,
                account_id: r.opt_text("account_id")?,
                actor: r.opt_text("actor")?,
                ip: r.opt_text("ip")?,
                detail: r.json("detail")?,
            })
        })
        .collect::<Result<_>>()?;
    Ok((events, total))
}
