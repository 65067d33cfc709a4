//! Imports of procedures, agencies and administrative units from JSON or CSV. Every row is
//! parsed and validated (fields and references, including references to other rows of the
//! same file) before anything is written; one bad row means nothing is written and every bad
//! row is reported with its line and reason.

use std::path::Path;

use kernel::money::Vnd;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Catalog;
use crate::model::agency::AgencyInput;
use crate::model::procedure::{Fee, LegalBasis, ProcedureInput, RequiredDocument};
use crate::model::unit::UnitInput;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Procedures,
    Agencies,
    Units,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    pub fn from_path(p: &Path) -> anyhow::Result<Format> {
        match p.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("json") => Ok(Format::Json),
            Some("csv") => Ok(Format::Csv),
            _ => anyhow::bail!("{}: use a .json or .csv file", p.display()),
        }
    }
}

#[derive(Debug)]
pub enum Outcome {
    Written(usize),
    /// One line per problem: `line 4 (row 3): code: ...`.
    Rejected(Vec<String>),
}

/// Where a row came from, for messages.
fn place(format: Format, i: usize) -> String {
    match format {
        Format::Csv => format!("line {} (row {})", i + 2, i + 1),
        Format::Json => format!("item {}", i + 1),
    }
}

fn rows_json<T: DeserializeOwned>(text: &str) -> Result<Vec<Result<T, String>>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let items = match v {
        Value::Array(a) => a,
        Value::Object(mut o) => match o.remove("items") {
            Some(Value::Array(a)) => a,
            _ => return Err("expected a JSON array of objects (or {\"items\": [...]})".into()),
        },
        _ => return Err("expected a JSON array of objects".into()),
    };
    Ok(items.into_iter().map(|i| serde_json::from_value::<T>(i).map_err(|e| e.to_string())).collect())
}

/// A CSV data row: column name to its (non-empty) value.
type CsvRecord = std::collections::HashMap<String, String>;

fn csv_records(text: &str) -> Result<Vec<Result<CsvRecord, String>>, String> {
    let mut r = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(false).from_reader(text.as_bytes());
    let headers: Vec<String> = r.headers().map_err(|e| format!("cannot read the header row: {e}"))?.iter().map(str::to_owned).collect();
    Ok(r.records()
        .map(|rec| {
            rec.map_err(|e| e.to_string())
                .map(|rec| headers.iter().cloned().zip(rec.iter().map(str::to_owned)).filter(|(_, v)| !v.is_empty()).collect())
        })
        .collect())
}

fn opt(m: &std::collections::HashMap<String, String>, k: &str) -> Option<String> {
    m.get(k).cloned()
}

fn req(m: &std::collections::HashMap<String, String>, k: &str) -> String {
    m.get(k).cloned().unwrap_or_default()
}

fn unit_from_csv(m: &std::collections::HashMap<String, String>) -> Result<UnitInput, String> {
    Ok(UnitInput {
        code: req(m, "code"),
        name: req(m, "name"),
        name_en: opt(m, "name_en"),
        kind: req(m, "kind"),
        parent_code: opt(m, "parent_code"),
        valid_from: opt(m, "valid_from"),
        valid_to: opt(m, "valid_to"),
        merged_into_code: opt(m, "merged_into_code"),
    })
}

fn agency_from_csv(m: &std::collections::HashMap<String, String>) -> Result<AgencyInput, String> {
    let active = match m.get("active").map(|s| s.to_ascii_lowercase()) {
        None => None,
        Some(s) if ["1", "true", "yes", "có"].contains(&s.as_str()) => Some(true),
        Some(s) if ["0", "false", "no", "không"].contains(&s.as_str()) => Some(false),
        Some(s) => return Err(format!("active: «{s}» is not true/false")),
    };
    Ok(AgencyInput {
        code: req(m, "code"),
        qcvn_code: opt(m, "qcvn_code"),
        name: req(m, "name"),
        name_en: opt(m, "name_en"),
        short_name: opt(m, "short_name"),
        parent_code: opt(m, "parent_code"),
        level: req(m, "level"),
        unit_code: opt(m, "unit_code"),
        address: opt(m, "address"),
        phone: opt(m, "phone"),
        email: opt(m, "email"),
        website: opt(m, "website"),
        working_week: None,
        active,
    })
}

/// Splits `a|b|c;d|e|f` into parts.
fn groups(s: &str) -> Vec<Vec<String>> {
    s.split(';').filter(|g| !g.trim().is_empty()).map(|g| g.split('|').map(|x| x.trim().to_owned()).collect()).collect()
}

