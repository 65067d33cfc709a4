//! The process definition editor of a procedure (quy trình nội bộ): steps and transitions as
//! form rows, every validation problem shown beside its row, and a picture of the process drawn
//! as SVG. Saving stores a new version; running dossiers keep the version they started with.

use kernel::authz::Role;

use super::*;
use crate::model::process::{DurationUnit, ProcessDefinition, Step, StepAgency, StepDuration, Transition};

const KINDS: [(StepKind, &str, &str, &str); 5] = [
    (StepKind::Task, "task", "Xử lý", "Task"),
    (StepKind::Approval, "approval", "Phê duyệt", "Approval"),
    (StepKind::Consult, "consult", "Liên thông (lấy ý kiến)", "Consultation"),
    (StepKind::Payment, "payment", "Thu phí", "Payment"),
    (StepKind::Return, "return", "Trả kết quả", "Return"),
];

fn kind_key(k: StepKind) -> &'static str {
    KINDS.iter().find(|x| x.0 == k).map(|x| x.1).unwrap_or("task")
}

fn kind_label(k: StepKind, en: bool) -> &'static str {
    KINDS.iter().find(|x| x.0 == k).map(|x| if en { x.3 } else { x.2 }).unwrap_or("")
}

/// A step as the form shows and sends it: every field text, so what was typed survives errors.
#[derive(Clone, Default)]
pub(super) struct StepRow {
    id: String,
    name: String,
    kind: String,
    role: String,
    agency: String,
    agency_code: String,
    agencies: String,
    duration: String,
    unit: String,
    errors: Vec<String>,
}

#[derive(Clone, Default)]
pub(super) struct TransitionRow {
    from: String,
    outcome: String,
    to: String,
    errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "process.html")]
pub(super) struct ProcessPage {
    shell: Shell,
    code: String,
    procedure_name: String,
    legal_time: String,
    version: i64,
    csrf: String,
    start: String,
    steps: Vec<StepRow>,
    transitions: Vec<TransitionRow>,
    /// Problems not tied to one row (start, total time).
    general: Vec<String>,
    notice: Option<String>,
    picture: String,
    /// The transitions as sentences, for screen readers and for reading without the picture.
    described: Vec<String>,
    kinds: Vec<(&'static str, &'static str)>,
    roles: Vec<(&'static str, &'static str)>,
}

impl ProcessPage {
    fn has_errors(&self) -> bool {
        !self.general.is_empty() || self.steps.iter().any(|s| !s.errors.is_empty()) || self.transitions.iter().any(|t| !t.errors.is_empty())
    }

    fn sel(&self, a: &str, b: &str) -> &'static str {
        if a == b { "selected" } else { "" }
    }
}

fn rows_of(def: &ProcessDefinition) -> (Vec<StepRow>, Vec<TransitionRow>) {
    let steps = def
        .steps
        .iter()
        .map(|s| {
            let (agency, agency_code) = match &s.agency {
                StepAgency::Receiving => ("receiving", String::new()),
                StepAgency::ApplicantCommune => ("applicant_commune", String::new()),
                StepAgency::Agency(c) => ("agency", c.clone()),
            };
            StepRow {
                id: s.id.clone(),
                name: s.name.clone(),
                kind: kind_key(s.kind).into(),
                role: s.role.as_str().into(),
                agency: agency.into(),
                agency_code,
                agencies: s.agencies.join(", "),
                duration: format!("{}", s.duration.value),
                unit: match s.duration.unit {
                    DurationUnit::WorkingDays => "working_days".into(),
                    DurationUnit::WorkingHours => "working_hours".into(),
                },
                errors: vec![],
            }
        })
        .collect();
    let transitions = def
        .transitions
        .iter()
        .map(|t| TransitionRow { from: t.from.clone(), outcome: t.outcome.clone(), to: t.to.clone(), errors: vec![] })
        .collect();
    (steps, transitions)
}

