//! The registry's administration pages, posted as a browser posts them, on SQLite and
//! PostgreSQL: a member, two subsystems and a service registered, published, granted and
//! revoked from the pages, and the gateway following each step. Bad input comes back as 422
//! with the problems listed and nothing stored; forged forms and other people are refused.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use identity::seed::{DEMO_PASSWORD, DEMO_TOTP_SECRET};
use testkit::{Session, TestApp, storage_test};

use crate::common::{SERVICE, call as gateway_call, count, publish, setup, system_token, upstream};

const CLIENT: &str = "VN/GOV/000.00.88.H99/hotich";

async fn province_admin(app: &TestApp) -> Session {
    let code = identity::totp::code(DEMO_TOTP_SECRET, identity::totp::now_secs()).unwrap();
    app.session("quantri.tinh", DEMO_PASSWORD, Some(&code)).await
}

fn location(a: &testkit::Answer) -> String {
    a.header("location").unwrap_or_default().to_owned()
}

async fn call(app: &TestApp, token: &str) -> testkit::Answer {
    app.raw(app.http.get(app.url("/r1/VN/GOV/000.00.88.H99/dulieu/persons/persons/1")).header("X-Road-Client", CLIENT).bearer_auth(token))
        .await
}

storage_test!(demo the_registry_is_run_from_its_pages, async |app: &TestApp| {
    let admin = province_admin(app).await;
    let page = app.get_as(&admin, "/admin/lgsp/registry").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("action=\"/admin/lgsp/registry/members\""), "the member form");
    assert!(app.get_as(&admin, "/admin").await.text.contains("href=\"/admin/lgsp/registry\""), "offered on the console");

    // A member: a code with a slash is refused, and nothing is stored.
    let members = count(app, "SELECT COUNT(*) FROM lgsp_members").await;
    let bad = app
        .form_as(&admin, "/admin/lgsp/registry/members", &[("instance", "VN"), ("member_class", "gov"), ("code", "000/88"), ("name", "Sở Thử")])
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("role=\"alert\"") && bad.text.contains("code:"), "{}", bad.text);
    assert!(bad.text.contains("value=\"000/88\""), "the form comes back as sent");
    assert_eq!(count(app, "SELECT COUNT(*) FROM lgsp_members").await, members);
    let ok = app
        .form_as(&admin, "/admin/lgsp/registry/members", &[("instance", "VN"), ("member_class", "gov"), ("code", "000.00.88.H99"), ("name", "Sở Thử nghiệm")])
        .await;
    assert_eq!((ok.status.as_u16(), location(&ok).starts_with("/admin/lgsp/registry?ok=")), (303, true), "{}", ok.text);
    // The notice shows where the form sent the administrator; one written into a link does not.
    let shown = app.get_as(&admin, &location(&ok)).await.text;
    assert!(shown.contains("Đã thêm thành viên VN/GOV/000.00.88.H99"), "{shown}");
    let forged = app.get_as(&admin, "/admin/lgsp/registry?ok=M%E1%BA%ADt+kh%E1%BA%A9u+h%E1%BA%BFt+h%E1%BA%A1n%2C+g%E1%BB%8Di+0900&tag=00").await.text;
    assert!(!forged.contains("Mật khẩu hết hạn"), "{forged}");
    let again = app
        .form_as(&admin, "/admin/lgsp/registry/members", &[("instance", "VN"), ("member_class", "GOV"), ("code", "000.00.88.H99"), ("name", "Lần hai")])
        .await;
    assert_eq!(again.status, 422, "a second member with the code: {}", again.text);

    // Two subsystems: the caller (with a daily quota) and the provider.
    let (client_id, token) = system_token(app, "Hộ tịch Thử nghiệm").await;
    let bad = app
        .form_as(
            &admin,
            "/admin/lgsp/registry/subsystems",
            &[("member", "VN/GOV/000.00.88.H99"), ("code", "hotich"), ("name", "Hộ tịch"), ("calls_per_day", "hai")],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("calls_per_day"), "{}", bad.text);
    // A number that does not read does not hide the form's other problems.
    let all = app
        .form_as(
            &admin,
            "/admin/lgsp/registry/subsystems",
            &[("member", "VN/GOV/000.00.88.H99"), ("code", ""), ("name", ""), ("rate_per_minute", "x"), ("calls_per_day", "y"), ("certificate", "z")],
        )
        .await;
    assert_eq!(all.status, 422, "{}", all.text);
    for field in ["code:", "name:", "rate_per_minute", "calls_per_day", "certificate:"] {
        assert!(all.text.contains(field), "{field}: {}", all.text);
    }
    for (code, name, quota) in [("hotich", "Hộ tịch", "2"), ("dulieu", "Dữ liệu dân cư", "")] {
        let r = app
            .form_as(&admin, "/admin/lgsp/registry/subsystems", &[("member", "VN/GOV/000.00.88.H99"), ("code", code), ("name", name), ("calls_per_day", quota)])
            .await;
        assert_eq!(r.status, 303, "{}", r.text);
    }
    // The client is bound on the subsystem's own page.
    let sub_page = "/admin/lgsp/subsystems/VN/GOV/000.00.88.H99/hotich";
    let r = app.get_as(&admin, sub_page).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("value=\"2\""), "the quota shown");
    let bad = app.form_as(&admin, sub_page, &[("name", "Hộ tịch"), ("client_id", &client_id), ("rate_per_minute", "-5"), ("calls_per_day", "2"), ("active", "true")]).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    let pem = rcgen::generate_simple_self_signed(vec!["hotich.thaian.gov.vn".to_owned()]).unwrap().cert.pem();
    let both = app
        .form_as(&admin, sub_page, &[("name", "Hộ tịch"), ("client_id", &client_id), ("certificate", &pem), ("unbind_certificate", "true"), ("active", "true")])
        .await;
    assert_eq!(both.status, 422, "a new certificate and unbinding at once: {}", both.text);
    assert!(both.text.contains("không cả hai"), "{}", both.text);
    let saved = app.form_as(&admin, sub_page, &[("name", "Hộ tịch"), ("client_id", &client_id), ("rate_per_minute", ""), ("calls_per_day", "2"), ("active", "true")]).await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    assert_eq!(app.get_as(&admin, "/admin/lgsp/subsystems/VN/GOV/000.00.88.H99/nothing").await.status, 404);

    // A service, registered as a draft, is not callable yet.
    let calls = Arc::new(AtomicUsize::new(0));
    let up = upstream(calls.clone()).await;
    let form = |url: &str| {
        vec![
            ("provider".to_owned(), "VN/GOV/000.00.88.H99/dulieu".to_owned()),
            ("code".to_owned(), "persons".to_owned()),
            ("version".to_owned(), "1".to_owned()),
            ("name".to_owned(), "Tra cứu".to_owned()),
            ("upstream_url".to_owned(), url.to_owned()),
            ("timeout_ms".to_owned(), "2000".to_owned()),
            ("max_body_mib".to_owned(), "1".to_owned()),
            ("description_kind".to_owned(), "none".to_owned()),
        ]
    };
    let fields = |f: &Vec<(String, String)>| f.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<Vec<_>>();
    let post = async |f: Vec<(String, String)>| {
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        app.form_as(&admin, "/admin/lgsp/registry/services", &pairs).await
    };
    let bad = post(fields(&form("ftp://example"))).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("upstream_url"), "{}", bad.text);
    assert_eq!(count(app, "SELECT COUNT(*) FROM lgsp_services WHERE code = 'persons' AND version = '1' AND name = 'Tra cứu'").await, 0);
    let r = post(fields(&form(&up))).await;
    assert_eq!(r.status, 303, "{}", r.text);
    let service_page = location(&r).split('?').next().unwrap().to_owned();
    assert!(service_page.starts_with("/admin/lgsp/services/"), "{service_page}");
    let page = app.get_as(&admin, &service_page).await;
    assert!(page.text.contains("Nháp") && page.text.contains("1 MiB"), "{}", page.text);

    // The lifecycle: a move the registry does not allow is refused; the others are recorded.
    let bad = app.form_as(&admin, &format!("{service_page}/state"), &[("to", "deprecated")]).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    for (to, note) in [("testing", ""), ("published", "Quyết định 12/QĐ-STTTT")] {
        let r = app.form_as(&admin, &format!("{service_page}/state"), &[("to", to), ("note", note)]).await;
        assert_eq!(r.status, 303, "{}", r.text);
    }
    let page = app.get_as(&admin, &service_page).await;
    assert!(page.text.contains("Quyết định 12/QĐ-STTTT") && page.text.contains("Đang cung cấp"), "the history and the state");

    // Nobody may call it until the page grants access.
    let denied = call(app, &token).await;
    assert_eq!(denied.header("x-road-error"), Some("Server.ServerProxy.AccessDenied"), "{}", denied.text);
    let bad = app.form_as(&admin, &format!("{service_page}/access"), &[("client", CLIENT), ("method", "GET"), ("path_prefix", "p")]).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    let r = app.form_as(&admin, &format!("{service_page}/access"), &[("client", CLIENT), ("method", "GET"), ("path_prefix", "/persons")]).await;
    assert_eq!(r.status, 303, "{}", r.text);
    for _ in 0..2 {
        let ok = call(app, &token).await;
        assert_eq!(ok.status, 200, "{}", ok.text);
    }
    let over = call(app, &token).await;
    assert_eq!(over.header("x-road-error"), Some("Client.QuotaExceeded"), "the quota set on the page holds");
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // Today's calls on the registry's list and on the subsystem's page.
    app.app.lgsp.sync_quotas().await.unwrap();
    let list = app.get_as(&admin, "/admin/lgsp/registry").await.text;
    assert!(list.contains("<td>2 / 2</td>"), "{list}");
    let usage = app.get_as(&admin, sub_page).await.text;
    assert!(usage.contains("id=\"usage\"") && usage.contains("<td>2</td>"), "{usage}");

    // Revoked on the page: refused again.
    let page = app.get_as(&admin, &service_page).await.text;
    let revoke = page.split("action=\"").filter_map(|s| s.split('"').next()).find(|a| a.ends_with("/revoke")).unwrap().to_owned();
    let r = app.form_as(&admin, &revoke, &[]).await;
    assert_eq!(r.status, 303, "{}", r.text);
    let denied = call(app, &token).await;
    assert_eq!(denied.header("x-road-error"), Some("Server.ServerProxy.AccessDenied"), "{}", denied.text);
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // A forged form (no anti-forgery token), a citizen and nobody at all are refused.
    let forged = app
        .raw(app.http.post(app.url("/admin/lgsp/registry/members")).header("cookie", &admin.cookie).form(&[
            ("instance", "VN"),
            ("member_class", "GOV"),
            ("code", "000.00.89.H99"),
            ("name", "Giả mạo"),
        ]))
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(count(app, "SELECT COUNT(*) FROM lgsp_members WHERE code = '000.00.89.H99'").await, 0);
    let citizen = app.session("001090012345", DEMO_PASSWORD, None).await;
    assert_eq!(app.get_as(&citizen, "/admin/lgsp/registry").await.status, 403);
    assert_eq!(app.form_as(&citizen, &format!("{service_page}/state"), &[("to", "retired")]).await.status, 403);
    let anon = app.raw(app.http.get(app.url(&service_page))).await;
    assert_eq!((anon.status.as_u16(), location(&anon).starts_with("/login?next=")), (303, true));
});

