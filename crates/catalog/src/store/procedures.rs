//! Procedures, their versions, and the index that lists and searches the versions in force.

use kernel::codes::ProcedureCode;
use kernel::db::{Backend, Db, Ex, Row, Tx, Where, q};
use kernel::money::Vnd;
use kernel::{Error, Result};
use time::Date;

use crate::model::procedure::{OnlineLevel, ProcLevel, ProcedureSummary, ProcedureVersion, ProcessingTime, TimeUnit, ValidProcedure};

const SELECT_VERSION: &str = "SELECT v.id, v.procedure_id, p.code, v.version, v.decision_number, v.decision_date, v.effective_from,
    v.name, v.field_code, v.level, v.online_level, v.processing_value, v.processing_unit, v.body, v.eform,
    CASE WHEN p.current_version_id = v.id THEN 1 ELSE 0 END AS is_current
    FROM procedure_versions v JOIN procedures p ON p.id = v.procedure_id";

fn level(s: &str) -> Result<ProcLevel> {
    ProcLevel::parse(s).ok_or_else(|| Error::internal(format!("bad level {s}")))
}

fn online(s: &str) -> Result<OnlineLevel> {
    OnlineLevel::parse(s).ok_or_else(|| Error::internal(format!("bad online level {s}")))
}

fn unit(s: &str) -> Result<TimeUnit> {
    TimeUnit::parse(s).ok_or_else(|| Error::internal(format!("bad time unit {s}")))
}

fn version_from_row(r: &Row) -> Result<ProcedureVersion> {
    let eform: Option<String> = r.opt_text("eform")?;
    let current: i64 = r.get("is_current").or_else(|_| r.get::<i32>("is_current").map(i64::from))?;
    Ok(ProcedureVersion {
        id: r.text("id")?,
        procedure_id: r.text("procedure_id")?,
        code: ProcedureCode::parse(&r.text("code")?).map_err(Error::internal)?,
        version: r.int("version")?,
        decision_number: r.text("decision_number")?,
        decision_date: r.opt_date("decision_date")?,
        effective_from: r.date("effective_from")?,
        name: r.text("name")?,
        field_code: r.text("field_code")?,
        level: level(&r.text("level")?)?,
        online_level: online(&r.text("online_level")?)?,
        processing: ProcessingTime { value: r.get("processing_value")?, unit: unit(&r.text("processing_unit")?)? },
        body: r.json("body")?,
        eform: eform.map(|e| serde_json::from_str(&e)).transpose().map_err(Error::internal)?,
        current: current == 1,
    })
}

/// Id of the procedure with `code`, if it exists.
pub async fn find<'e>(ex: impl Into<Ex<'e>>, code: &str) -> Result<Option<String>> {
    let row = q("SELECT id FROM procedures WHERE code = $1").bind(code).fetch_optional(ex).await?;
    row.map(|r| r.text("id")).transpose()
}

pub async fn insert_procedure(tx: &mut Tx, code: &ProcedureCode) -> Result<String> {
    let id = kernel::id::new_id();
    let now = kernel::time::now_ms();
    q("INSERT INTO procedures (id, code, active, created_at, updated_at) VALUES ($1, $2, TRUE, $3, $3)")
        .bind(&id)
        .bind(code.as_str())
        .bind(now)
        .execute(tx)
        .await?;
    Ok(id)
}

