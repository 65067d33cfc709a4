//! The HTML page shell shared by every component: header with the province name and
//! navigation, the language switch, the stylesheet, and readable error pages.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use std::convert::Infallible;
use std::sync::Arc;

use crate::lang::Lang;

/// Site-wide facts the shell shows, put in the request extensions by the server.
#[derive(Debug, Clone)]
pub struct SiteInfo {
    pub province_name: String,
}

/// What every page template receives.
#[derive(Debug, Clone)]
pub struct Shell {
    pub lang: Lang,
    pub province: String,
    /// The current path and query without `lang=`, for the language switch.
    pub here: String,
    pub title: String,
    /// Which navigation entry is current: `home`, `procedures`, `agencies`, `units`.
    pub section: &'static str,
    /// The signed-in person's name, if any.
    pub user: Option<String>,
    /// The session's anti-forgery token, for forms (sign-out).
    pub csrf: String,
    /// True when the signed-in person administers something (the console link is shown).
    pub admin: bool,
    /// True when the signed-in person is an official (the documents link is shown).
    pub official: bool,
}

impl Shell {
    pub fn titled(mut self, title: impl Into<String>, section: &'static str) -> Shell {
        self.title = title.into();
        self.section = section;
        self
    }

    pub fn t<'a>(&self, vi: &'a str, en: &'a str) -> &'a str {
        self.lang.t(vi, en)
    }

    /// Link that switches to the other language and comes back here.
    pub fn switch_href(&self) -> String {
        let other = if self.lang == Lang::Vi { "en" } else { "vi" };
        format!("/lang/{other}?next={}", urlencode(&self.here))
    }

    pub fn current(&self, section: &str) -> &'static str {
        if self.section == section { "page" } else { "false" }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Shell {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let province = parts.extensions.get::<Arc<SiteInfo>>().map(|s| s.province_name.clone()).unwrap_or_else(|| "Tỉnh Số".into());
        let path = parts.uri.path().to_owned();
        let query: Vec<&str> = parts.uri.query().unwrap_or("").split('&').filter(|p| !p.is_empty() && !p.starts_with("lang=")).collect();
        let here = if query.is_empty() { path } else { format!("{path}?{}", query.join("&")) };
        let caller = crate::auth::Caller::of(parts);
        let user = caller.principal.as_ref().map(|p| p.name.clone());
        let admin = caller.principal.as_ref().is_some_and(|p| {
            use kernel::authz::Permission::*;
            [CatalogManage, ClientsManage, OfficialsManage, AuditRead]
                .iter()
                .any(|perm| p.agencies_with(*perm).is_none_or(|s| !s.is_empty()))
        });
        let official = caller.principal.as_ref().is_some_and(|p| p.is_official());
        Ok(Shell {
            lang: Lang::from_parts(parts),
            province,
            here,
            title: String::new(),
            section: "",
            user,
            csrf: caller.csrf.unwrap_or_default(),
            admin,
            official,
        })
    }
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Renders a template as an HTML response.
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    shell: &'a Shell,
    status: u16,
    message: String,
}

/// A readable error page for people (APIs use problem+json instead).
pub fn error_page(shell: Shell, err: kernel::Error) -> Response {
    let problem = crate::Problem::from(err);
    let title = shell.t(&problem.title, &problem.title_en).to_owned();
    let shell = shell.titled(title, "");
    let message = problem.detail.clone().unwrap_or_default();
    let mut resp = render(&ErrorPage { shell: &shell, status: problem.status, message });
    *resp.status_mut() = problem.status_code();
    resp
}

/// Result type of page handlers: errors become error pages in the request's language.
pub struct PageError(pub Shell, pub kernel::Error);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        error_page(self.0, self.1)
    }
}

pub const STYLESHEET: &str = include_str!("../static/site.css");

/// `/static/site.css`, cached for a day.
pub async fn stylesheet() -> Response {
    let mut r = STYLESHEET.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    r
}

pub const UPLOAD_SCRIPT: &str = include_str!("../static/upload.js");

/// `/static/upload.js`: upload progress on file forms, cached for a day.
pub async fn upload_script() -> Response {
    let mut r = UPLOAD_SCRIPT.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    r
}

#[derive(serde::Deserialize)]
pub struct SwitchQuery {
    next: Option<String>,
}

/// `/lang/{code}?next=/path`: remembers the language in a cookie and goes back. Only local
/// paths are followed, so the switch cannot be used to redirect elsewhere.
pub async fn switch_lang(
    axum::extract::Path(code): axum::extract::Path<String>,
    axum::extract::Query(q): axum::extract::Query<SwitchQuery>,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or_default();
    let next = q.next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\')).unwrap_or_else(|| "/".into());
    let mut r = Redirect::to(&next).into_response();
    let cookie = format!("lang={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly", lang.code());
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

#[derive(Template)]
#[template(path = "problem_type.html")]
struct ProblemTypePage<'a> {
    shell: &'a Shell,
    slug: &'a str,
    status: u16,
    title_vi: &'a str,
    title_en: &'a str,
}

/// `/problems/{slug}`: what a problem type means, for people who follow the `type` link.
pub async fn problem_type(shell: Shell, axum::extract::Path(slug): axum::extract::Path<String>) -> Response {
    match crate::problem::PROBLEM_TYPES.iter().find(|p| p.0 == slug) {
        Some(&(s, status, vi, en)) => {
            let title = format!("{status} {}", shell.lang.t(vi, en));
            let shell = shell.titled(title, "");
            render(&ProblemTypePage { shell: &shell, slug: s, status, title_vi: vi, title_en: en })
        }
        None => error_page(shell, kernel::Error::not_found(format!("problem type «{slug}»"))),
    }
}

/// Routes of the shell itself: stylesheet, language switch, problem type pages.
pub fn routes<S: Clone + Send + Sync + 'static>() -> axum::Router<S> {
    axum::Router::new()
        .route("/static/site.css", axum::routing::get(stylesheet))
        .route("/static/upload.js", axum::routing::get(upload_script))
        .route("/lang/{code}", axum::routing::get(switch_lang))
        .route("/problems/{slug}", axum::routing::get(problem_type))
}

/// A stored file sent to be shown in the browser: its type, an ASCII-only file name in the
/// disposition, and its SHA-256 so a copy can be checked.
pub fn stored_file(name: &str, content_type: &str, sha256: &str, bytes: Vec<u8>) -> Response {
    let ascii: String = name.replace(['"', '\r', '\n'], "_").chars().filter(|c| c.is_ascii()).collect();
    (
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_owned()),
            (axum::http::header::CONTENT_DISPOSITION, format!("inline; filename=\"{ascii}\"")),
            (axum::http::header::HeaderName::from_static("x-content-sha256"), sha256.to_owned()),
        ],
        bytes,
    )
        .into_response()
}
