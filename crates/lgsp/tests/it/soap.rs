//! The SOAP bridge through the gateway, on SQLite and PostgreSQL: a SOAP 1.1 registry service
//! called by a JSON client, a JSON service called by a SOAP 1.2 client; XML bombs and external
//! entities refused with the X-Road error and nothing forwarded.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::post;
use serde_json::{Value, json};
use testkit::{TestApp, storage_test};

const CLIENT: &str = "VN/GOV/000.00.51.H99/motcua";

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// A SOAP 1.1 civil-status service and a JSON persons service, counting calls.
async fn upstreams(calls: Arc<AtomicUsize>) -> (String, String) {
    let c1 = calls.clone();
    let soap = Router::new().route(
        "/ws",
        post(move |h: HeaderMap, body: String| async move {
            c1.fetch_add(1, Ordering::SeqCst);
            assert_eq!(h.get("soapaction").and_then(|v| v.to_str().ok()), Some("\"urn:hotich/TraCuu\""));
            assert!(h.get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/xml")));
            let ns = "http://schemas.xmlsoap.org/soap/envelope/";
            let inner = if body.contains("<soDinhDanh>000000000000</soDinhDanh>") {
                "<soap:Fault><faultcode>soap:Client</faultcode><faultstring>Không có công dân</faultstring></soap:Fault>".to_owned()
            } else {
                "<h:TraCuuResponse xmlns:h=\"urn:hotich\"><ten>Nguyễn Văn An</ten><con><ten>A</ten></con><con><ten>B</ten></con></h:TraCuuResponse>".to_owned()
            };
            ([("content-type", "text/xml; charset=utf-8")], format!("<soap:Envelope xmlns:soap=\"{ns}\"><soap:Body>{inner}</soap:Body></soap:Envelope>"))
        }),
    );
    let c2 = calls.clone();
    let rest = Router::new().route(
        "/api/TraCuu",
        post(move |body: axum::Json<Value>| async move {
            c2.fetch_add(1, Ordering::SeqCst);
            axum::Json(json!({"soDinhDanh": body["soDinhDanh"], "ten": "Trần Thị Bình"}))
        }),
    );
    (format!("{}/ws", serve(soap).await), format!("{}/api", serve(rest).await))
}

/// Registers, publishes and opens to the client a bridged service; gives it as registered.
async fn service(app: &TestApp, code: &str, upstream: &str, soap: Value, wsdl: Option<&str>) -> Value {
    let r = app
        .post(
            "/api/lgsp/subsystems/VN/GOV/000.00.13.H99/tuphap/services",
            &json!({"code": code, "version": "1", "name": code, "upstream_url": upstream, "soap": soap,
                    "description_kind": if wsdl.is_some() { "wsdl" } else { "none" }, "description": wsdl}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    for s in ["testing", "published"] {
        app.post(&format!("/api/lgsp/services/{id}/state"), &json!({"state": s})).await;
    }
    app.post(&format!("/api/lgsp/services/{id}/access"), &json!({"client": CLIENT, "method": "POST"})).await;
    r.json()
}

/// The two members, the calling subsystem with its OAuth2 client and the providing subsystem;
/// gives the caller's token.
async fn members(app: &TestApp) -> String {
    for (code, name) in [("000.00.13.H99", "Sở Tư pháp"), ("000.00.51.H99", "UBND huyện")] {
        app.post("/api/lgsp/members", &json!({"instance": "VN", "member_class": "GOV", "code": code, "name": name})).await;
    }
    let r = app.post("/api/oidc/clients", &json!({"name": "mc", "grant_types": ["client_credentials"], "scopes": ["lgsp:call"]})).await;
    let (id, secret) =
        (r.json()["client"]["client_id"].as_str().unwrap().to_owned(), r.json()["client_secret"].as_str().unwrap().to_owned());
    app.post("/api/lgsp/members/VN/GOV/000.00.51.H99/subsystems", &json!({"code": "motcua", "name": "Một cửa", "client_id": id})).await;
    app.post("/api/lgsp/members/VN/GOV/000.00.13.H99/subsystems", &json!({"code": "tuphap", "name": "Tư pháp"})).await;
    let t =
        app.raw(app.http.post(app.url("/oauth/token")).basic_auth(&id, Some(&secret)).form(&[("grant_type", "client_credentials")])).await;
    t.json()["access_token"].as_str().unwrap().to_owned()
}

storage_test!(soap_and_rest_meet_through_the_bridge, async |app: &TestApp| {
    let calls = Arc::new(AtomicUsize::new(0));
    let (soap_url, rest_url) = upstreams(calls.clone()).await;
    let token = members(app).await;
    let bad = app
        .post("/api/lgsp/subsystems/VN/GOV/000.00.13.H99/tuphap/services", &json!({"code": "x", "version": "1", "name": "x", "upstream_url": soap_url, "soap": {"mode": "sideways", "version": "3", "namespace": ""}}))
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    service(app, "hotich", &soap_url, json!({"mode": "rest_to_soap", "version": "1.1", "namespace": "urn:hotich"}), None).await;
    service(app, "congdan", &rest_url, json!({"mode": "soap_to_rest", "version": "1.2", "namespace": "urn:congdan"}), None).await;
    let call = |path: &str| {
        app.http.post(app.url(&format!("/r1/VN/GOV/000.00.13.H99/tuphap/{path}"))).header("X-Road-Client", CLIENT).bearer_auth(&token)
    };

    // A JSON client calls the SOAP service.
    let r = app.raw(call("hotich/TraCuu").json(&json!({"soDinhDanh": "001090012345"}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json(), json!({"TraCuuResponse": {"ten": "Nguyễn Văn An", "con": [{"ten": "A"}, {"ten": "B"}]}}));
    assert!(r.header("x-road-request-id").is_some());
    let r = app.raw(call("hotich/TraCuu").json(&json!({"soDinhDanh": "000000000000"}))).await;
    assert_eq!((r.status.as_u16(), r.json()["fault"].as_str()), (502, Some("Không có công dân")));
    let r = app.raw(call("hotich/TraCuu").body("{not json")).await;
    assert_eq!((r.status.as_u16(), r.header("x-road-error")), (400, Some("Client.InvalidJson")));

    // A SOAP 1.2 client calls the JSON service.
    let envelope = r#"<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><c:TraCuu xmlns:c="urn:congdan"><soDinhDanh>079185004321</soDinhDanh></c:TraCuu></s:Body></s:Envelope>"#;
    let r = app.raw(call("congdan").header("content-type", "application/soap+xml").body(envelope)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.header("content-type").is_some_and(|c| c.starts_with("application/soap+xml")));
    assert!(
        r.text.contains("TraCuuResponse")
            && r.text.contains("<ten>Trần Thị Bình</ten>")
            && r.text.contains("<soDinhDanh>079185004321</soDinhDanh>"),
        "{}",
        r.text
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3, "two SOAP calls and one JSON call; the bad JSON went nowhere");

    // An operation name that is no XML name (nor a path segment) goes nowhere.
    let sneaky = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><..\..\admin/></s:Body></s:Envelope>"#;
    let r = app.raw(call("congdan").header("content-type", "application/soap+xml").body(sneaky)).await;
    assert_eq!((r.status.as_u16(), r.header("x-road-error")), (400, Some("Client.InvalidRequest")), "{}", r.text);
    let r = app.raw(call("hotich/Tra'Cuu").json(&json!({}))).await;
    assert_eq!((r.status.as_u16(), r.header("x-road-error")), (400, Some("Client.InvalidRequest")), "{}", r.text);

    // A right limited to one path: a SOAP client may call that operation only.
    let r = app
        .post(
            "/api/lgsp/subsystems/VN/GOV/000.00.13.H99/tuphap/services",
            &json!({"code": "congdan-mot", "version": "1", "name": "x", "upstream_url": rest_url, "soap": {"mode": "soap_to_rest", "namespace": "urn:congdan"}}),
        )
        .await;
    let id = r.json()["id"].as_str().unwrap().to_owned();
    for st in ["testing", "published"] {
        app.post(&format!("/api/lgsp/services/{id}/state"), &json!({"state": st})).await;
    }
    let g =
        app.post(&format!("/api/lgsp/services/{id}/access"), &json!({"client": CLIENT, "method": "POST", "path_prefix": "/TraCuu"})).await;
    assert!(g.status.is_success(), "{}", g.text);
    let op = |name: &str| {
        format!(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><{name}><soDinhDanh>1</soDinhDanh></{name}></s:Body></s:Envelope>"#
        )
    };
    let r = app.raw(call("congdan-mot").header("content-type", "application/soap+xml").body(op("XoaDuLieu"))).await;
    assert_eq!((r.status.as_u16(), r.header("x-road-error")), (403, Some("Server.ServerProxy.AccessDenied")), "{}", r.text);
    let r = app.raw(call("congdan-mot").header("content-type", "application/soap+xml").body(op("TraCuu"))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(calls.load(Ordering::SeqCst), 4, "only the permitted operation went upstream");

    // XML bombs and external entities: the X-Road error, nothing forwarded.
    let bomb = r#"<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><TraCuu><soDinhDanh>&c;</soDinhDanh></TraCuu></s:Body></s:Envelope>"#;
    let xxe = r#"<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><TraCuu><soDinhDanh>&x;</soDinhDanh></TraCuu></s:Body></s:Envelope>"#;
    for doc in [bomb, xxe, "<s:Envelope><s:Body><TraCuu>"] {
        let r = app.raw(call("congdan").header("content-type", "application/soap+xml").body(doc)).await;
        assert_eq!((r.status.as_u16(), r.header("x-road-error")), (400, Some("Client.InvalidSoap")), "{}", r.text);
        assert!(!r.text.contains("root:"), "nothing of the file came back");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 4, "nothing forwarded");
});

const HOTICH_WSDL: &str = include_str!("../../src/soap/testdata/hotich.wsdl");

/// What each upstream received: path, SOAPAction and content type, body.
type Seen = Arc<std::sync::Mutex<Vec<(String, String, String, String)>>>;

/// The ministry's SOAP service as its WSDL describes it, and a JSON service answering the same
/// lookup (with a field of its own), recording what they receive.
async fn described_upstreams(seen: Seen) -> (String, String) {
    let record = |seen: Seen| {
        move |uri: axum::http::Uri, h: HeaderMap, body: String| {
            let header = |k: &str| h.get(k).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            seen.lock().unwrap().push((uri.path().to_owned(), header("soapaction"), header("content-type"), body.clone()));
            body
        }
    };
    let soap_seen = record(seen.clone());
    let soap = Router::new().route(
        "/hotich",
        post(move |uri: axum::http::Uri, h: HeaderMap, body: String| async move {
            let body = soap_seen(uri, h, body);
            let inner = if body.contains("GhiNhan") {
                return ([("content-type", "text/xml")], String::new());
            } else {
                "<h:TraCuuKhaiSinhResponse xmlns:h=\"http://hotich.gov.vn/ws\"><h:hoTen>Nguyễn Văn An</h:hoTen><h:namSinh>1990</h:namSinh>\
                 <h:gioiTinh>Nam</h:gioiTinh><h:con><h:hoTen>Nguyễn Thị Mai</h:hoTen><h:namSinh>2015</h:namSinh></h:con>\
                 <h:daDangKy>true</h:daDangKy><h:ghiChuMoi>x</h:ghiChuMoi></h:TraCuuKhaiSinhResponse>"
            };
            let ns = "http://schemas.xmlsoap.org/soap/envelope/";
            (
                [("content-type", "text/xml; charset=utf-8")],
                format!("<soap:Envelope xmlns:soap=\"{ns}\"><soap:Body>{inner}</soap:Body></soap:Envelope>"),
            )
        }),
    );
    let rest_seen = record(seen);
    let rest = Router::new().route(
        "/api/TraCuu",
        post(move |uri: axum::http::Uri, h: HeaderMap, body: String| async move {
            rest_seen(uri, h, body);
            axum::Json(json!({"noiBo": "x", "namSinh": 1985, "hoTen": "Trần Thị Bình", "gioiTinh": "Nữ", "con": [], "daDangKy": false, "lePhi": 12.5}))
        }),
    );
    (format!("{}/hotich", serve(soap).await), format!("{}/api", serve(rest).await))
}

storage_test!(a_wsdl_decides_what_the_bridge_sends_and_answers, async |app: &TestApp| {
    let seen: Seen = Arc::default();
    let (soap_url, rest_url) = described_upstreams(seen.clone()).await;
    let token = members(app).await;
    let register = |soap: Value, wsdl: &str| {
        let body = json!({"code": "hotich", "version": "1", "name": "Hộ tịch", "upstream_url": soap_url, "soap": soap, "description_kind": "wsdl", "description": wsdl});
        async move { app.post("/api/lgsp/subsystems/VN/GOV/000.00.13.H99/tuphap/services", &body).await }
    };

    // A description the bridge cannot use is refused, naming why; nothing is registered.
    let doctype = format!(
        "<!DOCTYPE d [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>{}",
        HOTICH_WSDL.replacen("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "", 1)
    );
    for (soap, wsdl, field, word) in [
        (json!({"mode": "rest_to_soap"}), doctype.as_str(), "description", "DOCTYPE"),
        (json!({"mode": "rest_to_soap"}), "<definitions xmlns=\"http://schemas.xmlsoap.org/wsdl/\"/>", "description", "no SOAP"),
        (json!({"mode": "rest_to_soap"}), &HOTICH_WSDL.replace("tns:KetQua\"", "tns:KhongCo\""), "description", "KhongCo"),
        (json!({"mode": "rest_to_soap", "version": "1.3"}), HOTICH_WSDL, "soap.version", "1.3"),
    ] {
        let r = register(soap, wsdl).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.text.contains(field) && r.text.contains(word), "{}", r.text);
    }
    let listed = app.get_admin("/api/lgsp/subsystems/VN/GOV/000.00.13.H99/tuphap/services").await;
    assert_eq!((listed.status.as_u16(), listed.json()), (200, json!([])), "nothing registered");

    // With its WSDL alone, the mapping takes the version, namespace and operations from it.
    let s = service(app, "hotich", &soap_url, json!({"mode": "rest_to_soap"}), Some(HOTICH_WSDL)).await;
    assert_eq!((s["soap"]["version"].as_str(), s["soap"]["namespace"].as_str()), (Some("1.1"), Some("http://hotich.gov.vn/ws")));
    let names: Vec<&str> = s["soap"]["operations"].as_array().unwrap().iter().filter_map(|o| o["name"].as_str()).collect();
    assert_eq!(names, ["TraCuu", "GhiNhan"]);
    let call = |path: &str| {
        app.http.post(app.url(&format!("/r1/VN/GOV/000.00.13.H99/tuphap/{path}"))).header("X-Road-Client", CLIENT).bearer_auth(&token)
    };

    // The fields go in the schema's order and namespace, whatever the JSON's order; the action is
    // the WSDL's; the answer is typed by the schema (numbers, booleans, a list of one).
    let r = app.raw(call("hotich/TraCuu").json(&json!({"kemTheoCon": true, "namSinh": "1990", "soDinhDanh": "001090012345"}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json(),
        json!({"TraCuuKhaiSinhResponse": {"hoTen": "Nguyễn Văn An", "namSinh": 1990, "gioiTinh": "Nam",
            "con": [{"hoTen": "Nguyễn Thị Mai", "namSinh": 2015}], "daDangKy": true, "ghiChuMoi": "x"}})
    );
    let (path, action, ct, body) = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!((path.as_str(), action.as_str()), ("/hotich", "\"http://hotich.gov.vn/ws/TraCuuKhaiSinh\""));
    assert!(ct.starts_with("text/xml"), "{ct}");
    assert!(
        body.contains("<ns:TraCuuKhaiSinh xmlns:ns=\"http://hotich.gov.vn/ws\"><ns:soDinhDanh>001090012345</ns:soDinhDanh><ns:namSinh>1990</ns:namSinh><ns:kemTheoCon>true</ns:kemTheoCon></ns:TraCuuKhaiSinh>"),
        "{body}"
    );

    // A one-way operation: a repeated field as repeated elements, and 202 for the empty answer.
    let r = app.raw(call("hotich/GhiNhan").json(&json!({"soDinhDanh": "001090012345", "ghiChu": ["một", "hai"]}))).await;
    assert_eq!((r.status.as_u16(), r.text.as_str()), (202, "{}"));
    let (_, action, _, body) = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(action, "\"http://hotich.gov.vn/ws/GhiNhan\"");
    assert!(body.contains("<ns:ghiChu>một</ns:ghiChu><ns:ghiChu>hai</ns:ghiChu>"), "{body}");

    // Requests that do not fit the description get the X-Road error naming the problem, and
    // nothing goes upstream.
    let before = seen.lock().unwrap().len();
    for (path, body, status, error, word) in [
        ("hotich/XoaKhaiSinh", json!({}), 404, "Client.UnknownOperation", "TraCuu, GhiNhan"),
        ("hotich/TraCuu", json!({"soDinhDanh": "1", "hoTen": "x"}), 400, "Client.InvalidJson", "hoTen"),
        ("hotich/TraCuu", json!({"namSinh": 1990}), 400, "Client.InvalidJson", "soDinhDanh» is required"),
        ("hotich/TraCuu", json!({"soDinhDanh": "1", "namSinh": "một chín"}), 400, "Client.InvalidJson", "namSinh» is an integer"),
        ("hotich/TraCuu", json!({"soDinhDanh": ["1", "2"]}), 400, "Client.InvalidJson", "not a list"),
        ("hotich/TraCuu", json!({"soDinhDanh": "1", "kemTheoCon": "có"}), 400, "Client.InvalidJson", "true or false"),
    ] {
        let r = app.raw(call(path).json(&body)).await;
        assert_eq!((r.status.as_u16(), r.header("x-road-error")), (status, Some(error)), "{path} {body}: {}", r.text);
        assert!(r.text.contains(word), "{}", r.text);
    }
    assert_eq!(seen.lock().unwrap().len(), before, "nothing forwarded");

    // The JSON side is described by an OpenAPI document made from the WSDL.
    let meta = |path: &str| {
        app.http.get(app.url(&format!("/r1/VN/GOV/000.00.13.H99/tuphap/{path}"))).header("X-Road-Client", CLIENT).bearer_auth(&token)
    };
    let r = app.raw(meta("getOpenAPI?serviceCode=hotich")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let doc = r.json();
    let input = &doc["paths"]["/TraCuu"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!((input["properties"]["namSinh"]["type"].as_str(), &input["required"]), (Some("integer"), &json!(["soDinhDanh"])));
    let answer = &doc["paths"]["/TraCuu"]["post"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(answer["properties"]["TraCuuKhaiSinhResponse"]["properties"]["con"]["type"], "array");
    assert!(doc["servers"][0]["url"].as_str().unwrap().ends_with("/r1/VN/GOV/000.00.13.H99/tuphap/hotich"));
    let r = app.raw(meta("getWsdl?serviceCode=hotich")).await;
    assert_eq!((r.status.as_u16(), r.header("x-road-error")), (404, Some("Server.ServerProxy.NoDescription")));

    // SOAP 1.2 clients of a JSON service, by the same WSDL's 1.2 binding (the lookup only).
    let s = service(app, "congdan", &rest_url, json!({"mode": "soap_to_rest", "version": "1.2"}), Some(HOTICH_WSDL)).await;
    assert_eq!(s["soap"]["operations"].as_array().map(Vec::len), Some(1));
    let envelope = |inner: &str| {
        format!(
            "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body><TraCuuKhaiSinh xmlns=\"http://hotich.gov.vn/ws\">{inner}</TraCuuKhaiSinh></s:Body></s:Envelope>"
        )
    };
    let soap_call = |doc: String| call("congdan").header("content-type", "application/soap+xml").body(doc);
    let r = app.raw(soap_call(envelope("<soDinhDanh>079185004321</soDinhDanh><namSinh> 1985 </namSinh>"))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (path, _, _, body) = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        (path.as_str(), serde_json::from_str::<Value>(&body).unwrap()),
        ("/api/TraCuu", json!({"soDinhDanh": "079185004321", "namSinh": 1985}))
    );
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/soap+xml") && c.contains("action=\"http://hotich.gov.vn/ws/TraCuuKhaiSinh\"")),
        "{:?}",
        r.header("content-type")
    );
    assert!(
        r.text.contains("<ns:TraCuuKhaiSinhResponse xmlns:ns=\"http://hotich.gov.vn/ws\"><ns:hoTen>Trần Thị Bình</ns:hoTen><ns:namSinh>1985</ns:namSinh><ns:gioiTinh>Nữ</ns:gioiTinh><ns:daDangKy>false</ns:daDangKy><ns:lePhi>12.5</ns:lePhi></ns:TraCuuKhaiSinhResponse>"),
        "the schema's order, the service's own field left out: {}",
        r.text
    );
    let before = seen.lock().unwrap().len();
    let other = "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body><XoaKhaiSinh xmlns=\"http://hotich.gov.vn/ws\"/></s:Body></s:Envelope>";
    for (doc, status, error, word) in [
        (envelope("<soDinhDanh>1</soDinhDanh><hoTen>x</hoTen>"), 400, "Client.InvalidSoap", "hoTen"),
        (envelope("<soDinhDanh>1</soDinhDanh><namSinh>abc</namSinh>"), 400, "Client.InvalidSoap", "namSinh"),
        (envelope("<namSinh>1985</namSinh>"), 400, "Client.InvalidSoap", "soDinhDanh"),
        (other.to_owned(), 404, "Client.UnknownOperation", "XoaKhaiSinh"),
    ] {
        let r = app.raw(soap_call(doc)).await;
        assert_eq!((r.status.as_u16(), r.header("x-road-error")), (status, Some(error)), "{}", r.text);
        assert!(r.text.contains(word), "{}", r.text);
    }
    assert_eq!(seen.lock().unwrap().len(), before, "nothing forwarded");

    // SOAP clients fetch the WSDL with the gateway as the service's address.
    let r = app.raw(meta("getWsdl?serviceCode=congdan")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.header("content-type").is_some_and(|c| c.starts_with("text/xml")));
    assert!(!r.text.contains("10.0.0.5"), "the upstream's address is not handed out");
    assert_eq!(r.text.matches("/r1/VN/GOV/000.00.13.H99/tuphap/congdan\"").count(), 2, "{}", r.text);
    let handed = lgsp::soap::wsdl::read(&r.text).unwrap();
    assert!(handed.location.is_some_and(|l| l.starts_with("http") && l.ends_with("/tuphap/congdan")));
});

/// A JSON persons service's OpenAPI description: one lookup, a GET that SOAP clients cannot
/// call, and the answer's schema by reference.
fn congdan_openapi() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Công dân", "version": "1"},
        "paths": {
            "/TraCuu": {"post": {
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["soDinhDanh"], "properties": {
                    "soDinhDanh": {"type": "string"}, "namSinh": {"type": "integer"}, "kemTheoCon": {"type": "boolean"},
                    "ghiChu": {"type": "array", "items": {"type": "string"}}}}}}},
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CongDan"}}}}}
            }},
            "/persons/{id}": {"get": {"responses": {"200": {"description": "ok"}}}}
        },
        "components": {"schemas": {"CongDan": {"type": "object", "properties": {
            "hoTen": {"type": "string"}, "namSinh": {"type": "integer"}, "gioiTinh": {"type": "string"}, "con": {"type": "array", "items": {"type": "string"}},
            "daDangKy": {"type": "boolean"}, "lePhi": {"type": "string", "format": "decimal"}}}}}
    })
}

storage_test!(soap_clients_of_a_json_service_get_a_wsdl_made_from_its_openapi, async |app: &TestApp| {
    let seen: Seen = Arc::default();
    let (_, rest_url) = described_upstreams(seen.clone()).await;
    let token = members(app).await;
    let register = |code: &str, description: String| {
        let body = json!({"code": code, "version": "1", "name": "Công dân", "upstream_url": rest_url, "description_kind": "openapi",
            "description": description, "soap": {"mode": "soap_to_rest", "version": "1.1", "namespace": "urn:congdan"}});
        async move { app.post("/api/lgsp/subsystems/VN/GOV/000.00.13.H99/tuphap/services", &body).await }
    };

    // A description that gives SOAP clients nothing to call, or cannot be read, is refused.
    let no_post = json!({"openapi": "3.0.3", "paths": {"/persons/{id}": {"get": {}}}}).to_string();
    for (text, word) in [(no_post.as_str(), "no POST"), ("{\"openapi\": ", "OpenAPI")] {
        let r = register("congdan", text.to_owned()).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.text.contains("description") && r.text.contains(word), "{}", r.text);
    }

    // The operations come from the POST paths, typed by their schemas.
    let r = register("congdan", congdan_openapi().to_string()).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let s = r.json();
    let ops = s["soap"]["operations"].as_array().unwrap();
    assert_eq!(ops.iter().map(|o| o["name"].as_str().unwrap()).collect::<Vec<_>>(), ["TraCuu"]);
    assert_eq!((ops[0]["action"].as_str(), ops[0]["output"]["element"].as_str()), (Some("urn:congdan/TraCuu"), Some("TraCuuResponse")));
    let id = s["id"].as_str().unwrap();
    for state in ["testing", "published"] {
        app.post(&format!("/api/lgsp/services/{id}/state"), &json!({"state": state})).await;
    }
    app.post(&format!("/api/lgsp/services/{id}/access"), &json!({"client": CLIENT, "method": "POST"})).await;
    let auth = |r: reqwest::RequestBuilder| r.header("X-Road-Client", CLIENT).bearer_auth(&token);
    let path = |p: &str| app.url(&format!("/r1/VN/GOV/000.00.13.H99/tuphap/{p}"));

    // SOAP clients fetch a WSDL that describes those operations at the gateway's address.
    let r = app.raw(auth(app.http.get(path("getWsdl?serviceCode=congdan")))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.header("content-type").is_some_and(|c| c.starts_with("text/xml")));
    let contract = lgsp::soap::wsdl::read(&r.text).unwrap();
    assert!(contract.location.as_deref().is_some_and(|l| l.starts_with("http") && l.ends_with("/tuphap/congdan")), "{}", r.text);
    assert_eq!(json!(contract.operations("1.1").unwrap()), json!(ops), "the WSDL reads back as the operations the bridge holds to");
    assert!(!r.text.contains(&rest_url), "the upstream's address is not handed out");

    // A call by that WSDL: the JSON service gets numbers, booleans and lists as JSON types.
    let envelope = |inner: &str| {
        format!(
            "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><c:TraCuu xmlns:c=\"urn:congdan\">{inner}</c:TraCuu></soap:Body></soap:Envelope>"
        )
    };
    let soap_call = |doc: String| {
        auth(app.http.post(path("congdan")))
            .header("content-type", "text/xml; charset=utf-8")
            .header("SOAPAction", "\"urn:congdan/TraCuu\"")
            .body(doc)
    };
    let r = app
        .raw(soap_call(envelope(
            "<soDinhDanh>079185004321</soDinhDanh><namSinh> 1985 </namSinh><kemTheoCon>1</kemTheoCon><ghiChu>một</ghiChu>",
        )))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (upstream_path, _, ct, body) = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!((upstream_path.as_str(), ct.as_str()), ("/api/TraCuu", "application/json"));
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"soDinhDanh": "079185004321", "namSinh": 1985, "kemTheoCon": true, "ghiChu": ["một"]})
    );
    // The answer in the schema's order, its fields unqualified as the WSDL says, the service's
    // own field (not in its schema) left out.
    assert!(r.header("content-type").is_some_and(|c| c.starts_with("text/xml")));
    assert!(
        r.text.contains("<ns:TraCuuResponse xmlns:ns=\"urn:congdan\"><hoTen>Trần Thị Bình</hoTen><namSinh>1985</namSinh><gioiTinh>Nữ</gioiTinh><daDangKy>false</daDangKy><lePhi>12.5</lePhi></ns:TraCuuResponse>"),
        "{}",
        r.text
    );

    // What does not fit the description is refused with the X-Road error; nothing goes upstream.
    let before = seen.lock().unwrap().len();
    let other = "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><c:Xoa xmlns:c=\"urn:congdan\"/></soap:Body></soap:Envelope>";
    for (doc, status, error, word) in [
        (envelope("<soDinhDanh>1</soDinhDanh><namSinh>abc</namSinh>"), 400, "Client.InvalidSoap", "namSinh» is an integer"),
        (envelope("<namSinh>1985</namSinh>"), 400, "Client.InvalidSoap", "soDinhDanh"),
        (envelope("<soDinhDanh>1</soDinhDanh><hoTen>x</hoTen>"), 400, "Client.InvalidSoap", "hoTen"),
        (other.to_owned(), 404, "Client.UnknownOperation", "TraCuu"),
    ] {
        let r = app.raw(soap_call(doc)).await;
        assert_eq!((r.status.as_u16(), r.header("x-road-error")), (status, Some(error)), "{}", r.text);
        assert!(r.text.contains(word), "{}", r.text);
    }
    assert_eq!(seen.lock().unwrap().len(), before, "nothing forwarded");

    // The same description in YAML gives the same operations; a YAML alias is refused.
    let yaml = "openapi: 3.0.3\ninfo: {title: Công dân, version: '1'}\npaths:\n  /TraCuu:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema:\n              type: object\n              required: [soDinhDanh]\n              properties:\n                soDinhDanh: {type: string}\n                namSinh: {type: integer}\n                kemTheoCon: {type: boolean}\n                ghiChu: {type: array, items: {type: string}}\n      responses:\n        200:\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/CongDan'}\n";
    let yaml = format!("{yaml}components:\n  schemas:\n    CongDan: {}\n", congdan_openapi()["components"]["schemas"]["CongDan"]);
    let r = register("congdan-yaml", yaml.clone()).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(&r.json()["soap"]["operations"], &json!(ops), "{}", r.text);
    let r = register("congdan-alias", format!("{yaml}x-a: &a {{}}\nx-b: *a\n")).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("description") && r.text.contains("alias"), "{}", r.text);
});