storage_test!(demo trusted_gateways_and_bridged_services_from_the_registry_page, async |app: &TestApp| {
    let admin = province_admin(app).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let up = upstream(calls.clone()).await;
    let (service_id, _) = setup(app, &up).await;
    publish(app, &service_id).await;
    // Another platform's gateway, signing in here with a client of its own, presents the
    // client subsystem of a member it hosts: refused until it is trusted.
    let (peer_client, peer_token) = system_token(app, "LGSP tỉnh B").await;
    let by_peer = async || {
        app.raw(gateway_call(app, reqwest::Method::GET, &format!("{SERVICE}/persons/001090012345"), Some(&peer_token))).await
    };
    assert_eq!(by_peer().await.header("x-road-error"), Some("Client.AuthenticationFailed"));

    let bad = app.form_as(&admin, "/admin/lgsp/registry/peers", &[("name", "LGSP tỉnh B"), ("client_id", &peer_client), ("member", "")]).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("member:") && bad.text.contains(&format!("value=\"{peer_client}\"")), "{}", bad.text);
    assert_eq!(count(app, "SELECT COUNT(*) FROM lgsp_peers").await, 0);
    // Not for a member whose own systems sign in here (the gateway could speak as them), nor
    // for one not registered.
    for (member, why) in [("VN/GOV/000.00.51.H99", "tự đăng nhập"), ("VN/GOV/000.00.77.H99", "chưa đăng ký")] {
        let r = app.form_as(&admin, "/admin/lgsp/registry/peers", &[("name", "LGSP tỉnh B"), ("client_id", &peer_client), ("member", member)]).await;
        assert_eq!(r.status, 422, "{member}: {}", r.text);
        assert!(r.text.contains(why), "{member}: {}", r.text);
    }
    assert_eq!(count(app, "SELECT COUNT(*) FROM lgsp_peers").await, 0);
    // The member's system is reached only through the other province's gateway from now on.
    let r = app.put("/api/lgsp/subsystems/VN/GOV/000.00.51.H99/motcua", &serde_json::json!({"code": "motcua", "name": "Một cửa điện tử"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let ok = app
        .form_as(&admin, "/admin/lgsp/registry/peers", &[("name", "LGSP tỉnh B"), ("client_id", &peer_client), ("member", "VN/GOV/000.00.51.H99")])
        .await;
    assert_eq!((ok.status.as_u16(), location(&ok).starts_with("/admin/lgsp/registry?ok=")), (303, true), "{}", ok.text);
    let again = app
        .form_as(&admin, "/admin/lgsp/registry/peers", &[("name", "Lần hai"), ("client_id", &peer_client), ("member", "VN/GOV/000.00.51.H99")])
        .await;
    assert_eq!(again.status, 422, "trusted twice: {}", again.text);
    let r = by_peer().await;
    assert_eq!(r.status, 200, "trusted, it may present the member's subsystem: {}", r.text);

    // Listed, and no longer trusted once removed on the page.
    let page = app.get_as(&admin, "/admin/lgsp/registry").await.text;
    assert!(page.contains("LGSP tỉnh B") && page.contains(&peer_client), "{page}");
    let remove = page.split("action=\"").filter_map(|s| s.split('"').next()).find(|a| a.ends_with("/remove")).unwrap().to_owned();
    let r = app.form_as(&admin, &remove, &[]).await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(by_peer().await.header("x-road-error"), Some("Client.AuthenticationFailed"));
    assert_eq!(app.form_as(&admin, &remove, &[]).await.status, 422, "already removed");
    let peers = app.get_admin("/api/lgsp/peers").await.json();
    assert_eq!(peers, serde_json::json!([]));
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // A service bridged to SOAP, registered from the page: the mapping is checked and shown.
    let service = |extra: &[(&'static str, &'static str)]| {
        let mut f = vec![
            ("provider", "VN/GOV/000.00.13.H99/tuphap"),
            ("code", "tracuu-soap"),
            ("version", "1"),
            ("name", "Tra cứu (SOAP)"),
            ("upstream_url", "http://127.0.0.1:9/soap"),
            ("description_kind", "wsdl"),
            ("soap_version", "1.2"),
        ];
        f.extend_from_slice(extra);
        f
    };
    let services = "SELECT COUNT(*) FROM lgsp_services WHERE code = 'tracuu-soap'";
    let bad = app.form_as(&admin, "/admin/lgsp/registry/services", &service(&[("soap_mode", "rest_to_soap"), ("soap_namespace", "")])).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("soap.namespace"), "{}", bad.text);
    let partial = app
        .form_as(
            &admin,
            "/admin/lgsp/registry/services",
            &service(&[("soap_mode", "rest_to_soap"), ("soap_namespace", "urn:tuphap"), ("upstream_token_url", "http://127.0.0.1:9/token")]),
        )
        .await;
    assert_eq!(partial.status, 422, "credentials without a client: {}", partial.text);
    assert!(partial.text.contains("upstream_auth"), "{}", partial.text);
    assert_eq!(count(app, services).await, 0, "nothing stored");
    let ok = app
        .form_as(
            &admin,
            "/admin/lgsp/registry/services",
            &service(&[
                ("soap_mode", "rest_to_soap"),
                ("soap_namespace", "urn:tuphap:tracuu"),
                ("upstream_token_url", "http://127.0.0.1:9/token"),
                ("upstream_client_id", "lgsp-tinh-a"),
                ("upstream_client_secret", "bí-mật-của-tỉnh"),
            ]),
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.text);
    let page_url = location(&ok).split('?').next().unwrap().to_owned();
    let page = app.get_as(&admin, &page_url).await.text;
    assert!(page.contains("id=\"soap\"") && page.contains("SOAP 1.2") && page.contains("urn:tuphap:tracuu"), "{page}");
    assert!(page.contains("lgsp-tinh-a") && page.contains("http://127.0.0.1:9/token"), "{page}");
    assert!(!page.contains("bí-mật-của-tỉnh"), "the secret is never shown");
    let id = page_url.rsplit('/').next().unwrap();
    let api = app.get_admin(&format!("/api/lgsp/services/{id}")).await.json();
    assert_eq!(api["soap"], serde_json::json!({"mode": "rest_to_soap", "version": "1.2", "namespace": "urn:tuphap:tracuu"}));
    assert_eq!(api["upstream_client_id"], "lgsp-tinh-a");

    // With a WSDL description, the form's version and namespace may stay empty: the page lists
    // the operations the description gives. A description that cannot be read keeps the form.
    let wsdl = include_str!("../../src/soap/testdata/hotich.wsdl");
    let with_wsdl = |description: &'static str| {
        let mut f = service(&[("soap_mode", "rest_to_soap"), ("soap_namespace", ""), ("description", description)]);
        f.retain(|(k, v)| !(*k == "soap_version" && *v == "1.2"));
        f.iter_mut().for_each(|(k, v)| if *k == "code" { *v = "hotich-wsdl" });
        f
    };
    let bad = app.form_as(&admin, "/admin/lgsp/registry/services", &with_wsdl("<definitions/>")).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("WSDL 1.1 namespace") && bad.text.contains("&#60;definitions/&#62;"), "the problem named, the text kept: {}", bad.text);
    let ok = app.form_as(&admin, "/admin/lgsp/registry/services", &with_wsdl(wsdl)).await;
    assert_eq!(ok.status, 303, "{}", ok.text);
    let page = app.get_as(&admin, location(&ok).split('?').next().unwrap()).await.text;
    assert!(page.contains("id=\"soap-operations\"") && page.contains("http://hotich.gov.vn/ws/TraCuuKhaiSinh"), "{page}");
    assert!(page.contains("soDinhDanh*, namSinh, kemTheoCon") && page.contains("ghiChu[]"), "{page}");
    assert!(page.contains("SOAP 1.1") && page.contains("http://hotich.gov.vn/ws"), "{page}");

    // A JSON service offered to SOAP clients by its OpenAPI description: the page lists the
    // operations the description gives and says SOAP clients get their WSDL from getWsdl.
    let openapi = r#"{"openapi": "3.0.3", "paths": {"/TraCuu": {"post": {"requestBody": {"content": {"application/json":
        {"schema": {"type": "object", "required": ["soDinhDanh"], "properties": {"soDinhDanh": {"type": "string"}}}}}}}}}}"#;
    let mut f = service(&[("soap_mode", "soap_to_rest"), ("soap_namespace", "urn:congdan"), ("description", openapi)]);
    f.iter_mut().for_each(|(k, v)| match *k {
        "code" => *v = "congdan-openapi",
        "description_kind" => *v = "openapi",
        _ => {}
    });
    let ok = app.form_as(&admin, "/admin/lgsp/registry/services", &f).await;
    assert_eq!(ok.status, 303, "{}", ok.text);
    let page = app.get_as(&admin, location(&ok).split('?').next().unwrap()).await.text;
    assert!(page.contains("id=\"soap-operations\"") && page.contains("urn:congdan/TraCuu") && page.contains("getWsdl"), "{page}");
    assert!(page.contains("soDinhDanh*") && page.contains("SOAP 1.2"), "{page}");
});

