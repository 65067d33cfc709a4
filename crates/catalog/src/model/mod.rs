//! Catalog types and their rules, pure: no database, unit-tested on their own.

pub mod agency;
pub mod codelist;
pub mod holiday;
pub mod procedure;
pub mod registry;
pub mod unit;

/// Trims a text field and records an error when it is required but empty or too long.
pub(crate) fn text(v: &mut kernel::Violations, field: &str, value: &str, required: bool, max: usize) -> String {
    let t = value.trim();
    if required && t.is_empty() {
        v.add(field, "bắt buộc (required)");
    } else if t.chars().count() > max {
        v.add(field, format!("dài quá {max} ký tự (longer than {max} characters)"));
    }
    t.to_owned()
}

/// Like [`text`] for optional fields: empty becomes `None`.
pub(crate) fn opt_text(v: &mut kernel::Violations, field: &str, value: &Option<String>, max: usize) -> Option<String> {
    let t = value.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    if t.chars().count() > max {
        v.add(field, format!("dài quá {max} ký tự (longer than {max} characters)"));
    }
    Some(t.to_owned())
}

/// Parses an optional ISO date field.
pub(crate) fn opt_date(v: &mut kernel::Violations, field: &str, value: &Option<String>) -> Option<time::Date> {
    let t = value.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    let d = kernel::time::parse_date(t);
    if d.is_none() {
        v.add(field, format!("ngày «{t}» không hợp lệ, dùng YYYY-MM-DD (invalid date, use YYYY-MM-DD)"));
    }
    d
}
