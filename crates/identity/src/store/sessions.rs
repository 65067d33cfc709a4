//! Browser sessions, looked up by the SHA-256 of the cookie value.

use kernel::Result;
use kernel::db::{Ex, q};

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: String,
    pub account_id: String,
    pub csrf_token: String,
    pub mfa: bool,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert<'e>(
    ex: impl Into<Ex<'e>>,
    token_hash: &str,
    account_id: &str,
    csrf: &str,
    mfa: bool,
    user_agent: Option<&str>,
    ip: Option<&str>,
    expires_at: i64,
) -> Result<String> {
    let id = kernel::id::new_id();
    let now = kernel::time::now_ms();
    q("INSERT INTO sessions (id, token_hash, account_id, csrf_token, mfa, user_agent, ip, created_at, last_seen_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)")
    .bind(&id)
    .bind(token_hash)
    .bind(account_id)
    .bind(csrf)
    .bind(mfa)
    .bind(user_agent)
    .bind(ip)
    .bind(now)
    .bind(expires_at)
    .execute(ex)
    .await?;
    Ok(id)
}

const COLS: &str = "id, account_id, csrf_token, mfa, user_agent, ip, created_at, last_seen_at, expires_at";

fn from_row(r: &kernel::db::Row) -> Result<SessionRow> {
    Ok(SessionRow {
        id: r.text("id")?,
        account_id: r.text("account_id")?,
        csrf_token: r.text("csrf_token")?,
        mfa: r.bool("mfa")?,
        user_agent: r.opt_text("user_agent")?,
        ip: r.opt_text("ip")?,
        created_at: r.int("created_at")?,
        last_seen_at: r.int("last_seen_at")?,
        expires_at: r.int("expires_at")?,
    })
}

/// A live session by its token hash.
pub async fn live<'e>(ex: impl Into<Ex<'e>>, token_hash: &str, now: i64) -> Result<Option<SessionRow>> {
    let row = q(format!("SELECT {COLS} FROM sessions WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2"))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Slides the expiry forward (at most once a minute, to spare writes).
pub async fn touch<'e>(ex: impl Into<Ex<'e>>, id: &str, now: i64, expires_at: i64) -> Result<()> {
    q("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id = $3 AND last_seen_at < $4")
        .bind(now)
        .bind(expires_at)
        .bind(id)
        .bind(now - 60_000)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn of_account<'e>(ex: impl Into<Ex<'e>>, account_id: &str, now: i64) -> Result<Vec<SessionRow>> {
    let rows = q(format!(
        "SELECT {COLS} FROM sessions WHERE account_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY last_seen_at DESC"
    ))
    .bind(account_id)
    .bind(now)
    .fetch_all(ex)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Revokes one session of an account; true when there was one.
pub async fn revoke<'e>(ex: impl Into<Ex<'e>>, account_id: &str, id: &str) -> Result<bool> {
    let n = q("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL")
        .bind(kernel::time::now_ms())
        .bind(id)
        .bind(account_id)
        .execute(ex)
        .await?;
    Ok(n > 0)
}

pub async fn revoke_all<'e>(ex: impl Into<Ex<'e>>, account_id: &str) -> Result<u64> {
    q("UPDATE sessions SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL")
        .bind(kernel::time::now_ms())
        .bind(account_id)
        .execute(ex)
        .await
}
