//! Ways in: online submission from a procedure's e-form, and reception at the counter.

use super::*;

use catalog::eform::{FieldSpec, spec};

/// The e-form's fields filled from the account: a field says what it takes with
/// `"x-prefill": "name" | "citizen_id" | "tax_code"`, or is recognised by its usual key
/// (`ho_ten`, `so_dinh_danh`, `ma_so_thue`...). The applicant can still change them.
pub(super) fn prefill(schema: &Value, p: &Principal) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let Some(props) = schema["properties"].as_object() else { return out };
    for (k, v) in props {
        let source = v["x-prefill"].as_str().unwrap_or(match k.as_str() {
            "ho_ten" | "ho_va_ten" | "ten_nguoi_nop" | "full_name" => "name",
            "so_dinh_danh" | "so_cccd" | "so_can_cuoc" | "citizen_id" => "citizen_id",
            "ma_so_thue" | "tax_code" => "tax_code",
            _ => "",
        });
        let value = match source {
            "name" => Some(p.name.clone()),
            "citizen_id" => p.citizen_id.clone(),
            "tax_code" => p.tax_code.clone(),
            _ => None,
        };
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            out.insert(format!("f.{k}"), v);
        }
    }
    out
}

#[derive(Template)]
#[template(path = "submit.html")]
pub(super) struct SubmitPage {
    shell: Shell,
    code: String,
    name: String,
    csrf: String,
    agencies: Vec<(String, String)>,
    fields: Vec<FieldSpec>,
    values: HashMap<String, String>,
    errors: Vec<(String, String)>,
}

impl SubmitPage {
    fn error(&self, key: &str) -> String {
        let field = key.strip_prefix("f.").map(|k| format!("form.{k}")).unwrap_or_else(|| key.to_owned());
        self.errors.iter().filter(|e| e.0 == field || e.0 == key).map(|e| e.1.clone()).collect::<Vec<_>>().join("; ")
    }
}

pub(super) async fn submit_view(
    o: &Onestop,
    shell: Shell,
    caller: &Caller,
    code: &str,
    values: HashMap<String, String>,
    errors: Vec<(String, String)>,
) -> Response {
    let run = async {
        let pv = o.catalog.procedure(code).await?;
        let agencies = o.catalog.procedure_agencies(&pv.procedure_id).await?;
        let fields = pv.eform.as_ref().map(spec).unwrap_or_default();
        let title = shell.t("Nộp hồ sơ trực tuyến", "Submit online").to_owned();
        let failed = !errors.is_empty();
        let mut r = render(&SubmitPage {
            shell: shell.clone().titled(title, "procedures"),
            code: pv.code.to_string(),
            name: pv.name.clone(),
            csrf: caller.csrf.clone().unwrap_or_default(),
            agencies: agencies.into_iter().map(|(c, n)| (c.clone(), format!("{n} ({c})"))).collect(),
            fields,
            values,
            errors,
        });
        if failed {
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        }
        Ok::<_, kernel::Error>(r)
    };
    run.await.unwrap_or_else(|e| web::page::error_page(shell, e))
}

#[derive(Template)]
#[template(path = "submit_review.html")]
pub(super) struct ReviewPage {
    shell: Shell,
    code: String,
    name: String,
    csrf: String,
    /// (label, value) as the applicant will see them on the dossier.
    rows: Vec<(String, String)>,
    /// Every field sent, to carry on to the next step.
    hidden: Vec<(String, String)>,
    /// The legal time and the appointment date it gives if the dossier is accepted today.
    legal_time: String,
    expected_due: Option<String>,
}

