//! edXML packages of this deployment: the signed package of an issued document, built into
//! the blob store with its files streamed; and a package taken in from the hub, its
//! attachments streamed into the blob store, its signature checked against the trusted
//! certificates, kept as an arrived (or, when the signature fails, refused) incoming document.

use std::io::Write;

use kernel::db::{Tx, q};
use kernel::{Error, Result};

use super::exchange::{date_of, organization, seen};
use super::hub::HubMessage;
use super::{Docflow, Document, search_text, trace};
use crate::model::DocState;

impl Docflow {
    pub(crate) async fn take_package(&self, m: &HubMessage, sha: &str) -> Result<()> {
        let Some(agency) = self.agency_by_organ(&m.to_organ).await? else { return Ok(()) };
        let file = self.blobs.open(sha)?;
        let blobs = self.blobs.clone();
        let parsed = tokio::task::spawn_blocking(move || {
            let mut sink = BlobSink { blobs, stored: Vec::new(), current: None };
            let r = edxml::read_package(std::io::BufReader::new(file), &mut sink);
            sink.close().map(|stored| (r, stored))
        })
        .await
        .map_err(Error::internal)??;
        let (parsed, stored) = parsed;
        let parsed = match parsed {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, message = %m.id, "a malformed edXML package was refused");
                return Ok(());
            }
        };
        let h = parsed.package.header.clone();
        let edxml_id = h.document_id.clone().unwrap_or_else(|| {
            format!(
                "{},{},{}/{}",
                h.from.organ_id,
                edxml::codes::format_date(h.promulgation.promulgation_date),
                h.code.code_number,
                h.code.code_notation
            )
        });
        let trust = self.trust_store().await?;
        let signature = edxml::verify(&parsed, &trust);
        let now = kernel::time::now_ms();
        let id = kernel::id::new_id();
        let kind = crate::model::kind(h.document_type.type_detail);
        let business = parsed.package.traces.business.clone();
        let mut tx = self.db.begin().await?;
        if !seen(&mut tx, &m.id, "package").await? {
            return Ok(());
        }
        let (state, note) = match &signature {
            Ok(info) => (DocState::Arrived, format!("chữ ký số hợp lệ (valid signature): {}", info.subject)),
            Err(e) => (DocState::Rejected, format!("gói tin bị từ chối, chữ ký số không hợp lệ (package refused, bad signature): {e}")),
        };
        let business_of = match business.as_ref().and_then(|b| b.document_id.clone()) {
            Some(prev) => q("SELECT id FROM documents WHERE agency_id = $1 AND edxml_id = $2 ORDER BY created_at DESC LIMIT 1")
                .bind(agency.id.clone())
                .bind(prev)
                .fetch_optional(&mut tx)
                .await?
                .map(|r| r.text("id"))
                .transpose()?,
            None => None,
        };
        // A revoking package (BussinessDocType 1) with a good signature asks for the earlier copy
        // back, as the status 13 does: the clerk answers on that copy (15 or 16).
        if let (Ok(_), Some(prev), Some(edxml::BusinessDocType::Revoke)) = (&signature, &business_of, business.as_ref().map(|b| b.doc_type))
        {
            q("UPDATE documents SET business_type = 1, version = version + 1, updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(prev.clone())
                .execute(&mut tx)
                .await?;
            let reason = business.as_ref().and_then(|b| b.reason.clone()).unwrap_or_default();
            let note = format!(
                "{} thu hồi văn bản (the sender revokes the document){}",
                h.from.organ_name,
                if reason.is_empty() { String::new() } else { format!(": {reason}") }
            );
            trace(&mut tx, prev, None, "status_received", None, None, Some(&note), Some(("13", &h.from.organ_id))).await?;
            tx.commit().await?;
            return Ok(());
        }
        q("INSERT INTO documents (id, agency_id, direction, code_number, code_notation, doc_type, type_name, subject, content, sender_organ_id, sender_name,
             promulgation_date, promulgation_place, signer_name, signer_position, priority, due_date, state, source, edxml_id, business_type, business_of,
             exchange_id, search, created_by, created_at, updated_at)
           VALUES ($1, $2, 'incoming', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 'exchange', $18, $19, $20, $21, $22, 'exchange', $23, $23)")
        .bind(id.clone())
        .bind(agency.id.clone())
        .bind(h.code.code_number.clone())
        .bind(h.code.code_notation.clone())
        .bind(kind.map(|k| k.code as i64).unwrap_or(h.document_type.type_detail as i64))
        .bind(if h.document_type.type_name.is_empty() { kind.map(|k| k.name.to_owned()).unwrap_or_default() } else { h.document_type.type_name.clone() })
        .bind(h.subject.clone())
        .bind(h.content.clone())
        .bind(h.from.organ_id.clone())
        .bind(h.from.organ_name.clone())
        .bind(kernel::time::date_text(h.promulgation.promulgation_date))
        .bind(h.promulgation.place.clone())
        .bind(h.signer.full_name.clone())
        .bind(h.signer.position.clone())
        .bind(h.other_info.priority as i64)
        .bind(h.due_date.map(kernel::time::date_text))
        .bind(state.as_str())
        .bind(edxml_id.clone())
        .bind(business.as_ref().map(|b| b.doc_type.code() as i64).unwrap_or(0))
        .bind(business_of)
        .bind(m.id.clone())
        .bind(search_text(&[Some(&h.code.code_number), Some(&h.code.code_notation), Some(&h.subject), Some(&h.from.organ_name)]))
        .bind(now)
        .execute(&mut tx)
        .await?;
        if signature.is_ok() {
            for (i, r) in parsed.package.references.iter().enumerate() {
                let Some((_, sha, size)) = stored.iter().find(|(cid, _, _)| *cid == r.content_id) else { continue };
                q("INSERT INTO document_files (id, document_id, role, name, content_type, size, sha256, added_by, added_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, 'exchange', $8)")
                .bind(kernel::id::new_id())
                .bind(id.clone())
                .bind(if i == 0 { "main" } else { "attachment" })
                .bind(r.attachment_name.clone())
                .bind(r.content_type.clone())
                .bind(*size as i64)
                .bind(sha.clone())
                .bind(now)
                .execute(&mut tx)
                .await?;
            }
        }
        let d = doc_in_tx(&mut tx, &id).await?;
        trace(&mut tx, &id, None, "arrived", None, Some(state), Some(&note), None).await?;
        match &signature {
            Ok(_) => self.queue_status(&mut tx, &d, edxml::StatusCode::Arrived, None, None).await?,
            Err(e) => {
                self.queue_status(
                    &mut tx,
                    &d,
                    edxml::StatusCode::Rejected,
                    Some(&format!("chữ ký số không hợp lệ (invalid signature): {e}")),
                    None,
                )
                .await?
            }
        }
        tx.commit().await?;
        self.wake.notify_one();
        Ok(())
    }

    /// Builds the signed edXML package of an issued document into the blob store.
    pub(crate) async fn build_package(&self, document_id: &str) -> Result<(String, i64)> {
        let d = self.load(document_id).await?;
        let agency = self.agency_by_id(&d.agency_id).await?;
        let (key_pem, cert_pem) = self.agency_key(&agency).await?;
        let signer =
            edxml::Signer::from_pem(key_pem.as_bytes(), cert_pem.as_bytes()).map_err(|e| Error::internal(format!("signing key: {e}")))?;
        let recipients = self.recipients(document_id).await?;
        // The main text the leader approved (the newest main file when none was recorded), then
        // the attachments.
        let approved = q("SELECT approved_sha256 FROM documents WHERE id = $1")
            .bind(document_id)
            .fetch_one(&self.db)
            .await?
            .opt_text("approved_sha256")?;
        let mut files =
            q("SELECT name, content_type, sha256 FROM document_files WHERE document_id = $1 AND role = 'main' ORDER BY added_at DESC")
                .bind(document_id)
                .fetch_all(&self.db)
                .await?;
        if let Some(a) = approved
            && let Some(i) = files.iter().position(|f| f.text("sha256").is_ok_and(|s| s == a))
        {
            files.swap(0, i);
        }
        files.truncate(1);
        files.extend(
            q("SELECT name, content_type, sha256 FROM document_files WHERE document_id = $1 AND role = 'attachment' ORDER BY added_at, name")
                .bind(document_id)
                .fetch_all(&self.db)
                .await?,
        );
        let mut references = Vec::new();
        let mut sources = Vec::new();
        for (i, f) in files.iter().enumerate() {
            let sha = f.text("sha256")?;
            let cid = format!("att{}", i + 1);
            references.push(edxml::Reference {
                content_id: cid.clone(),
                content_type: f.text("content_type")?,
                description: None,
                attachment_name: f.text("name")?,
            });
            let mut digest = [0u8; 32];
            for (j, b) in digest.iter_mut().enumerate() {
                *b = u8::from_str_radix(&sha[j * 2..j * 2 + 2], 16).map_err(Error::internal)?;
            }
            sources.push(edxml::AttachmentSource { content_id: cid, sha256: digest, reader: Box::new(self.blobs.open(&sha)?) });
        }
        let kind = crate::model::kind(d.kind as u16);
        let business = if d.business_type > 0 {
            let prev = match &d.business_of {
                Some(b) => self.load(b).await?.edxml_id,
                None => None,
            };
            Some(edxml::Business {
                doc_type: edxml::BusinessDocType::from_code(d.business_type as u8).unwrap_or(edxml::BusinessDocType::New),
                reason: d.content.clone(),
                document_id: prev,
                paper: Some(0),
                staff_info: None,
                replacement_info: Vec::new(),
            })
        } else {
            None
        };
        let pkg = edxml::Package {
            header: edxml::MessageHeader {
                from: organization(&agency),
                to: recipients
                    .iter()
                    .map(|r| edxml::Organization {
                        organ_id: r.organ_id.clone(),
                        organization_in_charge: None,
                        organ_name: r.name.clone(),
                        organ_add: None,
                        email: None,
                        telephone: None,
                        fax: None,
                        website: None,
                    })
                    .collect(),
                document_id: d.edxml_id.clone(),
                code: edxml::Code {
                    code_number: d.code_number.clone().unwrap_or_default(),
                    code_notation: d.code_notation.clone().unwrap_or_default(),
                },
                promulgation: edxml::PromulgationInfo {
                    place: d.promulgation_place.clone().unwrap_or_else(|| agency.name.clone()),
                    promulgation_date: date_of(d.promulgation_date.as_deref()),
                },
                document_type: edxml::DocumentType {
                    doc_type: kind.map(|k| k.doc_type).unwrap_or(2),
                    type_detail: d.kind as u16,
                    type_name: d.type_name.clone(),
                },
                subject: d.subject.clone(),
                content: d.content.clone(),
                signer: edxml::SignerInfo {
                    competence: None,
                    position: d.signer_position.clone().unwrap_or_else(|| "Lãnh đạo".into()),
                    full_name: d.signer_name.clone().unwrap_or_default(),
                },
                due_date: d.due_date.as_deref().and_then(kernel::time::parse_date),
                to_places: recipients.iter().map(|r| r.name.clone()).collect(),
                other_info: edxml::OtherInfo {
                    priority: d.priority.clamp(0, 4) as u8,
                    sphere_of_promulgation: None,
                    typer_notation: None,
                    promulgation_amount: Some(recipients.len() as u32),
                    page_amount: None,
                    direction: false,
                    appendixes: Vec::new(),
                },
                steering_type: None,
                response_for: Vec::new(),
            },
            traces: edxml::TraceHeaderList {
                traces: vec![edxml::TraceHeader {
                    organ_id: agency.organ_id.clone(),
                    timestamp: time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+7)),
                }],
                business,
            },
            references,
            signature: None,
        };
        let writer = self.blobs.writer()?;
        let (sha, size) = tokio::task::spawn_blocking(move || -> Result<(String, u64)> {
            let mut w = writer;
            edxml::write_package(&mut w, &pkg, &mut sources, Some(&signer)).map_err(|e| Error::internal(format!("edXML package: {e}")))?;
            w.finish()
        })
        .await
        .map_err(Error::internal)??;
        Ok((sha, size as i64))
    }
}

