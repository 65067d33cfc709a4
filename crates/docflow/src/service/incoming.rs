//! Incoming documents (văn bản đến): registered by the clerk with the next number of the
//! incoming register (typed in, uploaded, or arrived as an edXML package), assigned by the
//! leader to handlers with a deadline, handled with opinions and drafts, completed. When the
//! document came through the exchange, every step is reported to the sender as an edXML
//! status (01 arrived, 03 accepted, 04 assigned, 05 processing, 06 done, 02 rejected).

use kernel::authz::{Permission, Principal};
use kernel::db::q;
use kernel::{Error, Result, Violations};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{Docflow, Document, move_state, require, search_text, trace};
use crate::model::{ASSIGNMENT_ROLES, Direction, DocState, kind};

/// An incoming document typed in or uploaded at the clerk's desk.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct IncomingInput {
    /// The receiving agency; the clerk's own when left out.
    pub agency_code: Option<String>,
    /// The incoming register; the agency's first one when left out.
    pub register_code: Option<String>,
    /// Kind of document (TypeDetail code, 1 = official letter, 2 = decision...).
    pub kind: u16,
    /// The sender's number and notation, e.g. `45` and `QĐ-UBND`.
    pub code_number: Option<String>,
    pub code_notation: Option<String>,
    pub subject: String,
    pub content: Option<String>,
    pub sender_name: String,
    pub sender_organ_id: Option<String>,
    /// Date of the document (YYYY-MM-DD).
    pub promulgation_date: Option<String>,
    pub signer_name: Option<String>,
    pub signer_position: Option<String>,
    /// 0 normal ... 4 immediate, timed.
    #[serde(default)]
    pub priority: i64,
    /// Reply or handling due date (YYYY-MM-DD).
    pub due_date: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Assignee {
    pub account_id: String,
    /// main, cooperate or inform.
    pub role: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AssignInput {
    pub version: i64,
    pub assignees: Vec<Assignee>,
    /// Handling deadline (YYYY-MM-DD).
    pub deadline: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct StepInput {
    pub version: i64,
    pub note: Option<String>,
}

/// Checks what every document has: a known kind, a subject, a priority 0–4.
pub(crate) fn check_basics<'a>(
    v: &mut Violations,
    kind_code: u16,
    subject: &'a str,
    priority: i64,
) -> (Option<&'static crate::model::DocKind>, &'a str) {
    let k = kind(kind_code);
    if k.is_none() {
        v.add("kind", "không có loại văn bản này (no such kind of document)");
    }
    let subject = subject.trim();
    if subject.is_empty() || subject.chars().count() > 1000 {
        v.add("subject", "trích yếu 1–1000 ký tự (a subject of 1–1000 characters)");
    }
    if !(0..=4).contains(&priority) {
        v.add("priority", "độ khẩn 0–4 (priority 0 to 4)");
    }
    (k, subject)
}

/// An optional date field (YYYY-MM-DD), normalised; a bad one is named in `v`.
pub(crate) fn opt_date(v: &mut Violations, field: &str, s: &Option<String>) -> Option<String> {
    let s = s.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    match kernel::time::parse_date(s) {
        Some(d) => Some(kernel::time::date_text(d)),
        None => {
            v.add(field, "ngày dạng YYYY-MM-DD (a date as YYYY-MM-DD)");
            None
        }
    }
}

impl Docflow {
    /// Registers a document typed in or uploaded: it gets the next number of the register now.
    pub async fn register_incoming(&self, p: &Principal, input: &IncomingInput) -> Result<Document> {
        let agency = self.acting_agency(p, input.agency_code.as_deref()).await?;
        require(
            p,
            Permission::DocumentNumber,
            &agency.id,
            "chỉ văn thư của cơ quan vào sổ văn bản đến (only the agency's clerk registers incoming documents)",
        )?;
        let mut v = Violations::new();
        let (k, subject) = check_basics(&mut v, input.kind, &input.subject, input.priority);
        let sender = input.sender_name.trim();
        if sender.is_empty() || sender.chars().count() > 300 {
            v.add("sender_name", "cần tên cơ quan gửi (the sender is required)");
        }
        let promulgation = opt_date(&mut v, "promulgation_date", &input.promulgation_date);
        let due = opt_date(&mut v, "due_date", &input.due_date);
        v.into_result()?;
        let k = k.ok_or_else(|| Error::internal("kind"))?;
        let (register_id, _) = self.pick_register(&agency, Direction::Incoming, input.register_code.as_deref()).await?;
        let id = kernel::id::new_id();
        let now = kernel::time::now_ms();
        let year = kernel::time::today_vn().year();
        let mut tx = self.db.begin().await?;
        let number = super::registers::allocate(&mut tx, &register_id, year).await?;
        let trim = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let (code_number, code_notation) = (trim(&input.code_number), trim(&input.code_notation));
        q("INSERT INTO documents (id, agency_id, direction, register_id, reg_year, reg_number, code_number, code_notation, doc_type, type_name,
             subject, content, sender_organ_id, sender_name, promulgation_date, signer_name, signer_position, priority, due_date, state, source,
             search, created_by, created_at, updated_at)
           VALUES ($1, $2, 'incoming', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 'registered', 'typed', $19, $20, $21, $21)")
        .bind(id.clone())
        .bind(agency.id.clone())
        .bind(register_id)
        .bind(year as i64)
        .bind(number)
        .bind(code_number.clone())
        .bind(code_notation.clone())
        .bind(k.code as i64)
        .bind(k.name)
        .bind(subject)
        .bind(trim(&input.content))
        .bind(trim(&input.sender_organ_id))
        .bind(sender)
        .bind(promulgation)
        .bind(trim(&input.signer_name))
        .bind(trim(&input.signer_position))
        .bind(input.priority)
        .bind(due)
        .bind(search_text(&[Some(&number.to_string()), code_number.as_deref(), code_notation.as_deref(), Some(subject), Some(sender)]))
        .bind(p.id.clone())
        .bind(now)
        .execute(&mut tx)
        .await?;
        trace(&mut tx, &id, Some(p), "register", None, Some(DocState::Registered), Some(&format!("số đến {number}/{year}")), None).await?;
        tx.commit().await?;
        self.load(&id).await
    }

    /// Registers a document that arrived through the exchange: it gets its incoming number and
    /// the sender is told it was accepted (03).
    pub async fn accept_arrived(&self, p: &Principal, id: &str, version: i64, register_code: Option<&str>) -> Result<Document> {
        let d = self.load(id).await?;
        require(
            p,
            Permission::DocumentNumber,
            &d.agency_id,
            "chỉ văn thư của cơ quan vào sổ văn bản đến (only the agency's clerk registers incoming documents)",
        )?;
        let agency = self.agency_by_id(&d.agency_id).await?;
        let (register_id, _) = self.pick_register(&agency, Direction::Incoming, register_code).await?;
        let year = kernel::time::today_vn().year();
        let mut tx = self.db.begin().await?;
        move_state(&mut tx, id, version, &[DocState::Arrived], DocState::Registered).await?;
        let number = super::registers::allocate(&mut tx, &register_id, year).await?;
        q("UPDATE documents SET register_id = $1, reg_year = $2, reg_number = $3, search = search || ' ' || $4 WHERE id = $5")
            .bind(register_id)
            .bind(year as i64)
            .bind(number)
            .bind(number.to_string())
            .bind(id)
            .execute(&mut tx)
            .await?;
        trace(
            &mut tx,
            id,
            Some(p),
            "register",
            Some(DocState::Arrived),
            Some(DocState::Registered),
            Some(&format!("số đến {number}/{year}")),
            None,
        )
        .await?;
        self.tell_sender(&mut tx, &d, DocState::Registered, None, p).await?;
        if d.business_type >= 2 {
            // An update or replacement of an earlier document: the change is accepted (15).
            self.queue_status(&mut tx, &d, edxml::StatusCode::ChangeAccepted, None, Some(p)).await?;
            if let Some(prev) = &d.business_of {
                let what = if d.business_type == 3 {
                    "được thay thế bởi (replaced by)"
                } else {
                    "được cập nhật bởi (updated by)"
                };
                trace(
                    &mut tx,
                    prev,
                    Some(p),
                    "changed",
                    None,
                    None,
                    Some(&format!("{what} {} — {}", d.number_notation(), d.subject)),
                    None,
                )
                .await?;
            }
        }
        tx.commit().await?;
        self.wake.notify_one();
        self.load(id).await
    }

    /// Refuses a document that arrived (wrong recipient, incomplete): the sender is told (02).
    pub async fn reject_arrived(&self, p: &Principal, id: &str, input: &StepInput) -> Result<Document> {
        let d = self.load(id).await?;
        require(
            p,
            Permission::DocumentNumber,
            &d.agency_id,
            "chỉ văn thư của cơ quan từ chối văn bản đến (only the agency's clerk refuses incoming documents)",
        )?;
        let reason = input.note.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let Some(reason) = reason else {
            return Err(Error::invalid("note", "cần nêu lý do từ chối (give the reason)"));
        };
        let mut tx = self.db.begin().await?;
        let from = move_state(&mut tx, id, input.version, &[DocState::Arrived, DocState::Registered], DocState::Rejected).await?;
        trace(&mut tx, id, Some(p), "reject", Some(from), Some(DocState::Rejected), Some(reason), None).await?;
        self.tell_sender(&mut tx, &d, DocState::Rejected, Some(reason), p).await?;
        if d.business_type >= 2 {
            self.queue_status(&mut tx, &d, edxml::StatusCode::ChangeRejected, Some(reason), Some(p)).await?;
        }
        tx.commit().await?;
        self.wake.notify_one();
        self.load(id).await
    }

    /// The leader assigns the document: one lead handler, others cooperating or informed.
    pub async fn assign(&self, p: &Principal, id: &str, input: &AssignInput) -> Result<Document> {
        let d = self.load(id).await?;
        require(
            p,
            Permission::DossierApprove,
            &d.agency_id,
            "chỉ lãnh đạo cơ quan phân công xử lý văn bản (only the agency's leaders assign documents)",
        )?;
        let mut v = Violations::new();
        if input.assignees.is_empty() {
            v.add("assignees", "chọn ít nhất một người xử lý (choose at least one handler)");
        }
        if input.assignees.iter().filter(|a| a.role == "main").count() != 1 {
            v.add("assignees", "đúng một người xử lý chính (exactly one lead handler)");
        }
        let deadline = opt_date(&mut v, "deadline", &input.deadline);
        let mut people = Vec::new();
        for (i, a) in input.assignees.iter().enumerate() {
            if !ASSIGNMENT_ROLES.iter().any(|(r, _, _)| *r == a.role) {
                v.add(format!("assignees[{i}].role"), "main | cooperate | inform");
                continue;
            }
            let row = q("SELECT id, full_name FROM accounts WHERE id = $1 AND kind = 'official' AND agency_id = $2")
                .bind(a.account_id.clone())
                .bind(d.agency_id.clone())
                .fetch_optional(&self.db)
                .await?;
            match row {
                Some(r) => people.push((r.text("id")?, r.text("full_name")?, a.role.clone())),
                None => v.add(format!("assignees[{i}].account_id"), "không phải cán bộ của cơ quan (not an official of the agency)"),
            }
        }
        v.into_result()?;
        let now = kernel::time::now_ms();
        let mut tx = self.db.begin().await?;
        let from =
            move_state(&mut tx, id, input.version, &[DocState::Registered, DocState::Assigned, DocState::Processing], DocState::Assigned)
                .await?;
        q("UPDATE document_assignments SET state = 'replaced' WHERE document_id = $1 AND state IN ('assigned', 'processing')")
            .bind(id)
            .execute(&mut tx)
            .await?;
        let note = input.note.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        for (account_id, name, role) in &people {
            q("INSERT INTO document_assignments (id, document_id, account_id, account_name, role, deadline, state, note, assigned_by, assigned_at)
               VALUES ($1, $2, $3, $4, $5, $6, 'assigned', $7, $8, $9)")
            .bind(kernel::id::new_id())
            .bind(id)
            .bind(account_id.clone())
            .bind(name.clone())
            .bind(role.clone())
            .bind(deadline.clone())
            .bind(note.clone())
            .bind(p.id.clone())
            .bind(now)
            .execute(&mut tx)
            .await?;
        }
        if let Some(dl) = &deadline {
            q("UPDATE documents SET due_date = $1 WHERE id = $2").bind(dl.clone()).bind(id).execute(&mut tx).await?;
        }
        let names: Vec<String> = people.iter().map(|(_, n, r)| format!("{n} ({r})")).collect();
        let text = format!("{}{}", names.join(", "), note.as_deref().map(|n| format!(" — {n}")).unwrap_or_default());
        trace(&mut tx, id, Some(p), "assign", Some(from), Some(DocState::Assigned), Some(&text), None).await?;
        if from == DocState::Registered {
            self.tell_sender(&mut tx, &d, DocState::Assigned, None, p).await?;
        }
        tx.commit().await?;
        self.wake.notify_one();
        self.load(id).await
    }

    fn ensure_handler(&self, p: &Principal, d: &Document, rows: i64) -> Result<()> {
        if rows > 0 || p.allows(Permission::DossierApprove, Some(&d.agency_id)) {
            Ok(())
        } else {
            Err(Error::Forbidden("văn bản không được giao cho bạn (the document is not assigned to you)".into()))
        }
    }

    /// A handler's opinion (ý kiến xử lý); the first one starts processing (05 to the sender).
    pub async fn opinion(&self, p: &Principal, id: &str, input: &StepInput) -> Result<Document> {
        let d = self.load(id).await?;
        let mine = q(
            "SELECT COUNT(*) FROM document_assignments WHERE document_id = $1 AND account_id = $2 AND state IN ('assigned', 'processing')",
        )
        .bind(id)
        .bind(p.id.clone())
        .fetch_i64(&self.db)
        .await?;
        self.ensure_handler(p, &d, mine)?;
        let note = input.note.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let Some(note) = note else {
            return Err(Error::invalid("note", "hãy ghi ý kiến (write the opinion)"));
        };
        let mut tx = self.db.begin().await?;
        let from = move_state(&mut tx, id, input.version, &[DocState::Assigned, DocState::Processing], DocState::Processing).await?;
        q("UPDATE document_assignments SET state = 'processing' WHERE document_id = $1 AND account_id = $2 AND state = 'assigned'")
            .bind(id)
            .bind(p.id.clone())
            .execute(&mut tx)
            .await?;
        trace(&mut tx, id, Some(p), "opinion", Some(from), Some(DocState::Processing), Some(note), None).await?;
        if from == DocState::Assigned {
            self.tell_sender(&mut tx, &d, DocState::Processing, None, p).await?;
        }
        tx.commit().await?;
        self.wake.notify_one();
        self.load(id).await
    }

    /// The lead handler (or a leader) completes the document (06 to the sender).
    pub async fn complete(&self, p: &Principal, id: &str, input: &StepInput) -> Result<Document> {
        let d = self.load(id).await?;
        let lead = q("SELECT COUNT(*) FROM document_assignments WHERE document_id = $1 AND account_id = $2 AND role = 'main' AND state IN ('assigned', 'processing')")
            .bind(id)
            .bind(p.id.clone())
            .fetch_i64(&self.db)
            .await?;
        self.ensure_handler(p, &d, lead)?;
        let now = kernel::time::now_ms();
        let mut tx = self.db.begin().await?;
        let from = move_state(&mut tx, id, input.version, &[DocState::Assigned, DocState::Processing], DocState::Done).await?;
        q("UPDATE document_assignments SET state = 'done', completed_at = $1 WHERE document_id = $2 AND state IN ('assigned', 'processing')")
            .bind(now)
            .bind(id)
            .execute(&mut tx)
            .await?;
        let note = input.note.as_deref().map(str::trim).filter(|s| !s.is_empty());
        trace(&mut tx, id, Some(p), "complete", Some(from), Some(DocState::Done), note, None).await?;
        self.tell_sender(&mut tx, &d, DocState::Done, note, p).await?;
        tx.commit().await?;
        self.wake.notify_one();
        self.load(id).await
    }

    /// Officials of an agency a leader may assign documents to.
    pub async fn handlers(&self, p: &Principal, agency_id: &str) -> Result<Vec<(String, String)>> {
        require(p, Permission::DossierView, agency_id, "không phải cơ quan của bạn (not your agency)")?;
        q("SELECT a.id, a.full_name FROM accounts a WHERE a.kind = 'official' AND a.agency_id = $1 AND a.status = 'active'
             AND EXISTS (SELECT 1 FROM role_grants g WHERE g.account_id = a.id AND g.role IN ('specialist', 'department_head', 'agency_leader'))
           ORDER BY a.full_name")
            .bind(agency_id)
            .fetch_all(&self.db)
            .await?
            .iter()
            .map(|r| Ok((r.text("id")?, r.text("full_name")?)))
            .collect()
    }
}
