//! Operations endpoints, headers, error shapes and pages of the assembled server.

use serde_json::json;
use testkit::{TestApp, storage_test};

storage_test!(health_readiness_and_metrics_answer, async |app: &TestApp| {
    let h = app.get("/healthz").await;
    assert_eq!((h.status.as_u16(), h.text.as_str()), (200, "ok"));
    assert_eq!(app.get("/readyz").await.status, 200);
    app.get("/api/code-lists").await;
    let m = app.get("/metrics").await;
    assert_eq!(m.status, 200);
    assert!(m.text.contains("http_requests_total"), "{}", m.text);
    assert!(m.text.contains("route=\"/api/code-lists\""), "{}", m.text);
    assert!(m.text.contains("http_request_duration_seconds_bucket"));
});

storage_test!(openapi_describes_every_api, async |app: &TestApp| {
    let doc = app.get("/api/openapi.json").await.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/procedures",
        "/api/procedures/{code}/versions",
        "/api/units",
        "/api/agencies/{code}",
        "/api/holidays",
        "/api/calendar/add-working-days",
        "/data/{registry}/{version}/{id}/readValue/{file}",
        "/data/{registry}/{version}/{id}/read-value/{file}",
        "/data/myPersonalDataUsage",
        "/data/MyPersonalDataUsage/1.0",
        "/api/docflow/documents",
        "/api/docflow/documents/{id}/issue",
        "/api/docflow/registers/export",
        "/api/docflow/hub/packages",
        "/api/docflow/hub/messages/{id}",
    ] {
        assert!(paths.contains_key(p), "{p} missing");
    }
    assert!(doc["components"]["securitySchemes"]["admin"].is_object());
    // Every operation's failures are problems, described under the media type they are sent as.
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let answers = op["responses"].as_object().unwrap();
            let default = &answers["default"]["content"];
            assert!(
                default["application/problem+json"]["schema"]["$ref"].as_str().is_some_and(|r| r.ends_with("/Problem")),
                "{method} {path}"
            );
            for (status, answer) in answers {
                let content = answer["content"].as_object();
                let json_problem = content
                    .and_then(|c| c.get("application/json"))
                    .is_some_and(|c| c["schema"]["$ref"].as_str().is_some_and(|r| r.ends_with("/Problem")));
                assert!(!json_problem, "{method} {path} {status}: a problem described as application/json");
            }
        }
    }
    let docs = app.get("/api/docs/").await;
    assert_eq!(docs.status, 200);
    assert!(docs.text.contains("swagger"), "{}", docs.text);
});

