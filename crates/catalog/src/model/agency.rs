//! Agencies (cơ quan, đơn vị): a tree from the provincial People's Committee down to
//! departments, commune People's Committees and their units, each with its QĐ 20/2020 code and,
//! separately, its QCVN 102 code.

use kernel::Violations;
use kernel::calendar::WorkingWeek;
use kernel::codes::{AgencyCode, QcvnAgencyCode, UnitCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgencyLevel {
    /// Central bodies (bộ, ngành) that provinces exchange with.
    Central,
    /// Provincial People's Committee (UBND tỉnh) and provincial bodies.
    Province,
    /// Departments and boards (sở, ban, ngành).
    Department,
    /// District People's Committees (before 1 July 2025).
    District,
    /// Commune/ward People's Committees.
    Commune,
    /// A unit inside an agency (phòng, trung tâm, bộ phận một cửa).
    Unit,
}

impl AgencyLevel {
    pub const ALL: [AgencyLevel; 6] = [
        AgencyLevel::Central,
        AgencyLevel::Province,
        AgencyLevel::Department,
        AgencyLevel::District,
        AgencyLevel::Commune,
        AgencyLevel::Unit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AgencyLevel::Central => "central",
            AgencyLevel::Province => "province",
            AgencyLevel::Department => "department",
            AgencyLevel::District => "district",
            AgencyLevel::Commune => "commune",
            AgencyLevel::Unit => "unit",
        }
    }

    pub fn parse(s: &str) -> Option<AgencyLevel> {
        AgencyLevel::ALL.into_iter().find(|l| l.as_str() == s.trim())
    }

    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (AgencyLevel::Central, false) => "Trung ương",
            (AgencyLevel::Province, false) => "Cấp tỉnh",
            (AgencyLevel::Department, false) => "Sở, ban, ngành",
            (AgencyLevel::District, false) => "Cấp huyện",
            (AgencyLevel::Commune, false) => "Cấp xã",
            (AgencyLevel::Unit, false) => "Đơn vị trực thuộc",
            (AgencyLevel::Central, true) => "Central",
            (AgencyLevel::Province, true) => "Province",
            (AgencyLevel::Department, true) => "Department",
            (AgencyLevel::District, true) => "District",
            (AgencyLevel::Commune, true) => "Commune",
            (AgencyLevel::Unit, true) => "Unit",
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Agency {
    pub id: String,
    /// Identifier under QĐ 20/2020/QĐ-TTg.
    #[schema(value_type = String, example = "000.00.00.H41")]
    pub code: AgencyCode,
    /// Identifier under QCVN 102:2016 (edXML OrganId), when known.
    #[schema(value_type = Option<String>, example = "000.00.00.H41")]
    pub qcvn_code: Option<QcvnAgencyCode>,
    pub name: String,
    pub name_en: Option<String>,
    pub short_name: Option<String>,
    pub parent_code: Option<String>,
    pub level: AgencyLevel,
    /// The administrative unit the agency serves.
    pub unit_code: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    /// Office days and hours; absent means the province's default week.
    #[schema(value_type = Option<Object>)]
    pub working_week: Option<WorkingWeek>,
    pub active: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema, Default)]
