//! The console's procedures: the list, and a procedure's versions with the form for a new one.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use web::{Caller, Shell, render};

use super::*;

#[derive(Template)]
#[template(path = "admin_procedures.html")]
struct Procedures {
    shell: Shell,
    q: String,
    items: Vec<ProcedureSummary>,
    total: i64,
}

pub async fn procedures(State(c): State<Catalog>, shell: Shell, caller: Caller, web::Query(q): web::Query<ListQuery>) -> Response {
    if let Err(r) = catalog_admin(&shell, &caller, "/admin/procedures") {
        return r;
    }
    let text = q.q.unwrap_or_default();
    let f = ProcedureFilter { q: Some(text.clone()).filter(|s| !s.trim().is_empty()), ..Default::default() };
    match c.search_procedures(&f, 0, 100).await {
        Ok((items, total)) => {
            let title = shell.t("Quản trị thủ tục hành chính", "Procedures").to_owned();
            render(&Procedures { shell: shell.titled(title, "admin"), q: text, items, total })
        }
        Err(e) => web::page::error_page(shell, e),
    }
}

/// A procedure version as the form shows it.
#[derive(Default, Clone)]
struct VersionForm {
    name: String,
    field_code: String,
    level: String,
    online_level: String,
    processing_value: String,
    processing_unit: String,
    decision_number: String,
    decision_date: String,
    effective_from: String,
    result: String,
    conditions: String,
    channels: Vec<String>,
    applicant_types: Vec<String>,
    agency_codes: String,
    steps: String,
    legal_bases: String,
    documents: Vec<RequiredDocument>,
    fees: Vec<(String, String, String)>,
    eform: String,
}

impl VersionForm {
    fn of(v: &ProcedureVersion) -> VersionForm {
        VersionForm {
            name: v.name.clone(),
            field_code: v.field_code.clone(),
            level: v.level.as_str().to_owned(),
            online_level: v.online_level.as_str().to_owned(),
            processing_value: format!("{}", v.processing.value),
            processing_unit: v.processing.unit.as_str().to_owned(),
            decision_number: String::new(),
            decision_date: String::new(),
            effective_from: kernel::time::date_text(kernel::time::today_vn()),
            result: v.body.result.clone(),
            conditions: v.body.conditions.clone().unwrap_or_default(),
            channels: v.body.channels.clone(),
            applicant_types: v.body.applicant_types.clone(),
            agency_codes: v.body.agency_codes.join(", "),
            steps: v.body.steps.join("\n"),
            legal_bases: v.body.legal_bases.iter().map(|l| format!("{} | {}", l.number, l.title)).collect::<Vec<_>>().join("\n"),
            documents: v.body.documents.clone(),
            fees: v.body.fees.iter().map(|f| (f.name.clone(), f.amount.0.to_string(), f.note.clone().unwrap_or_default())).collect(),
            eform: v.eform.as_ref().map(|e| serde_json::to_string_pretty(e).unwrap_or_default()).unwrap_or_default(),
        }
    }

    fn parse(f: &[(String, String)]) -> VersionForm {
        VersionForm {
            name: get(f, "name").into(),
            field_code: get(f, "field_code").into(),
            level: get(f, "level").into(),
            online_level: get(f, "online_level").into(),
            processing_value: get(f, "processing_value").into(),
            processing_unit: get(f, "processing_unit").into(),
            decision_number: get(f, "decision_number").into(),
            decision_date: get(f, "decision_date").into(),
            effective_from: get(f, "effective_from").into(),
            result: get(f, "result").into(),
            conditions: get(f, "conditions").into(),
            channels: all(f, "channels"),
            applicant_types: all(f, "applicant_types"),
            agency_codes: get(f, "agency_codes").into(),
            steps: get(f, "steps").into(),
            legal_bases: get(f, "legal_bases").into(),
            documents: rows(f, "d")
                .into_iter()
                .filter(|r| r.get("remove").is_none_or(|x| x != "1"))
                .filter(|r| r.values().any(|v| !v.is_empty() && v != "0" && v != "1" && v != "true"))
                .map(|r| RequiredDocument {
                    code: r.get("code").cloned().unwrap_or_default(),
                    name: r.get("name").cloned().unwrap_or_default(),
                    originals: r.get("originals").and_then(|x| x.parse().ok()).unwrap_or(0),
                    copies: r.get("copies").and_then(|x| x.parse().ok()).unwrap_or(0),
                    mandatory: r.get("mandatory").is_some_and(|x| x == "true"),
                    template: r.get("template").cloned().filter(|s| !s.is_empty()),
                    note: r.get("note").cloned().filter(|s| !s.is_empty()),
                })
                .collect(),
            fees: rows(f, "f")
                .into_iter()
                .filter(|r| r.get("remove").is_none_or(|x| x != "1"))
                .map(|r| {
                    let g = |k: &str| r.get(k).cloned().unwrap_or_default();
                    (g("name"), g("amount"), g("note"))
                })
                .filter(|x| !(x.0.is_empty() && x.1.is_empty()))
                .collect(),
            eform: get(f, "eform").into(),
        }
    }

