//! Administrative procedures (thủ tục hành chính, TTHC) and their versions.
//!
//! A procedure is identified by its national code; what it requires changes by decision
//! (quyết định công bố), and each decision makes a new immutable version. Dossiers record the
//! version they were submitted under, so a later decision never changes a running dossier.

use kernel::Violations;
use kernel::codes::{AgencyCode, FieldCode, ProcedureCode};
use kernel::money::Vnd;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

/// The tier of government that carries the procedure out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProcLevel {
    Central,
    Province,
    District,
    Commune,
}

impl ProcLevel {
    pub const ALL: [ProcLevel; 4] = [ProcLevel::Central, ProcLevel::Province, ProcLevel::District, ProcLevel::Commune];

    pub fn as_str(self) -> &'static str {
        match self {
            ProcLevel::Central => "central",
            ProcLevel::Province => "province",
            ProcLevel::District => "district",
            ProcLevel::Commune => "commune",
        }
    }

    pub fn parse(s: &str) -> Option<ProcLevel> {
        ProcLevel::ALL.into_iter().find(|l| l.as_str() == s.trim())
    }

    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (ProcLevel::Central, false) => "Cấp trung ương",
            (ProcLevel::Province, false) => "Cấp tỉnh",
            (ProcLevel::District, false) => "Cấp huyện",
            (ProcLevel::Commune, false) => "Cấp xã",
            (ProcLevel::Central, true) => "Central",
            (ProcLevel::Province, true) => "Province",
            (ProcLevel::District, true) => "District",
            (ProcLevel::Commune, true) => "Commune",
        }
    }
}

/// How far a procedure can be done online. Since NĐ 42/2022: fully online (toàn trình) or
/// partly online (một phần); `none` for counter-only procedures. Documents before 2022 speak of
/// levels 1–4, kept as `legacy_level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnlineLevel {
    Full,
    Partial,
    None,
}

impl OnlineLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            OnlineLevel::Full => "full",
            OnlineLevel::Partial => "partial",
            OnlineLevel::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<OnlineLevel> {
        [OnlineLevel::Full, OnlineLevel::Partial, OnlineLevel::None].into_iter().find(|l| l.as_str() == s.trim())
    }

    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (OnlineLevel::Full, false) => "Trực tuyến toàn trình",
            (OnlineLevel::Partial, false) => "Trực tuyến một phần",
            (OnlineLevel::None, false) => "Nộp trực tiếp",
            (OnlineLevel::Full, true) => "Fully online",
            (OnlineLevel::Partial, true) => "Partly online",
            (OnlineLevel::None, true) => "At the counter only",
        }
    }
}

/// Unit of the legal processing time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    WorkingDays,
    WorkingHours,
    /// Calendar days, for the few procedures whose law counts them so.
    Days,
}

impl TimeUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::WorkingDays => "working_days",
            TimeUnit::WorkingHours => "working_hours",
            TimeUnit::Days => "days",
        }
    }

    pub fn parse(s: &str) -> Option<TimeUnit> {
        [TimeUnit::WorkingDays, TimeUnit::WorkingHours, TimeUnit::Days].into_iter().find(|u| u.as_str() == s.trim())
    }
}

/// The legal processing time (thời hạn giải quyết).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProcessingTime {
    pub value: f64,
    pub unit: TimeUnit,
}

impl ProcessingTime {
    pub fn display(&self, en: bool) -> String {
        let n = if self.value.fract() == 0.0 {
            format!("{}", self.value as i64)
        } else {
            format!("{}", self.value).replace('.', if en { "." } else { "," })
        };
        match (self.unit, en) {
            (TimeUnit::WorkingDays, false) => format!("{n} ngày làm việc"),
            (TimeUnit::WorkingHours, false) => format!("{n} giờ làm việc"),
            (TimeUnit::Days, false) => format!("{n} ngày"),
            (TimeUnit::WorkingDays, true) => format!("{n} working days"),
            (TimeUnit::WorkingHours, true) => format!("{n} working hours"),
            (TimeUnit::Days, true) => format!("{n} days"),
        }
    }
}

