//! Test support: start the whole application on `127.0.0.1:0` against SQLite (a temporary
//! directory) or PostgreSQL (a fresh database per test on the server named by
//! `TINHSO_TEST_PG_URL`), talk to it over HTTP, stop it.
//!
//! [`storage_test!`] writes one test per backend. Without `TINHSO_TEST_PG_URL` the PostgreSQL
//! variant says it was skipped, unless `TINHSO_REQUIRE_PG=1` (as `scripts/test` sets), in which
//! case it fails.

pub mod sinks;

use kernel::config::Config;
use kernel::db::Db;
use reqwest::{Method, StatusCode};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running application and an HTTP client for it.
pub struct TestApp {
    pub base: String,
    pub admin_token: String,
    pub http: reqwest::Client,
    pub app: server::App,
    running: Option<server::serve::Running>,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

/// A signed-in browser session: the cookie and its anti-forgery token.
#[derive(Debug, Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// An HTTP answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Field names of a problem+json `errors` list.
    pub fn error_fields(&self) -> Vec<String> {
        self.json()["errors"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e["field"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    }
}

fn pg_admin_url() -> Option<String> {
    match std::env::var("TINHSO_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            if std::env::var("TINHSO_REQUIRE_PG").as_deref() == Ok("1") {
                panic!("TINHSO_REQUIRE_PG=1 but TINHSO_TEST_PG_URL is not set: PostgreSQL tests cannot run");
            }
            None
        }
    }
}

