use kernel::{Error, Result};

use super::Catalog;
use crate::model::codelist::{CodeItem, CodeList, CodeListInput};
use crate::store::codelists;

impl Catalog {
    pub async fn code_lists(&self) -> Result<Vec<CodeList>> {
        codelists::lists(&self.db).await
    }

    pub async fn create_code_list(&self, input: &CodeListInput) -> Result<CodeList> {
        input.validate().map_err(|v| Error::Invalid(v.0))?;
        if codelists::list_exists(&self.db, input.code.trim()).await? {
            return Err(Error::conflict(format!("danh mục {} đã có (the list already exists)", input.code.trim())));
        }
        codelists::upsert_list(&self.db, input.code.trim(), input.name.trim(), input.name_en.as_deref(), false).await?;
        self.code_lists().await?.into_iter().find(|l| l.code == input.code.trim()).ok_or_else(|| Error::internal("list vanished"))
    }

    /// Adds or changes items of an existing list, all or none.
    pub async fn upsert_code_items(&self, list: &str, items: &[CodeItem]) -> Result<()> {
        if !codelists::list_exists(&self.db, list).await? {
            return Err(Error::not_found(format!("danh mục {list}")));
        }
        let mut v = kernel::Violations::new();
        for (i, item) in items.iter().enumerate() {
            if let Err(e) = item.validate() {
                e.0.into_iter().for_each(|f| v.add(super::units::row_field(items.len(), i, &f.field), f.message));
            }
        }
        v.into_result()?;
        let mut tx = self.db.begin().await?;
        for item in items {
            codelists::upsert_item(&mut tx, list, item).await?;
        }
        tx.commit().await
    }

    pub async fn code_items(&self, list: &str, text: Option<&str>, offset: i64, limit: i64) -> Result<(Vec<CodeItem>, i64)> {
        codelists::items(&self.db, list, text, offset, limit).await
    }

    pub async fn code_item(&self, list: &str, code: &str) -> Result<Option<CodeItem>> {
        codelists::item(&self.db, list, code).await
    }

    /// The display name of a code, or the code itself when unknown.
    pub async fn code_name(&self, list: &str, code: &str, en: bool) -> Result<String> {
        Ok(match codelists::item(&self.db, list, code).await? {
            Some(i) if en => i.name_en.unwrap_or(i.name),
            Some(i) => i.name,
            None => code.to_owned(),
        })
    }
}
