//! Key/value settings of the deployment (the province's default working week...).

use kernel::Result;
use kernel::db::{Ex, q};

pub async fn get<'e>(ex: impl Into<Ex<'e>>, key: &str) -> Result<Option<String>> {
    let row = q("SELECT value FROM settings WHERE key = $1").bind(key).fetch_optional(ex).await?;
    row.map(|r| r.text("value")).transpose()
}

pub async fn put<'e>(ex: impl Into<Ex<'e>>, key: &str, value: &str) -> Result<()> {
    q("INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at")
    .bind(key)
    .bind(value)
    .bind(kernel::time::now_ms())
    .execute(ex)
    .await?;
    Ok(())
}