    /// The form → the API's input; what cannot even be read (an amount that is not a number,
    /// an e-form that is not JSON) is reported by field.
    fn input(&self, code: &str) -> Result<ProcedureInput, Vec<String>> {
        let mut errors = Vec::new();
        let processing_value = self.processing_value.replace(',', ".").parse::<f64>().unwrap_or_else(|_| {
            errors.push("processing_value: thời hạn là một số (the legal time is a number)".to_owned());
            0.0
        });
        let mut fees = Vec::new();
        for (i, (name, amount, note)) in self.fees.iter().enumerate() {
            match amount.replace(['.', ' '], "").parse::<i64>() {
                Ok(a) => {
                    fees.push(Fee { name: name.clone(), amount: kernel::money::Vnd(a), note: Some(note.clone()).filter(|s| !s.is_empty()) })
                }
                Err(_) => errors.push(format!("fees[{i}].amount: số tiền là số đồng, ví dụ 50000 (the amount in đồng)")),
            }
        }
        let eform = if self.eform.trim().is_empty() {
            None
        } else {
            match serde_json::from_str::<serde_json::Value>(&self.eform) {
                Ok(v) => Some(v),
                Err(e) => {
                    errors.push(format!("eform: không phải JSON hợp lệ, dòng {} cột {} (not valid JSON)", e.line(), e.column()));
                    None
                }
            }
        };
        let mut legal_bases = Vec::new();
        for (i, line) in self.legal_bases.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
            match line.split_once('|') {
                Some((n, t)) => legal_bases.push(LegalBasis {
                    number: n.trim().to_owned(),
                    title: t.trim().to_owned(),
                    issued_by: None,
                    issued_on: None,
                }),
                None => errors.push(format!("legal_bases[{i}]: ghi «số hiệu | trích yếu» (write «number | title»)")),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let list = |s: &str| s.split([',', ' ', '\n']).map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect::<Vec<_>>();
        Ok(ProcedureInput {
            code: code.to_owned(),
            name: self.name.clone(),
            field_code: self.field_code.clone(),
            level: self.level.clone(),
            online_level: self.online_level.clone(),
            processing_value,
            processing_unit: Some(self.processing_unit.clone()).filter(|s| !s.is_empty()),
            decision_number: self.decision_number.clone(),
            decision_date: Some(self.decision_date.clone()).filter(|s| !s.is_empty()),
            effective_from: Some(self.effective_from.clone()).filter(|s| !s.is_empty()),
            body: ProcedureBody {
                steps: self.steps.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect(),
                applicant_types: self.applicant_types.clone(),
                conditions: Some(self.conditions.clone()).filter(|s| !s.is_empty()),
                channels: self.channels.clone(),
                documents: self.documents.clone(),
                fees,
                result: self.result.clone(),
                legal_bases,
                agency_codes: list(&self.agency_codes),
                legacy_level: None,
            },
            eform,
        })
    }
}

#[derive(Template)]
#[template(path = "admin_procedure.html")]
struct ProcedurePage {
    shell: Shell,
    csrf: String,
    code: String,
    versions: Vec<ProcedureVersion>,
    form: VersionForm,
    errors: Vec<String>,
    notice: Option<String>,
}

impl ProcedurePage {
    fn has(&self, list: &[String], v: &str) -> bool {
        list.iter().any(|x| x == v)
    }

    fn blank_documents(&self) -> Vec<usize> {
        (self.form.documents.len()..self.form.documents.len() + 2).collect()
    }

    fn blank_fees(&self) -> Vec<usize> {
        (self.form.fees.len()..self.form.fees.len() + 1).collect()
    }
}

async fn show_procedure(
    c: &Catalog,
    shell: Shell,
    caller: &Caller,
    code: &str,
    form: Option<VersionForm>,
    errors: Vec<String>,
    notice: Option<String>,
) -> Response {
    match c.procedure_versions(code).await {
        Ok(versions) if !versions.is_empty() => {
            let current = versions.iter().find(|v| v.current).unwrap_or(&versions[versions.len() - 1]);
            let form = form.unwrap_or_else(|| VersionForm::of(current));
            let title = format!("{} {code}", shell.t("Thủ tục", "Procedure"));
            failed(
                render(&ProcedurePage {
                    shell: shell.titled(title, "admin"),
                    csrf: caller.csrf.clone().unwrap_or_default(),
                    code: code.to_owned(),
                    versions,
                    form,
                    errors: errors.clone(),
                    notice,
                }),
                &errors,
            )
        }
        Ok(_) => web::page::error_page(shell, kernel::Error::not_found(format!("thủ tục {code}"))),
        Err(e) => web::page::error_page(shell, e),
    }
}

pub async fn procedure(
    State(c): State<Catalog>,
    shell: Shell,
    caller: Caller,
    Path(code): Path<String>,
    web::Query(q): web::Query<ListQuery>,
) -> Response {
    if let Err(r) = catalog_admin(&shell, &caller, &format!("/admin/procedures/{code}")) {
        return r;
    }
    let notice = q.ok.map(|v| format!("{} {v}.", shell.t("Đã lưu phiên bản", "Saved version")));
    show_procedure(&c, shell, &caller, &code, None, vec![], notice).await
}

pub async fn save_version(State(c): State<Catalog>, shell: Shell, caller: Caller, Path(code): Path<String>, body: String) -> Response {
    if let Err(r) = catalog_admin_post(&shell, &caller, &format!("/admin/procedures/{code}"), &body) {
        return r;
    }
    let form = VersionForm::parse(&pairs(&body));
    let input = match form.input(&code) {
        Ok(i) => i,
        Err(errors) => return show_procedure(&c, shell, &caller, &code, Some(form), errors, None).await,
    };
    match c.add_procedure_version(&code, &input).await {
        Ok(v) => Redirect::to(&format!("/admin/procedures/{}?ok={}", urlencoding(&code), v.version)).into_response(),
        Err(kernel::Error::Invalid(errors)) => show_procedure(&c, shell, &caller, &code, Some(form), messages(errors), None).await,
        Err(e) => web::page::error_page(shell, e),
    }
}