pub struct AgencyInput {
    pub code: String,
    pub qcvn_code: Option<String>,
    pub name: String,
    pub name_en: Option<String>,
    pub short_name: Option<String>,
    pub parent_code: Option<String>,
    /// central, province, department, district, commune or unit.
    pub level: String,
    pub unit_code: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub working_week: Option<serde_json::Value>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct ValidAgency {
    pub code: AgencyCode,
    pub qcvn_code: Option<QcvnAgencyCode>,
    pub name: String,
    pub name_en: Option<String>,
    pub short_name: Option<String>,
    pub parent_code: Option<AgencyCode>,
    pub level: AgencyLevel,
    pub unit_code: Option<UnitCode>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub working_week: Option<WorkingWeek>,
    pub active: bool,
}

fn valid_phone(p: &str) -> bool {
    let digits = p.chars().filter(|c| c.is_ascii_digit()).count();
    (8..=15).contains(&digits) && p.chars().all(|c| c.is_ascii_digit() || " +().-".contains(c))
}

fn valid_email(e: &str) -> bool {
    match e.split_once('@') {
        Some((l, d)) => !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.') && !e.contains(char::is_whitespace),
        None => false,
    }
}

impl AgencyInput {
    pub fn validate(&self) -> Result<ValidAgency, Violations> {
        let mut v = Violations::new();
        let code = v.check("code", AgencyCode::parse(&self.code));
        let qcvn_code =
            self.qcvn_code.as_deref().map(str::trim).filter(|s| !s.is_empty()).and_then(|c| v.check("qcvn_code", QcvnAgencyCode::parse(c)));
        let name = super::text(&mut v, "name", &self.name, true, 300);
        let name_en = super::opt_text(&mut v, "name_en", &self.name_en, 300);
        let short_name = super::opt_text(&mut v, "short_name", &self.short_name, 60);
        let parent_code =
            self.parent_code.as_deref().map(str::trim).filter(|s| !s.is_empty()).and_then(|c| v.check("parent_code", AgencyCode::parse(c)));
        let level = AgencyLevel::parse(&self.level);
        if level.is_none() {
            v.add(
                "level",
                format!("cấp «{}» không hợp lệ (unknown level; use central, province, department, district, commune or unit)", self.level),
            );
        }
        let unit_code =
            self.unit_code.as_deref().map(str::trim).filter(|s| !s.is_empty()).and_then(|c| v.check("unit_code", UnitCode::parse(c)));
        let address = super::opt_text(&mut v, "address", &self.address, 300);
        let phone = super::opt_text(&mut v, "phone", &self.phone, 40);
        if phone.as_deref().is_some_and(|p| !valid_phone(p)) {
            v.add("phone", "số điện thoại không hợp lệ (invalid phone number)");
        }
        let email = super::opt_text(&mut v, "email", &self.email, 200);
        if email.as_deref().is_some_and(|e| !valid_email(e)) {
            v.add("email", "địa chỉ thư điện tử không hợp lệ (invalid e-mail address)");
        }
        let website = super::opt_text(&mut v, "website", &self.website, 300);
        if website.as_deref().is_some_and(|w| !(w.starts_with("https://") || w.starts_with("http://"))) {
            v.add("website", "cần bắt đầu bằng http:// hoặc https:// (must start with http:// or https://)");
        }
        let working_week = match &self.working_week {
            None | Some(serde_json::Value::Null) => None,
            Some(w) => v.check("working_week", serde_json::from_value::<WorkingWeek>(w.clone())),
        };
        if let (Some(c), Some(p)) = (&code, &parent_code)
            && c == p
        {
            v.add("parent_code", "cơ quan không thể là cấp trên của chính nó (an agency cannot be its own parent)");
        }
        match (v.is_empty(), code, level) {
            (true, Some(code), Some(level)) => Ok(ValidAgency {
                code,
                qcvn_code,
                name,
                name_en,
                short_name,
                parent_code,
                level,
                unit_code,
                address,
                phone,
                email,
                website,
                working_week,
                active: self.active.unwrap_or(true),
            }),
            _ => Err(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> AgencyInput {
        AgencyInput { code: "000.00.00.H99".into(), name: "UBND tỉnh".into(), level: "province".into(), ..Default::default() }
    }

    #[test]
    fn a_minimal_agency_is_valid() {
        let a = input().validate().unwrap();
        assert!(a.active);
        assert_eq!(a.level, AgencyLevel::Province);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let mut i = input();
        i.code = "H99".into();
        i.qcvn_code = Some("abc".into());
        i.level = "ministry".into();
        i.email = Some("nobody".into());
        i.phone = Some("12ab".into());
        i.working_week = Some(serde_json::json!({"mon": ["9-5"]}));
        let fields: Vec<String> = i.validate().unwrap_err().0.into_iter().map(|f| f.field).collect();
        for f in ["code", "qcvn_code", "level", "email", "phone", "working_week"] {
            assert!(fields.contains(&f.to_string()), "{f} missing in {fields:?}");
        }
    }

    #[test]
    fn working_week_is_parsed() {
        let mut i = input();
        i.working_week = Some(serde_json::json!({"mon": ["07:30-11:30"], "sat": ["07:30-11:30"]}));
        let a = i.validate().unwrap();
        assert!(a.working_week.unwrap().works_on(time::Weekday::Saturday));
    }
}
