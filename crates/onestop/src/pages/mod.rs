//! Pages of the one-stop engine: public tracking (the QR code on every receipt leads here),
//! online submission from a procedure's e-form, "my dossiers" for applicants and the inbox
//! for officials, and a dossier's page with every action the caller may take as a form.
//! All work without JavaScript.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use kernel::authz::{Permission, Principal, PrincipalKind};
use serde::Deserialize;
use serde_json::Value;
use web::{Caller, Shell, render};

use crate::Onestop;
use crate::model::process::StepKind;
use crate::model::{Action, Dossier, Status};
use crate::service::actions::{ApologyInput, Payment, Reasoned, ReturnInput, SupplementInput, SupplementRequest, Versioned};
use crate::service::tasks::{Complete, InboxFilter, SendBack, TaskVersion, may_act};
use crate::service::{Attachment, SubmitInput};
use crate::store::{HistoryEntry, Task};

mod cases;
mod dashboard;
mod dossier;
mod entry;
mod process;

pub use dossier::action_label;

pub fn router() -> Router<Onestop> {
    Router::new()
        .route("/tracking", get(tracking))
        .route("/dossiers", get(dossiers))
        .route("/dossiers/{id}", get(dossier::dossier))
        .route("/dossiers/{id}/act", post(dossier::act))
        .route("/procedures/{code}/submit", get(entry::submit_page).post(entry::submit_post))
        .route("/counter", get(entry::counter_page).post(entry::counter_post))
        .route("/cases", get(cases::cases))
        .route("/cases/new/{key}", get(cases::new_case).post(cases::new_case_post))
        .route("/dashboard", get(dashboard::dashboard))
        .route("/dashboard/export.csv", get(dashboard::dashboard_csv))
        .route("/admin/procedures/{code}/process", get(process::editor).post(process::save))
}

fn date(s: &Option<String>) -> String {
    s.as_deref().and_then(kernel::time::parse_date).map(kernel::time::date_vi).unwrap_or_else(|| "—".into())
}