/// A document the applicant must provide (thành phần hồ sơ).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RequiredDocument {
    /// Short id within the procedure, e.g. `TP1`, used to map uploaded files.
    pub code: String,
    pub name: String,
    /// Originals required (bản chính).
    #[serde(default)]
    pub originals: u32,
    /// Copies required (bản sao).
    #[serde(default)]
    pub copies: u32,
    /// False for documents needed only in some cases.
    #[serde(default = "yes")]
    pub mandatory: bool,
    /// Name of the official form template, e.g. `Tờ khai đăng ký khai sinh (mẫu TT 04/2020)`.
    pub template: Option<String>,
    pub note: Option<String>,
}

fn yes() -> bool {
    true
}

/// A fee or charge (phí, lệ phí).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Fee {
    pub name: String,
    #[schema(value_type = i64)]
    pub amount: Vnd,
    pub note: Option<String>,
}

/// A legal basis (căn cứ pháp lý).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LegalBasis {
    /// Number and symbol, e.g. `60/2014/QH13`.
    pub number: String,
    pub title: String,
    pub issued_by: Option<String>,
    pub issued_on: Option<String>,
}

/// Everything about a version that is shown but not searched or filtered on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Default)]
pub struct ProcedureBody {
    /// Steps (trình tự thực hiện).
    #[serde(default)]
    pub steps: Vec<String>,
    /// Who may apply: citizen, business, organisation.
    #[serde(default)]
    pub applicant_types: Vec<String>,
    pub conditions: Option<String>,
    /// Ways to submit: in_person, online, post.
    #[serde(default)]
    pub channels: Vec<String>,
    #[serde(default)]
    pub documents: Vec<RequiredDocument>,
    #[serde(default)]
    pub fees: Vec<Fee>,
    /// The result (kết quả), e.g. `Giấy khai sinh`.
    #[serde(default)]
    pub result: String,
    #[serde(default)]
    pub legal_bases: Vec<LegalBasis>,
    /// Codes of the agencies that receive and decide.
    #[serde(default)]
    pub agency_codes: Vec<String>,
    /// Level 1–4 in pre-2022 documents.
    pub legacy_level: Option<u8>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProcedureVersion {
    pub id: String,
    pub procedure_id: String,
    #[schema(value_type = String, example = "1.012790")]
    pub code: ProcedureCode,
    pub version: i64,
    /// The decision that published this version, e.g. `1234/QĐ-UBND`.
    pub decision_number: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub decision_date: Option<Date>,
    #[schema(value_type = String, format = Date)]
    pub effective_from: Date,
    pub name: String,
    pub field_code: String,
    pub level: ProcLevel,
    pub online_level: OnlineLevel,
    pub processing: ProcessingTime,
    #[serde(flatten)]
    pub body: ProcedureBody,
    /// The e-form as JSON Schema (draft 2020-12 subset), if the procedure has one.
    #[schema(value_type = Option<Object>)]
    pub eform: Option<serde_json::Value>,
    /// True for the version in force.
    pub current: bool,
}

impl ProcedureVersion {
    pub fn fee_total(&self) -> Vnd {
        Vnd(self.body.fees.iter().map(|f| f.amount.0).sum())
    }
}

/// A row of the procedure list and search results.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProcedureSummary {
    pub id: String,
    pub code: String,
    pub name: String,
    pub field_code: String,
    pub level: ProcLevel,
    pub online_level: OnlineLevel,
    pub processing: ProcessingTime,
    #[schema(value_type = i64)]
    pub fee_total: Vnd,
    pub version: i64,
}

/// A procedure version as clients send it: creating a procedure sends its first version; a new
/// decision sends the next one.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema, Default)]
pub struct ProcedureInput {
    pub code: String,
    pub name: String,
    pub field_code: String,
    /// central, province, district or commune.
    pub level: String,
    /// full, partial or none.
    pub online_level: String,
    pub processing_value: f64,
    /// working_days (default), working_hours or days.
    pub processing_unit: Option<String>,
    pub decision_number: String,
    pub decision_date: Option<String>,
    /// Defaults to today.
    pub effective_from: Option<String>,
    #[serde(flatten)]
    pub body: ProcedureBody,
    #[schema(value_type = Option<Object>)]
    pub eform: Option<serde_json::Value>,
}

