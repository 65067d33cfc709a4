//! Registered clients (relying parties and systems).

use kernel::db::{Db, Row, q};
use kernel::{Error, Result, Violations};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Client {
    pub client_id: String,
    pub name: String,
    /// False for public clients (browser or mobile apps), which authenticate with PKCE only.
    pub confidential: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// authorization_code, refresh_token, client_credentials.
    pub grant_types: Vec<String>,
    pub scopes: Vec<String>,
    pub disabled: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ClientInput {
    pub name: String,
    #[serde(default = "yes")]
    pub confidential: bool,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
}

fn yes() -> bool {
    true
}

const GRANTS: [&str; 3] = ["authorization_code", "refresh_token", "client_credentials"];

fn uri_ok(u: &str) -> bool {
    let local = u.starts_with("http://127.0.0.1") || u.starts_with("http://localhost") || u.starts_with("http://[::1]");
    (u.starts_with("https://") || local) && !u.contains('#') && !u.contains(char::is_whitespace)
}

impl ClientInput {
    pub fn validate(&self) -> Result<(), Violations> {
        let mut v = Violations::new();
        if self.name.trim().is_empty() || self.name.chars().count() > 120 {
            v.add("name", "bắt buộc, tối đa 120 ký tự (required, at most 120 characters)");
        }
        if self.grant_types.is_empty() {
            v.add("grant_types", "cần ít nhất một (at least one)");
        }
        for (i, g) in self.grant_types.iter().enumerate() {
            if !GRANTS.contains(&g.as_str()) {
                v.add(format!("grant_types[{i}]"), "dùng authorization_code, refresh_token hoặc client_credentials");
            }
        }
        if self.grant_types.iter().any(|g| g == "authorization_code") && self.redirect_uris.is_empty() {
            v.add("redirect_uris", "cần ít nhất một địa chỉ chuyển hướng (at least one redirect URI)");
        }
        if self.grant_types.iter().any(|g| g == "client_credentials") && !self.confidential {
            v.add("confidential", "client credentials chỉ dành cho client bảo mật (client credentials need a confidential client)");
        }
        for (i, u) in self.redirect_uris.iter().enumerate() {
            if !uri_ok(u) {
                v.add(
                    format!("redirect_uris[{i}]"),
                    "https:// (hoặc http://127.0.0.1 khi thử nghiệm), không có # (https, or http on loopback; no fragment)",
                );
            }
        }
        for (i, u) in self.post_logout_redirect_uris.iter().enumerate() {
            if !uri_ok(u) {
                v.add(format!("post_logout_redirect_uris[{i}]"), "https:// (hoặc http://127.0.0.1 khi thử nghiệm)");
            }
        }
        for (i, s) in self.scopes.iter().enumerate() {
            if !super::SCOPES.contains(&s.as_str()) && !s.starts_with("lgsp:") {
                v.add(format!("scopes[{i}]"), format!("phạm vi «{s}» không có (unknown scope)"));
            }
        }
        if v.is_empty() { Ok(()) } else { Err(v) }
    }
}

fn list(r: &Row, col: &str) -> Result<Vec<String>> {
    r.json(col)
}

fn from_row(r: &Row) -> Result<Client> {
    Ok(Client {
        client_id: r.text("client_id")?,
        name: r.text("name")?,
        confidential: r.opt_text("secret_hash")?.is_some(),
        redirect_uris: list(r, "redirect_uris")?,
        post_logout_redirect_uris: list(r, "post_logout_redirect_uris")?,
        grant_types: list(r, "grant_types")?,
        scopes: list(r, "scopes")?,
        disabled: r.bool("disabled")?,
    })
}

const COLS: &str = "client_id, secret_hash, name, redirect_uris, post_logout_redirect_uris, grant_types, scopes, disabled";

/// Registers a client; returns it with its secret (shown once) for confidential clients.
pub async fn create(db: &Db, input: &ClientInput, client_id: Option<&str>) -> Result<(Client, Option<String>)> {
    input.validate().map_err(|v| Error::Invalid(v.0))?;
    let id = client_id.map(str::to_owned).unwrap_or_else(|| format!("c-{}", kernel::id::random_token(8)));
    let secret = input.confidential.then(|| kernel::id::random_token(32));
    let mut scopes = input.scopes.clone();
    if !scopes.iter().any(|s| s == "openid") && input.grant_types.iter().any(|g| g == "authorization_code") {
        scopes.insert(0, "openid".into());
    }
    let r = q(
        "INSERT INTO oidc_clients (client_id, secret_hash, name, redirect_uris, post_logout_redirect_uris, grant_types, scopes, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(secret.as_deref().map(super::sha256_hex))
    .bind(input.name.trim())
    .bind(serde_json::to_string(&input.redirect_uris).unwrap_or_default())
    .bind(serde_json::to_string(&input.post_logout_redirect_uris).unwrap_or_default())
    .bind(serde_json::to_string(&input.grant_types).unwrap_or_default())
    .bind(serde_json::to_string(&scopes).unwrap_or_default())
    .bind(kernel::time::now_ms())
    .execute(db)
    .await;
    match r {
        Err(e) if e.is_unique_violation() => {
            return Err(Error::conflict(format!("client {id} đã có (exists)")));
        }
        other => other?,
    };
    Ok((get(db, &id).await?.ok_or_else(|| Error::internal("client vanished"))?, secret))
}

pub async fn get(db: &Db, client_id: &str) -> Result<Option<Client>> {
    let row = q(format!("SELECT {COLS} FROM oidc_clients WHERE client_id = $1")).bind(client_id).fetch_optional(db).await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn all(db: &Db) -> Result<Vec<Client>> {
    let rows = q(format!("SELECT {COLS} FROM oidc_clients ORDER BY client_id")).fetch_all(db).await?;
    rows.iter().map(from_row).collect()
}

pub async fn disable(db: &Db, client_id: &str) -> Result<()> {
    let n = q("UPDATE oidc_clients SET disabled = TRUE WHERE client_id = $1").bind(client_id).execute(db).await?;
    if n == 0 {
        return Err(Error::not_found(format!("client {client_id}")));
    }
    Ok(())
}

/// Gives a confidential client a new secret, returned this once; the old one stops working at
/// once (tokens it already obtained run to their expiry). Refused for a public client, which
/// has none, and for a disabled one.
pub async fn renew_secret(db: &Db, client_id: &str) -> Result<String> {
    let client = get(db, client_id).await?.filter(|c| !c.disabled).ok_or_else(|| Error::not_found(format!("client {client_id}")))?;
    if !client.confidential {
        return Err(Error::conflict(format!(
            "ứng dụng {client_id} là ứng dụng công khai, không có mật khẩu (a public client has no secret)"
        )));
    }
    let secret = kernel::id::random_token(32);
    q("UPDATE oidc_clients SET secret_hash = $1 WHERE client_id = $2 AND disabled = FALSE")
        .bind(super::sha256_hex(&secret))
        .bind(client_id)
        .execute(db)
        .await?;
    Ok(secret)
}

/// The client, if `secret` is its secret (confidential) or it is public and gave none.
pub async fn authenticate(db: &Db, client_id: &str, secret: Option<&str>) -> Result<Option<Client>> {
    let row = q(format!("SELECT {COLS} FROM oidc_clients WHERE client_id = $1")).bind(client_id).fetch_optional(db).await?;
    let Some(row) = row else { return Ok(None) };
    if row.bool("disabled")? {
        return Ok(None);
    }
    let ok = match (row.opt_text("secret_hash")?, secret) {
        (Some(h), Some(s)) => web::auth::constant_time_eq(h.as_bytes(), super::sha256_hex(s).as_bytes()),
        (None, None) => true,
        _ => false,
    };
    if ok { from_row(&row).map(Some) } else { Ok(None) }
}
