//! `/admin/lgsp/services/{id}`: one service's settings, its lifecycle (the moves allowed from
//! its state, each with a note), its history, and who may call it (the allow-list, with forms
//! to grant and revoke).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use web::{Caller, Shell, render};

use super::{Forms, Notice, done, failed, lgsp_admin, posted, problems, state_name, when};
use crate::Lgsp;
use crate::access::{AccessInput, AccessRight};
use crate::model::{STATES, transition_allowed};
use crate::registry::Service;

pub struct HistoryRow {
    pub at: String,
    pub actor: String,
    pub from: String,
    pub to: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "lgsp_service.html")]
struct ServicePage {
    shell: Shell,
    csrf: String,
    notice: Option<String>,
    s: Service,
    href: String,
    moves: Vec<&'static str>,
    history: Vec<HistoryRow>,
    rights: Vec<AccessRight>,
    /// Subsystems that may be given access: (identifier as sent, readable identifier and name).
    clients: Vec<(String, String)>,
    forms: Forms,
}

impl ServicePage {
    fn state(&self, s: &str) -> String {
        state_name(s, self.shell.lang.is_en()).to_owned()
    }

    fn kib(&self, bytes: &i64) -> String {
        if *bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0 { format!("{} MiB", bytes / 1024 / 1024) } else { format!("{bytes} B") }
    }
}

async fn show(l: &Lgsp, shell: Shell, caller: &Caller, id: &str, forms: Forms, notice: Option<String>) -> Response {
    let run = async {
        let s = l.service_by_id(id).await?;
        let shell = shell.clone().titled(format!("{} {}", shell.t("Dịch vụ", "Service"), s.text()), "admin");
        let en = shell.lang.is_en();
        let history = l
            .service_history(id)
            .await?
            .into_iter()
            .map(|h| HistoryRow {
                at: when(h.at),
                actor: h.actor_name.unwrap_or(h.actor),
                from: h.from_state.map(|f| state_name(&f, en).to_owned()).unwrap_or_default(),
                to: state_name(&h.to_state, en).to_owned(),
                note: h.note.unwrap_or_default(),
            })
            .collect();
        let mut clients: Vec<(String, String)> =
            l.subsystems().await?.into_iter().map(|c| (c.xid.encoded(), format!("{} — {}", c.xid, c.name))).collect();
        clients.sort();
        let problems = forms.problems.clone();
        let page = ServicePage {
            csrf: caller.csrf.clone().unwrap_or_default(),
            notice,
            href: format!("/admin/lgsp/services/{id}"),
            moves: STATES.iter().copied().filter(|to| transition_allowed(&s.state, to)).collect(),
            history,
            rights: l.access_rights(id).await?,
            clients,
            forms,
            s,
            shell,
        };
        Ok::<_, kernel::Error>(failed(render(&page), &problems))
    };
    run.await.unwrap_or_else(|e| web::page::error_page(shell, e))
}

pub(super) async fn page(
    State(l): State<Lgsp>,
    shell: Shell,
    caller: Caller,
    Path(id): Path<String>,
    web::Query(n): web::Query<Notice>,
) -> Response {
    if let Err(r) = lgsp_admin(&shell, &caller, &format!("/admin/lgsp/services/{id}")) {
        return r;
    }
    show(&l, shell, &caller, &id, Forms::default(), n.ok).await
}

pub(super) async fn move_state(State(l): State<Lgsp>, shell: Shell, caller: Caller, Path(id): Path<String>, body: String) -> Response {
    let here = format!("/admin/lgsp/services/{id}");
    let (p, f) = match posted(&shell, &caller, &here, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    match l.transition(&p, &id, f.get("to"), f.opt("note").as_deref()).await {
        Ok(s) => done(&here, &format!("{} {}", shell.t("Đã chuyển sang", "Moved to"), state_name(&s.state, shell.lang.is_en()))),
        Err(e) => show(&l, shell, &caller, &id, Forms::sent("state", &f, problems(e)), None).await,
    }
}

pub(super) async fn grant(State(l): State<Lgsp>, shell: Shell, caller: Caller, Path(id): Path<String>, body: String) -> Response {
    let here = format!("/admin/lgsp/services/{id}");
    let (p, f) = match posted(&shell, &caller, &here, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let input = AccessInput { client: f.get("client").to_owned(), method: f.opt("method"), path_prefix: f.opt("path_prefix") };
    match l.grant(&p, &id, &input).await {
        Ok(r) => done(&here, &format!("{} {}", shell.t("Đã cấp quyền gọi cho", "Access granted to"), r.client)),
        Err(e) => show(&l, shell, &caller, &id, Forms::sent("access", &f, problems(e)), None).await,
    }
}

pub(super) async fn revoke(
    State(l): State<Lgsp>,
    shell: Shell,
    caller: Caller,
    Path((id, right)): Path<(String, String)>,
    body: String,
) -> Response {
    let here = format!("/admin/lgsp/services/{id}");
    let (p, f) = match posted(&shell, &caller, &here, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    match l.revoke(&p, &id, &right).await {
        Ok(()) => done(&here, shell.t("Đã thu hồi quyền gọi.", "Access revoked.")),
        Err(e) => show(&l, shell, &caller, &id, Forms::sent("access", &f, problems(e)), None).await,
    }
}
