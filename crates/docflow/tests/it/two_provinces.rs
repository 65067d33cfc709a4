//! Two `tinhso` deployments (two provinces) exchange a document end to end, on SQLite and
//! PostgreSQL. Province B plays the exchange hub; province A reaches it through A's own LGSP
//! gateway (so the exchange is in A's message log), signing in at B with A's credentials. A's
//! signed package is registered, assigned, handled and completed at B, the signature checked
//! against the certificate B trusts; every status returns to A. A package edited on the way
//! is refused at B and A is told (02).

use crate::common::*;
use serde_json::{Value, json};
use testkit::{TestApp, storage_test};

const B_STP: &str = "000.00.13.H98";

async fn admin_ok(app: &TestApp, path: &str, body: Value) -> Value {
    let r = app.post(path, &body).await;
    assert!(r.status.is_success(), "{path}: {} {}", r.status, r.text);
    r.json()
}

async fn oauth_client(app: &TestApp, name: &str) -> (String, String) {
    let r = app.post("/api/oidc/clients", &json!({"name": name, "grant_types": ["client_credentials"], "scopes": ["lgsp:call"]})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    (r.json()["client"]["client_id"].as_str().unwrap().to_owned(), r.json()["client_secret"].as_str().unwrap().to_owned())
}

storage_test!(demo a_document_goes_from_one_province_to_another_and_every_status_comes_back, async |a: &TestApp| {
    let backend = if a.app.db.backend() == kernel::db::Backend::Sqlite { testkit::Backend::Sqlite } else { testkit::Backend::Postgres };
    let b = TestApp::start_demo(backend).await.expect("province B");
    // Province B's agencies have B's identifiers.
    kernel::db::q("UPDATE agencies SET qcvn_code = REPLACE(qcvn_code, 'H99', 'H98'), name = name || ' (tỉnh B)'").execute(&b.app.db).await.unwrap();

    // B hosts the hub for A's agencies, bound to A's client at B, and trusts A's signature.
    let (a_at_b, a_secret) = oauth_client(&b, "Hệ thống văn bản tỉnh A").await;
    for (organ, name) in [(STP, "Sở Tư pháp tỉnh A"), (PTA, "UBND phường Thái An tỉnh A")] {
        admin_ok(&b, "/api/docflow/hub/members", json!({"organ_id": organ, "name": name, "client_id": a_at_b})).await;
    }
    let cert = a.get(&format!("/api/docflow/agencies/{STP}/certificate")).await;
    assert_eq!(cert.status, 200);
    assert!(cert.text.contains("BEGIN CERTIFICATE"));
    admin_ok(&b, "/api/docflow/trust", json!({"name": "Sở Tư pháp tỉnh A", "cert_pem": cert.text})).await;

    // A reaches B's hub through A's LGSP gateway: B's hub is a service there.
    admin_ok(a, "/api/lgsp/members", json!({"instance": "VN", "member_class": "GOV", "code": "000.00.00.H98", "name": "UBND tỉnh B"})).await;
    admin_ok(a, "/api/lgsp/members/VN/GOV/000.00.00.H98/subsystems", json!({"code": "vanban", "name": "Trục văn bản tỉnh B"})).await;
    let svc = admin_ok(a, "/api/lgsp/subsystems/VN/GOV/000.00.00.H98/vanban/services", json!({
        "code": "edxml-hub", "version": "1", "name": "Trục liên thông văn bản tỉnh B", "upstream_url": b.url("/api/docflow/hub"),
        "upstream_auth": {"token_url": b.url("/oauth/token"), "client_id": a_at_b, "client_secret": a_secret}
    }))
    .await;
    let svc = svc["id"].as_str().unwrap().to_owned();
    for s in ["testing", "published"] {
        admin_ok(a, &format!("/api/lgsp/services/{svc}/state"), json!({"state": s})).await;
    }
    admin_ok(a, "/api/lgsp/members", json!({"instance": "VN", "member_class": "GOV", "code": STP, "name": "Sở Tư pháp"})).await;
    let (worker, worker_secret) = oauth_client(a, "Văn bản tỉnh A").await;
    admin_ok(a, &format!("/api/lgsp/members/VN/GOV/{STP}/subsystems"), json!({"code": "qlvb", "name": "Quản lý văn bản", "client_id": worker})).await;
    let client = format!("VN/GOV/{STP}/qlvb");
    admin_ok(a, &format!("/api/lgsp/services/{svc}/access"), json!({"client": client})).await;
    a.app.docflow.set_remote(Some(docflow::RemoteHub {
        url: a.url("/r1/VN/GOV/000.00.00.H98/vanban/edxml-hub"),
        xroad_client: Some(client.clone()),
        token_url: a.url("/oauth/token"),
        client_id: worker,
        client_secret: worker_secret,
    }));

    // A issues a letter to B's Sở Tư pháp.
    let d = issue_from_stp(a, &[B_STP], "Về việc phối hợp xác minh lý lịch tư pháp").await;
    let id = d["id"].as_str().unwrap().to_owned();
    let b_clerk = official(&b, "vanthu.stp").await;
    let mut arrived = Value::Null;
    until(a, "A sends the package", async || {
        b.app.docflow.exchange_round().await.unwrap();
        arrived = b.get_as(&b_clerk, "/api/docflow/documents?direction=incoming").await.json()["items"][0].clone();
        !arrived.is_null()
    })
    .await;
    assert_eq!(arrived["state"], "arrived", "{arrived}");
    assert_eq!(arrived["sender_organ_id"], STP);
    let inc = arrived["id"].as_str().unwrap().to_owned();
    let v = view(&b, &b_clerk, &inc).await;
    assert!(v["history"][0]["note"].as_str().unwrap().contains("chữ ký số hợp lệ"), "{}", v["history"]);
    assert_eq!(v["files"].as_array().unwrap().len(), 2);

    let a1 = ok(&b, &b_clerk, &format!("/api/docflow/documents/{inc}/accept"), json!({"version": arrived["version"]})).await;
    let b_leader = official(&b, "lanhdao.stp").await;
    let handlers = b.get_as(&b_leader, "/api/docflow/handlers").await.json();
    let spec = handlers.as_array().unwrap().iter().find(|h| h["full_name"] == "Lê Văn Thụ").unwrap()["account_id"].clone();
    let a2 = ok(&b, &b_leader, &format!("/api/docflow/documents/{inc}/assign"), json!({"version": a1["version"], "assignees": [{"account_id": spec, "role": "main"}]})).await;
    let b_spec = official(&b, "chuyenvien.stp").await;
    let a3 = ok(&b, &b_spec, &format!("/api/docflow/documents/{inc}/opinion"), json!({"version": a2["version"], "note": "Đang xác minh"})).await;
    ok(&b, &b_spec, &format!("/api/docflow/documents/{inc}/complete"), json!({"version": a3["version"], "note": "Đã xác minh xong"})).await;

    let drafter = official(a, "chuyenvien.stp").await;
    until(a, "status 06 reaches province A", async || {
        b.app.docflow.exchange_round().await.unwrap();
        view(a, &drafter, &id).await["recipients"][0]["status_code"] == "06"
    })
    .await;
    let v = view(a, &drafter, &id).await;
    let codes: Vec<String> = v["history"].as_array().unwrap().iter().filter_map(|h| h["status_code"].as_str().map(str::to_owned)).collect();
    assert_eq!(codes, ["01", "03", "04", "05", "06"], "{}", v["history"]);

    // The exchange passed A's gateway: it is in A's monitoring with A's client.
    until(a, "the exchange is in A's monitoring", async || {
        let m = a.get_admin("/api/lgsp/monitoring?limit=100").await.json();
        m["records"].as_array().is_some_and(|recs| recs.iter().any(|r| r["client"] == client.as_str() && r["status"] == 201))
    })
    .await;

    // A package edited on the way (the subject changed after signing) is refused at B.
    let sha = kernel::db::q("SELECT sha256 FROM docflow_outbox WHERE kind = 'package' AND document_id = $1")
        .bind(id.clone())
        .fetch_one(&a.app.db)
        .await
        .unwrap()
        .text("sha256")
        .unwrap();
    let package = String::from_utf8(a.app.docflow.blobs.read(&sha).await.unwrap()).unwrap();
    let tampered = package.replace("phối hợp xác minh", "phối hợp chuyển tiền");
    assert_ne!(tampered, package);
    let token = b
        .raw(b.http.post(b.url("/oauth/token")).basic_auth(&a_at_b, Some(&a_secret)).form(&[("grant_type", "client_credentials")]))
        .await
        .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = b.raw(b.http.post(b.url("/api/docflow/hub/packages")).bearer_auth(&token).header("content-type", "application/xml").body(tampered)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let mut refused = Value::Null;
    until(&b, "B refuses the edited package", async || {
        refused = b.get_as(&b_clerk, "/api/docflow/documents?direction=incoming&state=rejected").await.json()["items"][0].clone();
        !refused.is_null()
    })
    .await;
    let v = view(&b, &b_clerk, refused["id"].as_str().unwrap()).await;
    assert!(v["history"][0]["note"].as_str().unwrap().contains("chữ ký số không hợp lệ"), "{}", v["history"]);
    assert!(v["files"].as_array().unwrap().is_empty(), "nothing of a refused package is kept as the document's files");
    // A package from a system that does not speak for its sender is refused by the hub.
    let (other, other_secret) = oauth_client(&b, "Hệ thống khác").await;
    let tok2 = b
        .raw(b.http.post(b.url("/oauth/token")).basic_auth(&other, Some(&other_secret)).form(&[("grant_type", "client_credentials")]))
        .await
        .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = b.raw(b.http.post(b.url("/api/docflow/hub/packages")).bearer_auth(&tok2).header("content-type", "application/xml").body(package.clone())).await;
    assert_eq!(r.status, 403, "{}", r.text);
    // Malformed XML is named.
    let r = b.raw(b.http.post(b.url("/api/docflow/hub/packages")).bearer_auth(&token).header("content-type", "application/xml").body("<edXML:edXML")).await;
    assert_eq!(r.status, 422, "{}", r.text);
    b.stop().await;
});
