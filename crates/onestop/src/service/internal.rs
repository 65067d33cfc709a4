//! Internal processes (quy trình nội bộ) on the same engine: an agency's own work that follows
//! steps, roles and deadlines without an applicant — an outgoing document, an award proposal,
//! an asset purchase. A case has a subject, data, a number `NB-<agency>-YYMMDD-XXXX`, tasks in
//! the same inboxes, the same history and control sheet; it never reaches the national portal
//! nor the one-stop statistics.

use kernel::authz::{Permission, Principal, PrincipalKind, Role};
use kernel::db::q;
use kernel::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::Onestop;
use crate::model::process::{DAY_MINUTES, ProcessDefinition, Step, StepAgency, StepDuration, StepKind, Transition};
use crate::model::{Applicant, Dossier, Status, deadline};
use crate::store;

/// An internal process offered to agencies.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InternalProcess {
    pub key: String,
    pub name: String,
    /// Time allowed, in working days.
    pub days: f64,
    /// What a case of it records in its `data`, beside the subject. Keys not named here are
    /// kept as they come.
    pub fields: Vec<CaseField>,
    pub definition: ProcessDefinition,
}

/// One item of a case's data.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseField {
    pub key: String,
    pub label: String,
    pub kind: CaseFieldKind,
    pub required: bool,
}

/// How a case field is written in `data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseFieldKind {
    /// A line of text (at most 500 characters).
    Text,
    /// Longer text (at most 5,000 characters).
    Textarea,
    /// An array of strings (one per line on the page), at most 100.
    List,
    /// A whole number greater than 0.
    Number,
    /// A date, `YYYY-MM-DD`.
    Date,
}

fn field(key: &str, label: &str, kind: CaseFieldKind, required: bool) -> CaseField {
    CaseField { key: key.into(), label: label.into(), kind, required }
}

