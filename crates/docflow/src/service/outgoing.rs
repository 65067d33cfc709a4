//! Outgoing documents (văn bản đi): a specialist drafts, the leader approves and signs (or
//! sends it back with a reason), the clerk gives the number and notation from the outgoing
//! register, and the agency's signature goes on the edXML package sent to every recipient.
//! An issued document can be recalled (13, the recipients answer 15 or 16), or updated and
//! replaced by a new one that names it (BussinessDocType 2 and 3).

use kernel::authz::{Permission, Principal};
use kernel::db::q;
use kernel::{Error, Result, Violations};
use serde::Deserialize;
use utoipa::ToSchema;

use super::exchange::{date_of, organization};
use super::incoming::StepInput;
use super::{Docflow, Document, move_state, require, search_text, trace};
use crate::model::{Direction, DocState, kind, notation};

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct OutgoingInput {
    /// The issuing agency; the drafter's own when left out.
    pub agency_code: Option<String>,
    pub kind: u16,
    pub subject: String,
    pub content: Option<String>,
    /// Recipients by edXML OrganId (agencies of this deployment or members of the hub).
    #[serde(default)]
    pub recipients: Vec<String>,
    /// Who will sign, and as what (e.g. `Phó Chủ tịch`).
    pub signer_name: Option<String>,
    pub signer_position: Option<String>,
    #[serde(default)]
    pub priority: i64,
    pub due_date: Option<String>,
    /// 1 revoke, 2 update or 3 replace an issued document (`business_of`); 0 or absent: a new document.
    #[serde(default)]
    pub business_type: i64,
    pub business_of: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct IssueInput {
    pub version: i64,
    /// The outgoing register; the agency's first one when left out.
    pub register_code: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RecallAnswer {
    pub version: i64,
    pub accept: bool,
    pub note: Option<String>,
}

/// A draft's new details, at the version they were read.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DraftEdit {
    pub version: i64,
    /// Its kind, subject, summary, recipients, signer, priority and due date, as when drafting
    /// (the issuing agency and `business_*` cannot change).
    #[serde(flatten)]
    pub draft: OutgoingInput,
}

/// What [`Docflow::check_draft`] gives: the kind (when valid), the subject, the due date and
/// the recipients as (organ id, name).
type DraftDetails<'a> = (Option<&'static crate::model::DocKind>, &'a str, Option<String>, Vec<(String, String)>);

fn trim(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// The recipients of document `id`, written once each.
async fn add_recipients(tx: &mut kernel::db::Tx, id: &str, recipients: &[(String, String)]) -> Result<()> {
    for (organ, name) in recipients {
        q("INSERT INTO document_recipients (document_id, organ_id, name) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(organ.as_str())
            .bind(name.as_str())
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

impl Docflow {
    /// Starts a draft.
    pub async fn draft(&self, p: &Principal, input: &OutgoingInput) -> Result<Document> {
        let agency = self.acting_agency(p, input.agency_code.as_deref()).await?;
        if !(p.allows(Permission::DossierProcess, Some(&agency.id))
            || p.allows(Permission::DossierApprove, Some(&agency.id))
            || p.allows(Permission::DocumentNumber, Some(&agency.id)))
        {
            return Err(Error::Forbidden("không soạn được văn bản của cơ quan này (you cannot draft for this agency)".into()));
        }
        let mut v = Violations::new();
        let (k, subject, due, recipients) = self.check_draft(&mut v, &agency.organ_id, input).await?;
        let business_of = match (input.business_type, input.business_of.as_deref()) {
            (0, _) => None,
            (1..=3, Some(prev)) => {
                let prev = self.document(p, prev).await?;
                if prev.direction != Direction::Outgoing || prev.state != DocState::Issued || prev.agency_id != agency.id {
                    v.add("business_of", "chỉ cập nhật, thay thế văn bản đã phát hành của cơ quan (only an issued document of the agency)");
                }
                Some(prev.id)
            }
            _ => {
                v.add(
                    "business_type",
                    "0 mới, 2 cập nhật hoặc 3 thay thế kèm business_of (0 new, or 2 update / 3 replace with business_of)",
                );
                None
            }
        };
        v.into_result()?;
        let k = k.ok_or_else(|| Error::internal("kind"))?;
        let id = kernel::id::new_id();
        let now = kernel::time::now_ms();
        let mut tx = self.db.begin().await?;
        q("INSERT INTO documents (id, agency_id, direction, doc_type, type_name, subject, content, signer_name, signer_position, priority, due_date,
             state, source, business_type, business_of, search, created_by, created_at, updated_at)
           VALUES ($1, $2, 'outgoing', $3, $4, $5, $6, $7, $8, $9, $10, 'draft', 'drafted', $11, $12, $13, $14, $15, $15)")
        .bind(id.clone())
        .bind(agency.id.clone())
        .bind(k.code as i64)
        .bind(k.name)
        .bind(subject)
        .bind(trim(&input.content))
        .bind(trim(&input.signer_name))
        .bind(trim(&input.signer_position))
        .bind(input.priority)
        .bind(due)
        .bind(input.business_type)
        .bind(business_of)
        .bind(search_text(&[Some(subject)]))
        .bind(p.id.clone())
        .bind(now)
        .execute(&mut tx)
        .await?;
        add_recipients(&mut tx, &id, &recipients).await?;
        trace(&mut tx, &id, Some(p), "draft", None, Some(DocState::Draft), None, None).await?;
        tx.commit().await?;
        self.load(&id).await
    }

    /// The checks of a draft's details: its kind, subject, priority, due date and recipients
    /// (members of the exchange, not the issuing agency `own_organ`, each once). Gives the kind,
    /// the trimmed subject, the due date and the recipients as (organ id, name).
    async fn check_draft<'a>(&self, v: &mut Violations, own_organ: &str, input: &'a OutgoingInput) -> Result<DraftDetails<'a>> {
        let (k, subject) = super::incoming::check_basics(v, input.kind, &input.subject, input.priority);
        let due = super::incoming::opt_date(v, "due_date", &input.due_date);
        let members = self.known_recipients().await?;
        let mut recipients = Vec::new();
        for (i, r) in input.recipients.iter().enumerate() {
            let r = r.trim();
            match members.iter().find(|m| m.organ_id == r) {
                Some(m) if m.organ_id == own_organ => {
                    v.add(format!("recipients[{i}]"), "không gửi cho chính mình (not to the issuing agency itself)")
                }
                Some(m) if recipients.iter().any(|(o, _): &(String, String)| *o == m.organ_id) => {}
                Some(m) => recipients.push((m.organ_id.clone(), m.name.clone())),
                None => v.add(format!("recipients[{i}]"), format!("không có cơ quan nhận {r} trên trục (no such recipient on the hub)")),
            }
        }
        Ok((k, subject, due, recipients))
    }

    /// Changes a draft before it goes for signature (or after the leader sent it back): its
    /// kind, subject, summary, recipients, signer, priority and due date. By its drafter or the
    /// department's head, at the version they read; the history keeps who changed it.
    pub async fn edit_draft(&self, p: &Principal, id: &str, input: &DraftEdit) -> Result<Document> {
        let d = self.document(p, id).await?;
        if d.direction != Direction::Outgoing {
            return Err(Error::conflict("chỉ sửa dự thảo văn bản đi (only outgoing drafts are edited)"));
        }
        if !d.drafted_by_or_reviewed(p) {
            return Err(Error::Forbidden(
                "chỉ người soạn hoặc lãnh đạo phòng sửa dự thảo (only the drafter or the department head edits)".into(),
            ));
        }
        let own_organ = self.agency_by_id(&d.agency_id).await?.organ_id;
        let mut v = Violations::new();
        if input.draft.agency_code.is_some() {
            v.add("agency_code", "cơ quan ban hành không đổi được (the issuing agency cannot change)");
        }
        if input.draft.business_type != 0 || input.draft.business_of.is_some() {
            v.add("business_type", "không đổi được khi sửa dự thảo (cannot change on a draft)");
        }
        let (k, subject, due, recipients) = self.check_draft(&mut v, &own_organ, &input.draft).await?;
        v.into_result()?;
        let k = k.ok_or_else(|| Error::internal("kind"))?;
        let mut tx = self.db.begin().await?;
        move_state(&mut tx, id, input.version, &[DocState::Draft], DocState::Draft).await?;
        let x = &input.draft;
        q("UPDATE documents SET doc_type = $1, type_name = $2, subject = $3, content = $4, signer_name = $5, signer_position = $6,
             priority = $7, due_date = $8, search = $9 WHERE id = $10")
        .bind(k.code as i64)
        .bind(k.name)
        .bind(subject)
        .bind(trim(&x.content))
        .bind(trim(&x.signer_name))
        .bind(trim(&x.signer_position))
        .bind(x.priority)
        .bind(due)
        .bind(search_text(&[Some(subject)]))
        .bind(id)
        .execute(&mut tx)
        .await?;
        q("DELETE FROM document_recipients WHERE document_id = $1").bind(id).execute(&mut tx).await?;
        add_recipients(&mut tx, id, &recipients).await?;
        trace(&mut tx, id, Some(p), "edit", Some(DocState::Draft), Some(DocState::Draft), None, None).await?;
        tx.commit().await?;
        self.load(id).await
    }

    /// The drafter submits the draft for the leader's signature.
    pub async fn submit(&self, p: &Principal, id: &str, input: &StepInput) -> Result<Document> {
        let d = self.load(id).await?;
        if d.direction != Direction::Outgoing {
            return Err(Error::conflict("chỉ trình ký văn bản đi (only outgoing documents are submitted)"));
        }
        if !d.drafted_by_or_reviewed(p) {
            return Err(Error::Forbidden(
                "chỉ người soạn hoặc lãnh đạo phòng trình ký (only the drafter or the department head submits)".into(),
            ));
        }
        let main = q("SELECT COUNT(*) FROM document_files WHERE document_id = $1 AND role = 'main'").bind(id).fetch_i64(&self.db).await?;
        if main == 0 {
            return Err(Error::invalid("files", "cần tệp văn bản chính trước khi trình ký (attach the main file before submitting)"));
        }
        let mut tx = self.db.begin().await?;
        let from = move_state(&mut tx, id, input.version, &[DocState::Draft], DocState::Review).await?;
        trace(
            &mut tx,
            id,
            Some(p),
            "submit",
            Some(from),
            Some(DocState::Review),
            input.note.as_deref().map(str::trim).filter(|s| !s.is_empty()),
            None,
        )
        .await?;
        tx.commit().await?;
        self.load(id).await
    }

    /// The leader sends the draft back with a reason.
    pub async fn send_back(&self, p: &Principal, id: &str, input: &StepInput) -> Result<Document> {
        let d = self.load(id).await?;
        require(
            p,
            Permission::DossierApprove,
            &d.agency_id,
            "chỉ lãnh đạo cơ quan trả lại dự thảo (only the agency's leaders send drafts back)",
        )?;
        let Some(reason) = input.note.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
            return Err(Error::invalid("note", "cần nêu lý do trả lại (give the reason)"));
        };
        let mut tx = self.db.begin().await?;
        let from = move_state(&mut tx, id, input.version, &[DocState::Review], DocState::Draft).await?;
        trace(&mut tx, id, Some(p), "send_back", Some(from), Some(DocState::Draft), Some(reason), None).await?;
        tx.commit().await?;
        self.load(id).await
    }

    /// The leader approves and signs: the main file as it is now is what was signed.
    pub async fn approve(&self, p: &Principal, id: &str, input: &StepInput) -> Result<Document> {
        let d = self.load(id).await?;
        require(
            p,
            Permission::DossierApprove,
            &d.agency_id,
            "chỉ lãnh đạo cơ quan ký duyệt (only the agency's leaders sign), với xác thực hai lớp (with a second factor)",
        )?;
        let main = q("SELECT sha256 FROM document_files WHERE document_id = $1 AND role = 'main' ORDER BY added_at DESC LIMIT 1")
            .bind(id)
            .fetch_optional(&self.db)
            .await?
            .map(|r| r.text("sha256"))
            .transpose()?;
        let mut tx = self.db.begin().await?;
        let from = move_state(&mut tx, id, input.version, &[DocState::Review], DocState::Approved).await?;
        q("UPDATE documents SET approved_by = $1, approved_at = $2, approved_sha256 = $3, signer_name = COALESCE(signer_name, $4) WHERE id = $5")
            .bind(p.name.clone())
            .bind(kernel::time::now_ms())
            .bind(main.clone())
            .bind(p.name.clone())
            .bind(id)
            .execute(&mut tx)
            .await?;
        let note = format!("ký duyệt tệp SHA-256 {}", main.as_deref().unwrap_or("-"));
        trace(&mut tx, id, Some(p), "approve", Some(from), Some(DocState::Approved), Some(&note), None).await?;
        tx.commit().await?;
        self.load(id).await
    }

    /// The clerk issues: number and notation from the outgoing register, the date, and the
    /// signed package queued for every recipient, all in one transaction.
    pub async fn issue(&self, p: &Principal, id: &str, input: &IssueInput) -> Result<Document> {
        let d = self.load(id).await?;
        require(
            p,
            Permission::DocumentNumber,
            &d.agency_id,
            "chỉ văn thư của cơ quan cho số và phát hành (only the agency's clerk numbers and issues)",
        )?;
        let agency = self.agency_by_id(&d.agency_id).await?;
        let (register_id, reg_notation) = self.pick_register(&agency, Direction::Outgoing, input.register_code.as_deref()).await?;
        let k = kind(d.kind as u16).ok_or_else(|| Error::internal("document kind"))?;
        let today = kernel::time::today_vn();
        let year = today.year();
        let recipients = self.recipients(id).await?;
        let mut tx = self.db.begin().await?;
        let from = move_state(&mut tx, id, input.version, &[DocState::Approved], DocState::Issued).await?;
        let number = super::registers::allocate(&mut tx, &register_id, year).await?;
        let full = notation(number, k, reg_notation.as_deref().unwrap_or("VP"));
        let code_notation = full.split_once('/').map(|(_, n)| n.to_owned()).unwrap_or_default();
        let edxml_id = format!("{},{},{}", agency.organ_id, edxml::codes::format_date(today), full);
        q("UPDATE documents SET register_id = $1, reg_year = $2, reg_number = $3, code_number = $4, code_notation = $5, promulgation_date = $6,
             promulgation_place = COALESCE(promulgation_place, $7), edxml_id = $8, search = $9 WHERE id = $10")
        .bind(register_id)
        .bind(year as i64)
        .bind(number)
        .bind(number.to_string())
        .bind(code_notation.clone())
        .bind(kernel::time::date_text(today))
        .bind(agency.address.clone().unwrap_or_else(|| agency.name.clone()))
        .bind(edxml_id)
        .bind(search_text(&[Some(&full), Some(&d.subject), Some(&agency.name)]))
        .bind(id)
        .execute(&mut tx)
        .await?;
        trace(&mut tx, id, Some(p), "issue", Some(from), Some(DocState::Issued), Some(&format!("số, ký hiệu {full}")), None).await?;
        if !recipients.is_empty() {
            self.queue(&mut tx, "package", id, &agency.organ_id, None).await?;
        }
        tx.commit().await?;
        self.wake.notify_one();
        self.load(id).await
    }

    /// The leader recalls an issued document: every recipient is asked to give it back (13).
    pub async fn withdraw(&self, p: &Principal, id: &str, input: &StepInput) -> Result<Document> {
        let d = self.load(id).await?;
        require(
            p,
            Permission::DossierApprove,
            &d.agency_id,
            "chỉ lãnh đạo cơ quan thu hồi văn bản (only the agency's leaders recall documents)",
        )?;
        let Some(reason) = input.note.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
            return Err(Error::invalid("note", "cần nêu lý do thu hồi (give the reason)"));
        };
        let agency = self.agency_by_id(&d.agency_id).await?;
        let mut tx = self.db.begin().await?;
        let from = move_state(&mut tx, id, input.version, &[DocState::Issued], DocState::Withdrawn).await?;
        trace(&mut tx, id, Some(p), "withdraw", Some(from), Some(DocState::Withdrawn), Some(reason), None).await?;
        if let Some(edxml_id) = &d.edxml_id
            && !self.recipients(id).await?.is_empty()
        {
            let msg = edxml::StatusMessage {
                response_for: edxml::ResponseFor {
                    organ_id: agency.organ_id.clone(),
                    code: d.number_notation(),
                    promulgation_date: date_of(d.promulgation_date.as_deref()),
                    document_id: Some(edxml_id.clone()),
                },
                from: organization(&agency),
                status_code: edxml::StatusCode::Recalled,
                description: Some(reason.to_owned()),
                timestamp: time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+7)),
                staff_info: edxml::StaffInfo {
                    department: Some(agency.name.clone()),
                    staff: Some(p.name.clone()),
                    mobile: None,
                    email: None,
                },
            };
            let bytes = edxml::write_status(&msg).map_err(|e| Error::internal(format!("status message: {e}")))?;
            let sha = self.blobs.put(&bytes).await?;
            self.queue(&mut tx, "status", id, &agency.organ_id, Some((&sha, bytes.len() as i64))).await?;
        }
        tx.commit().await?;
        self.wake.notify_one();
        self.load(id).await
    }

    /// The recipient's clerk answers a recall: accepted (15, the document is recalled) or refused (16).
    pub async fn answer_recall(&self, p: &Principal, id: &str, input: &RecallAnswer) -> Result<Document> {
        let d = self.load(id).await?;
        require(
            p,
            Permission::DocumentNumber,
            &d.agency_id,
            "chỉ văn thư của cơ quan trả lời yêu cầu thu hồi (only the agency's clerk answers recalls)",
        )?;
        if d.direction != Direction::Incoming || d.business_type != 1 {
            return Err(Error::conflict("văn bản không có yêu cầu thu hồi nào (no recall is pending on this document)"));
        }
        let note = input.note.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let mut tx = self.db.begin().await?;
        if input.accept {
            let from = move_state(
                &mut tx,
                id,
                input.version,
                &[DocState::Arrived, DocState::Registered, DocState::Assigned, DocState::Processing, DocState::Done],
                DocState::Recalled,
            )
            .await?;
            q("UPDATE document_assignments SET state = 'replaced' WHERE document_id = $1 AND state IN ('assigned', 'processing')")
                .bind(id)
                .execute(&mut tx)
                .await?;
            trace(&mut tx, id, Some(p), "recall_accepted", Some(from), Some(DocState::Recalled), note, None).await?;
            self.queue_status(&mut tx, &d, edxml::StatusCode::ChangeAccepted, note, Some(p)).await?;
        } else {
            let n = q("UPDATE documents SET business_type = 0, version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3")
                .bind(kernel::time::now_ms())
                .bind(id)
                .bind(input.version)
                .execute(&mut tx)
                .await?;
            if n != 1 {
                return Err(Error::conflict("văn bản vừa được người khác thay đổi (the document was changed meanwhile)"));
            }
            trace(&mut tx, id, Some(p), "recall_refused", None, None, note, None).await?;
            self.queue_status(&mut tx, &d, edxml::StatusCode::ChangeRejected, note, Some(p)).await?;
        }
        tx.commit().await?;
        self.wake.notify_one();
        self.load(id).await
    }
}
