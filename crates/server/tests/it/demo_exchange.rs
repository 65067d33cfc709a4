//! The demo's exchange through the LGSP gateway, as `tinhso demo` seeds it and a user follows
//! the banner: the client's credentials from the file, a token, calls through the gateway.

use serde_json::json;
use testkit::{TestApp, storage_test};

const CLIENT: &str = "VN/GOV/000.00.51.H99/motcua";

async fn token(app: &TestApp, credentials: &str) -> String {
    let (id, secret) = credentials.trim().split_once(':').expect("client_id:secret");
    let form = [("grant_type", "client_credentials")];
    let t = app.raw(app.http.post(app.url("/oauth/token")).basic_auth(id, Some(secret)).form(&form)).await;
    assert_eq!(t.status, 200, "{}", t.text);
    t.json()["access_token"].as_str().unwrap().to_owned()
}

storage_test!(demo the_demo_exchange_reads_the_registry_through_the_gateway, async |app: &TestApp| {
    let data = tempfile::tempdir().unwrap();
    lgsp::seed::demo(&app.app.lgsp, data.path()).await.unwrap();
    let replica = app.app.lgsp.replicas().await.unwrap().remove(0);
    app.app.lgsp.run_replica(&replica.id).await.unwrap();

    let (path, client, file) = server::serve::demo_exchange(&app.app, &app.base, data.path()).await.unwrap();
    assert_eq!((path.as_str(), client.as_str()), ("/r1/VN/GOV/000.00.14.H99/dkkd/ho-kinh-doanh/1", CLIENT));
    let credentials = std::fs::read_to_string(&file).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600, "the secret is the owner's only");
    }
    // Seeding again (the next start) keeps the client, its secret, the service and its rights.
    server::serve::demo_exchange(&app.app, &app.base, data.path()).await.unwrap();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), credentials);
    let services = app.get_admin("/api/lgsp/subsystems/VN/GOV/000.00.14.H99/dkkd/services").await;
    assert_eq!(services.status, 200, "{}", services.text);
    let services = services.json();
    let list = services.as_array().unwrap();
    assert_eq!(list.len(), 1, "{services}");
    assert_eq!(list[0]["state"], "published");
    let service_id = list[0]["id"].as_str().unwrap().to_owned();
    let detail = app.get_admin(&format!("/api/lgsp/services/{service_id}")).await.json();
    assert_eq!(detail["access"].as_array().unwrap().len(), 3, "{detail}");

    let bearer = token(app, &credentials).await;
    let call = |method: reqwest::Method, rest: &str| {
        app.http.request(method, app.url(&format!("{path}{rest}"))).header("X-Road-Client", CLIENT).bearer_auth(&bearer)
    };
    let listed = app.raw(call(reqwest::Method::GET, "?search=B%C3%ACnh")).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.json()["count"], 1, "{}", listed.text);
    assert_eq!(listed.json()["results"][0]["MaSo"], "TA-HKD-000101");
    assert_eq!(listed.header("x-road-service"), Some("VN/GOV/000.00.14.H99/dkkd/ho-kinh-doanh"));
    assert_eq!(listed.header("x-road-client"), Some(CLIENT));
    let read = app.raw(call(reqwest::Method::POST, "/read").json(&json!({"query": {"content": {"MaSo": "TA-HKD-000102"}}}))).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.json()["content"]["TenHo"], "Quán cơm Sông Cầu");

    // Writing is not among the client's rights: refused at the gateway, nothing reaches the registry.
    let write = json!({"write": {"content": {"MaSo": "TA-HKD-000199", "TenHo": "Hộ mới", "ChuHo": "Người Mới"}}});
    let create = app.raw(call(reqwest::Method::POST, "/create").json(&write)).await;
    assert_eq!(create.status, 403, "{}", create.text);
    assert_eq!(create.header("x-road-error"), Some("Server.ServerProxy.AccessDenied"));
    let missing = app.post("/data/ho-kinh-doanh/1/exists", &json!({"query": {"content": {"MaSo": "TA-HKD-000199"}}})).await;
    assert_eq!(missing.json()["answer"]["status"], false, "{}", missing.text);

    // The service's description is what getOpenAPI gives the client.
    let described = app
        .raw(
            app.http
                .get(app.url("/r1/VN/GOV/000.00.14.H99/dkkd/getOpenAPI?serviceCode=ho-kinh-doanh"))
                .header("X-Road-Client", CLIENT)
                .bearer_auth(&bearer),
        )
        .await;
    assert_eq!(described.status, 200, "{}", described.text);
    assert!(described.json()["paths"]["/1/read"]["post"].is_object(), "{}", described.text);

    // The credentials file removed: the next start gives the client a new secret and writes
    // it there; the old secret no longer works.
    std::fs::remove_file(&file).unwrap();
    server::serve::demo_exchange(&app.app, &app.base, data.path()).await.unwrap();
    let renewed = std::fs::read_to_string(&file).unwrap();
    assert_ne!(renewed, credentials);
    let (id, old) = credentials.trim().split_once(':').unwrap();
    let refused = app.raw(app.http.post(app.url("/oauth/token")).basic_auth(id, Some(old)).form(&[("grant_type", "client_credentials")])).await;
    assert_eq!(refused.status, 401);
    token(app, &renewed).await;

    // A start on another address moves the upstream there, and the history says so.
    server::serve::demo_exchange(&app.app, "http://127.0.0.1:9", data.path()).await.unwrap();
    let moved = app.get_admin(&format!("/api/lgsp/services/{service_id}")).await;
    assert_eq!(moved.json()["upstream_url"], "http://127.0.0.1:9/data/ho-kinh-doanh", "{}", moved.text);
    assert!(moved.text.contains("settings changed: upstream_url"), "{}", moved.text);
});
