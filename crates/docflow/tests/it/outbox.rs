//! What could not be sent is kept, shown and sent again: a package refused by the other
//! deployment's hub (this agency is not its member yet) waits as failed with the hub's answer;
//! once the hub serves the agency, an administrator sends it again and it arrives.

use crate::common::*;
use serde_json::json;
use testkit::{TestApp, storage_test};

storage_test!(demo a_package_the_hub_refused_is_kept_and_sent_again, async |a: &TestApp| {
    let backend = if a.app.db.backend() == kernel::db::Backend::Sqlite { testkit::Backend::Sqlite } else { testkit::Backend::Postgres };
    let b = TestApp::start_demo(backend).await.expect("province B");
    kernel::db::q("UPDATE agencies SET qcvn_code = REPLACE(qcvn_code, 'H99', 'H98')").execute(&b.app.db).await.unwrap();
    let r = b.post("/api/oidc/clients", &json!({"name": "A", "grant_types": ["client_credentials"], "scopes": ["lgsp:call"]})).await;
    let (cid, secret) = (r.json()["client"]["client_id"].as_str().unwrap().to_owned(), r.json()["client_secret"].as_str().unwrap().to_owned());
    a.app.docflow.set_remote(Some(docflow::RemoteHub {
        url: b.url("/api/docflow/hub"),
        xroad_client: None,
        token_url: b.url("/oauth/token"),
        client_id: cid.clone(),
        client_secret: secret,
    }));
    // B's hub does not serve A's agencies yet: A's package is refused and kept as failed.
    let d = issue_from_stp(a, &["000.00.13.H98"], "Công văn chờ gửi lại").await;
    let mut failed = json!(null);
    until(a, "the refusal is recorded", async || {
        failed = a.get_admin("/api/docflow/outbox?state=failed").await.json()[0].clone();
        !failed.is_null()
    })
    .await;
    assert_eq!(failed["document_id"], d["id"]);
    assert!(failed["error"].as_str().unwrap().contains("000.00.13.H99"), "the hub's reason is kept: {failed}");
    assert_eq!(a.get_admin("/api/docflow/outbox?state=nonsense").await.status, 422);
    let clerk = official(a, "vanthu.stp").await;
    assert_eq!(app_status(a, &clerk, "/api/docflow/outbox").await, 403, "operators only");

    // B serves A's agency now; the administrator sends the package again and it arrives.
    b.post("/api/docflow/hub/members", &json!({"organ_id": STP, "name": "Sở Tư pháp tỉnh A", "client_id": cid})).await;
    let id = failed["id"].as_str().unwrap();
    assert_eq!(a.post(&format!("/api/docflow/outbox/{id}/retry"), &json!({})).await.status, 204);
    assert_eq!(a.post(&format!("/api/docflow/outbox/{id}/retry"), &json!({})).await.status, 409, "only a failed one");
    let b_clerk = official(&b, "vanthu.stp").await;
    until(a, "the package arrives at B", async || {
        b.app.docflow.exchange_round().await.unwrap();
        b.get_as(&b_clerk, "/api/docflow/documents?direction=incoming").await.json()["total"] == 1
    })
    .await;
    b.stop().await;
});

async fn app_status(app: &TestApp, s: &testkit::Session, path: &str) -> u16 {
    app.get_as(s, path).await.status.as_u16()
}
