//! Sign-in through an external OpenID provider (the national identity platform, VNeID-style):
//! authorization code flow with PKCE from this deployment as the client, ID token verified by
//! the `openidconnect` library against the provider's JWKS. The person's account is found by
//! their personal identification number (`citizen_id` claim), linked on first use, or created.

use kernel::codes::CitizenId;
use kernel::db::q;
use kernel::{Error, Result};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse,
};
use serde_json::json;

use crate::Identity;
use crate::model::{AccountKind, AccountStatus, NewAccount};

/// Where the provider is and who we are to it.
#[derive(Debug, Clone)]
pub struct ExternalIdp {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// Shown on the sign-in button.
    pub name: String,
}

type HttpResult = std::result::Result<openidconnect::HttpResponse, reqwest::Error>;

/// Lets the library make its requests with our HTTP client (redirects are never followed).
pub fn http_client(
    c: reqwest::Client,
) -> impl Fn(openidconnect::HttpRequest) -> std::pin::Pin<Box<dyn std::future::Future<Output = HttpResult> + Send>> {
    move |req: openidconnect::HttpRequest| {
        let c = c.clone();
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let resp = c.request(parts.method, parts.uri.to_string()).headers(parts.headers).body(body).send().await?;
            let mut b = http::Response::builder().status(resp.status());
            for (k, v) in resp.headers() {
                b = b.header(k, v);
            }
            Ok(b.body(resp.bytes().await?.to_vec()).unwrap_or_default())
        })
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap_or_default()
}

fn fail(what: impl std::fmt::Display) -> Error {
    Error::BadRequest(format!("đăng nhập qua nhà cung cấp định danh không thành công (external sign-in failed): {what}"))
}

impl Identity {
    fn callback_url(&self) -> String {
        format!("{}/login/external/callback", self.issuer)
    }

    /// Starts a sign-in: returns the provider's authorization URL to send the person to.
    pub async fn external_start(&self, next: &str) -> Result<String> {
        let idp = self.external.clone().ok_or_else(|| Error::not_found("nhà cung cấp định danh bên ngoài (external identity provider)"))?;
        let hc = http_client(http());
        let meta = CoreProviderMetadata::discover_async(IssuerUrl::new(idp.issuer.clone()).map_err(fail)?, &hc).await.map_err(fail)?;
        let client = CoreClient::from_provider_metadata(
            meta,
            ClientId::new(idp.client_id.clone()),
            idp.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(RedirectUrl::new(self.callback_url()).map_err(fail)?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("citizen_id".into()))
            .set_pkce_challenge(challenge)
            .url();
        q("INSERT INTO external_logins (state, nonce, verifier, next_path, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(state.secret())
            .bind(nonce.secret())
            .bind(verifier.secret())
            .bind(next)
            .bind(kernel::time::now_ms() + 10 * 60 * 1000)
            .execute(&self.db)
            .await?;
        Ok(url.to_string())
    }

    /// Finishes a sign-in: checks the state, exchanges the code, verifies the ID token, finds
    /// or creates the account and opens a session. Returns the session and where to go next.
    pub async fn external_finish(
        &self,
        code: &str,
        state: &str,
        ip: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<(crate::service::LoginOutcome, String)> {
        let idp = self.external.clone().ok_or_else(|| Error::not_found("nhà cung cấp định danh bên ngoài (external identity provider)"))?;
        let row = q("DELETE FROM external_logins WHERE state = $1 RETURNING nonce, verifier, next_path, expires_at")
            .bind(state)
            .fetch_optional(&self.db)
            .await?;
        let row = row.ok_or_else(|| fail("unknown or already used state"))?;
        if row.int("expires_at")? < kernel::time::now_ms() {
            return Err(fail("the sign-in took too long; start again"));
        }
        let hc = http_client(http());
        let meta = CoreProviderMetadata::discover_async(IssuerUrl::new(idp.issuer.clone()).map_err(fail)?, &hc).await.map_err(fail)?;
        let client = CoreClient::from_provider_metadata(
            meta,
            ClientId::new(idp.client_id.clone()),
            idp.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(RedirectUrl::new(self.callback_url()).map_err(fail)?);
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(fail)?
            .set_pkce_verifier(PkceCodeVerifier::new(row.text("verifier")?))
            .request_async(&hc)
            .await
            .map_err(fail)?;
        let id_token = tokens.id_token().ok_or_else(|| fail("no ID token"))?;
        let claims = id_token.claims(&client.id_token_verifier(), &Nonce::new(row.text("nonce")?)).map_err(fail)?;
        let subject = claims.subject().as_str().to_owned();
        // The library verified the token; read the claims it does not model from its payload.
        let raw = id_token.to_string();
        let payload = raw
            .split('.')
            .nth(1)
            .and_then(|p| data_encoding::BASE64URL_NOPAD.decode(p.as_bytes()).ok())
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .unwrap_or_default();
        let cid = payload
            .get("citizen_id")
            .and_then(|v| v.as_str())
            .ok_or_else(|| fail("the provider did not release the personal identification number"))?;
        let cid = CitizenId::parse(cid).map_err(fail)?;
        let name = payload.get("name").and_then(|v| v.as_str()).unwrap_or("Công dân").to_owned();
        let account_id = self.link_external(&idp.issuer, &subject, &cid, &name).await?;
        let out = self.open_session(&account_id, false, ip, user_agent, "external").await?;
        self.audit("login.external", Some(&account_id), Some(&idp.issuer), ip, json!({"subject": subject})).await?;
        Ok((out, row.text("next_path")?))
    }

    /// The account for an external subject: already linked, else the account with the same
    /// personal number (linked now), else a new citizen account.
    async fn link_external(&self, issuer: &str, subject: &str, cid: &CitizenId, name: &str) -> Result<String> {
        if let Some(r) = q("SELECT account_id FROM external_identities WHERE issuer = $1 AND subject = $2")
            .bind(issuer)
            .bind(subject)
            .fetch_optional(&self.db)
            .await?
        {
            return r.text("account_id");
        }
        let existing = q("SELECT id FROM accounts WHERE citizen_id = $1").bind(cid.as_str()).fetch_optional(&self.db).await?;
        let mut tx = self.db.begin().await?;
        let account_id = match existing {
            Some(r) => r.text("id")?,
            None => {
                let a = NewAccount {
                    kind: AccountKind::Citizen,
                    login: cid.to_string(),
                    full_name: name.to_owned(),
                    email: None,
                    phone: None,
                    citizen_id: Some(cid.clone()),
                    tax_code: None,
                    business_name: None,
                    agency_code: None,
                    position: None,
                    password: String::new(),
                    representatives: vec![],
                };
                // No password: this person signs in through the provider (or sets one by reset).
                let id = crate::store::accounts::insert(&mut tx, &a, "!external", None, AccountStatus::Active).await?;
                crate::store::audit::record(
                    &mut tx,
                    "account.created",
                    Some(&id),
                    Some(issuer),
                    None,
                    json!({"kind": "citizen", "via": "external"}),
                )
                .await?;
                id
            }
        };
        q("INSERT INTO external_identities (issuer, subject, account_id, created_at) VALUES ($1, $2, $3, $4)")
            .bind(issuer)
            .bind(subject)
            .bind(&account_id)
            .bind(kernel::time::now_ms())
            .execute(&mut tx)
            .await?;
        crate::store::audit::record(&mut tx, "account.linked", Some(&account_id), Some(issuer), None, json!({"subject": subject})).await?;
        tx.commit().await?;
        Ok(account_id)
    }
}