/// `postgres://u:p@h:5432/postgres` with the database name replaced.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let cut = base.rfind('/').filter(|i| *i > base.find("://").map(|x| x + 2).unwrap_or(0)).unwrap_or(base.len());
    let mut out = format!("{}/{db}", &base[..cut]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Creates a fresh PostgreSQL database; returns (admin url, database name).
pub async fn fresh_pg_database() -> Option<(String, String)> {
    let admin = pg_admin_url()?;
    let name = format!("tinhso_t_{}", uuid::Uuid::new_v4().simple());
    let db = Db::connect(&admin, 2).await.unwrap_or_else(|e| panic!("cannot reach TINHSO_TEST_PG_URL: {e}"));
    kernel::db::q(format!("CREATE DATABASE {name}")).execute(&db).await.expect("create test database");
    db.close().await;
    Some((admin.clone(), name))
}

/// A free loopback port (bound and released: good enough for tests on one machine).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// Drops a database made by [`fresh_pg_database`].
pub async fn drop_pg_database(admin: &str, name: &str) {
    if let Ok(db) = Db::connect(admin, 2).await {
        let _ = kernel::db::q(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&db).await;
        db.close().await;
    }
}

/// The URL of a database made by [`fresh_pg_database`].
pub fn pg_url(admin: &str, name: &str) -> String {
    with_database(admin, name)
}

impl TestApp {
    /// Starts the application with the system code lists; `None` when the backend is not
    /// available here (PostgreSQL without `TINHSO_TEST_PG_URL`).
    pub async fn start(backend: Backend) -> Option<TestApp> {
        Self::start_with(backend, false).await
    }

    /// Starts the application with the demo province seeded.
    pub async fn start_demo(backend: Backend) -> Option<TestApp> {
        Self::start_with(backend, true).await
    }

    /// Starts the application with a configuration changed by `tune` (limits, names...).
    pub async fn start_configured(backend: Backend, tune: impl FnOnce(&mut Config)) -> Option<TestApp> {
        Self::start_full(backend, false, tune).await
    }

    /// The demo province with a configuration changed by `tune`.
    pub async fn start_demo_configured(backend: Backend, tune: impl FnOnce(&mut Config)) -> Option<TestApp> {
        Self::start_full(backend, true, tune).await
    }

    async fn start_with(backend: Backend, demo: bool) -> Option<TestApp> {
        Self::start_full(backend, demo, |_| {}).await
    }

    async fn start_full(backend: Backend, demo: bool, tune: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let dir = tempfile::tempdir().expect("temp dir");
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(fresh_pg_database().await?),
        };
        let mut config = Config { data_dir: dir.path().to_path_buf(), db_max_connections: 8, lgsp_seal_secs: 3600, ..Config::default() };
        config.database_url = Some(match &pg {
            None => format!("sqlite://{}", dir.path().join("test.db").display()),
            Some((admin, name)) => with_database(admin, name),
        });
        config.admin_token = Some("test-admin-token".into());
        tune(&mut config);
        let db = server::serve::open(&config).await.expect("open database");
        let cat = catalog::Catalog::new(db.clone());
        catalog::seed::system(&cat).await.expect("seed system lists");
        if demo {
            catalog::seed::demo(&cat).await.expect("seed demo province");
        }
        // A test that needs to know the address in advance sets `listen`; others get a free port.
        let bind = if config.listen == Config::default().listen { "127.0.0.1:0".to_string() } else { config.listen.clone() };
        let listener = tokio::net::TcpListener::bind(&bind).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let scheme = if config.tls_cert.is_some() { "https" } else { "http" };
        config.public_url = Some(format!("{scheme}://{addr}"));
        let app = server::App::new(db, config, "test-admin-token".into());
        if demo {
            identity::seed::demo(&app.identity).await.expect("seed demo accounts");
        }
        let running = server::serve::start(app.clone(), listener).await.expect("start");
        kernel::tls::init();
        // With HTTPS configured (tests of mutual TLS), the harness's own client does not check the
        // test certificate; the tests' clients do.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .danger_accept_invalid_certs(scheme == "https")
            .build()
            .expect("client");
        Some(TestApp {
            base: format!("{scheme}://{addr}"),
            admin_token: "test-admin-token".into(),
            http,
            app,
            running: Some(running),
            _dir: dir,
            pg,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send(&self, method: Method, path: &str, body: Option<&Value>, admin: bool) -> Answer {
        let mut req = self.http.request(method, self.url(path));
        if admin {
            req = req.bearer_auth(&self.admin_token);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.expect("request");
        Answer { status: resp.status(), headers: resp.headers().clone(), text: resp.text().await.unwrap_or_default() }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None, false).await
    }

    pub async fn get_admin(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None, true).await
    }

    /// POST JSON as the administrator.
    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.send(Method::POST, path, Some(body), true).await
    }

    /// POST JSON without credentials.
    pub async fn post_anon(&self, path: &str, body: &Value) -> Answer {
        self.send(Method::POST, path, Some(body), false).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Answer {
        self.send(Method::PUT, path, Some(body), true).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(Method::DELETE, path, None, true).await
    }

    /// Sends a request built by the caller (headers, raw bodies).
    pub async fn raw(&self, req: reqwest::RequestBuilder) -> Answer {
        let resp = req.send().await.expect("request");
        Answer { status: resp.status(), headers: resp.headers().clone(), text: resp.text().await.unwrap_or_default() }
    }

    /// Signs in through the API; the answer, and the session when it succeeded.
    pub async fn login(&self, login: &str, password: &str, totp: Option<&str>) -> (Answer, Option<Session>) {
        let body = serde_json::json!({"login": login, "password": password, "totp": totp});
        let r = self.raw(self.http.post(self.url("/api/identity/login")).json(&body)).await;
        let session = r
            .header("set-cookie")
            .and_then(|c| c.split(';').next())
            .map(|c| Session { cookie: c.to_owned(), csrf: r.json()["csrf_token"].as_str().unwrap_or_default().to_owned() });
        (r, session)
    }

    /// Signs in or panics.
    pub async fn session(&self, login: &str, password: &str, totp: Option<&str>) -> Session {
        let (r, s) = self.login(login, password, totp).await;
        s.unwrap_or_else(|| panic!("sign-in of {login} failed: {} {}", r.status, r.text))
    }

    /// A request with a session's cookie and anti-forgery token.
    pub async fn send_as(&self, s: &Session, method: Method, path: &str, body: Option<&Value>) -> Answer {
        let mut req = self.http.request(method, self.url(path)).header("cookie", &s.cookie).header("x-csrf-token", &s.csrf);
        if let Some(b) = body {
            req = req.json(b);
        }
        self.raw(req).await
    }

    pub async fn get_as(&self, s: &Session, path: &str) -> Answer {
        self.send_as(s, Method::GET, path, None).await
    }

    pub async fn post_as(&self, s: &Session, path: &str, body: &Value) -> Answer {
        self.send_as(s, Method::POST, path, Some(body)).await
    }

    /// GET as a signed-in session, keeping the body as bytes (files, PDFs).
    /// Posts a page's form as the browser would (urlencoded, with the session's CSRF token),
    /// without following the redirect.
    pub async fn form_as(&self, s: &Session, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("_csrf", &s.csrf));
        self.raw(self.http.post(self.url(path)).header("cookie", &s.cookie).form(&form)).await
    }

    pub async fn get_bytes_as(&self, s: &Session, path: &str) -> (StatusCode, Vec<u8>) {
        let resp = self.http.get(self.url(path)).header("cookie", &s.cookie).send().await.expect("request");
        (resp.status(), resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default())
    }

    /// Starts a second server process's worth of application (its own pool, workers and
    /// caches) on the same database, as another node of a cluster would be. Returns its
    /// address and the handle that stops it.
    pub async fn another_node(&self) -> (String, server::serve::Running) {
        self.another_node_with(|_| {}).await
    }

    /// [`Self::another_node`] with its configuration changed by `tune`.
    pub async fn another_node_with(&self, tune: impl FnOnce(&mut Config)) -> (String, server::serve::Running) {
        let mut config = (*self.app.config).clone();
        tune(&mut config);
        let db = server::serve::open(&config).await.expect("open database");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = server::App::new(db, config, self.admin_token.clone());
        let running = server::serve::start(app, listener).await.expect("start");
        (format!("http://{addr}"), running)
    }

    /// Stops the server gracefully and removes the PostgreSQL database.
    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            let _ = r.shutdown.send(true);
            let _ = r.done.await;
        }
        if let Some((admin, name)) = self.pg.take() {
            drop_pg_database(&admin, &name).await;
        }
    }
}

