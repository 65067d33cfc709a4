//! Dated exceptions to the working week, as administrators see and edit them.

use kernel::Violations;
use kernel::calendar::DayKind;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HolidayEntry {
    pub id: String,
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    /// Agency code when the day applies to one agency only; absent for the whole province.
    pub agency_code: Option<String>,
    /// `off` (holiday, day off) or `working` (a make-up working day).
    #[schema(value_type = String)]
    pub kind: DayKind,
    pub name: String,
    pub name_en: Option<String>,
    /// fixed, lunar, compensatory (seeded from the Labour Code) or admin.
    pub source: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct HolidayInput {
    /// YYYY-MM-DD.
    pub date: String,
    pub agency_code: Option<String>,
    /// off (default) or working.
    pub kind: Option<String>,
    pub name: String,
    pub name_en: Option<String>,
}

impl HolidayInput {
    pub fn validate(&self) -> Result<(Date, DayKind, String), Violations> {
        let mut v = Violations::new();
        let date = super::opt_date(&mut v, "date", &Some(self.date.clone()));
        let kind = match self.kind.as_deref().unwrap_or("off") {
            "off" => Some(DayKind::Off),
            "working" => Some(DayKind::Working),
            other => {
                v.add("kind", format!("«{other}» không hợp lệ, dùng off hoặc working (use off or working)"));
                None
            }
        };
        let name = super::text(&mut v, "name", &self.name, true, 200);
        match (v.is_empty(), date, kind) {
            (true, Some(d), Some(k)) => Ok((d, k, name)),
            _ => Err(v),
        }
    }
}

pub fn kind_str(k: DayKind) -> &'static str {
    match k {
        DayKind::Off => "off",
        DayKind::Working => "working",
    }
}

pub fn parse_kind(s: &str) -> DayKind {
    if s == "working" { DayKind::Working } else { DayKind::Off }
}
