//! `/admin/lgsp/registry`: the members, their subsystems (limits, today's calls), the
//! services and the trusted gateways of other platforms, with forms to register each; and one
//! subsystem's page (its settings and its calls per day against its quota).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use web::chart::column_chart;
use web::{Caller, Shell, render};

use super::{Forms, Notice, Posted, done, failed, lgsp_admin, posted, problems, state_name};
use crate::Lgsp;
use crate::access::Peer;
use crate::model::SubsystemId;
use crate::quota::{self, Usage};
use crate::registry::{Member, MemberInput, Service, ServiceInput, Subsystem, SubsystemInput, UpstreamAuth};
use crate::soap::SoapMapping;

pub(super) const HERE: &str = "/admin/lgsp/registry";

pub struct SubsystemRow {
    pub text: String,
    /// The identifier as the option value and page address use it (parts percent-encoded).
    pub encoded: String,
    pub name: String,
    pub client_id: String,
    pub rate_per_minute: i64,
    pub calls_per_day: i64,
    pub today: i64,
    pub active: bool,
    pub certificate: bool,
}

pub struct ServiceLine {
    pub id: String,
    pub text: String,
    pub version: String,
    pub name: String,
    pub state: String,
    pub upstream_url: String,
}

impl ServiceLine {
    fn of(s: Service) -> ServiceLine {
        ServiceLine { text: s.text(), id: s.id, version: s.version, name: s.name, state: s.state, upstream_url: s.upstream_url }
    }
}

#[derive(Template)]
#[template(path = "lgsp_registry.html")]
struct RegistryPage {
    shell: Shell,
    csrf: String,
    notice: Option<String>,
    members: Vec<Member>,
    subsystems: Vec<SubsystemRow>,
    services: Vec<ServiceLine>,
    peers: Vec<Peer>,
    forms: Forms,
}

impl RegistryPage {
    fn state(&self, s: &str) -> String {
        state_name(s, self.shell.lang.is_en()).to_owned()
    }
}

/// Every subsystem, active or not, ordered by identifier, with today's calls.
async fn subsystem_rows(l: &Lgsp) -> kernel::Result<Vec<SubsystemRow>> {
    let today = quota::usage(&l.db, 1, None).await?;
    let mut all = l.subsystems_all().await?;
    all.sort_by_key(|s| s.xid.text());
    Ok(all
        .into_iter()
        .map(|s| SubsystemRow {
            text: s.xid.text(),
            encoded: s.xid.encoded(),
            today: today.iter().find(|u| u.client == s.xid.text()).map_or(0, |u| u.calls),
            name: s.name,
            client_id: s.client_id.unwrap_or_default(),
            rate_per_minute: s.rate_per_minute,
            calls_per_day: s.calls_per_day,
            active: s.active,
            certificate: s.cert_sha256.is_some(),
        })
        .collect())
}

pub(super) async fn show(l: &Lgsp, shell: Shell, caller: &Caller, forms: Forms, notice: Option<String>) -> Response {
    let title = shell.t("Đăng ký dịch vụ LGSP", "LGSP registry").to_owned();
    let shell = shell.titled(title, "admin");
    let run = async {
        let mut services: Vec<ServiceLine> = l.services_all().await?.into_iter().map(ServiceLine::of).collect();
        services.sort_by(|a, b| a.text.cmp(&b.text));
        let problems = forms.problems.clone();
        let page = RegistryPage {
            shell: shell.clone(),
            csrf: caller.csrf.clone().unwrap_or_default(),
            notice,
            members: l.members().await?,
            subsystems: subsystem_rows(l).await?,
            services,
            peers: l.peers().await?,
            forms,
        };
        Ok::<_, kernel::Error>(failed(render(&page), &problems))
    };
    run.await.unwrap_or_else(|e| web::page::error_page(shell, e))
}

pub(super) async fn page(State(l): State<Lgsp>, shell: Shell, caller: Caller, web::Query(n): web::Query<Notice>) -> Response {
    if let Err(r) = lgsp_admin(&shell, &caller, HERE) {
        return r;
    }
    show(&l, shell, &caller, defaults(), n.text()).await
}

fn defaults() -> Forms {
    Forms::with(&[("member.instance", "VN"), ("member.member_class", "GOV"), ("service.version", "1"), ("service.timeout_ms", "30000")])
}