/// The text of a PDF as `pdftotext` (Debian's poppler-utils) reads it, so tests check what a
/// person would see. Without the tool the check is skipped with a note, unless
/// `TINHSO_REQUIRE_TOOLS=1` (as `scripts/test` sets), in which case it fails.
pub fn pdf_text(pdf: &[u8]) -> Option<String> {
    use std::io::Write;
    let child = std::process::Command::new("pdftotext")
        .args(["-layout", "-", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(_) if std::env::var("TINHSO_REQUIRE_TOOLS").as_deref() != Ok("1") => {
            eprintln!("skipped: pdftotext is not installed");
            return None;
        }
        Err(e) => panic!("pdftotext is required (TINHSO_REQUIRE_TOOLS=1): {e}"),
    };
    child.stdin.take().expect("stdin").write_all(pdf).expect("write pdf");
    let out = child.wait_with_output().expect("pdftotext");
    assert!(out.status.success(), "pdftotext refused the PDF: {}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// One test per backend: `storage_test!(name, async |app: &TestApp| { ... });` (system lists
/// seeded) or `storage_test!(demo name, ...)` (the demo province seeded).
#[macro_export]
macro_rules! storage_test {
    (@one $name:ident, $backend:ident, $start:ident, $body:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let Some(app) = $crate::TestApp::$start($crate::Backend::$backend).await else {
                eprintln!("skipped: TINHSO_TEST_PG_URL is not set");
                return;
            };
            let f = $body;
            f(&app).await;
            app.stop().await;
        }
    };
    (demo $name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $crate::storage_test!(@one sqlite, Sqlite, start_demo, $body);
            $crate::storage_test!(@one postgres, Postgres, start_demo, $body);
        }
    };
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $crate::storage_test!(@one sqlite, Sqlite, start, $body);
            $crate::storage_test!(@one postgres, Postgres, start, $body);
        }
    };
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(with_database("postgres://u:p@h:5432/postgres", "x"), "postgres://u:p@h:5432/x");
        assert_eq!(with_database("postgres://u:p@h/postgres?sslmode=disable", "x"), "postgres://u:p@h/x?sslmode=disable");
        assert_eq!(with_database("postgres://u:p@h:5432", "x"), "postgres://u:p@h:5432/x");
    }
}