/// `data` checked against the process's fields: an object, each named field of its kind,
/// the required ones present; text trimmed and empty items dropped. Errors name `data.<key>`.
pub fn check_data(fields: &[CaseField], data: &Value) -> Result<Value> {
    let mut out = match data {
        Value::Null => serde_json::Map::new(),
        Value::Object(m) => m.clone(),
        _ => return Err(Error::invalid("data", "một đối tượng JSON (a JSON object)")),
    };
    let mut errors = Vec::new();
    for f in fields {
        let bad = |m: &str| kernel::FieldError::new(format!("data.{}", f.key), m);
        let value = match (f.kind, out.remove(&f.key)) {
            (_, None | Some(Value::Null)) => None,
            (CaseFieldKind::Text | CaseFieldKind::Textarea, Some(Value::String(s))) => {
                let s = s.trim().to_owned();
                let max = if f.kind == CaseFieldKind::Text { 500 } else { 5000 };
                if s.chars().count() > max {
                    errors.push(bad(&format!("tối đa {max} ký tự (at most {max} characters)")));
                    continue;
                }
                Some(s).filter(|s| !s.is_empty()).map(Value::String)
            }
            (CaseFieldKind::List, Some(Value::Array(items))) => {
                let list: Option<Vec<Value>> = items
                    .iter()
                    .map(|i| i.as_str().map(str::trim))
                    .filter(|x| *x != Some(""))
                    .map(|x| x.filter(|x| x.chars().count() <= 500).map(|x| Value::String(x.to_owned())))
                    .collect();
                let Some(list) = list else {
                    errors.push(bad("mỗi mục là một dòng chữ, tối đa 500 ký tự (each item a line of text)"));
                    continue;
                };
                if list.len() > 100 {
                    errors.push(bad("tối đa 100 mục (at most 100 items)"));
                    continue;
                }
                Some(list).filter(|l| !l.is_empty()).map(Value::Array)
            }
            (CaseFieldKind::Number, Some(Value::Number(n))) if n.as_u64().is_some_and(|n| n > 0) => Some(Value::Number(n)),
            (CaseFieldKind::Date, Some(Value::String(s))) if kernel::time::parse_date(s.trim()).is_some() => {
                Some(Value::String(s.trim().to_owned()))
            }
            (kind, Some(_)) => {
                errors.push(bad(match kind {
                    CaseFieldKind::Text | CaseFieldKind::Textarea => "một chuỗi ký tự (a string)",
                    CaseFieldKind::List => "một danh sách chuỗi ký tự (an array of strings)",
                    CaseFieldKind::Number => "một số nguyên lớn hơn 0 (a whole number greater than 0)",
                    CaseFieldKind::Date => "một ngày dạng YYYY-MM-DD (a date)",
                }));
                continue;
            }
        };
        match value {
            Some(v) => {
                out.insert(f.key.clone(), v);
            }
            None if f.required => errors.push(bad("bắt buộc (required)")),
            None => {}
        }
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    Ok(Value::Object(out))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CaseInput {
    /// What the case is about (trích yếu), e.g. the subject of the outgoing document.
    pub subject: String,
    /// The agency whose process it is; by default the official's own.
    pub agency_code: Option<String>,
    /// Free data of the case (draft number, amounts, the people proposed...).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub data: Value,
}

fn step(id: &str, name: &str, kind: StepKind, role: Role, days: f64) -> Step {
    Step {
        id: id.into(),
        name: name.into(),
        kind,
        role,
        agency: StepAgency::Receiving,
        agencies: vec![],
        duration: StepDuration::days(days),
    }
}

fn t(from: &str, outcome: &str, to: &str) -> Transition {
    Transition { from: from.into(), outcome: outcome.into(), to: to.into() }
}

/// The internal process `key`.
pub fn template(key: &str) -> Option<InternalProcess> {
    templates().into_iter().find(|x| x.key == key)
}

/// The internal processes every agency gets.
pub fn templates() -> Vec<InternalProcess> {
    use CaseFieldKind as F;
    use Role::*;
    use StepKind::*;
    vec![
        InternalProcess {
            key: "outgoing_document".into(),
            name: "Soạn thảo, ký ban hành văn bản đi".into(),
            days: 5.0,
            fields: vec![
                field("doc_type", "Loại văn bản (công văn, quyết định, tờ trình...)", F::Text, true),
                field("recipients", "Nơi nhận", F::List, true),
                field("summary", "Nội dung chính", F::Textarea, false),
            ],
            definition: ProcessDefinition {
                start: "draft".into(),
                steps: vec![
                    step("draft", "Chuyên viên soạn thảo", Task, Specialist, 2.0),
                    step("review", "Lãnh đạo phòng kiểm tra", Task, DepartmentHead, 1.0),
                    step("sign", "Lãnh đạo cơ quan ký", Approval, AgencyLeader, 1.0),
                    step("number", "Văn thư cấp số, đóng dấu", Task, Clerk, 0.5),
                    step("issue", "Phát hành văn bản", Return, Clerk, 0.5),
                ],
                transitions: vec![
                    t("draft", "done", "review"),
                    t("review", "done", "sign"),
                    t("review", "returned", "draft"),
                    t("sign", "approved", "number"),
                    t("sign", "rejected", "review"),
                    t("number", "done", "issue"),
                ],
            },
        },
        InternalProcess {
            key: "award_proposal".into(),
            name: "Đề nghị khen thưởng".into(),
            days: 15.0,
            fields: vec![
                field("nominees", "Cá nhân, tập thể được đề nghị", F::List, true),
                field("award", "Hình thức khen thưởng", F::Text, true),
                field("achievements", "Thành tích", F::Textarea, false),
            ],
            definition: ProcessDefinition {
                start: "prepare".into(),
                steps: vec![
                    step("prepare", "Lập hồ sơ đề nghị khen thưởng", Task, Specialist, 4.0),
                    step("appraise", "Thẩm định, trình hội đồng", Task, DepartmentHead, 5.0),
                    step("decide", "Lãnh đạo quyết định khen thưởng", Approval, AgencyLeader, 3.0),
                    step("number", "Văn thư vào số quyết định", Task, Clerk, 2.0),
                    step("announce", "Công bố, trao khen thưởng", Return, Clerk, 1.0),
                ],
                transitions: vec![
                    t("prepare", "done", "appraise"),
                    t("appraise", "done", "decide"),
                    t("appraise", "returned", "prepare"),
                    t("decide", "approved", "number"),
                    t("decide", "rejected", "appraise"),
                    t("number", "done", "announce"),
                ],
            },
        },
        InternalProcess {
            key: "asset_procurement".into(),
            name: "Mua sắm tài sản".into(),
            days: 20.0,
            fields: vec![
                field("asset", "Tài sản cần mua", F::Text, true),
                field("quantity", "Số lượng", F::Number, true),
                field("estimate_vnd", "Dự toán (đồng)", F::Number, true),
                field("needed_by", "Cần có trước ngày", F::Date, false),
                field("reason", "Lý do", F::Textarea, false),
            ],
            definition: ProcessDefinition {
                start: "request".into(),
                steps: vec![
                    step("request", "Đề nghị mua sắm, dự toán", Task, Specialist, 3.0),
                    step("appraise", "Thẩm định nhu cầu, dự toán", Task, DepartmentHead, 5.0),
                    step("approve", "Lãnh đạo phê duyệt", Approval, AgencyLeader, 4.0),
                    step("purchase", "Kế toán thực hiện mua sắm, thanh toán", Task, Cashier, 6.0),
                    step("handover", "Nghiệm thu, bàn giao, ghi sổ tài sản", Return, Specialist, 2.0),
                ],
                transitions: vec![
                    t("request", "done", "appraise"),
                    t("appraise", "done", "approve"),
                    t("appraise", "returned", "request"),
                    t("approve", "approved", "purchase"),
                    t("approve", "rejected", "appraise"),
                    t("purchase", "done", "handover"),
                ],
            },
        },
    ]
}

impl Onestop {
    /// The internal process `key`, registered (with its definition as version 1) on first use.
    async fn internal_process(&self, key: &str) -> Result<(String, InternalProcess)> {
        let tpl = template(key).ok_or_else(|| Error::not_found(format!("quy trình nội bộ {key}")))?;
        let legal = (tpl.days * DAY_MINUTES as f64).round() as i64;
        q("INSERT INTO internal_processes (id, key, name, legal_minutes, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING")
            .bind(kernel::id::new_id())
            .bind(key)
            .bind(tpl.name.as_str())
            .bind(legal)
            .bind(kernel::time::now_ms())
            .execute(&self.db)
            .await?;
        let id = q("SELECT id FROM internal_processes WHERE key = $1").bind(key).fetch_one(&self.db).await?.text("id")?;
        tpl.definition.validate(legal as u32).map_err(|v| Error::internal(format!("internal process {key} is invalid: {:?}", v.0)))?;
        q("INSERT INTO process_definitions (id, procedure_id, version, definition, legal_minutes, created_by, created_at)
           VALUES ($1, $2, 1, $3, $4, 'built-in', $5) ON CONFLICT (procedure_id, version) DO NOTHING")
        .bind(kernel::id::new_id())
        .bind(id.as_str())
        .bind(serde_json::to_string(&tpl.definition).map_err(Error::internal)?)
        .bind(legal)
        .bind(kernel::time::now_ms())
        .execute(&self.db)
        .await?;
        Ok((id, tpl))
    }

    /// Opens a case of an internal process at the official's agency; its first step's tasks
    /// open at once.
    pub async fn start_case(&self, p: &Principal, key: &str, input: &CaseInput) -> Result<Dossier> {
        if p.kind != PrincipalKind::Official {
            return Err(Error::Forbidden("chỉ cán bộ mở quy trình nội bộ (only officials start internal processes)".into()));
        }
        let tpl = template(key).ok_or_else(|| Error::not_found(format!("quy trình nội bộ {key}")))?;
        // Every mistake at once: the subject's and the data's.
        let subject = input.subject.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut errors = Vec::new();
        if subject.chars().count() < 3 || subject.chars().count() > 500 {
            errors.push(kernel::FieldError::new("subject", "trích yếu 3–500 ký tự (a subject of 3 to 500 characters)"));
        }
        let data = match check_data(&tpl.fields, &input.data) {
            Ok(data) => data,
            Err(Error::Invalid(list)) => {
                errors.extend(list);
                Value::Null
            }
            Err(e) => return Err(e),
        };
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let (pid, tpl) = self.internal_process(key).await?;
        let agency_code = match &input.agency_code {
            Some(c) => c.clone(),
            None => {
                let own = p.agency_id.clone().ok_or_else(|| Error::invalid("agency_code", "chọn cơ quan (choose the agency)"))?;
                q("SELECT code FROM agencies WHERE id = $1").bind(own.as_str()).fetch_one(&self.db).await?.text("code")?
            }
        };
        let agency_id = catalog::store::agencies::find_id(&self.db, &agency_code)
            .await?
            .ok_or_else(|| Error::invalid("agency_code", format!("không có cơ quan {agency_code}")))?;
        if !p.allows(Permission::DossierView, Some(&agency_id)) {
            return Err(Error::Forbidden("không thuộc cơ quan này (not an official of this agency)".into()));
        }
        let process_id = q("SELECT id FROM process_definitions WHERE procedure_id = $1 ORDER BY version DESC LIMIT 1")
            .bind(pid.as_str())
            .fetch_one(&self.db)
            .await?
            .text("id")?;
        let def = self.process_by_id(&process_id).await?;
        let cal = self.calendar(&agency_code).await?;
        let now = self.now();
        let received = deadline::received_on(&cal, now);
        let due = deadline::due_on(&cal, received, now, tpl.days, "working_days");
        let applicant = Applicant {
            kind: "agency".into(),
            name: p.name.clone(),
            citizen_id: None,
            tax_code: None,
            email: None,
            phone: None,
            address: None,
            commune_code: None,
        };
        let id = kernel::id::new_id();
        let mut tx = self.db.begin().await?;
        let (today, _) = deadline::local(now);
        let day = kernel::time::date_text(today);
        let seq = kernel::db::next_counter(&mut tx, "case", &format!("{agency_code}-{day}")).await?;
        let code = format!("NB-{agency_code}-{:02}{:02}{:02}-{seq:04}", today.year().rem_euclid(100), today.month() as u8, today.day());
        q("INSERT INTO dossiers (id, kind, subject, code, procedure_id, procedure_version_id, procedure_code, procedure_version, procedure_name, field_code,
             process_id, agency_id, agency_code, applicant, channel, status, form, fee_total, legal_value, legal_unit, submitted_at, accepted_at,
             received_on, due_on, original_due_on, current_step, version, updated_at)
           VALUES ($1, 'internal', $2, $3, $4, $4, $5, 1, $6, 'NB', $7, $8, $9, $10, 1, 4, $11, 0, $12, 'working_days', $13, $13, $14, $15, $15, $16, 1, $13)")
        .bind(id.as_str())
        .bind(subject.as_str())
        .bind(code.as_str())
        .bind(pid.as_str())
        .bind(key)
        .bind(tpl.name.as_str())
        .bind(process_id.as_str())
        .bind(agency_id.as_str())
        .bind(agency_code.as_str())
        .bind(serde_json::to_string(&applicant).map_err(Error::internal)?)
        .bind(data.to_string())
        .bind(tpl.days)
        .bind(now)
        .bind(kernel::time::date_text(received))
        .bind(kernel::time::date_text(due))
        .bind(def.start.as_str())
        .execute(&mut tx)
        .await?;
        store::append(
            &mut tx,
            &id,
            now,
            (&p.id, &p.name),
            "case_started",
            None,
            Some(Status::Processing),
            Some(&def.start),
            Some(&subject),
            json!({"process": key}),
        )
        .await?;
        let row = store::load(&mut tx, &id, false).await?.ok_or_else(|| Error::internal("case vanished"))?;
        self.enter_step(&mut tx, &row, &def, &def.start, now).await?;
        self.status_event(&mut tx, &row.d, None).await?;
        tx.commit().await?;
        Ok(row.d)
    }

    /// Internal cases of the agencies whose dossiers the official sees, newest first.
    pub async fn internal_cases(&self, p: &Principal, offset: i64, limit: i64) -> Result<(Vec<Dossier>, i64)> {
        if p.kind != PrincipalKind::Official {
            return Err(Error::Forbidden("chỉ cán bộ xem quy trình nội bộ (only officials see internal processes)".into()));
        }
        self.dossiers_page(p, true, None, offset, limit, true).await
    }
}