async fn doc_in_tx(tx: &mut Tx, id: &str) -> Result<Document> {
    let r = q(format!("SELECT {} FROM {} WHERE d.id = $1", super::read::DOC_COLS, super::read::DOC_FROM)).bind(id).fetch_one(tx).await?;
    super::read::doc_row(&r)
}

/// Writes each attachment of a package being read into the blob store.
struct BlobSink {
    blobs: kernel::blob::BlobStore,
    stored: Vec<(String, String, u64)>,
    current: Option<(String, kernel::blob::BlobWriter)>,
}

impl BlobSink {
    fn flush_current(&mut self) -> Result<()> {
        if let Some((cid, w)) = self.current.take() {
            let (sha, size) = w.finish()?;
            self.stored.push((cid, sha, size));
        }
        Ok(())
    }

    fn close(mut self) -> Result<Vec<(String, String, u64)>> {
        self.flush_current()?;
        Ok(std::mem::take(&mut self.stored))
    }
}

impl edxml::AttachmentSink for BlobSink {
    fn begin(&mut self, reference: &edxml::Reference) -> std::result::Result<Box<dyn Write + '_>, edxml::EdxmlError> {
        self.flush_current().map_err(|e| edxml::EdxmlError::invalid("edXML/AttachmentEncoded", e.to_string()))?;
        let w = self.blobs.writer().map_err(|e| edxml::EdxmlError::invalid("edXML/AttachmentEncoded", e.to_string()))?;
        self.current = Some((reference.content_id.clone(), w));
        let (_, w) = self.current.as_mut().ok_or_else(|| edxml::EdxmlError::invalid("edXML/AttachmentEncoded", "sink"))?;
        Ok(Box::new(w))
    }
}
