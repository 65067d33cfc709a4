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
    max_label: String,
    secret_label: String,
}

impl ServicePage {
    fn state(&self, s: &str) -> String {
        state_name(s, self.shell.lang.is_en()).to_owned()
    }

    fn kib(&self, bytes: &i64) -> String {
        kib(*bytes)
    }

    /// A body's fields as the WSDL gives them: `name*` when required, `name[]` when repeated;
    /// the room an `xs:any` or `xs:anyAttribute` leaves, in words.
    fn field_names(&self, b: &crate::soap::wsdl::Body) -> String {
        use crate::soap::wsdl::{ANY, ANY_ATTRIBUTE};
        match &b.fields {
            Some(fields) => fields
                .iter()
                .map(|f| match f.name.as_str() {
                    ANY => "(phần tử khác / other elements)".to_owned(),
                    ANY_ATTRIBUTE => "(thuộc tính khác / other attributes)".to_owned(),
                    _ => format!("{}{}{}", f.name, if f.repeated { "[]" } else { "" }, if f.required { "*" } else { "" }),
                })
                .collect::<Vec<_>>()
                .join(", "),
            None => String::new(),
        }
    }
}

fn kib(bytes: i64) -> String {
    if bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0 { format!("{} MiB", bytes / 1024 / 1024) } else { format!("{bytes} B") }
}

/// The settings form's values for `s` as it stands (the secret never: empty keeps it).
fn settings_of(s: &Service, description: Option<String>) -> Vec<(String, String)> {
    let mib = 1024 * 1024;
    let soap = s.soap.as_ref();
    [
        ("version", s.version.clone()),
        ("name", s.name.clone()),
        ("upstream_url", s.upstream_url.clone()),
        ("timeout_ms", s.timeout_ms.to_string()),
        ("max_body_mib", if s.max_body_bytes % mib == 0 { (s.max_body_bytes / mib).to_string() } else { String::new() }),
        ("description_kind", s.description_kind.clone()),
        ("description", description.unwrap_or_default()),
        ("log_bodies", if s.log_bodies { "true".into() } else { String::new() }),
        ("soap_mode", soap.map(|m| m.mode.clone()).unwrap_or_default()),
        ("soap_version", soap.map_or_else(|| "1.1".into(), |m| m.version.clone())),
        ("soap_namespace", soap.map(|m| m.namespace.clone()).unwrap_or_default()),
        ("upstream_token_url", s.upstream_token_url.clone().unwrap_or_default()),
        ("upstream_client_id", s.upstream_client_id.clone().unwrap_or_default()),
    ]
    .into_iter()
    .map(|(k, v)| (format!("service.{k}"), v))
    .collect()
}

/// A history note the registry wrote itself, in the page's language (an administrator's own
/// note as written).
fn note_in(note: &str, en: bool) -> String {
    match (note, note.strip_prefix("settings changed: ")) {
        ("registered", _) if !en => "đăng ký".to_owned(),
        (_, Some(fields)) if !en => format!("đổi thiết lập: {fields}"),
        _ => note.to_owned(),
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
                note: note_in(&h.note.unwrap_or_default(), en),
            })
            .collect();
        let mut clients: Vec<(String, String)> =
            l.subsystems().await?.into_iter().map(|c| (c.xid.encoded(), format!("{} — {}", c.xid, c.name))).collect();
        clients.sort();
        let mut forms = forms;
        // A settings form that failed comes back as sent (an unticked box stays unticked).
        if forms.failed != "service" {
            forms.fill(settings_of(&s, l.description(id).await?.map(|d| d.1)));
            forms.fill(vec![("service.seen".to_owned(), l.service_changed_at(id).await?.to_string())]);
        }
        let problems = forms.problems.clone();
        let (max_label, secret_label) = if en {
            (
                format!("Largest request body (MiB; empty keeps {})", kib(s.max_body_bytes)),
                "client_secret (empty keeps the stored one)".to_owned(),
            )
        } else {
            (
                format!("Dung lượng tối đa mỗi yêu cầu (MiB; để trống: giữ {})", kib(s.max_body_bytes)),
                "client_secret (để trống: giữ bí mật đã lưu)".to_owned(),
            )
        };
        let page = ServicePage {
            max_label,
            secret_label,
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
    show(&l, shell, &caller, &id, Forms::default(), n.text()).await
}

/// Saves the settings form: the registry records which settings changed.
pub(super) async fn save(State(l): State<Lgsp>, shell: Shell, caller: Caller, Path(id): Path<String>, body: String) -> Response {
    let here = format!("/admin/lgsp/services/{id}");
    let (p, f) = match posted(&shell, &caller, &here, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let before = match l.service_by_id(&id).await {
        Ok(s) => s,
        Err(e) => return web::page::error_page(shell, e),
    };
    let mut bad = Vec::new();
    let input = super::registry::service_input(&f, &before.code, Some(before.max_body_bytes), &mut bad);
    if !bad.is_empty() {
        // The rest of the form's problems too, all at once.
        if let Err(e) = crate::registry::services::problems(&input) {
            bad.extend(problems(e));
        }
        return show(&l, shell, &caller, &id, Forms::sent("service", &f, bad), None).await;
    }
    let seen = f.get("seen").parse::<i64>().ok();
    match l.change_service_seen(&p, &id, &input, true, seen).await {
        Ok(_) => done(&here, shell.t("Đã lưu thiết lập.", "Settings saved.")),
        Err(e) => {
            // The page that says so shows what was sent, as of the service now: sent again,
            // it is saved.
            let mut forms = Forms::sent("service", &f, problems(e));
            if let Ok(at) = l.service_changed_at(&id).await {
                forms.set("service.seen", at.to_string());
            }
            show(&l, shell, &caller, &id, forms, None).await
        }
    }
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