pub async fn insert_version(tx: &mut Tx, procedure_id: &str, p: &ValidProcedure) -> Result<(String, i64)> {
    let version = q("SELECT COALESCE(MAX(version), 0) + 1 FROM procedure_versions WHERE procedure_id = $1")
        .bind(procedure_id)
        .fetch_i64(&mut *tx)
        .await?;
    let id = kernel::id::new_id();
    q("INSERT INTO procedure_versions (id, procedure_id, version, decision_number, decision_date, effective_from, name, field_code,
         level, online_level, processing_value, processing_unit, body, eform, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)")
    .bind(&id)
    .bind(procedure_id)
    .bind(version)
    .bind(&p.decision_number)
    .bind(p.decision_date.map(kernel::time::date_text))
    .bind(kernel::time::date_text(p.effective_from))
    .bind(&p.name)
    .bind(p.field_code.as_str())
    .bind(p.level.as_str())
    .bind(p.online_level.as_str())
    .bind(p.processing.value)
    .bind(p.processing.unit.as_str())
    .bind(serde_json::to_string(&p.body).map_err(Error::internal)?)
    .bind(p.eform.as_ref().map(|e| e.to_string()))
    .bind(kernel::time::now_ms())
    .execute(tx)
    .await?;
    Ok((id, version))
}

/// Makes version `v` the one in force: the procedure points at it and the list/search index,
/// the implementing agencies and (on SQLite) the FTS table describe it.
pub async fn make_current(tx: &mut Tx, v: &ProcedureVersion, agency_ids: &[String], search_text: &str) -> Result<()> {
    let pid = &v.procedure_id;
    q("UPDATE procedures SET current_version_id = $1, updated_at = $2 WHERE id = $3")
        .bind(&v.id)
        .bind(kernel::time::now_ms())
        .bind(pid)
        .execute(&mut *tx)
        .await?;
    q("DELETE FROM procedure_index WHERE procedure_id = $1").bind(pid).execute(&mut *tx).await?;
    q("INSERT INTO procedure_index (procedure_id, code, name, name_folded, field_code, level, online_level, processing_value,
         processing_unit, fee_total, version, active, search_text)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, TRUE, $12)")
    .bind(pid)
    .bind(v.code.as_str())
    .bind(&v.name)
    .bind(kernel::fold::fold(&v.name))
    .bind(&v.field_code)
    .bind(v.level.as_str())
    .bind(v.online_level.as_str())
    .bind(v.processing.value)
    .bind(v.processing.unit.as_str())
    .bind(v.fee_total().0)
    .bind(v.version)
    .bind(search_text)
    .execute(&mut *tx)
    .await?;
    q("DELETE FROM procedure_agencies WHERE procedure_id = $1").bind(pid).execute(&mut *tx).await?;
    for a in agency_ids {
        q("INSERT INTO procedure_agencies (procedure_id, agency_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(pid)
            .bind(a)
            .execute(&mut *tx)
            .await?;
    }
    if tx.backend() == Backend::Sqlite {
        q("DELETE FROM procedure_fts WHERE procedure_id = $1").bind(pid).execute(&mut *tx).await?;
        q("INSERT INTO procedure_fts (procedure_id, search_text) VALUES ($1, $2)").bind(pid).bind(search_text).execute(&mut *tx).await?;
    }
    Ok(())
}

pub async fn version_by_id<'e>(ex: impl Into<Ex<'e>>, id: &str) -> Result<ProcedureVersion> {
    let row = q(format!("{SELECT_VERSION} WHERE v.id = $1")).bind(id).fetch_optional(ex).await?;
    version_from_row(&row.ok_or_else(|| Error::not_found(format!("phiên bản thủ tục {id}")))?)
}

/// The version in force of procedure `code`.
pub async fn current<'e>(ex: impl Into<Ex<'e>>, code: &str) -> Result<ProcedureVersion> {
    let row = q(format!("{SELECT_VERSION} WHERE p.code = $1 AND v.id = p.current_version_id")).bind(code).fetch_optional(ex).await?;
    version_from_row(&row.ok_or_else(|| Error::not_found(format!("thủ tục {code}")))?)
}

pub async fn version<'e>(ex: impl Into<Ex<'e>>, code: &str, version: i64) -> Result<ProcedureVersion> {
    let row = q(format!("{SELECT_VERSION} WHERE p.code = $1 AND v.version = $2")).bind(code).bind(version).fetch_optional(ex).await?;
    version_from_row(&row.ok_or_else(|| Error::not_found(format!("thủ tục {code} phiên bản {version}")))?)
}

