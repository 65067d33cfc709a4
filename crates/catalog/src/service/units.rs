use std::collections::HashMap;

use kernel::{Error, Result, Violations};

use super::Catalog;
use crate::model::unit::{AdminUnit, Tier, UnitInput, ValidUnit, check_parent};
use crate::store::units::{self, UnitFilter};

impl Catalog {
    /// Creates or updates units (by code). Parents and merge targets may be in the database or
    /// in the same batch. Either every unit is written or none, and every bad row is reported
    /// with its index.
    pub async fn upsert_units(&self, inputs: &[UnitInput]) -> Result<Vec<AdminUnit>> {
        let mut v = Violations::new();
        let mut valid: Vec<ValidUnit> = Vec::new();
        for (i, input) in inputs.iter().enumerate() {
            match input.validate() {
                Ok(u) => valid.push(u),
                Err(e) => e.0.into_iter().for_each(|f| v.add(row_field(inputs.len(), i, &f.field), f.message)),
            }
        }
        v.into_result()?;
        let batch: HashMap<&str, Tier> = valid.iter().map(|u| (u.code.as_str(), u.kind.tier())).collect();
        let mut v = Violations::new();
        for (i, u) in valid.iter().enumerate() {
            if let Some(p) = &u.parent_code {
                let tier = match batch.get(p.as_str()) {
                    Some(t) => Some(*t),
                    None => units::find(&self.db, p.as_str()).await?.map(|x| x.1),
                };
                match tier {
                    None => v.add(row_field(valid.len(), i, "parent_code"), format!("không có đơn vị {p} (no unit with this code)")),
                    Some(t) => {
                        if let Err(m) = check_parent(u, t) {
                            v.add(row_field(valid.len(), i, "parent_code"), m);
                        }
                    }
                }
            }
            if let Some(m) = &u.merged_into_code
                && !batch.contains_key(m.as_str())
                && units::find(&self.db, m.as_str()).await?.is_none()
            {
                v.add(row_field(valid.len(), i, "merged_into_code"), format!("không có đơn vị {m} (no unit with this code)"));
            }
        }
        v.into_result()?;
        // Parents before children; merge targets may come later, so links are set in a second pass.
        let mut order: Vec<&ValidUnit> = valid.iter().collect();
        order.sort_by_key(|u| u.kind.tier().rank());
        let mut tx = self.db.begin().await?;
        for u in &order {
            let parent_id = match &u.parent_code {
                Some(p) => units::find(&mut tx, p.as_str()).await?.map(|x| x.0),
                None => None,
            };
            units::upsert(&mut tx, &ValidUnit { merged_into_code: None, ..(*u).clone() }, parent_id.as_deref(), None).await?;
        }
        for u in order.iter().filter(|u| u.merged_into_code.is_some()) {
            let parent_id = match &u.parent_code {
                Some(p) => units::find(&mut tx, p.as_str()).await?.map(|x| x.0),
                None => None,
            };
            let merged = units::find(&mut tx, u.merged_into_code.as_ref().map(|c| c.as_str()).unwrap_or("")).await?.map(|x| x.0);
            units::upsert(&mut tx, u, parent_id.as_deref(), merged.as_deref()).await?;
        }
        let mut out = Vec::new();
        for u in &valid {
            out.push(units::get(&mut tx, u.code.as_str()).await?);
        }
        tx.commit().await?;
        Ok(out)
    }

    pub async fn upsert_unit(&self, input: &UnitInput) -> Result<AdminUnit> {
        let mut out = self.upsert_units(std::slice::from_ref(input)).await?;
        out.pop().ok_or_else(|| Error::internal("no unit written"))
    }

    pub async fn unit(&self, code: &str) -> Result<AdminUnit> {
        units::get(&self.db, code).await
    }

    pub async fn units(&self, f: &UnitFilter, offset: i64, limit: i64) -> Result<(Vec<AdminUnit>, i64)> {
        units::list(&self.db, f, offset, limit).await
    }
}

/// Names a field of row `i` in a batch (`rows[3].code`), or just the field for one input.
pub(crate) fn row_field(n: usize, i: usize, field: &str) -> String {
    if n == 1 { field.to_owned() } else { format!("rows[{i}].{field}") }
}
