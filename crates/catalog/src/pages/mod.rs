//! Public pages of the catalog: home with search, procedure list and detail, agency directory,
//! administrative units and the holiday calendar. Server-rendered; no JavaScript needed.

mod admin;
mod directory;
mod procedures;

use axum::Router;
use axum::routing::{get, post};

use crate::Catalog;

pub fn router() -> Router<Catalog> {
    Router::new()
        .route("/", get(procedures::home))
        .route("/procedures", get(procedures::list))
        .route("/procedures/{code}", get(procedures::detail))
        .route("/agencies", get(directory::agencies))
        .route("/agencies/{code}", get(directory::agency))
        .route("/units", get(directory::units))
        .route("/holidays", get(directory::holidays))
        .route("/admin", get(admin::home))
        .route("/admin/agencies", get(admin::agencies).post(admin::save_agency))
        .route("/admin/procedures", get(admin::procedures))
        .route("/admin/procedures/{code}", get(admin::procedure).post(admin::save_version))
        .route("/admin/calendar", get(admin::calendar).post(admin::add_day))
        .route("/admin/calendar/week", post(admin::save_week))
        .route("/admin/calendar/{id}/delete", post(admin::remove_day))
        .route("/admin/registries", get(admin::registries))
        .route("/admin/registries/{name}/{version}", get(admin::registry).post(admin::add_record))
        .route("/admin/registries/{name}/{version}/records/{key}", get(admin::record).post(admin::save_record))
        .route("/admin/registries/{name}/{version}/records/{key}/delete", post(admin::delete_record))
}

/// Query string of a list page without its `page` parameter, for pager links.
pub(crate) fn keep_query(pairs: &[(&str, &Option<String>)]) -> String {
    pairs
        .iter()
        .filter_map(|(k, v)| v.as_deref().filter(|s| !s.is_empty()).map(|v| format!("{k}={}", urlencoding(v))))
        .collect::<Vec<_>>()
        .join("&")
}

pub(crate) fn urlencoding(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
