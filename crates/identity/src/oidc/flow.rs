//! Codes, tokens and their checks.

use jsonwebtoken::{Algorithm, Validation};
use kernel::Result;
use kernel::db::q;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{ACCESS_TOKEN_SECS, CODE_SECS, ID_TOKEN_SECS, OAuthError, REFRESH_SECS, sha256_hex};
use crate::Identity;
use crate::oidc::clients::Client;

/// Claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub scope: String,
    pub client_id: String,
    /// `user` or `client`.
    pub kind: String,
    #[serde(default)]
    pub amr: Vec<String>,
}

/// A successful token answer (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
pub struct TokenAnswer {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

fn now_s() -> i64 {
    kernel::time::now_ms() / 1000
}

/// The scopes a request may have: those asked for that the client is registered for.
pub fn granted_scopes(client: &Client, asked: &str) -> std::result::Result<Vec<String>, OAuthError> {
    let mut out = Vec::new();
    for s in asked.split_whitespace() {
        if !client.scopes.iter().any(|c| c == s) {
            return Err(OAuthError::new(400, "invalid_scope", format!("scope {s} is not registered for this client")));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    Ok(out)
}

pub struct CodeRequest<'a> {
    pub client_id: &'a str,
    pub account_id: &'a str,
    pub session_id: Option<&'a str>,
    pub redirect_uri: &'a str,
    pub scopes: &'a [String],
    pub nonce: Option<&'a str>,
    pub code_challenge: &'a str,
    pub mfa: bool,
}

pub async fn issue_code(id: &Identity, r: CodeRequest<'_>) -> Result<String> {
    let code = kernel::id::random_token(24);
    let now = kernel::time::now_ms();
    q("INSERT INTO oidc_codes (code_hash, client_id, account_id, session_id, redirect_uri, scope, nonce, code_challenge, mfa, auth_time, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
    .bind(sha256_hex(&code))
    .bind(r.client_id)
    .bind(r.account_id)
    .bind(r.session_id)
    .bind(r.redirect_uri)
    .bind(r.scopes.join(" "))
    .bind(r.nonce)
    .bind(r.code_challenge)
    .bind(r.mfa)
    .bind(now)
    .bind(now + CODE_SECS * 1000)
    .execute(&id.db)
    .await?;
    Ok(code)
}

fn pkce_s256(verifier: &str) -> String {
    use sha2::Digest;
    super::b64url(&sha2::Sha256::digest(verifier.as_bytes()))
}

async fn sign<T: Serialize>(id: &Identity, claims: &T) -> Result<String> {
    super::keys::current_cached(id).await?.sign_jwt(claims)
}

async fn access_token(id: &Identity, sub: &str, client_id: &str, scope: &str, kind: &str, mfa: bool) -> Result<String> {
    let now = now_s();
    let claims = AccessClaims {
        iss: id.issuer.clone(),
        sub: sub.to_owned(),
        aud: client_id.to_owned(),
        exp: now + ACCESS_TOKEN_SECS,
        iat: now,
        jti: kernel::id::random_token(12),
        scope: scope.to_owned(),
        client_id: client_id.to_owned(),
        kind: kind.to_owned(),
        amr: if mfa {
            vec!["pwd".into(), "otp".into()]
        } else if kind == "user" {
            vec!["pwd".into()]
        } else {
            vec![]
        },
    };
    sign(id, &claims).await
}

/// Claims about a person, released according to the scopes (and consent for `citizen_id`).
pub async fn person_claims(id: &Identity, account_id: &str, scopes: &[String]) -> Result<serde_json::Map<String, Value>> {
    let a = id.account(account_id).await?;
    let mut m = serde_json::Map::new();
    m.insert("sub".into(), json!(a.id));
    let has = |s: &str| scopes.iter().any(|x| x == s);
    if has("profile") {
        m.insert("name".into(), json!(a.business_name.clone().unwrap_or(a.full_name.clone())));
        m.insert("preferred_username".into(), json!(a.login));
        m.insert("account_kind".into(), json!(a.kind));
    }
    if has("email")
        && let Some(e) = &a.email
    {
        m.insert("email".into(), json!(e));
        m.insert("email_verified".into(), json!(false));
    }
    if has("phone")
        && let Some(p) = &a.phone
    {
        m.insert("phone_number".into(), json!(p));
    }
    if has("citizen_id") {
        if let Some(c) = &a.citizen_id {
            m.insert("citizen_id".into(), json!(c));
        }
        if let Some(t) = &a.tax_code {
            m.insert("tax_code".into(), json!(t));
        }
    }
    if has("roles") {
        if let Some(ag) = &a.agency_code {
            m.insert("agency".into(), json!(ag));
        }
        m.insert("roles".into(), json!(a.roles.iter().map(|r| json!({"role": r.role, "agency": r.agency_code})).collect::<Vec<_>>()));
    }
    Ok(m)
}

async fn id_token(
    id: &Identity,
    account_id: &str,
    client_id: &str,
    scopes: &[String],
    nonce: Option<&str>,
    auth_time: i64,
    mfa: bool,
) -> Result<String> {
    let now = now_s();
    let mut claims = person_claims(id, account_id, scopes).await?;
    claims.insert("iss".into(), json!(id.issuer));
    claims.insert("aud".into(), json!(client_id));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + ID_TOKEN_SECS));
    claims.insert("auth_time".into(), json!(auth_time / 1000));
    claims.insert("amr".into(), json!(if mfa { vec!["pwd", "otp"] } else { vec!["pwd"] }));
    if let Some(n) = nonce {
        claims.insert("nonce".into(), json!(n));
    }
    sign(id, &Value::Object(claims)).await
}

async fn new_refresh(id: &Identity, family: &str, client_id: &str, account_id: &str, scope: &str, mfa: bool) -> Result<String> {
    let token = kernel::id::random_token(32);
    q("INSERT INTO oidc_refresh_tokens (token_hash, family, client_id, account_id, scope, mfa, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(sha256_hex(&token))
        .bind(family)
        .bind(client_id)
        .bind(account_id)
        .bind(scope)
        .bind(mfa)
        .bind(kernel::time::now_ms() + REFRESH_SECS * 1000)
        .execute(&id.db)
        .await?;
    Ok(token)
}

/// Exchanges an authorization code (once, within a minute, with the right redirect URI and
/// PKCE verifier) for tokens.
pub async fn exchange_code(
    id: &Identity,
    client: &Client,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> std::result::Result<TokenAnswer, OAuthError> {
    let now = kernel::time::now_ms();
    // Mark the code used in the same statement that finds it: a replay finds nothing.
    let row = q("UPDATE oidc_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL
                 RETURNING client_id, account_id, redirect_uri, scope, nonce, code_challenge, mfa, auth_time, expires_at")
    .bind(now)
    .bind(sha256_hex(code))
    .fetch_optional(&id.db)
    .await?;
    let Some(row) = row else {
        id.audit("oidc.code_rejected", None, Some(&client.client_id), None, json!({"reason": "unknown or already used code"})).await?;
        // A replayed code revokes what it issued (RFC 6749 §4.1.2).
        let used = q("SELECT account_id FROM oidc_codes WHERE code_hash = $1").bind(sha256_hex(code)).fetch_optional(&id.db).await?;
        if let Some(u) = used {
            q("UPDATE oidc_refresh_tokens SET revoked_at = $1 WHERE client_id = $2 AND account_id = $3 AND revoked_at IS NULL")
                .bind(now)
                .bind(&client.client_id)
                .bind(u.text("account_id")?)
                .execute(&id.db)
                .await?;
        }
        return Err(OAuthError::invalid_grant("the code is unknown, expired or already used"));
    };
    if row.text("client_id")? != client.client_id {
        return Err(OAuthError::invalid_grant("the code was issued to another client"));
    }
    if row.int("expires_at")? < now {
        return Err(OAuthError::invalid_grant("the code has expired"));
    }
    if row.text("redirect_uri")? != redirect_uri {
        return Err(OAuthError::invalid_grant("redirect_uri differs from the authorization request"));
    }
    if pkce_s256(verifier) != row.text("code_challenge")? {
        id.audit("oidc.code_rejected", None, Some(&client.client_id), None, json!({"reason": "wrong PKCE verifier"})).await?;
        return Err(OAuthError::invalid_grant("the PKCE code_verifier does not match"));
    }
    let account_id = row.text("account_id")?;
    let scope = row.text("scope")?;
    let scopes: Vec<String> = scope.split_whitespace().map(str::to_owned).collect();
    let mfa = row.bool("mfa")?;
    let access = access_token(id, &account_id, &client.client_id, &scope, "user", mfa).await?;
    let idt = if scopes.iter().any(|s| s == "openid") {
        Some(id_token(id, &account_id, &client.client_id, &scopes, row.opt_text("nonce")?.as_deref(), row.int("auth_time")?, mfa).await?)
    } else {
        None
    };
    let refresh = if client.grant_types.iter().any(|g| g == "refresh_token") {
        Some(new_refresh(id, &kernel::id::new_id(), &client.client_id, &account_id, &scope, mfa).await?)
    } else {
        None
    };
    id.audit(
        "oidc.token_granted",
        Some(&account_id),
        Some(&client.client_id),
        None,
        json!({"grant": "authorization_code", "scope": scope}),
    )
    .await?;
    Ok(TokenAnswer {
        access_token: access,
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_SECS,
        scope,
        id_token: idt,
        refresh_token: refresh,
    })
}

/// Rotates a refresh token. Using one twice revokes its whole family (it was stolen or
/// replayed).
pub async fn refresh(id: &Identity, client: &Client, token: &str) -> std::result::Result<TokenAnswer, OAuthError> {
    let now = kernel::time::now_ms();
    let row = q(
        "SELECT family, client_id, account_id, scope, mfa, expires_at, used_at, revoked_at FROM oidc_refresh_tokens WHERE token_hash = $1",
    )
    .bind(sha256_hex(token))
    .fetch_optional(&id.db)
    .await?;
    let Some(row) = row else {
        return Err(OAuthError::invalid_grant("unknown refresh token"));
    };
    let family = row.text("family")?;
    if row.text("client_id")? != client.client_id {
        return Err(OAuthError::invalid_grant("the refresh token was issued to another client"));
    }
    if row.opt_int("revoked_at")?.is_some() || row.int("expires_at")? < now {
        return Err(OAuthError::invalid_grant("the refresh token is revoked or expired"));
    }
    let claimed = q("UPDATE oidc_refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL")
        .bind(now)
        .bind(sha256_hex(token))
        .execute(&id.db)
        .await?;
    if claimed == 0 {
        q("UPDATE oidc_refresh_tokens SET revoked_at = $1 WHERE family = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(&family)
            .execute(&id.db)
            .await?;
        id.audit("oidc.refresh_reused", Some(&row.text("account_id")?), Some(&client.client_id), None, json!({"family": family})).await?;
        return Err(OAuthError::invalid_grant("the refresh token was already used; its family is revoked"));
    }
    let (account_id, scope, mfa) = (row.text("account_id")?, row.text("scope")?, row.bool("mfa")?);
    let access = access_token(id, &account_id, &client.client_id, &scope, "user", mfa).await?;
    let next = new_refresh(id, &family, &client.client_id, &account_id, &scope, mfa).await?;
    Ok(TokenAnswer {
        access_token: access,
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_SECS,
        scope,
        id_token: None,
        refresh_token: Some(next),
    })
}

/// A token for a system acting as itself (the LGSP's callers).
pub async fn client_credentials(id: &Identity, client: &Client, asked: &str) -> std::result::Result<TokenAnswer, OAuthError> {
    let scopes = if asked.trim().is_empty() {
        client.scopes.iter().filter(|s| s.starts_with("lgsp:")).cloned().collect()
    } else {
        granted_scopes(client, asked)?
    };
    let scope = scopes.join(" ");
    let access = access_token(id, &client.client_id, &client.client_id, &scope, "client", false).await?;
    Ok(TokenAnswer {
        access_token: access,
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_SECS,
        scope,
        id_token: None,
        refresh_token: None,
    })
}

/// Verifies an access token issued here: signature with a published key, issuer, expiry.
pub async fn verify_access(id: &Identity, token: &str) -> Result<Option<AccessClaims>> {
    let now = kernel::time::now_ms() / 1000;
    if let Some(c) = id.verified_tokens.lock().unwrap_or_else(|e| e.into_inner()).get(token)
        && c.exp > now
    {
        return Ok(Some(c.clone()));
    }
    let claims = verify_signature(id, token).await?;
    if let Some(c) = &claims {
        let mut seen = id.verified_tokens.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= 10_000 {
            seen.retain(|_, c| c.exp > now);
            if seen.len() >= 10_000 {
                seen.clear();
            }
        }
        seen.insert(token.to_owned(), c.clone());
    }
    Ok(claims)
}

/// The OAuth2 client behind a client-credentials access token this node verified before and
/// that has not expired, without waiting or reading anything; None otherwise (the token may
/// still be good: [`verify_access`] tells).
pub fn verified_client(id: &Identity, token: &str) -> Option<String> {
    let now = kernel::time::now_ms() / 1000;
    let seen = id.verified_tokens.lock().unwrap_or_else(|e| e.into_inner());
    seen.get(token).filter(|c| c.exp > now && c.kind == "client").map(|c| c.client_id.clone())
}

async fn verify_signature(id: &Identity, token: &str) -> Result<Option<AccessClaims>> {
    let Ok(header) = jsonwebtoken::decode_header(token) else {
        return Ok(None);
    };
    let Some(kid) = header.kid else {
        return Ok(None);
    };
    let Some(key) = super::keys::decoding_cached(id, &kid).await? else {
        return Ok(None);
    };
    let mut v = Validation::new(Algorithm::ES256);
    v.set_issuer(&[&id.issuer]);
    v.validate_aud = false;
    v.leeway = 5;
    match jsonwebtoken::decode::<AccessClaims>(token, &key, &v) {
        Ok(d) => Ok(Some(d.claims)),
        Err(_) => Ok(None),
    }
}

/// Whether the person already agreed to give `client` their personal number.
pub async fn has_consent(id: &Identity, account_id: &str, client_id: &str, scope: &str) -> Result<bool> {
    let row = q("SELECT scopes FROM oidc_consents WHERE account_id = $1 AND client_id = $2")
        .bind(account_id)
        .bind(client_id)
        .fetch_optional(&id.db)
        .await?;
    Ok(row.map(|r| r.text("scopes")).transpose()?.is_some_and(|s| s.split_whitespace().any(|x| x == scope)))
}

pub async fn record_consent(id: &Identity, account_id: &str, client_id: &str, scopes: &[String]) -> Result<()> {
    q("INSERT INTO oidc_consents (account_id, client_id, scopes, granted_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (account_id, client_id) DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at")
    .bind(account_id)
    .bind(client_id)
    .bind(scopes.join(" "))
    .bind(kernel::time::now_ms())
    .execute(&id.db)
    .await?;
    id.audit("oidc.consent", Some(account_id), Some(account_id), None, json!({"client": client_id, "scopes": scopes})).await
}