pub async fn versions<'e>(ex: impl Into<Ex<'e>>, code: &str) -> Result<Vec<ProcedureVersion>> {
    let rows = q(format!("{SELECT_VERSION} WHERE p.code = $1 ORDER BY v.version")).bind(code).fetch_all(ex).await?;
    rows.iter().map(version_from_row).collect()
}

/// Versions whose effective date has come but which are not yet in force: the newest per
/// procedure, to be made current.
pub async fn due_versions<'e>(ex: impl Into<Ex<'e>>, today: Date) -> Result<Vec<String>> {
    let rows = q("SELECT v.id FROM procedure_versions v JOIN procedures p ON p.id = v.procedure_id
                  LEFT JOIN procedure_versions c ON c.id = p.current_version_id
                  WHERE v.effective_from <= $1 AND (c.id IS NULL OR v.version > c.version)
                    AND v.version = (SELECT MAX(x.version) FROM procedure_versions x WHERE x.procedure_id = v.procedure_id AND x.effective_from <= $1)")
    .bind(kernel::time::date_text(today))
    .fetch_all(ex)
    .await?;
    rows.iter().map(|r| r.text("id")).collect()
}

/// Filters of the procedure list and search.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProcedureFilter {
    /// Words to look for; accents optional ("dang ky khai sinh" finds "Đăng ký khai sinh").
    pub q: Option<String>,
    /// Field of procedures (lĩnh vực) code.
    pub field: Option<String>,
    /// Code of an implementing agency.
    pub agency: Option<String>,
    /// central, province, district or commune.
    pub level: Option<String>,
    /// full, partial or none.
    pub online: Option<String>,
}

fn summary_from_row(r: &Row) -> Result<ProcedureSummary> {
    Ok(ProcedureSummary {
        id: r.text("procedure_id")?,
        code: r.text("code")?,
        name: r.text("name")?,
        field_code: r.text("field_code")?,
        level: level(&r.text("level")?)?,
        online_level: online(&r.text("online_level")?)?,
        processing: ProcessingTime { value: r.get("processing_value")?, unit: unit(&r.text("processing_unit")?)? },
        fee_total: Vnd(r.int("fee_total")?),
        version: r.int("version")?,
    })
}

