//! The LGSP's pages for administrators: monitoring (`/admin/lgsp`) and the registry's
//! administration (`/admin/lgsp/registry`: members, subsystems with their limits and daily
//! usage, services with their lifecycle, SOAP bridge, history and allow-lists, and the other
//! platforms' gateways trusted here), pub/sub's subscriptions and dead letters
//! (`/admin/lgsp/events`) and the file replicas of national data (`/admin/lgsp/replicas`). Every form works without
//! JavaScript; bad input comes back with the problems listed, the form as sent and nothing
//! stored.

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kernel::authz::{Permission, Principal};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use std::collections::HashMap;
use std::sync::Arc;
use web::{Caller, Shell};

use crate::Lgsp;

mod events;
mod monitoring;
mod peers;
mod registry;
mod replicas;
mod service;

pub use monitoring::{Failure, Registered, ServiceRow};

pub fn router() -> Router<Lgsp> {
    Router::new()
        .route("/admin/lgsp", get(monitoring::page))
        .route("/admin/lgsp/monitoring.csv", get(monitoring::csv))
        .route("/admin/lgsp/log/archive", post(monitoring::archive))
        .route("/admin/lgsp/registry", get(registry::page))
        .route("/admin/lgsp/registry/members", post(registry::add_member))
        .route("/admin/lgsp/registry/subsystems", post(registry::add_subsystem))
        .route("/admin/lgsp/registry/services", post(registry::add_service))
        .route("/admin/lgsp/registry/peers", post(peers::add))
        .route("/admin/lgsp/registry/peers/{id}/remove", post(peers::remove))
        .route("/admin/lgsp/subsystems/{instance}/{class}/{member}/{code}", get(registry::subsystem).post(registry::save_subsystem))
        .route("/admin/lgsp/events", get(events::page))
        .route("/admin/lgsp/events/redeliver", post(events::redeliver))
        .route("/admin/lgsp/replicas", get(replicas::page).post(replicas::add))
        .route("/admin/lgsp/replicas/{id}/run", post(replicas::run))
        .route("/admin/lgsp/replicas/{id}/host-key", post(replicas::pin))
        .route("/admin/lgsp/services/{id}", get(service::page).post(service::save))
        .route("/admin/lgsp/services/{id}/state", post(service::move_state))
        .route("/admin/lgsp/services/{id}/access", post(service::grant))
        .route("/admin/lgsp/services/{id}/access/{right}/revoke", post(service::revoke))
}

/// The signed-in LGSP administrator, or the answer to give instead (sign in, or not allowed).
fn lgsp_admin(shell: &Shell, caller: &Caller, here: &str) -> Result<Arc<Principal>, Response> {
    match &caller.principal {
        None => Err(Redirect::to(&format!("/login?next={}", enc(here))).into_response()),
        Some(p) if p.allows(Permission::CatalogManage, None) => Ok(p.clone()),
        Some(_) => Err(web::page::error_page(
            shell.clone(),
            kernel::Error::Forbidden("cần quyền quản trị LGSP (LGSP administration rights are required)".into()),
        )),
    }
}

/// A posted form's fields, trimmed.
pub(crate) struct Posted(Vec<(String, String)>);

impl Posted {
    fn get(&self, k: &str) -> &str {
        self.0.iter().find(|x| x.0 == k).map(|x| x.1.as_str()).unwrap_or("")
    }

    fn opt(&self, k: &str) -> Option<String> {
        Some(self.get(k).to_owned()).filter(|s| !s.is_empty())
    }

    fn checked(&self, k: &str) -> bool {
        self.0.iter().any(|x| x.0 == k && x.1 == "true")
    }

    /// A whole number field: absent or empty is `None`; anything else not a number is a problem.
    fn number(&self, k: &str, label: &str, problems: &mut Vec<String>) -> Option<i64> {
        let v = self.get(k).replace(['.', ',', ' '], "");
        if v.is_empty() {
            return None;
        }
        match v.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                problems.push(format!("{label}: «{}» không phải số nguyên (not a whole number)", self.get(k)));
                None
            }
        }
    }

    /// The fields under `form.` names, to show the form again as it was sent.
    fn values(&self, form: &str) -> HashMap<String, String> {
        self.0.iter().map(|(k, v)| (format!("{form}.{k}"), v.clone())).collect()
    }
}

