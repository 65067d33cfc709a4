//! Signing keys: ES256 (P-256). A new key is made when none is younger than the rotation
//! period; retired keys stay in the JWKS for a day so tokens they signed still verify.

use jsonwebtoken::{DecodingKey, EncodingKey};
use kernel::Result;
use kernel::db::{Db, q};
use p256::pkcs8::EncodePrivateKey;
use serde_json::{Value, json};

pub const ROTATE_AFTER_MS: i64 = 30 * 24 * 3600 * 1000;
pub const KEEP_RETIRED_MS: i64 = 24 * 3600 * 1000;

#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    pub encoding: EncodingKey,
    /// The same key parsed once: signing with it skips the PKCS#8 parse and public-point
    /// computation that `jsonwebtoken::encode` repeats for every token.
    pub ecdsa: p256::ecdsa::SigningKey,
}

impl SigningKey {
    /// A compact JWS (ES256) of `claims`, with this key's id in the header.
    pub fn sign_jwt<T: serde::Serialize>(&self, claims: &T) -> Result<String> {
        use p256::ecdsa::signature::Signer;
        let header = json!({"alg": "ES256", "typ": "JWT", "kid": self.kid});
        let body = serde_json::to_vec(claims).map_err(kernel::Error::internal)?;
        let input = format!("{}.{}", super::b64url(header.to_string().as_bytes()), super::b64url(&body));
        let sig: p256::ecdsa::Signature = self.ecdsa.sign(input.as_bytes());
        Ok(format!("{input}.{}", super::b64url(&sig.to_bytes())))
    }
}

fn new_key() -> Result<(String, String, String)> {
    use rand::RngCore;
    loop {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        if let Ok(sk) = p256::ecdsa::SigningKey::from_bytes(&bytes.into()) {
            let der = sk.to_pkcs8_der().map_err(kernel::Error::internal)?;
            let point = sk.verifying_key().to_encoded_point(false);
            let (x, y) =
                (point.x().ok_or_else(|| kernel::Error::internal("no x"))?, point.y().ok_or_else(|| kernel::Error::internal("no y"))?);
            return Ok((super::b64url(der.as_bytes()), super::b64url(x), super::b64url(y)));
        }
    }
}

/// Makes a new signing key and retires the others. Returns the new key id.
pub async fn rotate(db: &Db) -> Result<String> {
    let (der, x, y) = new_key()?;
    let kid = format!("k{}", kernel::id::random_token(8));
    let now = kernel::time::now_ms();
    let mut tx = db.begin().await?;
    q("UPDATE oidc_keys SET retired_at = $1 WHERE retired_at IS NULL").bind(now).execute(&mut tx).await?;
    q("INSERT INTO oidc_keys (kid, private_der, x, y, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&kid)
        .bind(der)
        .bind(x)
        .bind(y)
        .bind(now)
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(kid)
}

/// The key to sign with, made or rotated when needed.
pub async fn current(db: &Db) -> Result<SigningKey> {
    let now = kernel::time::now_ms();
    let row = q("SELECT kid, private_der, created_at FROM oidc_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1")
        .fetch_optional(db)
        .await?;
    let row = match row {
        Some(r) if now - r.int("created_at")? < ROTATE_AFTER_MS => r,
        _ => {
            rotate(db).await?;
            q("SELECT kid, private_der, created_at FROM oidc_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1")
                .fetch_one(db)
                .await?
        }
    };
    let der = data_encoding::BASE64URL_NOPAD.decode(row.text("private_der")?.as_bytes()).map_err(kernel::Error::internal)?;
    let ecdsa = <p256::ecdsa::SigningKey as p256::pkcs8::DecodePrivateKey>::from_pkcs8_der(&der).map_err(kernel::Error::internal)?;
    Ok(SigningKey { kid: row.text("kid")?, encoding: EncodingKey::from_ec_der(&der), ecdsa })
}

/// How long a node keeps the current key in memory before looking again (a rotation made on
/// another node is picked up within this time; tokens signed by the old key stay valid).
pub const CACHE_MS: i64 = 60_000;

/// The current key, from this node's memory when it was read less than [`CACHE_MS`] ago.
pub async fn current_cached(id: &crate::Identity) -> Result<SigningKey> {
    let now = kernel::time::now_ms();
    if let Some((k, at)) = id.key_cache.lock().unwrap_or_else(|e| e.into_inner()).clone()
        && now - at < CACHE_MS
    {
        return Ok(k);
    }
    let k = current(&id.db).await?;
    *id.key_cache.lock().unwrap_or_else(|e| e.into_inner()) = Some((k.clone(), now));
    Ok(k)
}

/// Public keys that verify tokens: the current one and those retired less than a day ago.
pub async fn public(db: &Db) -> Result<Vec<(String, String, String)>> {
    let since = kernel::time::now_ms() - KEEP_RETIRED_MS;
    let rows = q("SELECT kid, x, y FROM oidc_keys WHERE retired_at IS NULL OR retired_at > $1 ORDER BY created_at DESC")
        .bind(since)
        .fetch_all(db)
        .await?;
    rows.iter().map(|r| Ok((r.text("kid")?, r.text("x")?, r.text("y")?))).collect()
}

pub async fn jwks(db: &Db) -> Result<Value> {
    // A client may fetch the keys before anything was signed: make sure the current key exists.
    current(db).await?;
    let keys: Vec<Value> = public(db)
        .await?
        .into_iter()
        .map(|(kid, x, y)| json!({"kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "use": "sig", "alg": "ES256"}))
        .collect();
    Ok(json!({ "keys": keys }))
}

/// The verification key with id `kid`, from this node's memory (refreshed every
/// [`CACHE_MS`], and at once for a key id it does not know, so a rotation made on another node
/// is seen by the first token it signed).
pub async fn decoding_cached(id: &crate::Identity, kid: &str) -> Result<Option<DecodingKey>> {
    let now = kernel::time::now_ms();
    {
        let cache = id.verify_cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((keys, at)) = cache.as_ref()
            && now - at < CACHE_MS
            && let Some(k) = keys.get(kid)
        {
            return Ok(Some(k.clone()));
        }
    }
    let mut keys = std::collections::HashMap::new();
    for (k, x, y) in public(&id.db).await? {
        keys.insert(k, DecodingKey::from_ec_components(&x, &y).map_err(kernel::Error::internal)?);
    }
    let found = keys.get(kid).cloned();
    *id.verify_cache.lock().unwrap_or_else(|e| e.into_inner()) = Some((keys, now));
    Ok(found)
}