#[derive(Debug, Clone)]
pub struct ValidProcedure {
    pub code: ProcedureCode,
    pub name: String,
    pub field_code: FieldCode,
    pub level: ProcLevel,
    pub online_level: OnlineLevel,
    pub processing: ProcessingTime,
    pub decision_number: String,
    pub decision_date: Option<Date>,
    pub effective_from: Date,
    pub body: ProcedureBody,
    pub agency_codes: Vec<AgencyCode>,
    pub eform: Option<serde_json::Value>,
}

const CHANNELS: [&str; 3] = ["in_person", "online", "post"];
const APPLICANTS: [&str; 3] = ["citizen", "business", "organisation"];

impl ProcedureInput {
    /// Checks every field; references (field code, agencies) are checked by the service.
    pub fn validate(&self, today: Date) -> Result<ValidProcedure, Violations> {
        let mut v = Violations::new();
        let code = v.check("code", ProcedureCode::parse(&self.code));
        let name = super::text(&mut v, "name", &self.name, true, 500);
        let field_code = v.check("field_code", FieldCode::parse(&self.field_code));
        let level = ProcLevel::parse(&self.level);
        if level.is_none() {
            v.add("level", format!("cấp «{}» không hợp lệ (use central, province, district or commune)", self.level));
        }
        let online_level = OnlineLevel::parse(&self.online_level);
        if online_level.is_none() {
            v.add("online_level", format!("mức «{}» không hợp lệ (use full, partial or none)", self.online_level));
        }
        let unit = TimeUnit::parse(self.processing_unit.as_deref().unwrap_or("working_days"));
        if unit.is_none() {
            v.add("processing_unit", "dùng working_days, working_hours hoặc days (use working_days, working_hours or days)");
        }
        if !(self.processing_value.is_finite() && self.processing_value > 0.0 && self.processing_value <= 3650.0) {
            v.add("processing_value", "thời hạn phải lớn hơn 0 (must be a positive number of days or hours)");
        }
        let decision_number = super::text(&mut v, "decision_number", &self.decision_number, true, 100);
        let decision_date = super::opt_date(&mut v, "decision_date", &self.decision_date);
        let effective_from = super::opt_date(&mut v, "effective_from", &self.effective_from).unwrap_or(today);
        if let Some(d) = decision_date
            && d > effective_from
        {
            v.add("effective_from", "hiệu lực trước ngày ban hành quyết định (takes effect before the decision was made)");
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, d) in self.body.documents.iter().enumerate() {
            if d.code.trim().is_empty() || d.code.len() > 40 {
                v.add(format!("documents[{i}].code"), "bắt buộc, tối đa 40 ký tự (required, at most 40 characters)");
            } else if !seen.insert(d.code.trim().to_owned()) {
                v.add(format!("documents[{i}].code"), format!("mã «{}» bị trùng (duplicate document code)", d.code));
            }
            if d.name.trim().is_empty() {
                v.add(format!("documents[{i}].name"), "bắt buộc (required)");
            }
            if d.originals + d.copies == 0 {
                v.add(format!("documents[{i}]"), "cần ít nhất một bản chính hoặc bản sao (needs at least one original or copy)");
            }
        }
        for (i, f) in self.body.fees.iter().enumerate() {
            if f.name.trim().is_empty() {
                v.add(format!("fees[{i}].name"), "bắt buộc (required)");
            }
            if f.amount.0 < 0 {
                v.add(format!("fees[{i}].amount"), "không được âm (must not be negative)");
            }
        }
        for (i, l) in self.body.legal_bases.iter().enumerate() {
            if l.number.trim().is_empty() || l.title.trim().is_empty() {
                v.add(format!("legal_bases[{i}]"), "cần số hiệu và trích yếu (number and title are required)");
            }
        }
        for (i, c) in self.body.channels.iter().enumerate() {
            if !CHANNELS.contains(&c.as_str()) {
                v.add(format!("channels[{i}]"), "dùng in_person, online hoặc post (use in_person, online or post)");
            }
        }
        for (i, a) in self.body.applicant_types.iter().enumerate() {
            if !APPLICANTS.contains(&a.as_str()) {
                v.add(format!("applicant_types[{i}]"), "dùng citizen, business hoặc organisation (use citizen, business or organisation)");
            }
        }
        if online_level != Some(OnlineLevel::None) && !self.body.channels.is_empty() && !self.body.channels.iter().any(|c| c == "online") {
            v.add("channels", "thủ tục trực tuyến phải có kênh online (an online procedure must list the online channel)");
        }
        if let Some(l) = self.body.legacy_level
            && !(1..=4).contains(&l)
        {
            v.add("legacy_level", "mức độ cũ từ 1 đến 4 (legacy levels are 1 to 4)");
        }
        let mut agency_codes = Vec::new();
        for (i, a) in self.body.agency_codes.iter().enumerate() {
            if let Some(c) = v.check(&format!("agency_codes[{i}]"), AgencyCode::parse(a)) {
                agency_codes.push(c);
            }
        }
        if let Some(schema) = &self.eform {
            for e in super::super::eform::check_schema(schema) {
                v.add(format!("eform{}", e.0), e.1);
            }
        }
        match (v.is_empty(), code, field_code, level, online_level, unit) {
            (true, Some(code), Some(field_code), Some(level), Some(online_level), Some(unit)) => {
                let mut body = self.body.clone();
                body.agency_codes = agency_codes.iter().map(|c| c.to_string()).collect();
                Ok(ValidProcedure {
                    code,
                    name,
                    field_code,
                    level,
                    online_level,
                    processing: ProcessingTime { value: self.processing_value, unit },
                    decision_number,
                    decision_date,
                    effective_from,
                    body,
                    agency_codes,
                    eform: self.eform.clone(),
                })
            }
            _ => Err(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> ProcedureInput {
        ProcedureInput {
            code: "1.001193".into(),
            name: "Đăng ký khai sinh".into(),
            field_code: "HT".into(),
            level: "commune".into(),
            online_level: "full".into(),
            processing_value: 1.0,
            processing_unit: None,
            decision_number: "100/QĐ-UBND".into(),
            decision_date: Some("2025-07-01".into()),
            effective_from: Some("2025-07-01".into()),
            body: ProcedureBody {
                channels: vec!["in_person".into(), "online".into()],
                documents: vec![RequiredDocument {
                    code: "TP1".into(),
                    name: "Tờ khai đăng ký khai sinh".into(),
                    originals: 1,
                    copies: 0,
                    mandatory: true,
                    template: None,
                    note: None,
                }],
                fees: vec![Fee { name: "Lệ phí".into(), amount: Vnd(0), note: None }],
                result: "Giấy khai sinh".into(),
                ..Default::default()
            },
            eform: None,
        }
    }

    #[test]
    fn a_complete_procedure_is_valid() {
        let p = sample().validate(time::macros::date!(2026 - 01 - 01)).unwrap();
        assert_eq!(p.processing.unit, TimeUnit::WorkingDays);
        assert_eq!(p.processing.display(false), "1 ngày làm việc");
    }

    #[test]
    fn bad_codes_and_documents_are_named() {
        let mut i = sample();
        i.code = "1001193".into();
        i.level = "national".into();
        i.processing_value = 0.0;
        i.body.documents.push(i.body.documents[0].clone());
        i.body.documents[1].originals = 0;
        i.body.fees[0].amount = Vnd(-5);
        i.body.agency_codes = vec!["xyz".into()];
        let fields: Vec<String> = i.validate(time::macros::date!(2026 - 01 - 01)).unwrap_err().0.into_iter().map(|f| f.field).collect();
        for f in ["code", "level", "processing_value", "documents[1].code", "documents[1]", "fees[0].amount", "agency_codes[0]"] {
            assert!(fields.contains(&f.to_string()), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn processing_time_reads_naturally() {
        let t = ProcessingTime { value: 0.5, unit: TimeUnit::WorkingDays };
        assert_eq!(t.display(false), "0,5 ngày làm việc");
        assert_eq!(t.display(true), "0.5 working days");
    }
}