storage_test!(demo a_services_settings_change_on_its_page_and_the_gateway_follows, async |app: &TestApp| {
    let admin = province_admin(app).await;
    let (old_calls, new_calls) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (old_up, new_up) = (upstream(old_calls.clone()).await, upstream(new_calls.clone()).await);
    let (service_id, token) = setup(app, &old_up).await;
    publish(app, &service_id).await;
    let person = async || app.raw(gateway_call(app, reqwest::Method::GET, &format!("{SERVICE}/persons/1"), Some(&token))).await;
    assert_eq!(person().await.status, 200);
    let page_url = format!("/admin/lgsp/services/{service_id}");
    let page = app.get_as(&admin, &page_url).await.text;
    assert!(page.contains(&format!("value=\"{old_up}\"")) && page.contains("name=\"timeout_ms\" type=\"text\" inputmode=\"numeric\" value=\"500\""), "the form shows the settings as they stand: {page}");

    // Bad input: refused, listed, the form as sent, nothing changed.
    let settings = |url: &str, timeout: &str| {
        vec![("version".to_owned(), "1.1".to_owned()), ("name".to_owned(), "Tra cứu công dân".to_owned()), ("upstream_url".to_owned(), url.to_owned()),
             ("timeout_ms".to_owned(), timeout.to_owned()), ("description_kind".to_owned(), "none".to_owned()), ("log_bodies".to_owned(), "true".to_owned())]
    };
    let post = async |f: Vec<(String, String)>| {
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        app.form_as(&admin, &page_url, &pairs).await
    };
    let bad = post(settings("ftp://nowhere", "50")).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("upstream_url") && bad.text.contains("timeout_ms") && bad.text.contains("value=\"ftp://nowhere\""), "{}", bad.text);
    let stored = app.get_admin(&format!("/api/lgsp/services/{service_id}")).await.json();
    assert_eq!((stored["upstream_url"].as_str(), stored["timeout_ms"].as_i64()), (Some(old_up.as_str()), Some(500)));

    // Moved to another upstream: the next call goes there, and the history says what changed.
    let ok = post(settings(&new_up, "2000")).await;
    assert_eq!(ok.status, 303, "{}", ok.text);
    let r = person().await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((old_calls.load(Ordering::SeqCst), new_calls.load(Ordering::SeqCst)), (1, 1), "the call went to the new upstream");
    let page = app.get_as(&admin, &page_url).await.text;
    assert!(page.contains("đổi thiết lập: version, upstream_url, description, timeout_ms"), "the OpenAPI text was dropped too: {page}");
    assert!(page.contains("<dd>1024 B</dd>"), "the body limit set through the API (not whole MiB) is kept: {page}");
    assert_eq!(post(settings(&new_up, "2000")).await.status, 303, "saving unchanged settings is fine");
    let moves = app.get_admin(&format!("/api/lgsp/services/{service_id}")).await.json()["history"].as_array().unwrap().len();
    assert_eq!(moves, 4, "registered, testing, published, one change: nothing recorded for no change");

    // Two administrators with the page open: the one who saves second is told, and undoes
    // nothing of what the first saved.
    let seen_of = |page: &str| page.split("name=\"seen\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let opened = seen_of(&app.get_as(&admin, &page_url).await.text);
    let mut first = settings(&new_up, "3000");
    first.push(("seen".to_owned(), opened.clone()));
    assert_eq!(post(first).await.status, 303);
    let mut stale = settings(&new_up, "2000");
    stale.push(("seen".to_owned(), opened));
    let r = post(stale).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("vừa được người khác thay đổi"), "{}", r.text);
    let stored_now = app.get_admin(&format!("/api/lgsp/services/{service_id}")).await.json();
    assert_eq!(stored_now["timeout_ms"].as_i64(), Some(3000), "the first save stands");
    let mut again = settings(&new_up, "2000");
    again.push(("seen".to_owned(), seen_of(&r.text)));
    assert_eq!(post(again).await.status, 303, "saved when sent again from the page that told of the change");
    // A form whose anti-forgery token is not the session's gets a page that says what to do.
    let forged = app.raw(app.http.post(app.url(&page_url)).header("cookie", &admin.cookie).form(&[("name", "Giả mạo")])).await;
    assert_eq!(forged.status, 403);
    assert!(forged.text.contains("tải lại trang") && forged.text.contains("<html"), "{}", forged.text);

    // Credentials for an upstream gateway: an empty secret on the page keeps the stored one.
    let mut with_auth = settings(&new_up, "2000");
    with_auth.extend([("upstream_token_url".to_owned(), "http://127.0.0.1:9/token".to_owned()), ("upstream_client_id".to_owned(), "tinh-a".to_owned())]);
    let bad = post(with_auth.clone()).await;
    assert_eq!(bad.status, 422, "no secret stored yet: {}", bad.text);
    let mut first = with_auth.clone();
    first.push(("upstream_client_secret".to_owned(), "bí-mật-1".to_owned()));
    assert_eq!(post(first).await.status, 303);
    let mut renamed = with_auth.clone();
    renamed[1].1 = "Tra cứu công dân (đổi tên)".to_owned();
    assert_eq!(post(renamed).await.status, 303);
    let secret = kernel::db::q("SELECT upstream_client_secret FROM lgsp_services WHERE id = $1").bind(service_id.as_str()).fetch_one(&app.app.db).await.unwrap();
    assert_eq!(secret.opt_text("upstream_client_secret").unwrap().as_deref(), Some("bí-mật-1"));
    assert!(!app.get_as(&admin, &page_url).await.text.contains("bí-mật-1"), "never shown");

    // Through the API: the code cannot change, and a retired service does not change at all.
    let mut body = stored.clone();
    body["code"] = "khac".into();
    body["upstream_url"] = new_up.clone().into();
    let r = app.put(&format!("/api/lgsp/services/{service_id}"), &body).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.error_fields().contains(&"code".to_owned()), "{}", r.text);
    for to in ["deprecated", "retired"] {
        assert_eq!(app.post(&format!("/api/lgsp/services/{service_id}/state"), &serde_json::json!({"state": to})).await.status, 200);
    }
    body["code"] = "persons".into();
    assert_eq!(app.put(&format!("/api/lgsp/services/{service_id}"), &body).await.status, 409);
    let page = app.get_as(&admin, &page_url).await.text;
    assert!(page.contains("thiết lập không đổi được nữa") && !page.contains("name=\"upstream_url\""), "no settings form once retired: {page}");
});
