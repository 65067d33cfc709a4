//! Generic registries (cơ sở dữ liệu dùng chung) served through the GovStack Digital Registries
//! API: each registry has a name, a version and a JSON Schema for its records; one field is the
//! record's key (`ID` in GovStack's examples) and, for registries about people, one field holds
//! the person's identification number so that they can ask who read their data.

use kernel::Violations;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Registry {
    pub id: String,
    pub name: String,
    pub version: String,
    pub title: String,
    pub description: Option<String>,
    #[schema(value_type = Object)]
    pub schema: Value,
    pub id_field: String,
    pub personal_field: Option<String>,
    pub record_count: i64,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct RegistryInput {
    /// Letters, digits, '-', '_'; used in the URL.
    pub name: String,
    /// E.g. `1.0`.
    pub version: String,
    pub title: String,
    pub description: Option<String>,
    /// JSON Schema of a record (an object).
    #[schema(value_type = Object)]
    pub schema: Value,
    /// The property that identifies a record; defaults to `ID`.
    pub id_field: Option<String>,
    /// The property holding a person's identification number, for personal-data usage.
    pub personal_field: Option<String>,
}

fn url_safe(s: &str) -> bool {
    !s.is_empty() && s.len() <= 80 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

impl RegistryInput {
    pub fn validate(&self) -> Result<String, Violations> {
        let mut v = Violations::new();
        if !url_safe(&self.name) {
            v.add("name", "1–80 ký tự chữ, số, '-', '_', '.' (letters, digits, '-', '_', '.')");
        }
        if !url_safe(&self.version) {
            v.add("version", "1–80 ký tự chữ, số, '-', '_', '.' (letters, digits, '-', '_', '.')");
        }
        super::text(&mut v, "title", &self.title, true, 200);
        for (p, m) in crate::eform::check_schema(&self.schema) {
            v.add(format!("schema{p}"), m);
        }
        let id_field = self.id_field.clone().unwrap_or_else(|| "ID".into());
        let props = self.schema.get("properties").and_then(Value::as_object);
        if !props.is_some_and(|p| p.contains_key(&id_field)) {
            v.add("id_field", format!("«{id_field}» không có trong schema (not a property of the schema)"));
        }
        if let Some(pf) = &self.personal_field
            && !props.is_some_and(|p| p.contains_key(pf))
        {
            v.add("personal_field", format!("«{pf}» không có trong schema (not a property of the schema)"));
        }
        if v.is_empty() { Ok(id_field) } else { Err(v) }
    }
}

/// A record's key as text: strings as they are, numbers in their JSON form.
pub fn key_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
