//! Sign-in through an external OpenID provider: a second `tinhso` instance plays the national
//! identity platform. On SQLite and PostgreSQL (the relying province's backend).

use identity::seed::DEMO_PASSWORD;
use serde_json::json;
use testkit::{Backend, TestApp};

async fn external_sign_in(backend: Backend) {
    // Instance A: the national identity platform, with the demo citizens.
    let Some(idp) = TestApp::start_demo(Backend::Sqlite).await else { return };
    let port = testkit::free_port();
    let callback = format!("http://127.0.0.1:{port}/login/external/callback");
    let r = idp
        .post("/api/oidc/clients", &json!({"name": "Tỉnh B", "redirect_uris": [callback], "grant_types": ["authorization_code"], "scopes": ["openid", "profile", "citizen_id"]}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let (cid, secret) =
        (r.json()["client"]["client_id"].as_str().unwrap().to_owned(), r.json()["client_secret"].as_str().unwrap().to_owned());
    // Instance B: a province that trusts A. It already knows one of the two citizens.
    let idp_base = idp.base.clone();
    let Some(prov) = TestApp::start_configured(backend, |c| {
        c.listen = format!("127.0.0.1:{port}");
        c.external_idp_issuer = Some(idp_base.clone());
        c.external_idp_client_id = Some(cid.clone());
        c.external_idp_client_secret = Some(secret.clone());
        c.external_idp_name = "VNeID (thử)".into();
    })
    .await
    else {
        eprintln!("skipped: TINHSO_TEST_PG_URL is not set");
        idp.stop().await;
        return;
    };
    let known = prov
        .post_anon(
            "/api/identity/register/citizen",
            &json!({"citizen_id": "001090012345", "full_name": "Nguyễn Văn An", "email": "an@tinh-b.vn", "password": "Tinh-B-2026!"}),
        )
        .await;
    assert_eq!(known.status, 201);
    let login_page = prov.get("/login").await;
    assert!(login_page.text.contains("/login/external"), "the sign-in page offers the provider");

    for (citizen, expect_existing) in [("001090012345", true), ("079185004321", false)] {
        // The browser: B sends the person to A, A signs them in and asks consent, A returns to B.
        let start = prov.get("/login/external?next=/account").await;
        assert_eq!(start.status, 303, "{}", start.text);
        let to_idp = start.header("location").unwrap().to_owned();
        assert!(to_idp.starts_with(&format!("{}/oauth/authorize?", idp.base)), "{to_idp}");
        let at_idp = idp.session(citizen, DEMO_PASSWORD, None).await;
        let consent = idp.raw(idp.http.get(&to_idp).header("cookie", &at_idp.cookie)).await;
        assert_eq!(consent.status, 200, "consent page: {}", consent.text);
        let mut form: Vec<(String, String)> =
            reqwest::Url::parse(&to_idp).unwrap().query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        form.push(("decision".into(), "allow".into()));
        form.push(("_csrf".into(), at_idp.csrf.clone()));
        let back = idp.raw(idp.http.post(idp.url("/oauth/authorize")).header("cookie", &at_idp.cookie).form(&form)).await;
        let to_prov = back.header("location").unwrap().to_owned();
        assert!(to_prov.starts_with(&callback), "{to_prov}");
        let done = prov.raw(prov.http.get(&to_prov)).await;
        assert_eq!(done.status, 303, "{}", done.text);
        assert_eq!(done.header("location"), Some("/account"));
        let cookie = done.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
        let me = prov.raw(prov.http.get(prov.url("/api/identity/me")).header("cookie", &cookie)).await.json();
        assert_eq!(me["citizen_id"], citizen);
        if expect_existing {
            assert_eq!(me["email"], "an@tinh-b.vn", "linked to the account B already had");
        } else {
            assert_eq!(me["full_name"], "Trần Thị Bình", "a new account from the provider's claims");
        }
        // The callback cannot be replayed.
        assert_eq!(prov.raw(prov.http.get(&to_prov)).await.status, 400);
    }
    let linked = prov.get_admin("/api/audit/security-events?kind=account.linked").await.json();
    assert_eq!(linked["total"], 2);
    // A forged state is refused.
    let forged = prov.get("/login/external/callback?code=abc&state=nope").await;
    assert_eq!(forged.status, 400);
    prov.stop().await;
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_through_another_instance_sqlite() {
    external_sign_in(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_through_another_instance_postgres() {
    external_sign_in(Backend::Postgres).await;
}
