//! The OpenID Connect provider driven by a real client library (`openidconnect`), and the
//! refusals the standards require, on SQLite and PostgreSQL.

use identity::seed::DEMO_PASSWORD;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope,
    TokenResponse,
};
use serde_json::{Value, json};
use testkit::{Session, TestApp, storage_test};

const CALLBACK: &str = "http://127.0.0.1:9/callback";

fn http_client(
    c: reqwest::Client,
) -> impl Fn(
    openidconnect::HttpRequest,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<openidconnect::HttpResponse, reqwest::Error>> + Send>> {
    identity::external::http_client(c)
}

async fn register(app: &TestApp, grants: &[&str], scopes: &[&str]) -> (String, String) {
    let r = app
        .post("/api/oidc/clients", &json!({"name": "Ứng dụng thử", "redirect_uris": [CALLBACK], "post_logout_redirect_uris": ["http://127.0.0.1:9/bye"], "grant_types": grants, "scopes": scopes}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let v = r.json();
    (v["client"]["client_id"].as_str().unwrap().to_owned(), v["client_secret"].as_str().unwrap().to_owned())
}

/// Follows the browser part of the flow: the authorization request with the session cookie,
/// the consent form when one is shown; returns the redirect's query parameters.
async fn browse(app: &TestApp, s: &Session, auth_url: &str) -> Vec<(String, String)> {
    let r = app.raw(app.http.get(auth_url).header("cookie", &s.cookie)).await;
    let location = if r.status == 200 {
        assert!(r.text.contains("decision"), "expected the consent page: {}", r.text);
        let url = reqwest::Url::parse(auth_url).unwrap();
        let mut form: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        form.push(("decision".into(), "allow".into()));
        form.push(("_csrf".into(), s.csrf.clone()));
        let c = app.raw(app.http.post(app.url("/oauth/authorize")).header("cookie", &s.cookie).form(&form)).await;
        assert_eq!(c.status, 303, "{}", c.text);
        c.header("location").unwrap().to_owned()
    } else {
        assert_eq!(r.status, 303, "{}", r.text);
        r.header("location").unwrap().to_owned()
    };
    assert!(location.starts_with(CALLBACK), "{location}");
    reqwest::Url::parse(&location).unwrap().query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn param(q: &[(String, String)], k: &str) -> String {
    q.iter().find(|(a, _)| a == k).map(|x| x.1.clone()).unwrap_or_default()
}

async fn token_raw(app: &TestApp, client: &(String, String), form: &[(&str, &str)]) -> testkit::Answer {
    app.raw(app.http.post(app.url("/oauth/token")).basic_auth(&client.0, Some(&client.1)).form(form)).await
}

storage_test!(demo a_client_library_completes_the_code_flow_with_pkce, async |app: &TestApp| {
    let (cid, secret) = register(app, &["authorization_code", "refresh_token"], &["openid", "profile", "email", "citizen_id", "roles"]).await;
    let http = http_client(app.http.clone());
    let meta = CoreProviderMetadata::discover_async(IssuerUrl::new(app.base.clone()).unwrap(), &http).await.expect("discovery");
    let client = CoreClient::from_provider_metadata(meta, ClientId::new(cid.clone()), Some(ClientSecret::new(secret.clone())))
        .set_redirect_uri(RedirectUrl::new(CALLBACK.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("citizen_id".into()))
        .set_pkce_challenge(challenge)
        .url();
    // Not signed in: the provider sends the person to the sign-in page first.
    let anon = app.raw(app.http.get(url.as_str())).await;
    assert_eq!(anon.status, 303);
    assert!(anon.header("location").unwrap().starts_with("/login?next="));
    let citizen = app.session("001090012345", DEMO_PASSWORD, None).await;
    let q = browse(app, &citizen, url.as_str()).await;
    assert_eq!(param(&q, "state"), *state.secret());
    let code = param(&q, "code");
    let tokens = client
        .exchange_code(AuthorizationCode::new(code.clone()))
        .expect("token endpoint")
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("token exchange");
    let id_token = tokens.id_token().expect("id token");
    let claims = id_token.claims(&client.id_token_verifier(), &nonce).expect("ID token verifies against the JWKS");
    let me = app.get_as(&citizen, "/api/identity/me").await.json();
    assert_eq!(claims.subject().as_str(), me["id"].as_str().unwrap());
    assert_eq!(claims.preferred_username().unwrap().as_str(), "001090012345");
    let info: openidconnect::core::CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), None)
        .expect("userinfo endpoint")
        .request_async(&http)
        .await
        .expect("userinfo");
    assert_eq!(info.subject().as_str(), me["id"].as_str().unwrap());
    let raw = app.raw(app.http.get(app.url("/oauth/userinfo")).bearer_auth(tokens.access_token().secret())).await.json();
    assert_eq!(raw["citizen_id"], "001090012345", "the personal number is released after consent");
    // The access token works on the platform's own APIs.
    let via_token = app.raw(app.http.get(app.url("/api/identity/me")).bearer_auth(tokens.access_token().secret())).await;
    assert_eq!(via_token.json()["citizen_id"], "001090012345");
    // Refresh tokens rotate; a reused one revokes its family.
    let r1 = tokens.refresh_token().unwrap().secret().clone();
    let next = token_raw(app, &(cid.clone(), secret.clone()), &[("grant_type", "refresh_token"), ("refresh_token", &r1)]).await;
    assert_eq!(next.status, 200, "{}", next.text);
    let r2 = next.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2);
    let reuse = token_raw(app, &(cid.clone(), secret.clone()), &[("grant_type", "refresh_token"), ("refresh_token", &r1)]).await;
    assert_eq!(reuse.json()["error"], "invalid_grant");
    let after = token_raw(app, &(cid.clone(), secret.clone()), &[("grant_type", "refresh_token"), ("refresh_token", &r2)]).await;
    assert_eq!(after.json()["error"], "invalid_grant", "the whole family is revoked");
    // The code cannot be used twice; replaying it also revokes what it issued.
    let replay = token_raw(app, &(cid.clone(), secret.clone()), &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", CALLBACK), ("code_verifier", "x".repeat(43).as_str())]).await;
    assert_eq!(replay.status, 400);
    assert_eq!(replay.json()["error"], "invalid_grant");
    // RP-initiated logout ends the session and returns to a registered address only.
    let out = app.raw(app.http.get(app.url(&format!("/oauth/logout?client_id={cid}&post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fbye&state=s1"))).header("cookie", &citizen.cookie)).await;
    assert_eq!(out.header("location"), Some("http://127.0.0.1:9/bye?state=s1"));
    assert_eq!(app.get_as(&citizen, "/api/identity/me").await.status, 401);
    let evil = app.raw(app.http.get(app.url(&format!("/oauth/logout?client_id={cid}&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F")))).await;
    assert_eq!(evil.header("location"), Some("/"));
});

storage_test!(demo bad_requests_are_refused_with_standard_errors, async |app: &TestApp| {
    let client = register(app, &["authorization_code"], &["openid", "profile"]).await;
    let citizen = app.session("079185004321", DEMO_PASSWORD, None).await;
    let pkce = |v: &str| {
        use sha2::Digest;
        data_encoding::BASE64URL_NOPAD.encode(&sha2::Sha256::digest(v.as_bytes()))
    };
    let verifier = "v".repeat(50);
    let auth = |redirect: &str, challenge: &str| {
        format!("{}/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid%20profile&state=st&code_challenge={challenge}&code_challenge_method=S256", app.base, client.0, redirect.replace(':', "%3A").replace('/', "%2F"))
    };
    // An unregistered redirect URI is never followed.
    let r = app.raw(app.http.get(auth("https://evil.example/cb", &pkce(&verifier))).header("cookie", &citizen.cookie)).await;
    assert_eq!(r.status, 400);
    assert!(r.header("location").is_none());
    // PKCE is required.
    let r = app.raw(app.http.get(format!("{}/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid", app.base, client.0, CALLBACK)).header("cookie", &citizen.cookie)).await;
    assert!(r.header("location").unwrap().contains("error=invalid_request"));
    // An unknown scope.
    let r = app.raw(app.http.get(auth(CALLBACK, &pkce(&verifier)).replace("openid%20profile", "openid%20admin")).header("cookie", &citizen.cookie)).await;
    assert!(r.header("location").unwrap().contains("error=invalid_scope"), "{:?}", r.header("location"));
    // A wrong PKCE verifier.
    let q = browse(app, &citizen, &auth(CALLBACK, &pkce(&verifier))).await;
    let code = param(&q, "code");
    let wrong = token_raw(app, &client, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", CALLBACK), ("code_verifier", &"w".repeat(50))]).await;
    assert_eq!(wrong.json()["error"], "invalid_grant");
    // The code was spent by that attempt.
    let again = token_raw(app, &client, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", CALLBACK), ("code_verifier", &verifier)]).await;
    assert_eq!(again.json()["error"], "invalid_grant");
    // A good exchange, then tampered and expired tokens.
    let q = browse(app, &citizen, &auth(CALLBACK, &pkce(&verifier))).await;
    let ok = token_raw(app, &client, &[("grant_type", "authorization_code"), ("code", &param(&q, "code")), ("redirect_uri", CALLBACK), ("code_verifier", &verifier)]).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let access = ok.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.raw(app.http.get(app.url("/oauth/userinfo")).bearer_auth(&access)).await.status, 200);
    let mut parts: Vec<String> = access.split('.').map(str::to_owned).collect();
    let mut payload: Value = serde_json::from_slice(&data_encoding::BASE64URL_NOPAD.decode(parts[1].as_bytes()).unwrap()).unwrap();
    payload["sub"] = json!("someone-else");
    parts[1] = data_encoding::BASE64URL_NOPAD.encode(payload.to_string().as_bytes());
    let tampered = parts.join(".");
    assert_eq!(app.raw(app.http.get(app.url("/oauth/userinfo")).bearer_auth(&tampered)).await.status, 401);
    assert_eq!(app.raw(app.http.get(app.url("/api/identity/me")).bearer_auth(&tampered)).await.status, 401);
    let key = identity::oidc::keys::current(&app.app.db).await.unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(key.kid.clone());
    payload["sub"] = json!(app.get_as(&citizen, "/api/identity/me").await.json()["id"]);
    payload["exp"] = json!(kernel::time::now_ms() / 1000 - 3600);
    let expired = jsonwebtoken::encode(&header, &payload, &key.encoding).unwrap();
    assert_eq!(app.raw(app.http.get(app.url("/oauth/userinfo")).bearer_auth(&expired)).await.status, 401);
    // Client authentication and grant types.
    let bad = app.raw(app.http.post(app.url("/oauth/token")).basic_auth(&client.0, Some("wrong")).form(&[("grant_type", "authorization_code")])).await;
    assert_eq!(bad.status, 401);
    assert_eq!(bad.json()["error"], "invalid_client");
    let cc = token_raw(app, &client, &[("grant_type", "client_credentials")]).await;
    assert_eq!(cc.json()["error"], "unauthorized_client");
    let events = app.get_admin("/api/audit/security-events?kind=oidc.code_rejected").await.json();
    assert!(events["total"].as_i64().unwrap() >= 2);
});

storage_test!(systems_get_tokens_with_client_credentials_and_keys_rotate, async |app: &TestApp| {
    let r = app
        .post("/api/oidc/clients", &json!({"name": "Hệ thống một cửa", "grant_types": ["client_credentials"], "scopes": ["lgsp:call"]}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let client = (r.json()["client"]["client_id"].as_str().unwrap().to_owned(), r.json()["client_secret"].as_str().unwrap().to_owned());
    let t = token_raw(app, &client, &[("grant_type", "client_credentials")]).await;
    assert_eq!(t.status, 200, "{}", t.text);
    assert_eq!(t.json()["scope"], "lgsp:call");
    assert!(t.json().get("refresh_token").is_none());
    let access = t.json()["access_token"].as_str().unwrap().to_owned();
    let me = app.raw(app.http.get(app.url("/api/identity/me")).bearer_auth(&access)).await.json();
    assert_eq!(me["kind"], "system");
    // A system token has no catalog rights.
    assert_eq!(
        app.raw(app.http.post(app.url("/api/code-lists")).bearer_auth(&access).json(&json!({"code": "x", "name": "x"}))).await.status,
        403
    );
    // Rotation: a new key signs, the old one still verifies tokens it signed.
    let before = app.get("/oauth/jwks").await.json()["keys"].as_array().unwrap().len();
    assert_eq!(app.post("/api/oidc/keys/rotate", &json!({})).await.status, 200);
    let after = app.get("/oauth/jwks").await.json()["keys"].as_array().unwrap().len();
    assert_eq!(after, before + 1);
    assert_eq!(app.raw(app.http.get(app.url("/api/identity/me")).bearer_auth(&access)).await.status, 200);
    let t2 = token_raw(app, &client, &[("grant_type", "client_credentials")]).await.json();
    assert_ne!(
        jsonwebtoken::decode_header(t2["access_token"].as_str().unwrap()).unwrap().kid,
        jsonwebtoken::decode_header(&access).unwrap().kid
    );
    // A new secret: shown once; the old one stops working, tokens already issued do not.
    let renewed = app.post(&format!("/api/oidc/clients/{}/secret", client.0), &json!({})).await;
    assert_eq!(renewed.status, 200, "{}", renewed.text);
    let fresh = renewed.json()["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(fresh, client.1);
    assert_eq!(token_raw(app, &client, &[("grant_type", "client_credentials")]).await.status, 401, "the old secret is refused");
    let client = (client.0.clone(), fresh);
    assert_eq!(token_raw(app, &client, &[("grant_type", "client_credentials")]).await.status, 200);
    assert_eq!(app.raw(app.http.get(app.url("/api/identity/me")).bearer_auth(&access)).await.status, 200);
    assert_eq!(app.post("/api/oidc/clients/no-such-client/secret", &json!({})).await.status, 404);
    let events = app.get_admin("/api/audit/security-events?kind=oidc.client_secret_renewed").await.json();
    assert_eq!(events["total"], 1, "{events}");
    // Bad registrations and disabled clients.
    let bad = app
        .post(
            "/api/oidc/clients",
            &json!({"name": "", "grant_types": ["implicit"], "redirect_uris": ["http://evil.example/cb"], "scopes": ["root"]}),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.error_fields().len() >= 3, "{}", bad.text);
    assert_eq!(app.delete(&format!("/api/oidc/clients/{}", client.0)).await.status, 204);
    assert_eq!(token_raw(app, &client, &[("grant_type", "client_credentials")]).await.status, 401);
    assert_eq!(
        app.post(&format!("/api/oidc/clients/{}/secret", client.0), &json!({})).await.status,
        404,
        "a disabled client gets no secret"
    );
    let disc = app.get("/.well-known/openid-configuration").await.json();
    assert_eq!(disc["issuer"], app.base.as_str());
    assert_eq!(disc["code_challenge_methods_supported"], json!(["S256"]));
});
