//! The engine operations the Registration API adds: documents staged ahead of their
//! application, and corrections of an application's form data.

use kernel::authz::{Permission, Principal};
use kernel::db::q;
use kernel::{Error, Result};
use serde_json::{Value, json};

use crate::Onestop;
use crate::model::{Dossier, Status};
use crate::store;

impl Onestop {
    /// Stores a document uploaded ahead of its application.
    pub async fn stage_document(&self, p: &Principal, name: &str, content_type: &str, bytes: &[u8]) -> Result<String> {
        let (ct, sha) = self.store_blob(name, content_type, bytes).await?;
        let id = kernel::id::new_id();
        q("INSERT INTO staged_documents (id, name, content_type, size, sha256, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(id.as_str())
            .bind(name.trim())
            .bind(ct)
            .bind(bytes.len() as i64)
            .bind(sha)
            .bind(p.id.as_str())
            .bind(self.now())
            .execute(&self.db)
            .await?;
        Ok(id)
    }

    /// Attaches a staged document to a dossier of the same uploader.
    pub async fn attach_staged(&self, p: &Principal, dossier_id: &str, staged_id: &str) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let row = q("UPDATE staged_documents SET used_by = $3 WHERE id = $1 AND uploaded_by = $2 AND used_by IS NULL RETURNING name, content_type, size, sha256")
            .bind(staged_id)
            .bind(p.id.as_str())
            .bind(dossier_id)
            .fetch_optional(&mut tx)
            .await?
            .ok_or_else(|| Error::invalid("documentUrls", format!("không có tài liệu {staged_id} (no such uploaded document)")))?;
        let id = kernel::id::new_id();
        q("INSERT INTO attachments (id, dossier_id, purpose, name, content_type, size, sha256, uploaded_by, uploaded_at) VALUES ($1, $2, 'application', $3, $4, $5, $6, $7, $8)")
            .bind(id.as_str())
            .bind(dossier_id)
            .bind(row.text("name")?)
            .bind(row.text("content_type")?)
            .bind(row.int("size")?)
            .bind(row.text("sha256")?)
            .bind(p.id.as_str())
            .bind(self.now())
            .execute(&mut tx)
            .await?;
        store::append(
            &mut tx,
            dossier_id,
            self.now(),
            (&p.id, &p.name),
            "file_added",
            None,
            None,
            None,
            None,
            json!({"attachment": id, "purpose": "application", "sha256": row.text("sha256")?}),
        )
        .await?;
        tx.commit().await
    }

    /// Corrects the form data of a dossier not yet accepted (reception), checked against the
    /// procedure's schema and recorded in the history.
    pub async fn update_form(&self, p: &Principal, id: &str, form: &Value) -> Result<Dossier> {
        crate::service::retry_stale(|| self.update_form_once(p, id, form)).await
    }

    async fn update_form_once(&self, p: &Principal, id: &str, form: &Value) -> Result<Dossier> {
        let (mut tx, d) = self.begin(id, None).await?;
        if !self.visible(p, &d).await? {
            return Err(Error::not_found(format!("hồ sơ {id}")));
        }
        if !p.allows(Permission::DossierReceive, Some(&d.agency_id)) {
            return Err(Error::Forbidden("cán bộ tiếp nhận của cơ quan mới sửa được (only the agency's reception)".into()));
        }
        if d.d.status != Status::Submitted {
            return Err(crate::service::conflict_state(&d.d, "sửa tờ khai"));
        }
        let pv = self.catalog.procedure_version_by_id(&d.procedure_version_id).await?;
        if let Some(schema) = &pv.eform {
            let errors = catalog::eform::validate_data(schema, form);
            if !errors.is_empty() {
                return Err(Error::Invalid(
                    errors
                        .into_iter()
                        .map(|e| kernel::FieldError::new(format!("formData.{}", e.field.trim_start_matches('/')), e.message))
                        .collect(),
                ));
            }
        }
        let n = q("UPDATE dossiers SET form = $2, version = version + 1 WHERE id = $1 AND version = $3")
            .bind(id)
            .bind(form.to_string())
            .bind(d.d.version)
            .execute(&mut tx)
            .await?;
        if n != 1 {
            return Err(crate::service::stale());
        }
        store::append(&mut tx, id, self.now(), (&p.id, &p.name), "form_corrected", None, None, None, None, json!({})).await?;
        let fresh = store::load(&mut tx, id, false).await?.ok_or_else(|| Error::internal("dossier vanished"))?;
        tx.commit().await?;
        Ok(fresh.d)
    }
}