/// The review step: what will be filed, with the appointment date it would get if accepted
/// today, and the choice to correct it or to submit.
async fn review_view(o: &Onestop, shell: Shell, caller: &Caller, code: &str, schema: &Value, f: HashMap<String, String>) -> Response {
    let run = async {
        let pv = o.catalog.procedure(code).await?;
        let mut rows: Vec<(String, String)> = spec(schema)
            .into_iter()
            .filter_map(|s| f.get(&s.key).filter(|v| !v.trim().is_empty()).map(|v| (s.label.clone(), v.trim().to_owned())))
            .collect();
        for (k, vi, en) in
            [("email", "Thư điện tử nhận thông báo", "E-mail for notices"), ("phone", "Số điện thoại nhận thông báo", "Phone for notices")]
        {
            if let Some(v) = f.get(k).filter(|v| !v.trim().is_empty()) {
                rows.push((shell.t(vi, en).to_owned(), v.trim().to_owned()));
            }
        }
        let agency = f.get("agency_code").cloned().filter(|s| !s.is_empty()).or_else(|| pv.body.agency_codes.first().cloned());
        let expected_due = match (&agency, pv.processing.unit.as_str()) {
            (Some(a), "working_days") => {
                let start = kernel::time::today_vn();
                o.catalog.add_working_days(Some(a), start, pv.processing.value.ceil() as u32).await.ok().map(kernel::time::date_vi)
            }
            _ => None,
        };
        let title = shell.t("Xem lại trước khi nộp", "Review before submitting").to_owned();
        Ok::<_, kernel::Error>(render(&ReviewPage {
            shell: shell.clone().titled(title, "procedures"),
            code: pv.code.to_string(),
            name: pv.name.clone(),
            csrf: caller.csrf.clone().unwrap_or_default(),
            rows,
            hidden: f.into_iter().filter(|(k, _)| k != "_csrf" && k != "step").collect(),
            legal_time: pv.processing.display(shell.lang.is_en()),
            expected_due,
        }))
    };
    run.await.unwrap_or_else(|e| web::page::error_page(shell, e))
}

pub(super) async fn submit_page(State(o): State<Onestop>, shell: Shell, caller: Caller, Path(code): Path<String>) -> Response {
    match &caller.principal {
        None => sign_in(&format!("/procedures/{code}/submit")),
        Some(p) if !matches!(p.kind, PrincipalKind::Citizen | PrincipalKind::Business) => {
            web::page::error_page(shell, kernel::Error::Forbidden("người dân, doanh nghiệp nộp trực tuyến; cán bộ tiếp nhận tại quầy (applicants submit online; officers receive at the counter)".into()))
        }
        Some(p) => {
            let schema = o.catalog.procedure(&code).await.ok().and_then(|pv| pv.eform).unwrap_or(Value::Null);
            let values = prefill(&schema, p);
            submit_view(&o, shell, &caller, &code, values, vec![]).await
        }
    }
}

pub(super) async fn submit_post(
    State(o): State<Onestop>,
    shell: Shell,
    caller: Caller,
    Path(code): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let Some(p) = caller.principal.clone() else { return sign_in(&format!("/procedures/{code}/submit")) };
    if !caller.csrf_ok(f.get("_csrf").map(String::as_str).unwrap_or("")) {
        return (axum::http::StatusCode::FORBIDDEN, "anti-forgery token mismatch").into_response();
    }
    let schema = match o.catalog.procedure(&code).await {
        Ok(pv) => pv.eform.unwrap_or(Value::Null),
        Err(e) => return web::page::error_page(shell, e),
    };
    let form = catalog::eform::form_data(&schema, |k| f.get(k).cloned());
    let contact = |k: &str| f.get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let applicant = crate::model::Applicant {
        kind: String::new(),
        name: String::new(),
        citizen_id: None,
        tax_code: None,
        email: contact("email"),
        phone: contact("phone"),
        address: None,
        commune_code: None,
    };
    let input = SubmitInput {
        procedure_code: code.clone(),
        agency_code: contact("agency_code"),
        channel: crate::model::Channel::Online,
        applicant: Some(applicant),
        proxy: None,
        form: Value::Object(form),
    };
    // Three steps on one address: the form is checked and shown for review; "edit" goes back to
    // the form with what was typed; "submit" files the dossier.
    match f.get("step").map(String::as_str) {
        Some("edit") => return submit_view(&o, shell, &caller, &code, f, vec![]).await,
        Some("submit") => {}
        _ => {
            let errors: Vec<(String, String)> = catalog::eform::validate_data(&schema, &input.form)
                .into_iter()
                .map(|e| (format!("form.{}", e.field).replace("form./", "form."), e.message))
                .collect();
            if !errors.is_empty() {
                return submit_view(&o, shell, &caller, &code, f, errors).await;
            }
            return review_view(&o, shell, &caller, &code, &schema, f).await;
        }
    }
    match o.submit(&p, &input).await {
        Ok(d) => Redirect::to(&format!("/dossiers/{}?ok={}", d.id, enc("Đã nộp hồ sơ. Hãy tải lên các giấy tờ."))).into_response(),
        Err(kernel::Error::Invalid(list)) => {
            submit_view(&o, shell, &caller, &code, f, list.into_iter().map(|e| (e.field, e.message)).collect()).await
        }
        Err(e) => web::page::error_page(shell, e),
    }
}

