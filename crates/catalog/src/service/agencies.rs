use std::collections::HashSet;

use kernel::{Error, Result, Violations};

use super::Catalog;
use super::units::row_field;
use crate::model::agency::{Agency, AgencyInput, ValidAgency};
use crate::store::agencies::AgencyFilter;
use crate::store::{agencies, units};

impl Catalog {
    /// Creates or updates agencies (by code), all or none; parents may be in the same batch.
    pub async fn upsert_agencies(&self, inputs: &[AgencyInput]) -> Result<Vec<Agency>> {
        let n = inputs.len();
        let mut v = Violations::new();
        let mut valid: Vec<ValidAgency> = Vec::new();
        for (i, input) in inputs.iter().enumerate() {
            match input.validate() {
                Ok(a) => valid.push(a),
                Err(e) => e.0.into_iter().for_each(|f| v.add(row_field(n, i, &f.field), f.message)),
            }
        }
        v.into_result()?;
        let batch: HashSet<&str> = valid.iter().map(|a| a.code.as_str()).collect();
        let mut seen = HashSet::new();
        let mut v = Violations::new();
        for (i, a) in valid.iter().enumerate() {
            if !seen.insert(a.code.as_str()) {
                v.add(row_field(n, i, "code"), "mã bị trùng trong tệp (duplicate code in the batch)");
            }
            if let Some(p) = &a.parent_code
                && !batch.contains(p.as_str())
                && agencies::find_id(&self.db, p.as_str()).await?.is_none()
            {
                v.add(row_field(n, i, "parent_code"), format!("không có cơ quan {p} (no agency with this code)"));
            }
            if let Some(u) = &a.unit_code
                && units::find(&self.db, u.as_str()).await?.is_none()
            {
                v.add(row_field(n, i, "unit_code"), format!("không có đơn vị hành chính {u} (no administrative unit with this code)"));
            }
        }
        if v.is_empty() {
            self.check_no_cycles(&valid, &mut v).await?;
        }
        v.into_result()?;
        let mut tx = self.db.begin().await?;
        // Insert without parents first so that parents in the batch exist, then link.
        for a in &valid {
            let unit_id = match &a.unit_code {
                Some(u) => units::find(&mut tx, u.as_str()).await?.map(|x| x.0),
                None => None,
            };
            let existing_parent = match &a.parent_code {
                Some(p) => agencies::find_id(&mut tx, p.as_str()).await?,
                None => None,
            };
            agencies::upsert(&mut tx, a, existing_parent.as_deref(), unit_id.as_deref()).await?;
        }
        for a in valid.iter().filter(|a| a.parent_code.is_some()) {
            let unit_id = match &a.unit_code {
                Some(u) => units::find(&mut tx, u.as_str()).await?.map(|x| x.0),
                None => None,
            };
            let parent = agencies::find_id(&mut tx, a.parent_code.as_ref().map(|c| c.as_str()).unwrap_or("")).await?;
            agencies::upsert(&mut tx, a, parent.as_deref(), unit_id.as_deref()).await?;
        }
        let mut out = Vec::new();
        for a in &valid {
            out.push(agencies::get(&mut tx, a.code.as_str()).await?);
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Refuses a batch that would make an agency its own ancestor.
    async fn check_no_cycles(&self, valid: &[ValidAgency], v: &mut Violations) -> Result<()> {
        let mut parent: std::collections::HashMap<String, Option<String>> =
            agencies::all(&self.db).await?.into_iter().map(|a| (a.code.to_string(), a.parent_code)).collect();
        for a in valid {
            parent.insert(a.code.to_string(), a.parent_code.as_ref().map(|p| p.to_string()));
        }
        for (i, a) in valid.iter().enumerate() {
            let mut cur = a.parent_code.as_ref().map(|p| p.to_string());
            let mut steps = 0;
            while let Some(c) = cur {
                if c == a.code.as_str() || steps > 64 {
                    v.add(
                        row_field(valid.len(), i, "parent_code"),
                        "tạo vòng lặp trong cây cơ quan (would make the agency its own ancestor)",
                    );
                    break;
                }
                cur = parent.get(&c).cloned().flatten();
                steps += 1;
            }
        }
        Ok(())
    }

    pub async fn upsert_agency(&self, input: &AgencyInput) -> Result<Agency> {
        self.upsert_agencies(std::slice::from_ref(input)).await?.pop().ok_or_else(|| Error::internal("no agency written"))
    }

    pub async fn agency(&self, code: &str) -> Result<Agency> {
        agencies::get(&self.db, code).await
    }

    pub async fn agencies(&self, f: &AgencyFilter, offset: i64, limit: i64) -> Result<(Vec<Agency>, i64)> {
        agencies::list(&self.db, f, offset, limit).await
    }

    /// Every active agency, ordered by code (for trees and pickers).
    pub async fn all_agencies(&self) -> Result<Vec<Agency>> {
        agencies::all(&self.db).await
    }
}
