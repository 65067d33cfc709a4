//! `/admin/lgsp/replicas`: the periodic file replicas of national data (a directory on the
//! server or an SFTP drop, imported into a registry on a schedule): each with its schedule, its
//! registry's record count, its last run (and why it failed, if it did) and its latest imports
//! (file, outcome, rows created, updated and refused, the first problems), a button to import
//! now, and a form to add one.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use web::{Caller, Shell, render};

use super::{Forms, Notice, done, failed, lgsp_admin, posted, problems, when};
use crate::Lgsp;
use crate::replicas::{Import, Replica, ReplicaInput};

const HERE: &str = "/admin/lgsp/replicas";

pub struct ImportRow {
    pub at: String,
    pub file: String,
    pub status: String,
    /// `ok`, `partial` or `failed`, for the row's style.
    pub outcome: String,
    pub rows_read: i64,
    pub created: i64,
    pub updated: i64,
    pub refused: i64,
    pub errors: String,
}

pub struct ReplicaCard {
    pub id: String,
    pub name: String,
    pub directory: String,
    pub sftp_host_key: Option<String>,
    pub sftp_key_file: Option<String>,
    pub sftp_password_file: Option<String>,
    /// When it last ran, and why that run failed if it did.
    pub last_run: Option<String>,
    pub last_error: Option<String>,
    /// `name/version — title (n records)`.
    pub registry: String,
    pub interval_minutes: i64,
    pub next_run: String,
    pub imports: Vec<ImportRow>,
}

#[derive(Template)]
#[template(path = "lgsp_replicas.html")]
struct ReplicasPage {
    shell: Shell,
    csrf: String,
    notice: Option<String>,
    replicas: Vec<ReplicaCard>,
    /// The registries rows may go into: (`name/version`, readable).
    registries: Vec<(String, String)>,
    forms: Forms,
}

fn outcome(status: &str, en: bool) -> &str {
    match (status, en) {
        ("ok", false) => "Đã nhập",
        ("partial", false) => "Nhập một phần",
        ("failed", false) => "Không đọc được",
        ("ok", true) => "Imported",
        ("partial", true) => "Partly imported",
        ("failed", true) => "Could not be read",
        (s, _) => s,
    }
}

fn import_row(i: Import, en: bool) -> ImportRow {
    ImportRow {
        at: when(i.at),
        status: outcome(&i.status, en).to_owned(),
        outcome: i.status,
        file: i.file,
        rows_read: i.rows_read,
        created: i.created,
        updated: i.updated,
        refused: i.refused,
        errors: i.errors.unwrap_or_default(),
    }
}

async fn show(l: &Lgsp, shell: Shell, caller: &Caller, forms: Forms, notice: Option<String>) -> Response {
    let title = shell.t("Bản sao dữ liệu quốc gia (nhập tệp định kỳ)", "National data replicas (periodic file imports)").to_owned();
    let shell = shell.titled(title, "admin");
    let en = shell.lang.is_en();
    let run = async {
        let catalog = l.catalog.as_ref().ok_or_else(|| kernel::Error::internal("no catalog"))?;
        let all = catalog.registries().await?;
        let readable = |name: &str, version: &str| {
            all.iter().find(|r| r.name == name && r.version == version).map_or(format!("{name}/{version}"), |r| {
                format!("{name}/{version} — {} ({} {})", r.title, r.record_count, if en { "records" } else { "bản ghi" })
            })
        };
        let replicas = l
            .replicas()
            .await?
            .into_iter()
            .map(|r: Replica| ReplicaCard {
                registry: readable(&r.registry, &r.registry_version),
                next_run: when(r.next_run_at),
                imports: r.imports.into_iter().map(|i| import_row(i, en)).collect(),
                id: r.id,
                name: r.name,
                directory: r.directory,
                sftp_host_key: r.sftp_host_key,
                sftp_key_file: r.sftp_key_file,
                sftp_password_file: r.sftp_password_file,
                last_run: r.last_run_at.map(when),
                last_error: r.last_error,
                interval_minutes: r.interval_minutes,
            })
            .collect();
        let registries =
            all.iter().map(|r| (format!("{}/{}", r.name, r.version), format!("{}/{} — {}", r.name, r.version, r.title))).collect();
        let problems = forms.problems.clone();
        let page =
            ReplicasPage { shell: shell.clone(), csrf: caller.csrf.clone().unwrap_or_default(), notice, replicas, registries, forms };
        Ok::<_, kernel::Error>(failed(render(&page), &problems))
    };
    run.await.unwrap_or_else(|e| web::page::error_page(shell, e))
}

