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
        "/api/oidc/clients",
        "/api/oidc/clients/{id}/secret",
        "/api/oidc/keys/rotate",
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

/// The OpenAPI description keeps one schema per name: two types of the same name in different
/// crates (a dossier's and a service's `HistoryEntry`) would silently share one, and every
/// answer of the other would be described wrongly. Each type deriving `ToSchema` must have a
/// name of its own (`#[schema(as = ...)]` renames one).
#[test]
fn schema_names_are_unique_across_crates() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut files = Vec::new();
    for c in std::fs::read_dir(crates).unwrap().flatten() {
        if c.path().join("src").is_dir() {
            walk(&c.path().join("src"), &mut files);
        }
    }
    let mut seen: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let mut pending = false;
        let mut renamed: Option<String> = None;
        for (n, line) in text.lines().enumerate() {
            let l = line.trim();
            if l.starts_with("#[derive(") && l.contains("ToSchema") {
                pending = true;
                renamed = None;
            } else if pending && let Some(rest) = l.strip_prefix("#[schema(as = ") {
                renamed = Some(rest.trim_end_matches(")]").rsplit("::").next().unwrap().to_owned());
            } else if pending && !l.starts_with("#[") && !l.starts_with("///") && !l.starts_with("//") {
                let decl = l.trim_start_matches("pub(crate) ").trim_start_matches("pub ");
                let name = decl
                    .strip_prefix("struct ")
                    .or_else(|| decl.strip_prefix("enum "))
                    .map(|r| r.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or_default().to_owned());
                if let Some(name) = name {
                    let at = format!("{}:{}", f.strip_prefix(crates).unwrap().display(), n + 1);
                    seen.entry(renamed.take().unwrap_or(name)).or_default().push(at);
                }
                pending = false;
            }
        }
    }
    assert!(seen.len() > 100, "the scan found only {} schemas", seen.len());
    let twice: Vec<_> = seen.iter().filter(|(_, at)| at.len() > 1).collect();
    assert!(twice.is_empty(), "schema names given to more than one type: {twice:?}");
}
