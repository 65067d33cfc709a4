//! Internal processes from the officer workspace: the agency's cases, and a form to open one
//! (an outgoing document, an award proposal, an asset purchase). A case then lives on the
//! dossier page and in the same inboxes.

use super::*;

use crate::service::internal::{CaseField, CaseFieldKind, CaseInput, InternalProcess, template, templates};

const PER_PAGE: i64 = 50;

/// A case as its row in the list.
pub(super) struct CaseRow {
    d: Dossier,
    /// The step it waits at, by name, while it runs.
    step: Option<String>,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    shell: Shell,
    processes: Vec<InternalProcess>,
    cases: Vec<CaseRow>,
    total: i64,
    page: i64,
    pages: i64,
}

impl CasesPage {
    fn date(&self, s: &Option<String>) -> String {
        date(s)
    }

    fn steps(&self, p: &InternalProcess) -> String {
        p.definition.steps.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(" → ")
    }
}

#[derive(Deserialize, Default)]
pub(super) struct PageNo {
    page: Option<i64>,
}

/// The workspace's list of internal cases and the processes one can open.
pub(super) async fn cases(State(o): State<Onestop>, shell: Shell, caller: Caller, web::Query(q): web::Query<PageNo>) -> Response {
    let Some(p) = caller.principal.clone() else { return sign_in("/cases") };
    let title = shell.t("Việc nội bộ", "Internal processes").to_owned();
    let shell = shell.titled(title, "cases");
    let run = async {
        let page = q.page.unwrap_or(1).max(1);
        let (list, total) = o.internal_cases(&p, (page - 1) * PER_PAGE, PER_PAGE).await?;
        let cases = list
            .into_iter()
            .map(|d| {
                let step = d
                    .current_step
                    .as_deref()
                    .filter(|_| !d.status.is_final())
                    .and_then(|s| template(&d.procedure_code)?.definition.step(s).map(|x| x.name.clone()));
                CaseRow { d, step }
            })
            .collect();
        Ok::<_, kernel::Error>(render(&CasesPage {
            shell: shell.clone(),
            processes: templates(),
            cases,
            total,
            page,
            pages: (total + PER_PAGE - 1) / PER_PAGE,
        }))
    };
    run.await.unwrap_or_else(|e| web::page::error_page(shell, e))
}

#[derive(Template)]
#[template(path = "case_new.html")]
struct NewCasePage {
    shell: Shell,
    csrf: String,
    process: InternalProcess,
    /// (code, name) of the agencies the official may open it at.
    agencies: Vec<(String, String)>,
    values: HashMap<String, String>,
    errors: Vec<(String, String)>,
}

impl NewCasePage {
    fn value(&self, key: &str) -> String {
        self.values.get(key).cloned().unwrap_or_default()
    }

    /// The messages for a posted field: `subject`, `agency`, or `f.<key>` (the service names
    /// the latter `data.<key>`).
    fn error(&self, key: &str) -> String {
        let field = match key.strip_prefix("f.") {
            Some(k) => format!("data.{k}"),
            None if key == "agency" => "agency_code".to_owned(),
            None => key.to_owned(),
        };
        self.errors.iter().filter(|e| e.0 == field).map(|e| e.1.clone()).collect::<Vec<_>>().join("; ")
    }

    fn input(&self, f: &CaseField) -> &'static str {
        match f.kind {
            CaseFieldKind::Date => "date",
            _ => "text",
        }
    }
}

