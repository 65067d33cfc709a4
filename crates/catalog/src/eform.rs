//! E-forms (biểu mẫu điện tử) are JSON Schemas. A schema is accepted when it is valid JSON
//! Schema and uses only what the portal can render as an HTML form: an object of named fields,
//! each a string (optionally date, email, enum), number, integer, boolean, or an object or
//! array of those. Submitted data is validated with the same schema, every bad field reported.

use kernel::FieldError;
use serde_json::Value;

const TYPES: [&str; 6] = ["string", "number", "integer", "boolean", "object", "array"];

/// Problems with a schema as (JSON pointer, message); empty when the schema is usable.
pub fn check_schema(schema: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(s) = schema.get("$schema").and_then(Value::as_str)
        && !s.starts_with("https://json-schema.org/")
        && !s.starts_with("http://json-schema.org/")
    {
        out.push(("/$schema".into(), "chỉ hỗ trợ các bản JSON Schema chuẩn (only standard JSON Schema drafts are supported)".into()));
        return out;
    }
    if let Err(e) = jsonschema::validator_for(schema) {
        out.push((format!("{}", e.instance_path()), format!("JSON Schema không hợp lệ (invalid JSON Schema): {e}")));
        return out;
    }
    if schema.get("type").and_then(Value::as_str) != Some("object") || !schema.get("properties").is_some_and(Value::is_object) {
        out.push(("".into(), "biểu mẫu phải là một object có properties (an e-form must be an object with properties)".into()));
        return out;
    }
    check_object(schema, "", 0, &mut out);
    out
}

fn check_object(schema: &Value, path: &str, depth: usize, out: &mut Vec<(String, String)>) {
    if depth > 4 {
        out.push((path.into(), "biểu mẫu lồng quá 4 cấp (forms nest at most 4 levels)".into()));
        return;
    }
    let props = schema.get("properties").and_then(Value::as_object);
    if let Some(props) = props {
        for (name, p) in props {
            check_property(p, &format!("{path}/properties/{name}"), depth, out);
        }
    }
    if let Some(req) = schema.get("required").and_then(Value::as_array) {
        for r in req {
            if !r.as_str().is_some_and(|r| props.is_some_and(|p| p.contains_key(r))) {
                out.push((
                    format!("{path}/required"),
                    format!("trường bắt buộc {r} không có trong properties (required field is not a property)"),
                ));
            }
        }
    }
}

fn check_property(p: &Value, path: &str, depth: usize, out: &mut Vec<(String, String)>) {
    let ty = p.get("type").and_then(Value::as_str);
    match ty {
        Some(t) if TYPES.contains(&t) => {}
        _ if p.get("enum").is_some() => {}
        _ => {
            out.push((
                format!("{path}/type"),
                "mỗi trường cần type là string, number, integer, boolean, object hoặc array (each field needs a supported type)".into(),
            ));
            return;
        }
    }
    match ty {
        Some("object") => check_object(p, path, depth + 1, out),
        Some("array") => match p.get("items") {
            Some(items) if items.is_object() => check_property(items, &format!("{path}/items"), depth + 1, out),
            _ => out.push((format!("{path}/items"), "mảng cần mô tả items (an array needs items)".into())),
        },
        _ => {}
    }
}

/// Validates `data` against an e-form schema; every failing field is reported with its JSON
/// pointer as the field name.
pub fn validate_data(schema: &Value, data: &Value) -> Vec<FieldError> {
    match jsonschema::validator_for(schema) {
        Ok(v) => v
            .iter_errors(data)
            .map(|e| {
                let path = e.instance_path().to_string();
                FieldError::new(if path.is_empty() { "/".to_string() } else { path }, e.to_string())
            })
            .collect(),
        Err(e) => vec![FieldError::new("/", format!("biểu mẫu của thủ tục không hợp lệ (the procedure's e-form is invalid): {e}"))],
    }
}

/// A field of an e-form as an HTML form shows it: posted under `f.{name}`.
pub struct FieldSpec {
    /// The property's name in the schema.
    pub name: String,
    /// The HTML form's field name: `f.{name}`.
    pub key: String,
    /// The schema's `title`, or the name.
    pub label: String,
    /// The input's type: `text`, `number`, `date`, `email`.
    pub input: &'static str,
    pub required: bool,
    /// The schema's `enum`, shown as a choice.
    pub options: Vec<String>,
    /// The schema's `type`.
    pub kind: String,
}