fn procedure_from_csv(m: &std::collections::HashMap<String, String>) -> Result<ProcedureInput, String> {
    let value = req(m, "processing_value");
    let processing_value: f64 = value.replace(',', ".").parse().map_err(|_| format!("processing_value: «{value}» is not a number"))?;
    let mut documents = Vec::new();
    for (i, g) in groups(&req(m, "documents")).into_iter().enumerate() {
        let num = |k: usize, what: &str| -> Result<u32, String> {
            g.get(k)
                .map(|x| x.parse::<u32>().map_err(|_| format!("documents[{i}]: {what} «{x}» is not a whole number")))
                .unwrap_or(Ok(if k == 1 { 1 } else { 0 }))
        };
        documents.push(RequiredDocument {
            code: format!("TP{}", i + 1),
            name: g[0].clone(),
            originals: num(1, "originals")?,
            copies: num(2, "copies")?,
            mandatory: true,
            template: None,
            note: None,
        });
    }
    let mut fees = Vec::new();
    for (i, g) in groups(&req(m, "fees")).into_iter().enumerate() {
        let amount = g.get(1).ok_or_else(|| format!("fees[{i}]: use name|amount"))?;
        let amount: i64 =
            amount.replace('.', "").parse().map_err(|_| format!("fees[{i}]: amount «{amount}» is not a whole number of đồng"))?;
        fees.push(Fee { name: g[0].clone(), amount: Vnd(amount), note: None });
    }
    let legal_bases = groups(&req(m, "legal_bases"))
        .into_iter()
        .map(|g| LegalBasis { number: g[0].clone(), title: g.get(1).cloned().unwrap_or_default(), issued_by: None, issued_on: None })
        .collect();
    let list = |k: &str| req(m, k).split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect::<Vec<_>>();
    Ok(ProcedureInput {
        code: req(m, "code"),
        name: req(m, "name"),
        field_code: req(m, "field_code"),
        level: req(m, "level"),
        online_level: req(m, "online_level"),
        processing_value,
        processing_unit: opt(m, "processing_unit"),
        decision_number: req(m, "decision_number"),
        decision_date: opt(m, "decision_date"),
        effective_from: opt(m, "effective_from"),
        body: crate::model::procedure::ProcedureBody {
            documents,
            fees,
            legal_bases,
            result: req(m, "result"),
            channels: list("channels"),
            agency_codes: list("agency_codes"),
            applicant_types: list("applicant_types"),
            ..Default::default()
        },
        eform: None,
    })
}

fn parse<T: DeserializeOwned>(
    format: Format,
    text: &str,
    from_csv: fn(&std::collections::HashMap<String, String>) -> Result<T, String>,
) -> Result<Vec<Result<T, String>>, String> {
    match format {
        Format::Json => rows_json(text),
        Format::Csv => Ok(csv_records(text)?.into_iter().map(|r| r.and_then(|m| from_csv(&m))).collect()),
    }
}

/// Turns `rows[3].code: msg` (or `code: msg` for a single row) into a line naming the row.
fn describe(format: Format, field: &str, message: &str) -> String {
    if let Some(rest) = field.strip_prefix("rows[")
        && let Some((n, f)) = rest.split_once("].")
        && let Ok(i) = n.parse::<usize>()
    {
        return format!("{}: {f}: {message}", place(format, i));
    }
    format!("{}: {field}: {message}", place(format, 0))
}

async fn write<T>(
    format: Format,
    rows: Vec<Result<T, String>>,
    f: impl AsyncFnOnce(&[T]) -> kernel::Result<usize>,
) -> anyhow::Result<Outcome> {
    let mut bad = Vec::new();
    let mut good = Vec::new();
    for (i, r) in rows.into_iter().enumerate() {
        match r {
            Ok(v) => good.push(v),
            Err(e) => bad.push(format!("{}: {e}", place(format, i))),
        }
    }
    if !bad.is_empty() {
        return Ok(Outcome::Rejected(bad));
    }
    if good.is_empty() {
        return Ok(Outcome::Rejected(vec!["the file has no rows".into()]));
    }
    match f(&good).await {
        Ok(n) => Ok(Outcome::Written(n)),
        Err(kernel::Error::Invalid(errors)) => {
            Ok(Outcome::Rejected(errors.iter().map(|e| describe(format, &e.field, &e.message)).collect()))
        }
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}

/// Imports `text` as `kind`; all rows or none.
pub async fn import(c: &Catalog, kind: Kind, format: Format, text: &str, new_versions: bool) -> anyhow::Result<Outcome> {
    let fail = |e: String| Ok(Outcome::Rejected(vec![e]));
    match kind {
        Kind::Units => match parse(format, text, unit_from_csv) {
            Ok(rows) => write(format, rows, async |v: &[UnitInput]| c.upsert_units(v).await.map(|x| x.len())).await,
            Err(e) => fail(e),
        },
        Kind::Agencies => match parse(format, text, agency_from_csv) {
            Ok(rows) => write(format, rows, async |v: &[AgencyInput]| c.upsert_agencies(v).await.map(|x| x.len())).await,
            Err(e) => fail(e),
        },
        Kind::Procedures => match parse(format, text, procedure_from_csv) {
            Ok(rows) => write(format, rows, async |v: &[ProcedureInput]| c.create_procedures(v, new_versions).await.map(|x| x.len())).await,
            Err(e) => fail(e),
        },
    }
}
