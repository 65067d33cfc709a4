//! Files on documents (the main text, attachments, handlers' drafts) in the blob store, and
//! the dossiers a document is linked to.

use kernel::authz::{Permission, Principal};
use kernel::db::q;
use kernel::{Error, Result};

use super::{Docflow, FileInfo, MAX_FILE_BYTES, trace};
use crate::model::{Direction, DocState};

/// Types accepted, with the leading bytes each must start with.
const TYPES: &[(&str, &[u8])] = &[
    ("application/pdf", b"%PDF"),
    ("image/jpeg", b"\xFF\xD8\xFF"),
    ("image/png", b"\x89PNG"),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK\x03\x04"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04"),
    ("application/vnd.oasis.opendocument.text", b"PK\x03\x04"),
    ("application/msword", b"\xD0\xCF\x11\xE0"),
];

/// Checks a file before it is stored: a type accepted, its first bytes matching, 1 byte to
/// 50 MB, a plain name. Returns the normalised content type.
pub fn check_file(name: &str, content_type: &str, bytes: &[u8]) -> Result<String> {
    let ct = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let Some((_, magic)) = TYPES.iter().find(|(t, _)| *t == ct) else {
        return Err(Error::invalid(
            "content_type",
            "chỉ nhận PDF, Word, OpenDocument, Excel, JPEG, PNG (only PDF, Word, ODT, Excel, JPEG, PNG)",
        ));
    };
    if bytes.is_empty() || bytes.len() > MAX_FILE_BYTES {
        return Err(Error::invalid(
            "file",
            format!("tệp từ 1 byte đến {} MB (1 byte to {} MB)", MAX_FILE_BYTES >> 20, MAX_FILE_BYTES >> 20),
        ));
    }
    if !bytes.starts_with(magic) {
        return Err(Error::invalid("file", "nội dung tệp không đúng loại đã khai (the content is not of the declared type)"));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.contains(['/', '\\']) {
        return Err(Error::invalid("name", "tên tệp 1–200 ký tự, không có / (a file name of 1–200 characters, no slashes)"));
    }
    Ok(ct)
}

impl Docflow {
    /// Adds a file. `main` and `attachment` files go on drafts (by the drafter's agency) and on
    /// incoming documents being registered (by the clerk); handlers add `draft` files to
    /// documents assigned to them.
    pub async fn add_file(&self, p: &Principal, id: &str, role: &str, name: &str, content_type: &str, bytes: &[u8]) -> Result<FileInfo> {
        let d = self.document(p, id).await?;
        let ct = check_file(name, content_type, bytes)?;
        let name = name.trim();
        let allowed = match (role, d.direction, d.state) {
            ("main" | "attachment", Direction::Outgoing, DocState::Draft) => {
                p.allows(Permission::DossierProcess, Some(&d.agency_id))
                    || p.allows(Permission::DossierApprove, Some(&d.agency_id))
                    || p.allows(Permission::DocumentNumber, Some(&d.agency_id))
            }
            ("main" | "attachment", Direction::Incoming, DocState::Registered) => p.allows(Permission::DocumentNumber, Some(&d.agency_id)),
            ("draft", Direction::Incoming, DocState::Assigned | DocState::Processing) => {
                q("SELECT COUNT(*) FROM document_assignments WHERE document_id = $1 AND account_id = $2")
                    .bind(id)
                    .bind(p.id.clone())
                    .fetch_i64(&self.db)
                    .await?
                    > 0
            }
            _ => false,
        };
        if !allowed {
            return Err(Error::conflict(format!(
                "không thêm được tệp «{role}» vào văn bản lúc này (a «{role}» file cannot be added to this document now, or not by you)"
            )));
        }
        let sha = self.blobs.put(bytes).await?;
        let file_id = kernel::id::new_id();
        let now = kernel::time::now_ms();
        let mut tx = self.db.begin().await?;
        q("INSERT INTO document_files (id, document_id, role, name, content_type, size, sha256, added_by, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(file_id.clone())
            .bind(id)
            .bind(role)
            .bind(name)
            .bind(ct.clone())
            .bind(bytes.len() as i64)
            .bind(sha.clone())
            .bind(p.id.clone())
            .bind(now)
            .execute(&mut tx)
            .await?;
        if role == "main" && d.source == "typed" {
            q("UPDATE documents SET source = 'upload' WHERE id = $1").bind(id).execute(&mut tx).await?;
        }
        trace(&mut tx, id, Some(p), "file", None, None, Some(&format!("{name} ({role})")), None).await?;
        tx.commit().await?;
        Ok(FileInfo {
            id: file_id,
            role: role.to_owned(),
            name: name.to_owned(),
            content_type: ct,
            size: bytes.len() as i64,
            sha256: sha,
            added_at: now,
        })
    }

    /// A file of a document the caller may see: its name, type and bytes.
    pub async fn file(&self, p: &Principal, id: &str, file_id: &str) -> Result<(FileInfo, Vec<u8>)> {
        self.document(p, id).await?;
        let r = q("SELECT id, role, name, content_type, size, sha256, added_at FROM document_files WHERE id = $1 AND document_id = $2")
            .bind(file_id)
            .bind(id)
            .fetch_optional(&self.db)
            .await?
            .ok_or_else(|| Error::not_found(format!("tệp {file_id} (file)")))?;
        let info = FileInfo {
            id: r.text("id")?,
            role: r.text("role")?,
            name: r.text("name")?,
            content_type: r.text("content_type")?,
            size: r.int("size")?,
            sha256: r.text("sha256")?,
            added_at: r.int("added_at")?,
        };
        let bytes = self.blobs.read(&info.sha256).await?;
        Ok((info, bytes))
    }

    /// Links a dossier of the same agency to a document it produced (or answered).
    pub async fn link_dossier(&self, p: &Principal, id: &str, dossier_code: &str) -> Result<()> {
        let d = self.document(p, id).await?;
        if !p.allows(Permission::DossierView, Some(&d.agency_id)) {
            return Err(Error::Forbidden("không phải văn bản của cơ quan bạn (not your agency's document)".into()));
        }
        let row = q("SELECT id, agency_id FROM dossiers WHERE code = $1").bind(dossier_code.trim()).fetch_optional(&self.db).await?;
        let Some(row) = row.filter(|r| r.text("agency_id").is_ok_and(|a| p.allows(Permission::DossierView, Some(&a)))) else {
            return Err(Error::invalid(
                "dossier_code",
                format!("không có hồ sơ {dossier_code} ở cơ quan bạn (no such dossier at your agencies)"),
            ));
        };
        let mut tx = self.db.begin().await?;
        q("INSERT INTO document_links (document_id, dossier_id, linked_by, linked_at) VALUES ($1, $2, $3, $4) ON CONFLICT (document_id, dossier_id) DO NOTHING")
            .bind(id)
            .bind(row.text("id")?)
            .bind(p.id.clone())
            .bind(kernel::time::now_ms())
            .execute(&mut tx)
            .await?;
        trace(&mut tx, id, Some(p), "link", None, None, Some(&format!("hồ sơ {}", dossier_code.trim())), None).await?;
        tx.commit().await
    }

    /// Documents linked to a dossier (for the dossier's page and API).
    pub async fn documents_of_dossier(&self, p: &Principal, dossier_code: &str) -> Result<Vec<super::Document>> {
        let rows = q(format!(
            "SELECT {} FROM {} JOIN document_links l ON l.document_id = d.id JOIN dossiers s ON s.id = l.dossier_id WHERE s.code = $1 ORDER BY d.created_at",
            super::read::DOC_COLS,
            super::read::DOC_FROM
        ))
        .bind(dossier_code.trim())
        .fetch_all(&self.db)
        .await?;
        let docs = rows.iter().map(super::read::doc_row).collect::<Result<Vec<_>>>()?;
        Ok(docs.into_iter().filter(|d| p.allows(Permission::DossierView, Some(&d.agency_id))).collect())
    }
}