/// The top-level fields of an e-form schema, in the schema's order.
pub fn spec(schema: &Value) -> Vec<FieldSpec> {
    let required: Vec<&str> = schema["required"].as_array().map(|a| a.iter().filter_map(|v| v.as_str()).collect()).unwrap_or_default();
    let Some(props) = schema["properties"].as_object() else { return vec![] };
    props
        .iter()
        .map(|(k, v)| {
            let kind = v["type"].as_str().unwrap_or("string").to_owned();
            let input = match (kind.as_str(), v["format"].as_str()) {
                (_, Some("date")) => "date",
                (_, Some("email")) => "email",
                ("integer" | "number", _) => "number",
                _ => "text",
            };
            FieldSpec {
                name: k.clone(),
                key: format!("f.{k}"),
                label: v["title"].as_str().unwrap_or(k).to_owned(),
                input,
                required: required.contains(&k.as_str()),
                options: v["enum"].as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect()).unwrap_or_default(),
                kind,
            }
        })
        .collect()
}

/// The data of a posted e-form: each field's text (`value(key)`, by its `f.{name}` key) as the
/// schema's type has it. Empty fields are left out; text that is not of the field's type stays
/// text, for [`validate_data`] to name.
pub fn form_data(schema: &Value, value: impl Fn(&str) -> Option<String>) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    for s in spec(schema) {
        let Some(v) = value(&s.key).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else { continue };
        let typed = match s.kind.as_str() {
            "integer" => v.parse::<i64>().map(Value::from).ok(),
            "number" => v.parse::<f64>().map(Value::from).ok(),
            "boolean" => match v.as_str() {
                "true" | "on" | "1" => Some(Value::Bool(true)),
                "false" | "0" => Some(Value::Bool(false)),
                _ => None,
            },
            _ => None,
        };
        out.insert(s.name, typed.unwrap_or(Value::String(v)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form() -> Value {
        json!({
            "type": "object",
            "required": ["ho_ten", "ngay_sinh"],
            "properties": {
                "ho_ten": {"type": "string", "title": "Họ và tên", "minLength": 2},
                "ngay_sinh": {"type": "string", "format": "date"},
                "gioi_tinh": {"enum": ["nam", "nu"]},
                "so_con": {"type": "integer", "minimum": 0},
                "dia_chi": {"type": "object", "properties": {"xa": {"type": "string"}}},
                "giay_to": {"type": "array", "items": {"type": "string"}}
            }
        })
    }

    #[test]
    fn renderable_schemas_are_accepted() {
        assert!(check_schema(&form()).is_empty(), "{:?}", check_schema(&form()));
    }

    #[test]
    fn schemas_the_portal_cannot_render_are_refused() {
        assert!(!check_schema(&json!({"type": "string"})).is_empty());
        assert!(!check_schema(&json!({"type": "object", "properties": {"a": {"type": "nonsense"}}})).is_empty());
        assert!(!check_schema(&json!({"type": "object", "properties": {"a": {}}})).is_empty());
        assert!(!check_schema(&json!({"type": "object", "properties": {"a": {"type": "array"}}})).is_empty());
        assert!(!check_schema(&json!({"type": "object", "properties": {}, "required": ["x"]})).is_empty());
        assert!(!check_schema(&json!({"$schema": "http://evil.example/x", "type": "object", "properties": {}})).is_empty());
    }

    #[test]
    fn data_errors_name_each_field() {
        let errors = validate_data(&form(), &json!({"ho_ten": "A", "so_con": -1}));
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"/ho_ten"), "{fields:?}");
        assert!(fields.contains(&"/so_con"), "{fields:?}");
        assert!(fields.contains(&"/"), "missing required ngay_sinh: {fields:?}");
        assert!(validate_data(&form(), &json!({"ho_ten": "Nguyễn Văn A", "ngay_sinh": "1990-01-01"})).is_empty());
    }
}