storage_test!(every_response_carries_security_headers_and_a_request_id, async |app: &TestApp| {
    for path in ["/", "/api/procedures", "/nope", "/api/nope"] {
        let r = app.get(path).await;
        assert!(r.header("content-security-policy").unwrap().contains("default-src 'self'"), "{path}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(r.header("x-frame-options"), Some("DENY"), "{path}");
        assert!(r.header("x-request-id").is_some_and(|v| v.len() >= 32), "{path}");
    }
    let r = app.raw(app.http.get(app.url("/healthz")).header("x-request-id", "abc-123")).await;
    assert_eq!(r.header("x-request-id"), Some("abc-123"));
});

storage_test!(unreadable_parameters_get_problem_json_not_a_failure, async |app: &TestApp| {
    // A path parameter out of its type's range.
    let r = app.get_admin("/api/procedures/1.000001/versions/9223372036854775808").await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert!(r.json()["detail"].as_str().unwrap().contains("bad path parameters"), "{}", r.text);
    // Paging outside its documented bounds is refused, not silently changed.
    for (query, field) in [("per_page=201", "per_page"), ("per_page=0", "per_page"), ("page=0", "page"), ("per_page=abc", "per_page")] {
        let r = app.get_admin(&format!("/api/procedures?{query}")).await;
        assert_eq!(r.status, 422, "{query}: {}", r.text);
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
        assert!(r.json()["detail"].as_str().unwrap().contains(field), "{query}: {}", r.text);
    }
    assert_eq!(app.get_admin("/api/procedures?per_page=200&page=2").await.json()["per_page"], 200);
    // A status code at the bottom of its range (the code less one overflowed).
    for status in ["-9223372036854775808", "0", "11"] {
        let r = app.get_admin(&format!("/api/onestop/dossiers?status={status}")).await;
        assert!(r.status == 200 || r.status == 422, "status={status}: {} {}", r.status, r.text);
    }
});

storage_test!(unknown_paths_get_problem_json_or_a_page, async |app: &TestApp| {
    let api = app.get("/api/nope").await;
    assert_eq!(api.status, 404);
    assert_eq!(api.header("content-type"), Some("application/problem+json"));
    assert_eq!(api.json()["type"], "/problems/not-found");
    let page = app.get("/nope").await;
    assert_eq!(page.status, 404);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    assert!(page.text.contains("Không tìm thấy"));
    let t = app.get("/problems/invalid-input").await;
    assert!(t.text.contains("422"));
});

async fn oversized_bodies_are_refused(backend: testkit::Backend) {
    let Some(app) = TestApp::start_configured(backend, |c| c.max_body_bytes = 64 * 1024).await else {
        eprintln!("skipped: TINHSO_TEST_PG_URL is not set");
        return;
    };
    let big = "x".repeat(100 * 1024);
    let r = app
        .raw(
            app.http
                .post(app.url("/api/code-lists"))
                .bearer_auth(&app.admin_token)
                .header("content-type", "application/json")
                .body(format!("{{\"code\":\"{big}\"}}")),
        )
        .await;
    assert_eq!(r.status, 413, "{}", &r.text[..r.text.len().min(300)]);
    assert_eq!(r.json()["type"], "/problems/payload-too-large");
    assert_eq!(app.get("/api/code-lists").await.json().as_array().unwrap().len(), 9);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_refused_sqlite() {
    oversized_bodies_are_refused(testkit::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_refused_postgres() {
    oversized_bodies_are_refused(testkit::Backend::Postgres).await;
}

storage_test!(demo pages_render_in_both_languages, async |app: &TestApp| {
    let home = app.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.text.contains("<html lang=\"vi\">"));
    assert!(home.text.contains("Hộ tịch"));
    let en = app.get("/procedures/1.001193?lang=en").await;
    assert!(en.text.contains("<html lang=\"en\">") && en.text.contains("Required documents"), "{}", en.text);
    let sw = app.get("/lang/en?next=/procedures%3Fq%3Dkhai").await;
    assert_eq!(sw.status, 303);
    assert_eq!(sw.header("location"), Some("/procedures?q=khai"));
    assert!(sw.header("set-cookie").unwrap().starts_with("lang=en"));
    let with_cookie = app.raw(app.http.get(app.url("/procedures")).header("cookie", "lang=en")).await;
    assert!(with_cookie.text.contains("Administrative procedures"));
    // The switch never sends people to another site.
    for next in ["//evil.example/x", "https://evil.example/", "/\\evil"] {
        let r = app.get(&format!("/lang/vi?next={}", next.replace('/', "%2F").replace(':', "%3A").replace('\\', "%5C"))).await;
        assert_eq!(r.header("location"), Some("/"), "{next}");
    }
    for p in ["/procedures", "/procedures?field=HT&page=1", "/agencies", "/agencies/000.00.00.H99", "/units?show=all", "/holidays?year=2030"] {
        let r = app.get(p).await;
        assert_eq!(r.status, 200, "{p}");
        assert!(r.text.len() < 100 * 1024, "{p} is {} bytes", r.text.len());
    }
    assert_eq!(app.get("/procedures/9.999999").await.status, 404);
    assert_eq!(app.get("/holidays?year=abc").await.status, 422);
    let _ = json!({});
});
