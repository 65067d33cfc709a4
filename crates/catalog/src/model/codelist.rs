//! Shared code lists (danh mục dùng chung): ethnic groups, religions, sexes, countries, marital
//! status, document types, urgency and secrecy levels, fields of procedures... Lists marked
//! `system` are seeded and cannot be deleted, but administrators may add items to any list.

use kernel::Violations;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodeList {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub system: bool,
    pub item_count: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CodeItem {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    #[serde(default)]
    pub sort: i64,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CodeListInput {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
}

fn valid_code(s: &str) -> bool {
    !s.is_empty() && s.len() <= 60 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
}

impl CodeListInput {
    pub fn validate(&self) -> Result<(), Violations> {
        let mut v = Violations::new();
        if !valid_code(self.code.trim()) {
            v.add("code", "1–60 ký tự chữ, số, '.', '-', '_' (1–60 letters, digits, '.', '-', '_')");
        }
        super::text(&mut v, "name", &self.name, true, 200);
        if v.is_empty() { Ok(()) } else { Err(v) }
    }
}

impl CodeItem {
    pub fn validate(&self) -> Result<(), Violations> {
        let mut v = Violations::new();
        if !valid_code(self.code.trim()) {
            v.add("code", "1–60 ký tự chữ, số, '.', '-', '_' (1–60 letters, digits, '.', '-', '_')");
        }
        super::text(&mut v, "name", &self.name, true, 300);
        super::opt_text(&mut v, "name_en", &self.name_en, 300);
        if v.is_empty() { Ok(()) } else { Err(v) }
    }
}

/// Names of the system lists, seeded in every deployment.
pub const FIELD_LIST: &str = "field";