fn when(ms: i64) -> String {
    let t = kernel::time::vn_datetime(ms);
    format!("{:02}:{:02} {:02}/{:02}/{:04}", t.hour(), t.minute(), t.day(), t.month() as u8, t.year())
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn sign_in(path: &str) -> Response {
    Redirect::to(&format!("/login?next={}", enc(path))).into_response()
}

#[derive(Template)]
#[template(path = "tracking.html")]
struct TrackingPage {
    shell: Shell,
    code: String,
    found: Option<crate::service::stats::Tracking>,
    error: Option<String>,
}

impl TrackingPage {
    fn date(&self, s: &Option<String>) -> String {
        date(s)
    }
}

#[derive(Deserialize, Default)]
struct CodeQuery {
    code: Option<String>,
}

async fn tracking(State(o): State<Onestop>, shell: Shell, web::Query(q): web::Query<CodeQuery>) -> Response {
    let title = shell.t("Tra cứu hồ sơ", "Track a dossier").to_owned();
    let shell = shell.titled(title, "tracking");
    let code = q.code.unwrap_or_default().trim().to_owned();
    let (found, error, status) = if code.is_empty() {
        (None, None, 200)
    } else if kernel::codes::DossierCode::parse(&code).is_err() {
        (
            None,
            Some(shell.t("Mã hồ sơ có dạng <mã cơ quan>-YYMMDD-XXXX.", "A dossier code looks like <agency code>-YYMMDD-XXXX.").to_owned()),
            422,
        )
    } else {
        match o.track(&code).await {
            Ok(t) => (Some(t), None, 200),
            Err(kernel::Error::NotFound(_)) => {
                (None, Some(shell.t("Không có hồ sơ với mã này.", "No dossier has this code.").to_owned()), 404)
            }
            Err(e) => return web::page::error_page(shell, e),
        }
    };
    let mut r = render(&TrackingPage { shell, code, found, error });
    *r.status_mut() = axum::http::StatusCode::from_u16(status).unwrap_or_default();
    r
}

#[derive(Template)]
#[template(path = "dossiers.html")]
struct DossiersPage {
    shell: Shell,
    official: bool,
    can_receive: bool,
    can_report: bool,
    view: String,
    /// (view, label, count)
    views: Vec<(&'static str, &'static str, i64)>,
    tasks: Vec<Task>,
    list_title: String,
    dossiers: Vec<Dossier>,
}

impl DossiersPage {
    fn when(&self, ms: &i64) -> String {
        when(*ms)
    }

    fn date(&self, s: &Option<String>) -> String {
        date(s)
    }
}

#[derive(Deserialize, Default)]
struct ViewQuery {
    view: Option<String>,
}

async fn dossiers(State(o): State<Onestop>, shell: Shell, caller: Caller, web::Query(q): web::Query<ViewQuery>) -> Response {
    let Some(p) = caller.principal.clone() else { return sign_in("/dossiers") };
    let official = p.kind == PrincipalKind::Official;
    let title = if official { shell.t("Xử lý hồ sơ", "Dossier work") } else { shell.t("Hồ sơ của tôi", "My dossiers") }.to_owned();
    let shell = shell.titled(title, "dossiers");
    let run = async {
        let view = q.view.clone().unwrap_or_else(|| "all".into());
        let mut views = Vec::new();
        let mut tasks = Vec::new();
        if official {
            let counts = o.inbox_counts(&p).await?;
            let names = [
                ("all", "Tất cả", "All"),
                ("new", "Chưa nhận", "New"),
                ("mine", "Của tôi", "Mine"),
                ("approval", "Chờ phê duyệt", "For approval"),
                ("due_soon", "Sắp đến hạn", "Due soon"),
                ("overdue", "Quá hạn", "Overdue"),
            ];
            for ((v, vi, en), n) in names.into_iter().zip(counts) {
                views.push((v, if shell.lang.is_en() { en } else { vi }, n));
            }
            tasks = o.inbox(&p, &InboxFilter { view: Some(view.clone()) }, 0, 100).await?.0;
            // The agency's dossiers waiting on someone outside: reception, the applicant.
            for (v, status, vi, en) in [
                ("submitted", Status::Submitted, "Chờ tiếp nhận", "Waiting for reception"),
                ("supplement", Status::SupplementRequested, "Chờ bổ sung", "Awaiting supplement"),
            ] {
                let n = o.dossiers(&p, Some(status), 0, 0).await?.1;
                views.push((v, if shell.lang.is_en() { en } else { vi }, n));
            }
        }
        let status = match view.as_str() {
            "submitted" => Some(Status::Submitted),
            "supplement" => Some(Status::SupplementRequested),
            _ => None,
        };
        let dossiers = if official { o.recent_dossiers(&p, status, 30).await? } else { o.dossiers(&p, status, 0, 100).await?.0 };
        let list_title = match (official, status) {
            (_, Some(Status::SupplementRequested)) => {
                shell.t("Hồ sơ chờ người nộp bổ sung", "Dossiers awaiting the applicant's supplement")
            }
            (_, Some(_)) => shell.t("Hồ sơ chờ tiếp nhận", "Dossiers waiting for reception"),
            (true, None) => shell.t("Hồ sơ của cơ quan", "The agency's dossiers"),
            (false, None) => shell.t("Hồ sơ đã nộp", "Submitted dossiers"),
        }
        .to_owned();
        let can_receive = p.agencies_with(Permission::DossierReceive).is_none_or(|s| !s.is_empty());
        let can_report = p.agencies_with(Permission::ReportsView).is_none_or(|s| !s.is_empty());
        Ok::<_, kernel::Error>(render(&DossiersPage {
            shell: shell.clone(),
            official,
            can_receive,
            can_report,
            view,
            views,
            tasks,
            list_title,
            dossiers,
        }))
    };
    run.await.unwrap_or_else(|e| web::page::error_page(shell, e))
}