#[derive(Template)]
#[template(path = "counter.html")]
pub(super) struct CounterPage {
    shell: Shell,
    csrf: String,
    agencies: Vec<(String, String)>,
    agency: String,
    procedures: Vec<(String, String)>,
    procedure: String,
    fields: Vec<FieldSpec>,
    values: HashMap<String, String>,
    errors: Vec<(String, String)>,
}

impl CounterPage {
    fn value(&self, key: &str) -> String {
        self.values.get(key).cloned().unwrap_or_default()
    }

    fn error(&self, key: &str) -> String {
        let field = key.strip_prefix("f.").map(|k| format!("form.{k}")).unwrap_or_else(|| key.to_owned());
        self.errors.iter().filter(|e| e.0 == field || e.0 == key).map(|e| e.1.clone()).collect::<Vec<_>>().join("; ")
    }
}

#[derive(Deserialize, Default)]
pub(super) struct CounterQuery {
    agency: Option<String>,
    procedure: Option<String>,
    /// A personal identification number to look the applicant up by.
    find: Option<String>,
}

/// The counter: a reception officer receives a walk-in (or postal) dossier, which is accepted
/// at once, and prints the receipt.
pub(super) async fn counter_view(
    o: &Onestop,
    shell: Shell,
    caller: &Caller,
    p: &Principal,
    q: CounterQuery,
    values: HashMap<String, String>,
    errors: Vec<(String, String)>,
) -> Response {
    let title = shell.t("Tiếp nhận hồ sơ tại quầy", "Counter reception").to_owned();
    let shell = shell.titled(title, "dossiers");
    let run = async {
        let scope = p.agencies_with(Permission::DossierReceive);
        let agencies: Vec<(String, String)> = o
            .catalog
            .all_agencies()
            .await?
            .into_iter()
            .filter(|a| scope.as_ref().is_none_or(|s| s.contains(&a.id)))
            .map(|a| (a.code.to_string(), a.name.clone()))
            .collect();
        let agency =
            q.agency.filter(|a| agencies.iter().any(|x| &x.0 == a)).or_else(|| agencies.first().map(|a| a.0.clone())).unwrap_or_default();
        let mut procedures = Vec::new();
        if !agency.is_empty() {
            let f = catalog::store::procedures::ProcedureFilter { agency: Some(agency.clone()), ..Default::default() };
            procedures = o
                .catalog
                .search_procedures(&f, 0, 500)
                .await?
                .0
                .into_iter()
                .map(|x| (x.code.clone(), format!("{} — {}", x.code, x.name)))
                .collect();
        }
        let procedure = q.procedure.filter(|c| procedures.iter().any(|x| &x.0 == c)).unwrap_or_default();
        let fields =
            if procedure.is_empty() { vec![] } else { o.catalog.procedure(&procedure).await?.eform.as_ref().map(spec).unwrap_or_default() };
        let failed = !errors.is_empty();
        let mut r = render(&CounterPage {
            shell: shell.clone(),
            csrf: caller.csrf.clone().unwrap_or_default(),
            agencies,
            agency,
            procedures,
            procedure,
            fields,
            values,
            errors,
        });
        if failed {
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        }
        Ok::<_, kernel::Error>(r)
    };
    run.await.unwrap_or_else(|e| web::page::error_page(shell, e))
}