async fn new_case_view(
    o: &Onestop,
    shell: Shell,
    caller: &Caller,
    p: &Principal,
    key: &str,
    mut values: HashMap<String, String>,
    errors: Vec<(String, String)>,
) -> Response {
    let title = shell.t("Mở việc nội bộ", "Open an internal case").to_owned();
    let shell = shell.titled(title, "cases");
    let run = async {
        let process = template(key).ok_or_else(|| kernel::Error::not_found(format!("quy trình nội bộ {key}")))?;
        if p.kind != PrincipalKind::Official {
            return Err(kernel::Error::Forbidden("chỉ cán bộ mở quy trình nội bộ (only officials start internal processes)".into()));
        }
        let scope = p.agencies_with(Permission::DossierView);
        let all = o.catalog.all_agencies().await?;
        if let Some(own) = all.iter().find(|a| p.agency_id.as_ref() == Some(&a.id)) {
            values.entry("agency".into()).or_insert_with(|| own.code.to_string());
        }
        let agencies: Vec<(String, String)> = all
            .into_iter()
            .filter(|a| scope.as_ref().is_none_or(|s| s.contains(&a.id)))
            .map(|a| (a.code.to_string(), a.name.clone()))
            .collect();
        if agencies.is_empty() {
            return Err(kernel::Error::Forbidden("bạn không thuộc cơ quan nào (you belong to no agency)".into()));
        }
        let failed = !errors.is_empty();
        let mut r =
            render(&NewCasePage { shell: shell.clone(), csrf: caller.csrf.clone().unwrap_or_default(), process, agencies, values, errors });
        if failed {
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        }
        Ok(r)
    };
    run.await.unwrap_or_else(|e| web::page::error_page(shell, e))
}

pub(super) async fn new_case(State(o): State<Onestop>, shell: Shell, caller: Caller, Path(key): Path<String>) -> Response {
    let Some(p) = caller.principal.clone() else { return sign_in(&format!("/cases/new/{}", enc(&key))) };
    new_case_view(&o, shell, &caller, &p, &key, HashMap::new(), vec![]).await
}

/// The case's data from the posted fields: a list one item per line, a number read with its
/// thousands separators (1.200.000). What cannot be read goes on as typed, for the engine's
/// check to name.
fn data_of(fields: &[CaseField], f: &HashMap<String, String>) -> Value {
    let mut data = serde_json::Map::new();
    for field in fields {
        let Some(raw) = f.get(&format!("f.{}", field.key)).map(|v| v.trim()).filter(|v| !v.is_empty()) else { continue };
        let value = match field.kind {
            CaseFieldKind::List => Value::Array(raw.lines().map(|l| Value::String(l.trim().to_owned())).collect()),
            CaseFieldKind::Number => {
                let digits: String = raw.chars().filter(|c| !matches!(c, '.' | ',' | ' ' | '\u{a0}')).collect();
                match digits.parse::<u64>() {
                    Ok(n) if !digits.is_empty() => Value::from(n),
                    _ => Value::String(raw.to_owned()),
                }
            }
            _ => Value::String(raw.to_owned()),
        };
        data.insert(field.key.clone(), value);
    }
    Value::Object(data)
}

pub(super) async fn new_case_post(
    State(o): State<Onestop>,
    shell: Shell,
    caller: Caller,
    Path(key): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let Some(p) = caller.principal.clone() else { return sign_in(&format!("/cases/new/{}", enc(&key))) };
    if !caller.csrf_ok(f.get("_csrf").map(String::as_str).unwrap_or("")) {
        return (axum::http::StatusCode::FORBIDDEN, "anti-forgery token mismatch").into_response();
    }
    let Some(process) = template(&key) else {
        return web::page::error_page(shell, kernel::Error::not_found(format!("quy trình nội bộ {key}")));
    };
    let input = CaseInput {
        subject: f.get("subject").cloned().unwrap_or_default(),
        agency_code: f.get("agency").map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()),
        data: data_of(&process.fields, &f),
    };
    match o.start_case(&p, &key, &input).await {
        Ok(d) => {
            let code = d.code.clone().unwrap_or_default();
            let msg = if shell.lang.is_en() { format!("Case {code} opened.") } else { format!("Đã mở việc {code}.") };
            Redirect::to(&format!("/dossiers/{}?ok={}", d.id, enc(&msg))).into_response()
        }
        Err(kernel::Error::Invalid(list)) => {
            new_case_view(&o, shell, &caller, &p, &key, f, list.into_iter().map(|e| (e.field, e.message)).collect()).await
        }
        Err(e) => web::page::error_page(shell, e),
    }
}
