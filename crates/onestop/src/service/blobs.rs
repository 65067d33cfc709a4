//! Attachments in the blob store: files named by their SHA-256 under `<data_dir>/blobs`, with
//! size and type limits; an electronic result keeps its hash on the dossier so anyone can
//! check a copy.

use kernel::authz::{Permission, Principal};
use kernel::db::q;
use kernel::{Error, Result};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::Onestop;
use crate::model::Status;
use crate::store;

/// Largest attachment accepted.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// Types accepted, with the leading bytes each must start with.
const TYPES: &[(&str, &[u8])] = &[("application/pdf", b"%PDF"), ("image/jpeg", b"\xFF\xD8\xFF"), ("image/png", b"\x89PNG")];

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Attachment {
    pub id: String,
    /// `application`, `supplement` or `result`.
    pub purpose: String,
    /// The required document it answers (`TP1`...), if any.
    pub document_code: Option<String>,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_at: i64,
}

impl Onestop {
    /// Checks a file (type declared and sniffed, size, name) and stores it by its SHA-256.
    /// Returns the normalised content type and the hash.
    pub(crate) async fn store_blob(&self, name: &str, content_type: &str, bytes: &[u8]) -> Result<(String, String)> {
        let ct = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        let Some((_, magic)) = TYPES.iter().find(|(t, _)| *t == ct) else {
            return Err(Error::invalid("content_type", "chỉ nhận PDF, JPEG, PNG (only PDF, JPEG and PNG files)"));
        };
        if bytes.is_empty() || bytes.len() > MAX_BYTES {
            return Err(Error::invalid("file", format!("tệp từ 1 byte đến {} MB (1 byte to {} MB)", MAX_BYTES >> 20, MAX_BYTES >> 20)));
        }
        if !bytes.starts_with(magic) {
            return Err(Error::invalid("file", "nội dung tệp không đúng loại đã khai (the content is not of the declared type)"));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 || name.contains(['/', '\\']) {
            return Err(Error::invalid("name", "tên tệp 1–200 ký tự, không có / (a file name of 1–200 characters, no slashes)"));
        }
        let sha = kernel::blob::BlobStore::new(&self.blob_dir).put(bytes).await?;
        Ok((ct, sha))
    }

    pub(crate) async fn read_blob(&self, sha: &str) -> Result<Vec<u8>> {
        kernel::blob::BlobStore::new(&self.blob_dir).read(sha).await
    }

    /// Stores a file for a dossier. Applicants add `application` and `supplement` files to
    /// their own dossiers while they are open to them; officials of the agency add any, and
    /// only they add the `result`.
    // One argument per field of the upload form; callers pass them straight through.
    #[allow(clippy::too_many_arguments)]
    pub async fn attach(
        &self,
        p: &Principal,
        dossier_id: &str,
        purpose: &str,
        document_code: Option<&str>,
        name: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<Attachment> {
        let d = self.dossier(p, dossier_id).await?;
        let own = d.account_id.as_deref() == Some(p.id.as_str());
        let official = p.allows(Permission::DossierView, Some(&d.agency_id));
        match purpose {
            "application" if own && d.d.status == Status::Submitted => {}
            "supplement" if own && d.d.status == Status::SupplementRequested => {}
            "application" | "supplement" if official && !d.d.status.is_final() => {}
            "result" if official && matches!(d.d.status, Status::Processing | Status::Processed) => {}
            "application" | "supplement" | "result" => {
                return Err(Error::conflict(format!("không thể thêm tệp «{purpose}» lúc này (cannot add this file now)")));
            }
            _ => return Err(Error::invalid("purpose", "application, supplement hoặc result")),
        }
        let (ct, sha) = self.store_blob(name, content_type, bytes).await?;
        if let Some(code) = document_code {
            if d.d.kind == "internal" {
                return Err(Error::invalid(
                    "document",
                    "việc nội bộ không có thành phần hồ sơ (an internal case has no required documents)",
                ));
            }
            let pv = self.catalog.procedure_version_by_id(&d.procedure_version_id).await?;
            if !pv.body.documents.iter().any(|doc| doc.code == code) {
                return Err(Error::invalid("document", format!("thủ tục không có thành phần hồ sơ {code} (no such required document)")));
            }
        }
        let name = name.trim();
        let id = kernel::id::new_id();
        let now = self.now();
        let mut tx = self.db.begin().await?;
        q("INSERT INTO attachments (id, dossier_id, purpose, document_code, name, content_type, size, sha256, uploaded_by, uploaded_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(id.as_str())
        .bind(d.d.id.as_str())
        .bind(purpose)
        .bind(document_code.map(str::to_owned))
        .bind(name)
        .bind(ct.as_str())
        .bind(bytes.len() as i64)
        .bind(sha.as_str())
        .bind(p.id.as_str())
        .bind(now)
        .execute(&mut tx)
        .await?;
        if purpose == "result" {
            q("UPDATE dossiers SET result_sha256 = $2, version = version + 1 WHERE id = $1")
                .bind(d.d.id.as_str())
                .bind(sha.as_str())
                .execute(&mut tx)
                .await?;
        }
        store::append(
            &mut tx,
            &d.d.id,
            now,
            (&p.id, &p.name),
            "file_added",
            None,
            None,
            None,
            None,
            json!({"attachment": id, "purpose": purpose, "document": document_code, "name": name, "sha256": sha, "size": bytes.len()}),
        )
        .await?;
        tx.commit().await?;
        Ok(Attachment {
            id,
            purpose: purpose.into(),
            document_code: document_code.map(str::to_owned),
            name: name.into(),
            content_type: ct,
            size: bytes.len() as i64,
            sha256: sha,
            uploaded_at: now,
        })
    }

    pub async fn attachments(&self, p: &Principal, dossier_id: &str) -> Result<Vec<Attachment>> {
        let d = self.dossier(p, dossier_id).await?;
        q("SELECT id, purpose, document_code, name, content_type, size, sha256, uploaded_at FROM attachments WHERE dossier_id = $1 ORDER BY uploaded_at, id")
            .bind(d.d.id.as_str())
            .fetch_all(&self.db)
            .await?
            .iter()
            .map(|r| {
                Ok(Attachment {
                    id: r.text("id")?,
                    purpose: r.text("purpose")?,
                    document_code: r.opt_text("document_code")?,
                    name: r.text("name")?,
                    content_type: r.text("content_type")?,
                    size: r.int("size")?,
                    sha256: r.text("sha256")?,
                    uploaded_at: r.int("uploaded_at")?,
                })
            })
            .collect()
    }

    /// A file's metadata and bytes, for those who may see the dossier.
    pub async fn attachment(&self, p: &Principal, dossier_id: &str, id: &str) -> Result<(Attachment, Vec<u8>)> {
        let a =
            self.attachments(p, dossier_id).await?.into_iter().find(|a| a.id == id).ok_or_else(|| Error::not_found(format!("tệp {id}")))?;
        let bytes = self.read_blob(&a.sha256).await?;
        Ok((a, bytes))
    }

    /// Whether a file is the electronic result of a dossier (anyone may check a copy).
    pub async fn verify_result(&self, code: &str, sha256: &str) -> Result<bool> {
        let d = store::by_code(&self.db, code.trim()).await?.ok_or_else(|| Error::not_found(format!("hồ sơ {code}")))?;
        Ok(d.d.result_sha256.as_deref() == Some(sha256.trim().to_ascii_lowercase().as_str()))
    }
}