pub(super) async fn add_member(State(l): State<Lgsp>, shell: Shell, caller: Caller, body: String) -> Response {
    let (p, f) = match posted(&shell, &caller, HERE, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let input = MemberInput {
        instance: f.get("instance").to_owned(),
        member_class: f.get("member_class").to_uppercase(),
        code: f.get("code").to_owned(),
        name: f.get("name").to_owned(),
    };
    match l.create_member(&p, &input).await {
        Ok(m) => done(HERE, &format!("{} {}/{}/{}", shell.t("Đã thêm thành viên", "Member added:"), m.instance, m.member_class, m.code)),
        Err(e) => show(&l, shell, &caller, Forms::sent("member", &f, problems(e)), None).await,
    }
}

pub(super) async fn add_subsystem(State(l): State<Lgsp>, shell: Shell, caller: Caller, body: String) -> Response {
    let (p, f) = match posted(&shell, &caller, HERE, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut bad = Vec::new();
    let input = subsystem_input(&f, f.get("code"), &mut bad);
    let member: Vec<&str> = f.get("member").split('/').collect();
    if member.len() != 3 {
        bad.push(shell.t("Thành viên: hãy chọn một thành viên", "Member: choose a member").to_owned());
    }
    if !bad.is_empty() {
        // The rest of the form's problems too, all at once.
        if let Err(e) = crate::registry::subsystems::subsystem_problems(&input).into_result() {
            bad.extend(problems(e));
        }
        return show(&l, shell, &caller, Forms::sent("subsystem", &f, bad), None).await;
    }
    match l.create_subsystem(&p, (member[0], member[1], member[2]), &input).await {
        Ok(s) => done(HERE, &format!("{} {}", shell.t("Đã thêm phân hệ", "Subsystem added:"), s.xid)),
        Err(e) => show(&l, shell, &caller, Forms::sent("subsystem", &f, problems(e)), None).await,
    }
}

/// A subsystem's settings as the registry's and the subsystem page's forms send them.
fn subsystem_input(f: &Posted, code: &str, bad: &mut Vec<String>) -> SubsystemInput {
    SubsystemInput {
        code: code.to_owned(),
        name: f.get("name").to_owned(),
        client_id: f.opt("client_id"),
        rate_per_minute: f.number("rate_per_minute", "rate_per_minute", bad),
        calls_per_day: f.number("calls_per_day", "calls_per_day", bad),
        certificate: f.opt("certificate"),
        active: None,
    }
}

pub(super) async fn add_service(State(l): State<Lgsp>, shell: Shell, caller: Caller, body: String) -> Response {
    let (p, f) = match posted(&shell, &caller, HERE, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut bad = Vec::new();
    let provider = SubsystemId::parse(f.get("provider"));
    if provider.is_none() {
        bad.push(shell.t("Phân hệ cung cấp: hãy chọn một phân hệ", "Provider: choose a subsystem").to_owned());
    }
    let input = service_input(&f, f.get("code"), None, &mut bad);
    if !bad.is_empty() {
        if !crate::model::part_ok(&input.code) {
            bad.push(format!("code: {}", crate::model::PART_RULE));
        }
        if let Err(e) = crate::registry::services::problems(&input) {
            bad.extend(problems(e));
        }
    }
    let (Some(provider), true) = (provider, bad.is_empty()) else {
        return show(&l, shell, &caller, Forms::sent("service", &f, bad), None).await;
    };
    match l.register_service(&p, &provider, &input).await {
        Ok(s) => done(&format!("/admin/lgsp/services/{}", s.id), shell.t("Đã đăng ký dịch vụ (bản nháp).", "Service registered (draft).")),
        Err(e) => show(&l, shell, &caller, Forms::sent("service", &f, problems(e)), None).await,
    }
}

/// A service's settings as the registry's and the service page's forms send them (the body
/// limit in MiB; empty: `max_body_bytes`, or the registry's default when `None`).
pub(super) fn service_input(f: &Posted, code: &str, max_body_bytes: Option<i64>, bad: &mut Vec<String>) -> ServiceInput {
    let timeout_ms = f.number("timeout_ms", "timeout_ms", bad);
    let max_mib = f.number("max_body_mib", "max_body_mib", bad);
    if max_mib.is_some_and(|n| !(1..=1024).contains(&n)) {
        bad.push("max_body_mib: từ 1 đến 1024 MiB (1 to 1,024 MiB)".to_owned());
    }
    // The client credentials for another platform's gateway, when any of their fields is filled
    // (the registry checks they are all there).
    let auth_fields = ["upstream_token_url", "upstream_client_id", "upstream_client_secret"];
    let upstream_auth = auth_fields.iter().any(|k| !f.get(k).is_empty()).then(|| UpstreamAuth {
        token_url: f.get("upstream_token_url").to_owned(),
        client_id: f.get("upstream_client_id").to_owned(),
        client_secret: f.get("upstream_client_secret").to_owned(),
    });
    ServiceInput {
        code: code.to_owned(),
        version: f.get("version").to_owned(),
        name: f.get("name").to_owned(),
        upstream_url: f.get("upstream_url").to_owned(),
        description_kind: f.opt("description_kind").or(Some("none".into())),
        description: f.opt("description"),
        log_bodies: Some(f.checked("log_bodies")),
        timeout_ms,
        max_body_bytes: max_mib.map(|n| n * 1024 * 1024).or(max_body_bytes),
        upstream_auth,
        soap: f.opt("soap_mode").map(|mode| SoapMapping {
            mode,
            version: f.get("soap_version").to_owned(),
            namespace: f.get("soap_namespace").to_owned(),
            operations: Vec::new(),
        }),
    }
}

// ---- one subsystem ----

#[derive(Template)]
#[template(path = "lgsp_subsystem.html")]
struct SubsystemPage {
    shell: Shell,
    csrf: String,
    notice: Option<String>,
    sub: Subsystem,
    href: String,
    usage_chart: String,
    usage: Vec<Usage>,
    provides: Vec<ServiceLine>,
    forms: Forms,
}

impl SubsystemPage {
    fn state(&self, s: &str) -> String {
        state_name(s, self.shell.lang.is_en()).to_owned()
    }
}

fn subsystem_id(parts: &(String, String, String, String)) -> Option<SubsystemId> {
    // The router has decoded the parts already; they are checked as the registry checks them.
    let x = SubsystemId { instance: parts.0.clone(), member_class: parts.1.clone(), member: parts.2.clone(), subsystem: parts.3.clone() };
    SubsystemId::parse(&x.encoded()).filter(|p| *p == x)
}

async fn show_subsystem(
    l: &Lgsp,
    shell: Shell,
    caller: &Caller,
    x: &SubsystemId,
    forms: Option<Forms>,
    notice: Option<String>,
) -> Response {
    let run = async {
        let sub = l.subsystem(x).await?.ok_or_else(|| kernel::Error::not_found(format!("phân hệ {x}")))?;
        let shell = shell.clone().titled(format!("{} {}", shell.t("Phân hệ", "Subsystem"), sub.xid), "admin");
        let usage = quota::usage(&l.db, 30, Some(x)).await?;
        let today = kernel::time::vn_datetime(kernel::time::now_ms()).date();
        let columns: Vec<(String, i64)> = (0..30)
            .rev()
            .map(|back| {
                let d = today - time::Duration::days(back);
                let text = kernel::time::date_text(d);
                let calls = usage.iter().find(|u| u.day == text).map_or(0, |u| u.calls);
                (format!("{:02}/{:02}", d.day(), u8::from(d.month())), calls)
            })
            .collect();
        let chart = column_chart("usage", shell.t("Số lần gọi mỗi ngày (30 ngày)", "Calls per day (30 days)"), &columns, 5);
        let forms = forms.unwrap_or_else(|| {
            let (rate, quota) = (sub.rate_per_minute.to_string(), sub.calls_per_day.to_string());
            Forms::with(&[
                ("edit.name", &sub.name),
                ("edit.client_id", sub.client_id.as_deref().unwrap_or("")),
                ("edit.rate_per_minute", &rate),
                ("edit.calls_per_day", &quota),
                ("edit.active", if sub.active { "true" } else { "" }),
            ])
        });
        let problems = forms.problems.clone();
        let page = SubsystemPage {
            csrf: caller.csrf.clone().unwrap_or_default(),
            notice,
            href: format!("/admin/lgsp/subsystems/{}", sub.xid.encoded()),
            usage_chart: chart,
            usage,
            provides: l.services_of(x, false).await?.into_iter().map(ServiceLine::of).collect(),
            forms,
            sub,
            shell,
        };
        Ok::<_, kernel::Error>(failed(render(&page), &problems))
    };
    run.await.unwrap_or_else(|e| web::page::error_page(shell, e))
}

pub(super) async fn subsystem(
    State(l): State<Lgsp>,
    shell: Shell,
    caller: Caller,
    Path(parts): Path<(String, String, String, String)>,
    web::Query(n): web::Query<Notice>,
) -> Response {
    let Some(x) = subsystem_id(&parts) else {
        return web::page::error_page(shell, kernel::Error::not_found("phân hệ"));
    };
    if let Err(r) = lgsp_admin(&shell, &caller, &format!("/admin/lgsp/subsystems/{}", x.encoded())) {
        return r;
    }
    show_subsystem(&l, shell, &caller, &x, None, n.text()).await
}

pub(super) async fn save_subsystem(
    State(l): State<Lgsp>,
    shell: Shell,
    caller: Caller,
    Path(parts): Path<(String, String, String, String)>,
    body: String,
) -> Response {
    let Some(x) = subsystem_id(&parts) else {
        return web::page::error_page(shell, kernel::Error::not_found("phân hệ"));
    };
    let here = format!("/admin/lgsp/subsystems/{}", x.encoded());
    let (p, f) = match posted(&shell, &caller, &here, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut bad = Vec::new();
    let mut input = subsystem_input(&f, &x.subsystem, &mut bad);
    input.active = Some(f.checked("active"));
    if f.checked("unbind_certificate") && input.certificate.as_deref().is_some_and(|c| !c.trim().is_empty()) {
        bad.push(format!(
            "certificate: {}",
            shell.t("gỡ chứng thư số hoặc gắn chứng thư mới, không cả hai", "unbind the certificate or bind a new one, not both")
        ));
    }
    if !bad.is_empty() {
        if let Err(e) = crate::registry::subsystems::subsystem_problems(&input).into_result() {
            bad.extend(problems(e));
        }
        return show_subsystem(&l, shell, &caller, &x, Some(Forms::sent("edit", &f, bad)), None).await;
    }
    match l.change_subsystem(&p, &x, &input, !f.checked("unbind_certificate")).await {
        Ok(_) => done(&here, shell.t("Đã lưu.", "Saved.")),
        Err(e) => show_subsystem(&l, shell, &caller, &x, Some(Forms::sent("edit", &f, problems(e))), None).await,
    }
}