/// Blank rows for adding steps and transitions.
fn with_blanks(mut steps: Vec<StepRow>, mut transitions: Vec<TransitionRow>) -> (Vec<StepRow>, Vec<TransitionRow>) {
    for _ in 0..2 {
        steps.push(StepRow {
            kind: "task".into(),
            role: "specialist".into(),
            agency: "receiving".into(),
            unit: "working_hours".into(),
            ..Default::default()
        });
    }
    for _ in 0..3 {
        transitions.push(TransitionRow::default());
    }
    (steps, transitions)
}

/// The form body → rows, skipping blank rows and rows marked for removal.
fn parse_form(body: &str) -> (String, String, Vec<StepRow>, Vec<TransitionRow>) {
    let mut start = String::new();
    let mut version = String::new();
    let mut steps: std::collections::BTreeMap<usize, (StepRow, bool)> = Default::default();
    let mut trans: std::collections::BTreeMap<usize, (TransitionRow, bool)> = Default::default();
    for (k, v) in form_urlencoded::parse(body.as_bytes()) {
        let v = v.trim().to_owned();
        let mut parts = k.splitn(3, '.');
        match (parts.next(), parts.next().and_then(|i| i.parse::<usize>().ok()), parts.next()) {
            (Some("start"), _, _) => start = v,
            (Some("version"), _, _) => version = v,
            (Some("s"), Some(i), Some(f)) if i < 200 => {
                let (r, removed) = steps.entry(i).or_default();
                match f {
                    "id" => r.id = v,
                    "name" => r.name = v,
                    "kind" => r.kind = v,
                    "role" => r.role = v,
                    "agency" => r.agency = v,
                    "agency_code" => r.agency_code = v,
                    "agencies" => r.agencies = v,
                    "duration" => r.duration = v,
                    "unit" => r.unit = v,
                    "remove" => *removed = true,
                    _ => {}
                }
            }
            (Some("t"), Some(i), Some(f)) if i < 400 => {
                let (r, removed) = trans.entry(i).or_default();
                match f {
                    "from" => r.from = v,
                    "outcome" => r.outcome = v,
                    "to" => r.to = v,
                    "remove" => *removed = true,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    let steps = steps.into_values().filter(|(r, removed)| !(*removed || (r.id.is_empty() && r.name.is_empty()))).map(|x| x.0).collect();
    let trans = trans
        .into_values()
        .filter(|(r, removed)| !(*removed || (r.from.is_empty() && r.outcome.is_empty() && r.to.is_empty())))
        .map(|x| x.0)
        .collect();
    (start, version, steps, trans)
}

/// Rows → a definition; a field that cannot even be read (a duration that is not a number, an
/// unknown role) is reported on its row.
fn definition_of(start: &str, steps: &mut [StepRow], transitions: &[TransitionRow]) -> Option<ProcessDefinition> {
    let mut ok = true;
    let mut out = Vec::new();
    for r in steps.iter_mut() {
        let kind = KINDS.iter().find(|k| k.1 == r.kind).map(|k| k.0);
        let role = Role::parse(&r.role);
        let value = r.duration.replace(',', ".").parse::<f64>().ok().filter(|v| v.is_finite());
        let unit = match r.unit.as_str() {
            "working_days" => Some(DurationUnit::WorkingDays),
            "working_hours" => Some(DurationUnit::WorkingHours),
            _ => None,
        };
        let agency = match r.agency.as_str() {
            "receiving" => Some(StepAgency::Receiving),
            "applicant_commune" => Some(StepAgency::ApplicantCommune),
            "agency" if !r.agency_code.is_empty() => Some(StepAgency::Agency(r.agency_code.clone())),
            _ => None,
        };
        if kind.is_none() {
            r.errors.push("chọn loại bước (choose the kind of step)".into());
        }
        if role.is_none() {
            r.errors.push("chọn vai trò (choose the role)".into());
        }
        if value.is_none() || unit.is_none() {
            r.errors.push("thời gian là một số, ví dụ 4 hoặc 0,5 (the duration is a number)".into());
        }
        if agency.is_none() {
            r.errors.push("ghi mã cơ quan thực hiện (give the agency's code)".into());
        }
        match (kind, role, value, unit, agency) {
            (Some(kind), Some(role), Some(value), Some(unit), Some(agency)) => out.push(Step {
                id: r.id.clone(),
                name: r.name.clone(),
                kind,
                role,
                agency,
                agencies: r.agencies.split([',', ' ', ';']).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
                duration: StepDuration { value, unit },
            }),
            _ => ok = false,
        }
    }
    ok.then(|| ProcessDefinition {
        start: start.to_owned(),
        steps: out,
        transitions: transitions
            .iter()
            .map(|t| Transition { from: t.from.clone(), outcome: t.outcome.clone(), to: t.to.clone() })
            .collect(),
    })
}

/// Puts each validation problem on its row (`steps[2].role` → the third step row).
fn place_errors(errors: Vec<kernel::error::FieldError>, steps: &mut [StepRow], transitions: &mut [TransitionRow]) -> Vec<String> {
    let mut general = Vec::new();
    for e in errors {
        let index = |prefix: &str| -> Option<usize> { e.field.strip_prefix(prefix)?.split(']').next()?.parse().ok() };
        if let Some(r) = index("steps[").and_then(|i| steps.get_mut(i)) {
            r.errors.push(e.message);
        } else if let Some(r) = index("transitions[").and_then(|i| transitions.get_mut(i)) {
            r.errors.push(e.message);
        } else {
            general.push(e.message);
        }
    }
    general
}

/// The process as a picture: steps top to bottom in the order a dossier meets them, the next
/// step by a straight arrow, other outcomes (sending back, skipping) by curves on the right,
/// each labelled with its outcome.
pub(crate) fn process_svg(def: &ProcessDefinition, en: bool) -> String {
    let mut order = def.forward_order();
    for s in &def.steps {
        if !order.contains(&s.id) {
            order.push(s.id.clone());
        }
    }
    let pos = |id: &str| order.iter().position(|x| x == id);
    let (bw, bh, gap, x0, y0) = (300.0, 58.0, 40.0, 10.0, 10.0);
    let top = |i: usize| y0 + i as f64 * (bh + gap);
    let curves = def.transitions.iter().filter(|t| matches!((pos(&t.from), pos(&t.to)), (Some(a), Some(b)) if b != a + 1)).count();
    let width = x0 + bw + 60.0 + curves as f64 * 22.0 + 90.0;
    let height = top(order.len()).max(y0 + bh);
    let title = if en { "Process diagram" } else { "Sơ đồ quy trình" };
    let mut svg = format!(
        "<svg class=\"process\" role=\"img\" aria-labelledby=\"p-t\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"100%\" style=\"max-width:{width:.0}px\"><title id=\"p-t\">{title}</title>\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0 0L10 5L0 10z\" fill=\"#1d2733\"/></marker></defs>"
    );
    for (i, id) in order.iter().enumerate() {
        let Some(s) = def.step(id) else { continue };
        let y = top(i);
        let fill = match s.kind {
            StepKind::Approval => "#fdf3d8",
            StepKind::Consult => "#e8f1fb",
            StepKind::Payment => "#eaf6ec",
            StepKind::Return => "#eeeeee",
            StepKind::Task => "#ffffff",
        };
        let stroke = if *id == def.start { "#0b57a4\" stroke-width=\"2.5" } else { "#5b6b7c" };
        let unit = match (s.duration.unit, en) {
            (DurationUnit::WorkingDays, false) => "ngày",
            (DurationUnit::WorkingDays, true) => "days",
            (DurationUnit::WorkingHours, false) => "giờ",
            (DurationUnit::WorkingHours, true) => "h",
        };
        let name: String = s.name.chars().take(36).collect();
        let sub: String =
            format!("{} · {} · {} {unit}", kind_label(s.kind, en), s.role.label(en), s.duration.value).chars().take(48).collect();
        svg.push_str(&format!(
            "<rect x=\"{x0}\" y=\"{y}\" width=\"{bw}\" height=\"{bh}\" rx=\"8\" fill=\"{fill}\" stroke=\"{stroke}\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"14\" font-weight=\"600\" fill=\"#1d2733\">{}</text>\
             <text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#3d4a57\">{}</text>",
            x0 + 10.0,
            y + 23.0,
            dashboard::esc(&name),
            x0 + 10.0,
            y + 44.0,
            dashboard::esc(&sub)
        ));
    }
    let mut k = 0usize;
    for t in &def.transitions {
        let (Some(a), Some(b)) = (pos(&t.from), pos(&t.to)) else { continue };
        let label = dashboard::esc(&t.outcome.chars().take(16).collect::<String>());
        if b == a + 1 {
            let (x, y1, y2) = (x0 + bw / 2.0, top(a) + bh, top(b));
            svg.push_str(&format!(
                "<line x1=\"{x}\" y1=\"{y1}\" x2=\"{x}\" y2=\"{y2}\" stroke=\"#1d2733\" marker-end=\"url(#arrow)\"/>\
                 <text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#1d2733\">{label}</text>",
                x + 8.0,
                y1 + gap / 2.0 + 4.0
            ));
        } else {
            k += 1;
            let (y1, y2) = (top(a) + bh / 2.0, top(b) + bh / 2.0);
            let xe = x0 + bw;
            let xc = xe + 40.0 + k as f64 * 22.0;
            let back = b < a;
            let colour = if back { "#b3261e" } else { "#0b57a4" };
            svg.push_str(&format!(
                "<path d=\"M{xe} {y1} C{xc} {y1} {xc} {y2} {xe} {y2}\" fill=\"none\" stroke=\"{colour}\"{} marker-end=\"url(#arrow)\"/>\
                 <text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"{colour}\">{label}</text>",
                if back { " stroke-dasharray=\"5 4\"" } else { "" },
                xc - 10.0,
                (y1 + y2) / 2.0 + 4.0
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

fn describe(def: &ProcessDefinition) -> Vec<String> {
    let name = |id: &str| def.step(id).map(|s| s.name.clone()).unwrap_or_else(|| id.to_owned());
    def.transitions.iter().map(|t| format!("{} — «{}» → {}", name(&t.from), t.outcome, name(&t.to))).collect()
}

/// What the page shows besides the procedure: the definition being edited and its state.
struct Editing {
    start: String,
    steps: Vec<StepRow>,
    transitions: Vec<TransitionRow>,
    general: Vec<String>,
    notice: Option<String>,
    /// The definition drawn: the one being edited when it could be read, else the one in force.
    drawn: ProcessDefinition,
    failed: bool,
}

fn show(shell: Shell, caller: &Caller, pv: &catalog::model::procedure::ProcedureVersion, version: i64, e: Editing) -> Response {
    let en = shell.lang.is_en();
    let title = format!("{} {}", shell.t("Quy trình xử lý thủ tục", "Process of procedure"), pv.code);
    let (steps, transitions) = with_blanks(e.steps, e.transitions);
    let mut r = render(&ProcessPage {
        shell: shell.titled(title, "admin"),
        code: pv.code.to_string(),
        procedure_name: pv.name.clone(),
        legal_time: pv.processing.display(en),
        version,
        csrf: caller.csrf.clone().unwrap_or_default(),
        start: e.start,
        picture: process_svg(&e.drawn, en),
        described: describe(&e.drawn),
        steps,
        transitions,
        general: e.general,
        notice: e.notice,
        kinds: KINDS.iter().map(|k| (k.1, if en { k.3 } else { k.2 })).collect(),
        roles: Role::ALL
            .iter()
            .filter(|r| !matches!(r, Role::AgencyAdmin | Role::ProvincialAdmin | Role::Auditor))
            .map(|r| (r.as_str(), r.label(en)))
            .collect(),
    });
    if e.failed {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

fn catalog_admin(shell: &Shell, caller: &Caller, code: &str) -> Result<std::sync::Arc<Principal>, Response> {
    match &caller.principal {
        None => Err(sign_in(&format!("/admin/procedures/{code}/process"))),
        Some(p) if p.allows(Permission::CatalogManage, None) => Ok(p.clone()),
        Some(_) => Err(web::page::error_page(
            shell.clone(),
            kernel::Error::Forbidden("cần quyền quản trị danh mục (catalog administration rights are required)".into()),
        )),
    }
}

#[derive(Deserialize, Default)]
pub(super) struct Saved {
    saved: Option<i64>,
}

/// The editor with the definition in force.
pub(super) async fn editor(
    State(o): State<Onestop>,
    shell: Shell,
    caller: Caller,
    Path(code): Path<String>,
    web::Query(m): web::Query<Saved>,
) -> Response {
    if let Err(r) = catalog_admin(&shell, &caller, &code) {
        return r;
    }
    let run = async {
        let pv = o.catalog.procedure(&code).await?;
        let (version, def) = o.process_of(&code).await?;
        Ok::<_, kernel::Error>((pv, version, def))
    };
    match run.await {
        Ok((pv, version, def)) => {
            let (steps, transitions) = rows_of(&def);
            let notice = m.saved.map(|v| format!("{} {v}.", shell.t("Đã lưu quy trình, phiên bản", "Process saved as version")));
            show(
                shell,
                &caller,
                &pv,
                version,
                Editing { start: def.start.clone(), steps, transitions, general: vec![], notice, drawn: def, failed: false },
            )
        }
        Err(e) => web::page::error_page(shell, e),
    }
}

/// Saves the edited definition as a new version, or shows every problem beside its row.
pub(super) async fn save(State(o): State<Onestop>, shell: Shell, caller: Caller, Path(code): Path<String>, body: String) -> Response {
    let p = match catalog_admin(&shell, &caller, &code) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let csrf = form_urlencoded::parse(body.as_bytes()).find(|(k, _)| k == "_csrf").map(|(_, v)| v.into_owned()).unwrap_or_default();
    if !caller.csrf_ok(&csrf) {
        return (axum::http::StatusCode::FORBIDDEN, "anti-forgery token mismatch").into_response();
    }
    let (pv, version, current) = match async {
        let pv = o.catalog.procedure(&code).await?;
        let (version, def) = o.process_of(&code).await?;
        Ok::<_, kernel::Error>((pv, version, def))
    }
    .await
    {
        Ok(x) => x,
        Err(e) => return web::page::error_page(shell, e),
    };
    let (start, sent_version, mut steps, mut transitions) = parse_form(&body);
    let fail = |steps, transitions, general, drawn| Editing {
        start: start.clone(),
        steps,
        transitions,
        general,
        notice: None,
        drawn,
        failed: true,
    };
    if sent_version != version.to_string() {
        let general = vec![shell.t(
            "Quy trình vừa được người khác lưu thành phiên bản mới; hãy tải lại trang và sửa lại (someone saved a newer version; reload)",
            "Someone saved a newer version of this process meanwhile; reload the page and make your changes again",
        )
        .to_owned()];
        return show(shell, &caller, &pv, version, fail(steps, transitions, general, current));
    }
    let Some(def) = definition_of(&start, &mut steps, &transitions) else {
        return show(shell, &caller, &pv, version, fail(steps, transitions, vec![], current));
    };
    match o.set_process(&p, &code, &def).await {
        Ok(v) => Redirect::to(&format!("/admin/procedures/{}/process?saved={v}", enc(&code))).into_response(),
        Err(kernel::Error::Invalid(errors)) => {
            let general = place_errors(errors, &mut steps, &mut transitions);
            show(shell, &caller, &pv, version, fail(steps, transitions, general, def))
        }
        Err(e) => web::page::error_page(shell, e),
    }
}