/// The administrator and the posted form, once its anti-forgery token is the session's.
fn posted(shell: &Shell, caller: &Caller, here: &str, body: &str) -> Result<(Arc<Principal>, Posted), Response> {
    let p = lgsp_admin(shell, caller, here)?;
    let form = Posted(form_urlencoded::parse(body.as_bytes()).map(|(k, v)| (k.into_owned(), v.trim().to_owned())).collect::<Vec<_>>());
    if !caller.csrf_ok(form.get("_csrf")) {
        return Err(web::page::error_page(
            shell.clone(),
            kernel::Error::Forbidden(
                "biểu mẫu đã cũ hoặc không phải của phiên này; hãy tải lại trang rồi gửi lại (the form is stale or not this session's; reload the page and send it again)"
                    .into(),
            ),
        ));
    }
    Ok((p, form))
}

/// What went wrong, as lines to show above the form.
fn problems(e: kernel::Error) -> Vec<String> {
    match e {
        kernel::Error::Invalid(list) => {
            list.into_iter().map(|e| if e.field.is_empty() { e.message } else { format!("{}: {}", e.field, e.message) }).collect()
        }
        other => vec![web::Problem::from(other).detail.unwrap_or_default()],
    }
}

/// The notice a page shows after a form succeeded (`?ok=`), with the tag that shows this
/// server wrote it (`&tag=`): a link made elsewhere cannot put words of its own on the page.
#[derive(serde::Deserialize, Default)]
pub(crate) struct Notice {
    ok: Option<String>,
    tag: Option<String>,
}

impl Notice {
    /// The notice, when this server wrote it.
    pub(crate) fn text(self) -> Option<String> {
        let (ok, tag) = (self.ok?, self.tag?);
        let tag = data_encoding::HEXLOWER.decode(tag.as_bytes()).ok()?;
        ring::hmac::verify(&NOTICE_KEY, ok.as_bytes(), &tag).is_ok().then_some(ok)
    }
}

/// A key of this process for the notices' tags (a notice outlives a restart by no more than the
/// redirect that carries it).
static NOTICE_KEY: std::sync::LazyLock<ring::hmac::Key> = std::sync::LazyLock::new(|| {
    ring::hmac::Key::generate(ring::hmac::HMAC_SHA256, &ring::rand::SystemRandom::new()).expect("random bytes for a key")
});

fn tag_of(notice: &str) -> String {
    data_encoding::HEXLOWER.encode(ring::hmac::sign(&NOTICE_KEY, notice.as_bytes()).as_ref())
}

/// Back to `path` with a notice (the page shows `?ok=` when its tag is this server's).
fn done(path: &str, notice: &str) -> Response {
    Redirect::to(&format!("{path}?ok={}&tag={}", enc(notice), tag_of(notice))).into_response()
}

/// 422 when the page shows a form's problems.
fn failed(mut r: Response, problems: &[String]) -> Response {
    if !problems.is_empty() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

fn enc(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

/// The form values a page shows: defaults, or the form as sent when it had problems.
#[derive(Default)]
pub(crate) struct Forms {
    values: HashMap<String, String>,
    /// The form whose problems are shown (`member`, `subsystem`, ...).
    failed: &'static str,
    problems: Vec<String>,
}

impl Forms {
    fn with(defaults: &[(&str, &str)]) -> Forms {
        Forms { values: defaults.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(), ..Default::default() }
    }

    fn sent(form: &'static str, posted: &Posted, problems: Vec<String>) -> Forms {
        Forms { values: posted.values(form), failed: form, problems }
    }

    /// Adds values for the fields that have none (a form shown as it stands).
    fn fill(&mut self, values: Vec<(String, String)>) {
        for (k, v) in values {
            self.values.entry(k).or_insert(v);
        }
    }

    fn set(&mut self, key: &str, value: String) {
        self.values.insert(key.to_owned(), value);
    }

    pub fn v(&self, key: &str) -> &str {
        self.values.get(key).map(String::as_str).unwrap_or("")
    }

    pub fn is(&self, key: &str, value: &str) -> bool {
        self.v(key) == value
    }

    /// The problems of `form`, if it is the one that failed.
    pub fn problems_of(&self, form: &str) -> &[String] {
        if self.failed == form { &self.problems } else { &[] }
    }
}

/// `dd/mm/yyyy hh:mm`, Vietnam's time.
fn when(ms: i64) -> String {
    kernel::time::vn_datetime(ms).format(&time::macros::format_description!("[day]/[month]/[year] [hour]:[minute]")).unwrap_or_default()
}

/// A lifecycle state in the page's language.
pub(crate) fn state_name(state: &str, en: bool) -> &str {
    match (state, en) {
        ("draft", false) => "Nháp",
        ("testing", false) => "Thử nghiệm",
        ("published", false) => "Đang cung cấp",
        ("deprecated", false) => "Sắp ngừng",
        ("retired", false) => "Đã ngừng",
        (s, _) => s,
    }
}