pub(super) async fn counter_page(
    State(o): State<Onestop>,
    shell: Shell,
    caller: Caller,
    web::Query(q): web::Query<CounterQuery>,
) -> Response {
    let Some(p) = caller.principal.clone() else { return sign_in("/counter") };
    let mut values = HashMap::new();
    let mut errors = vec![];
    if let Some(cid) = q.find.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        match o.find_applicant(&p, cid).await {
            Ok(Some(a)) => {
                for (k, v) in [
                    ("a.name", Some(a.name)),
                    ("a.citizen_id", a.citizen_id),
                    ("a.email", a.email),
                    ("a.phone", a.phone),
                    ("a.address", a.address),
                ] {
                    if let Some(v) = v {
                        values.insert(k.to_owned(), v);
                    }
                }
                values.insert("found".into(), "1".into());
            }
            Ok(None) => {
                values.insert("a.citizen_id".into(), cid.to_owned());
                values.insert("found".into(), "0".into());
            }
            Err(kernel::Error::Invalid(list)) => errors.extend(list.into_iter().map(|e| ("find".to_owned(), e.message))),
            Err(e) => return web::page::error_page(shell, e),
        }
    }
    counter_view(&o, shell, &caller, &p, q, values, errors).await
}

pub(super) async fn counter_post(
    State(o): State<Onestop>,
    shell: Shell,
    caller: Caller,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let Some(p) = caller.principal.clone() else { return sign_in("/counter") };
    if !caller.csrf_ok(f.get("_csrf").map(String::as_str).unwrap_or("")) {
        return (axum::http::StatusCode::FORBIDDEN, "anti-forgery token mismatch").into_response();
    }
    let get = |k: &str| f.get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let code = get("procedure").unwrap_or_default();
    let schema = match o.catalog.procedure(&code).await {
        Ok(pv) => pv.eform.unwrap_or(Value::Null),
        Err(e) => return web::page::error_page(shell, e),
    };
    let form = catalog::eform::form_data(&schema, get);
    let applicant = crate::model::Applicant {
        kind: "citizen".into(),
        name: get("a.name").unwrap_or_default(),
        citizen_id: get("a.citizen_id"),
        tax_code: None,
        email: get("a.email"),
        phone: get("a.phone"),
        address: get("a.address"),
        commune_code: None,
    };
    let channel = if get("channel").as_deref() == Some("post") { crate::model::Channel::Post } else { crate::model::Channel::InPerson };
    let input = SubmitInput {
        procedure_code: code.clone(),
        agency_code: get("agency"),
        channel,
        applicant: Some(applicant),
        proxy: None,
        form: Value::Object(form),
    };
    let accepted = async {
        let d = o.submit(&p, &input).await?;
        o.accept(&p, &d.id, &Versioned { version: d.version }).await
    };
    match accepted.await {
        Ok(d) => {
            Redirect::to(&format!("/dossiers/{}?ok={}", d.id, enc("Đã tiếp nhận. In giấy tiếp nhận và hẹn trả kết quả cho người nộp.")))
                .into_response()
        }
        Err(kernel::Error::Invalid(list)) => {
            let q = CounterQuery { agency: get("agency"), procedure: Some(code), find: None };
            counter_view(&o, shell, &caller, &p, q, f, list.into_iter().map(|e| (e.field, e.message)).collect()).await
        }
        Err(e) => web::page::error_page(shell, e),
    }
}