pub(super) async fn page(State(l): State<Lgsp>, shell: Shell, caller: Caller, web::Query(n): web::Query<Notice>) -> Response {
    if let Err(r) = lgsp_admin(&shell, &caller, HERE) {
        return r;
    }
    show(&l, shell, &caller, Forms::with(&[("replica.interval_minutes", "60")]), n.text()).await
}

pub(super) async fn add(State(l): State<Lgsp>, shell: Shell, caller: Caller, body: String) -> Response {
    let (p, f) = match posted(&shell, &caller, HERE, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut bad = Vec::new();
    let interval = f.number("interval_minutes", "interval_minutes", &mut bad);
    let (registry, version) = f.get("registry").split_once('/').unwrap_or(("", ""));
    if registry.is_empty() {
        bad.push(shell.t("Cơ sở dữ liệu: hãy chọn một", "Registry: choose one").to_owned());
    }
    if !bad.is_empty() {
        return show(&l, shell, &caller, Forms::sent("replica", &f, bad), None).await;
    }
    let input = ReplicaInput {
        name: f.get("name").to_owned(),
        directory: f.get("directory").to_owned(),
        registry: registry.to_owned(),
        registry_version: version.to_owned(),
        interval_minutes: interval.unwrap_or(0),
        sftp_key_file: f.opt("sftp_key_file"),
        sftp_password_file: f.opt("sftp_password_file"),
        sftp_host_key: f.opt("sftp_host_key"),
    };
    match l.add_replica(&p, &input).await {
        Ok(r) => done(HERE, &format!("{} {}", shell.t("Đã thêm bản sao", "Replica added:"), r.name)),
        Err(e) => show(&l, shell, &caller, Forms::sent("replica", &f, problems(e)), None).await,
    }
}

/// Imports the replica's new files now, and says how many.
pub(super) async fn run(State(l): State<Lgsp>, shell: Shell, caller: Caller, Path(id): Path<String>, body: String) -> Response {
    let (_, f) = match posted(&shell, &caller, HERE, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    match l.run_replica(&id).await {
        Ok(new) if new.is_empty() => done(HERE, shell.t("Không có tệp mới để nhập.", "No new files to import.")),
        Ok(new) => {
            let rows: i64 = new.iter().map(|i| i.created + i.updated).sum();
            let text = if shell.lang.is_en() {
                format!("{} new file(s) imported: {rows} records created or updated.", new.len())
            } else {
                format!("Đã nhập {} tệp mới: {rows} bản ghi được tạo hoặc cập nhật.", new.len())
            };
            done(HERE, &text)
        }
        Err(e) => show(&l, shell, &caller, Forms::sent("run", &f, problems(e)), None).await,
    }
}

/// Pins the host key an SFTP drop's server now shows (after its provider changed it).
pub(super) async fn pin(State(l): State<Lgsp>, shell: Shell, caller: Caller, Path(id): Path<String>, body: String) -> Response {
    let (p, f) = match posted(&shell, &caller, HERE, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    match l.pin_host_key(&p, &id, f.get("sftp_host_key")).await {
        Ok(r) => done(HERE, &format!("{} {}", shell.t("Đã ghi nhận khóa máy chủ mới cho", "New host key pinned for"), r.name)),
        Err(e) => show(&l, shell, &caller, Forms::sent("run", &f, problems(e)), None).await,
    }
}