/// Lists procedures in force, filtered; with words, ranked: names containing the whole phrase
/// first, then by full-text relevance (FTS5 bm25 on SQLite, ts_rank on PostgreSQL).
pub async fn search(db: &Db, f: &ProcedureFilter, offset: i64, limit: i64) -> Result<(Vec<ProcedureSummary>, i64)> {
    let words: Vec<String> = kernel::fold::fold_words(f.q.as_deref().unwrap_or("")).into_iter().take(12).collect();
    let mut w = Where::new();
    w.and("i.active = TRUE");
    if let Some(v) = f.field.as_deref().filter(|s| !s.is_empty()) {
        let p = w.arg(v);
        w.and(format!("i.field_code = {p}"));
    }
    if let Some(v) = f.level.as_deref().filter(|s| !s.is_empty()) {
        let p = w.arg(v);
        w.and(format!("i.level = {p}"));
    }
    if let Some(v) = f.online.as_deref().filter(|s| !s.is_empty()) {
        let p = w.arg(v);
        w.and(format!("i.online_level = {p}"));
    }
    if let Some(v) = f.agency.as_deref().filter(|s| !s.is_empty()) {
        let p = w.arg(v);
        w.and(format!(
            "i.procedure_id IN (SELECT pa.procedure_id FROM procedure_agencies pa JOIN agencies a ON a.id = pa.agency_id WHERE a.code = {p})"
        ));
    }
    let cols = "i.procedure_id, i.code, i.name, i.field_code, i.level, i.online_level, i.processing_value, i.processing_unit, i.fee_total, i.version";
    if words.is_empty() {
        let total = w.query(format!("SELECT COUNT(*) FROM procedure_index i{}", w.sql())).fetch_i64(db).await?;
        let rows = w
            .query(format!("SELECT {cols} FROM procedure_index i{} ORDER BY i.name_folded, i.code LIMIT {limit} OFFSET {offset}", w.sql()))
            .fetch_all(db)
            .await?;
        return Ok((rows.iter().map(summary_from_row).collect::<Result<_>>()?, total));
    }
    let phrase = w.arg(format!("%{}%", words.join(" ")));
    let (from, rank) = match db.backend() {
        Backend::Sqlite => {
            let m = w.arg(fts_terms(&words, |t| format!("\"{t}\""), |t| format!("\"{t}\"*"), " "));
            w.and(format!("procedure_fts MATCH {m}"));
            ("procedure_fts JOIN procedure_index i ON i.procedure_id = procedure_fts.procedure_id", "bm25(procedure_fts)".to_string())
        }
        Backend::Postgres => {
            let m = w.arg(fts_terms(&words, |t| t.to_owned(), |t| format!("{t}:*"), " & "));
            w.and(format!("i.search_tsv @@ to_tsquery('simple', {m})"));
            ("procedure_index i", format!("-ts_rank(i.search_tsv, to_tsquery('simple', {m}))"))
        }
    };
    // One pass: the total comes with the page (a window count), so the full-text match runs once.
    // The rank is computed in a subquery because FTS5's bm25() cannot sit beside a window function.
    let rows = w
        .query(format!(
            "SELECT m.*, COUNT(*) OVER () AS total FROM (SELECT {cols}, i.name_folded, {rank} AS rank FROM {from}{}) m
             ORDER BY CASE WHEN m.name_folded LIKE {phrase} THEN 0 ELSE 1 END, m.rank, m.code LIMIT {limit} OFFSET {offset}",
            w.sql()
        ))
        .fetch_all(db)
        .await?;
    let total = match rows.first() {
        Some(r) => r.int("total")?,
        None if offset > 0 => w.query(format!("SELECT COUNT(*) FROM {from}{}", w.sql())).fetch_i64(db).await?,
        None => 0,
    };
    Ok((rows.iter().map(summary_from_row).collect::<Result<_>>()?, total))
}

/// Every word must appear; the last one may be a prefix (the user may still be typing it).
fn fts_terms(words: &[String], whole: impl Fn(&str) -> String, prefix: impl Fn(&str) -> String, sep: &str) -> String {
    let last = words.len().saturating_sub(1);
    words.iter().enumerate().map(|(i, t)| if i == last { prefix(t) } else { whole(t) }).collect::<Vec<_>>().join(sep)
}

pub async fn count<'e>(ex: impl Into<Ex<'e>>) -> Result<i64> {
    q("SELECT COUNT(*) FROM procedure_index WHERE active = TRUE").fetch_i64(ex).await
}

/// Procedure counts per field code, for the browse-by-field view.
pub async fn counts_by_field<'e>(ex: impl Into<Ex<'e>>) -> Result<Vec<(String, i64)>> {
    let rows = q("SELECT field_code, COUNT(*) AS n FROM procedure_index WHERE active = TRUE GROUP BY field_code ORDER BY field_code")
        .fetch_all(ex)
        .await?;
    rows.iter().map(|r| Ok((r.text("field_code")?, r.int("n")?))).collect()
}

/// Codes of the agencies implementing a procedure's current version.
pub async fn agencies_of<'e>(ex: impl Into<Ex<'e>>, procedure_id: &str) -> Result<Vec<(String, String)>> {
    let rows = q("SELECT a.code, a.name FROM procedure_agencies pa JOIN agencies a ON a.id = pa.agency_id WHERE pa.procedure_id = $1 ORDER BY a.code")
        .bind(procedure_id)
        .fetch_all(ex)
        .await?;
    rows.iter().map(|r| Ok((r.text("code")?, r.text("name")?))).collect()
}
