use kernel::{Error, Result, Violations};

use super::Catalog;
use super::units::row_field;
use crate::model::codelist::FIELD_LIST;
use crate::model::procedure::{ProcedureInput, ProcedureSummary, ProcedureVersion, ValidProcedure};
use crate::store::procedures::{self, ProcedureFilter};
use crate::store::{agencies, codelists};

impl Catalog {
    /// Validates procedure inputs including references: the field must be in the `field` code
    /// list and every implementing agency must exist.
    async fn validate_procedures(&self, inputs: &[ProcedureInput]) -> Result<Vec<(ValidProcedure, Vec<String>)>> {
        let n = inputs.len();
        let today = kernel::time::today_vn();
        let mut v = Violations::new();
        let mut out = Vec::new();
        for (i, input) in inputs.iter().enumerate() {
            match input.validate(today) {
                Ok(p) => {
                    if codelists::item(&self.db, FIELD_LIST, p.field_code.as_str()).await?.is_none() {
                        v.add(
                            row_field(n, i, "field_code"),
                            format!("lĩnh vực {} không có trong danh mục (unknown field of procedures)", p.field_code),
                        );
                    }
                    let mut ids = Vec::new();
                    for (j, a) in p.agency_codes.iter().enumerate() {
                        match agencies::find_id(&self.db, a.as_str()).await? {
                            Some(id) => ids.push(id),
                            None => v.add(
                                row_field(n, i, &format!("agency_codes[{j}]")),
                                format!("không có cơ quan {a} (no agency with this code)"),
                            ),
                        }
                    }
                    out.push((p, ids));
                }
                Err(e) => e.0.into_iter().for_each(|f| v.add(row_field(n, i, &f.field), f.message)),
            }
        }
        v.into_result()?;
        Ok(out)
    }

    /// Text the search index holds for a version: code, name, field name, result, documents.
    async fn search_text(&self, v: &ProcedureVersion) -> Result<String> {
        let field = self.code_name(FIELD_LIST, &v.field_code, false).await?;
        let docs: Vec<&str> = v.body.documents.iter().map(|d| d.name.as_str()).collect();
        Ok(kernel::fold::fold(&format!("{} {} {} {} {}", v.code, v.name, field, v.body.result, docs.join(" "))))
    }

    /// Creates procedures with their first version; an existing code is a conflict (use
    /// [`Catalog::add_procedure_version`] for a new decision). With `replace`, an existing code
    /// gets a new version instead (imports of an updated catalog).
    pub async fn create_procedures(&self, inputs: &[ProcedureInput], replace: bool) -> Result<Vec<ProcedureVersion>> {
        let valid = self.validate_procedures(inputs).await?;
        let mut v = Violations::new();
        let mut seen = std::collections::HashSet::new();
        for (i, (p, _)) in valid.iter().enumerate() {
            if !seen.insert(p.code.clone()) {
                v.add(row_field(valid.len(), i, "code"), "mã bị trùng trong tệp (duplicate code in the batch)");
            }
        }
        v.into_result()?;
        let today = kernel::time::today_vn();
        let mut tx = self.db.begin().await?;
        let mut made = Vec::new();
        for (i, (p, agency_ids)) in valid.iter().enumerate() {
            let pid = match procedures::find(&mut tx, p.code.as_str()).await? {
                Some(_) if !replace => {
                    return Err(Error::Invalid(vec![kernel::FieldError::new(
                        row_field(valid.len(), i, "code"),
                        format!("thủ tục {} đã có; quyết định mới tạo phiên bản mới (procedure exists; add a version instead)", p.code),
                    )]));
                }
                Some(id) => id,
                None => procedures::insert_procedure(&mut tx, &p.code).await?,
            };
            let (vid, _) = procedures::insert_version(&mut tx, &pid, p).await?;
            let version = procedures::version_by_id(&mut tx, &vid).await?;
            let current_missing = procedures::current(&mut tx, p.code.as_str()).await.is_err();
            if p.effective_from <= today || current_missing {
                let text = self.search_text(&version).await?;
                procedures::make_current(&mut tx, &version, agency_ids, &text).await?;
            }
            made.push(vid);
        }
        let mut out = Vec::new();
        for id in made {
            out.push(procedures::version_by_id(&mut tx, &id).await?);
        }
        tx.commit().await?;
        Ok(out)
    }

    pub async fn create_procedure(&self, input: &ProcedureInput) -> Result<ProcedureVersion> {
        self.create_procedures(std::slice::from_ref(input), false).await?.pop().ok_or_else(|| Error::internal("nothing written"))
    }

    /// Records a new decision about procedure `code`: a new version, in force from its
    /// effective date (at once when that date has come). Earlier versions stay as they were.
    pub async fn add_procedure_version(&self, code: &str, input: &ProcedureInput) -> Result<ProcedureVersion> {
        if procedures::find(&self.db, code).await?.is_none() {
            return Err(Error::not_found(format!("thủ tục {code}")));
        }
        if input.code.trim() != code {
            return Err(Error::invalid("code", format!("mã trong nội dung phải là {code} (the body's code must match the URL)")));
        }
        self.create_procedures(std::slice::from_ref(input), true).await?.pop().ok_or_else(|| Error::internal("nothing written"))
    }

    /// Puts in force the versions whose effective date has come. Returns how many changed.
    pub async fn promote_due_versions(&self) -> Result<usize> {
        let due = procedures::due_versions(&self.db, kernel::time::today_vn()).await?;
        for id in &due {
            let mut tx = self.db.begin().await?;
            let v = procedures::version_by_id(&mut tx, id).await?;
            let mut ids = Vec::new();
            for a in &v.body.agency_codes {
                if let Some(x) = agencies::find_id(&mut tx, a).await? {
                    ids.push(x);
                }
            }
            let text = self.search_text(&v).await?;
            procedures::make_current(&mut tx, &v, &ids, &text).await?;
            tx.commit().await?;
        }
        Ok(due.len())
    }

    pub async fn procedure(&self, code: &str) -> Result<ProcedureVersion> {
        procedures::current(&self.db, code).await
    }

    pub async fn procedure_version(&self, code: &str, version: i64) -> Result<ProcedureVersion> {
        procedures::version(&self.db, code, version).await
    }

    /// A version by its id, as dossiers record it.
    pub async fn procedure_version_by_id(&self, id: &str) -> Result<ProcedureVersion> {
        procedures::version_by_id(&self.db, id).await
    }

    pub async fn procedure_versions(&self, code: &str) -> Result<Vec<ProcedureVersion>> {
        let v = procedures::versions(&self.db, code).await?;
        if v.is_empty() {
            return Err(Error::not_found(format!("thủ tục {code}")));
        }
        Ok(v)
    }

    pub async fn search_procedures(&self, f: &ProcedureFilter, offset: i64, limit: i64) -> Result<(Vec<ProcedureSummary>, i64)> {
        procedures::search(&self.db, f, offset, limit).await
    }

    pub async fn procedure_agencies(&self, procedure_id: &str) -> Result<Vec<(String, String)>> {
        procedures::agencies_of(&self.db, procedure_id).await
    }

    pub async fn procedure_counts_by_field(&self) -> Result<Vec<(String, i64)>> {
        procedures::counts_by_field(&self.db).await
    }
}
