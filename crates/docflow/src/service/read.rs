//! Reading documents: one with everything that happened to it, lists by register, state and
//! search words, a handler's inbox. Officials see the documents of agencies where they may
//! see documents, and the ones assigned to them.

use kernel::authz::{Permission, Principal};
use kernel::db::{Row, Where, q};
use kernel::{Error, Result};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Docflow;
use crate::model::{Direction, DocState};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Document {
    pub id: String,
    pub agency_code: String,
    pub agency_name: String,
    pub direction: Direction,
    pub register_code: Option<String>,
    pub register_name: Option<String>,
    /// Year and number in the register (số đến / số đi).
    pub reg_year: Option<i64>,
    pub reg_number: Option<i64>,
    /// The document's number and notation (số, ký hiệu), e.g. `123/UBND-VP`.
    pub code_number: Option<String>,
    pub code_notation: Option<String>,
    pub kind: i64,
    pub type_name: String,
    pub subject: String,
    pub content: Option<String>,
    pub sender_organ_id: Option<String>,
    pub sender_name: Option<String>,
    pub promulgation_date: Option<String>,
    pub promulgation_place: Option<String>,
    pub signer_name: Option<String>,
    pub signer_position: Option<String>,
    pub priority: i64,
    pub due_date: Option<String>,
    pub state: DocState,
    pub source: String,
    /// edXML DocumentId.
    pub edxml_id: Option<String>,
    /// 0 new, 1 revoke, 2 update, 3 replace.
    pub business_type: i64,
    pub business_of: Option<String>,
    pub approved_by: Option<String>,
    pub approved_at: Option<i64>,
    pub version: i64,
    /// The account that registered or drafted the document.
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    #[serde(skip)]
    pub agency_id: String,
}

impl Document {
    /// Whether `p` works the draft: its drafter, or a department head (`DossierReview`) of its
    /// agency. They submit it for signature and change it.
    pub fn drafted_by_or_reviewed(&self, p: &kernel::authz::Principal) -> bool {
        self.created_by == p.id || p.allows(kernel::authz::Permission::DossierReview, Some(&self.agency_id))
    }

    /// `123/UBND-VP`, or what is known of it.
    pub fn number_notation(&self) -> String {
        match (&self.code_number, &self.code_notation) {
            (Some(n), Some(x)) if !x.starts_with(&format!("{n}/")) => format!("{n}/{x}"),
            (_, Some(x)) => x.clone(),
            (Some(n), None) => n.clone(),
            (None, None) => String::new(),
        }
    }
}

pub(crate) const DOC_COLS: &str = "d.id, d.agency_id, a.code AS agency_code, a.name AS agency_name, d.direction, r.code AS register_code,
    r.name AS register_name, d.reg_year, d.reg_number, d.code_number, d.code_notation, d.doc_type, d.type_name, d.subject, d.content,
    d.sender_organ_id, d.sender_name, d.promulgation_date, d.promulgation_place, d.signer_name, d.signer_position, d.priority,
    d.due_date, d.state, d.source, d.edxml_id, d.business_type, d.business_of, d.approved_by, d.approved_at, d.version,
    d.created_by, d.created_at, d.updated_at";
pub(crate) const DOC_FROM: &str = "documents d JOIN agencies a ON a.id = d.agency_id LEFT JOIN doc_registers r ON r.id = d.register_id";

pub(crate) fn doc_row(r: &Row) -> Result<Document> {
    Ok(Document {
        id: r.text("id")?,
        agency_id: r.text("agency_id")?,
        agency_code: r.text("agency_code")?,
        agency_name: r.text("agency_name")?,
        direction: Direction::parse(&r.text("direction")?).ok_or_else(|| Error::internal("bad direction"))?,
        register_code: r.opt_text("register_code")?,
        register_name: r.opt_text("register_name")?,
        reg_year: r.opt_int("reg_year")?,
        reg_number: r.opt_int("reg_number")?,
        code_number: r.opt_text("code_number")?,
        code_notation: r.opt_text("code_notation")?,
        kind: r.int("doc_type")?,
        type_name: r.text("type_name")?,
        subject: r.text("subject")?,
        content: r.opt_text("content")?,
        sender_organ_id: r.opt_text("sender_organ_id")?,
        sender_name: r.opt_text("sender_name")?,
        promulgation_date: r.opt_text("promulgation_date")?,
        promulgation_place: r.opt_text("promulgation_place")?,
        signer_name: r.opt_text("signer_name")?,
        signer_position: r.opt_text("signer_position")?,
        priority: r.int("priority")?,
        due_date: r.opt_text("due_date")?,
        state: DocState::parse(&r.text("state")?).ok_or_else(|| Error::internal("bad document state"))?,
        source: r.text("source")?,
        edxml_id: r.opt_text("edxml_id")?,
        business_type: r.int("business_type")?,
        business_of: r.opt_text("business_of")?,
        approved_by: r.opt_text("approved_by")?,
        approved_at: r.opt_int("approved_at")?,
        version: r.int("version")?,
        created_by: r.text("created_by")?,
        created_at: r.int("created_at")?,
        updated_at: r.int("updated_at")?,
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FileInfo {
    pub id: String,
    /// main, attachment, draft or opinion.
    pub role: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub added_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Recipient {
    pub organ_id: String,
    pub name: String,
    /// The last edXML status the recipient reported (01 arrived ... 06 done, 02 rejected).
    pub status_code: Option<String>,
    pub status_at: Option<i64>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Assignment {
    pub id: String,
    pub account_id: String,
    pub account_name: String,
    pub role: String,
    pub deadline: Option<String>,
    pub state: String,
    pub note: Option<String>,
    pub assigned_at: i64,
    pub completed_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DocumentHistoryEntry)]
pub struct HistoryEntry {
    pub at: i64,
    pub actor_name: String,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub status_code: Option<String>,
    pub organ_id: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentView {
    pub document: Document,
    pub files: Vec<FileInfo>,
    pub recipients: Vec<Recipient>,
    pub assignments: Vec<Assignment>,
    pub history: Vec<HistoryEntry>,
    /// Dossier codes linked to the document.
    pub dossiers: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct DocumentFilter {
    /// incoming or outgoing.
    pub direction: Option<String>,
    pub agency_code: Option<String>,
    pub register_code: Option<String>,
    pub state: Option<String>,
    /// Words of the number, notation, subject or sender; Vietnamese marks optional.
    pub q: Option<String>,
    /// Registered or created on or after (YYYY-MM-DD).
    pub from: Option<String>,
    pub to: Option<String>,
    /// Only the documents assigned to me.
    pub mine: Option<bool>,
    pub year: Option<i64>,
}

impl Docflow {
    pub(crate) async fn load(&self, id: &str) -> Result<Document> {
        let r = q(format!("SELECT {DOC_COLS} FROM {DOC_FROM} WHERE d.id = $1"))
            .bind(id)
            .fetch_optional(&self.db)
            .await?
            .ok_or_else(|| Error::not_found(format!("văn bản {id} (document)")))?;
        doc_row(&r)
    }

    async fn assigned_to(&self, document_id: &str, account_id: &str) -> Result<bool> {
        Ok(q("SELECT COUNT(*) FROM document_assignments WHERE document_id = $1 AND account_id = $2")
            .bind(document_id)
            .bind(account_id)
            .fetch_i64(&self.db)
            .await?
            > 0)
    }

    /// A document the caller may see (404 otherwise, so its existence is not revealed).
    pub async fn document(&self, p: &Principal, id: &str) -> Result<Document> {
        let d = self.load(id).await?;
        if p.allows(Permission::DossierView, Some(&d.agency_id)) || self.assigned_to(id, &p.id).await? {
            Ok(d)
        } else {
            Err(Error::not_found(format!("văn bản {id} (document)")))
        }
    }

    pub async fn view(&self, p: &Principal, id: &str) -> Result<DocumentView> {
        let document = self.document(p, id).await?;
        let files = q("SELECT id, role, name, content_type, size, sha256, added_at FROM document_files WHERE document_id = $1 ORDER BY added_at, name")
            .bind(id)
            .fetch_all(&self.db)
            .await?
            .iter()
            .map(|r| {
                Ok(FileInfo {
                    id: r.text("id")?,
                    role: r.text("role")?,
                    name: r.text("name")?,
                    content_type: r.text("content_type")?,
                    size: r.int("size")?,
                    sha256: r.text("sha256")?,
                    added_at: r.int("added_at")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let recipients = self.recipients(id).await?;
        let assignments = q("SELECT id, account_id, account_name, role, deadline, state, note, assigned_at, completed_at
                             FROM document_assignments WHERE document_id = $1 ORDER BY assigned_at, account_name")
        .bind(id)
        .fetch_all(&self.db)
        .await?
        .iter()
        .map(|r| {
            Ok(Assignment {
                id: r.text("id")?,
                account_id: r.text("account_id")?,
                account_name: r.text("account_name")?,
                role: r.text("role")?,
                deadline: r.opt_text("deadline")?,
                state: r.text("state")?,
                note: r.opt_text("note")?,
                assigned_at: r.int("assigned_at")?,
                completed_at: r.opt_int("completed_at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let history = q("SELECT at, actor_name, action, from_state, to_state, status_code, organ_id, note
                         FROM document_history WHERE document_id = $1 ORDER BY at, id")
        .bind(id)
        .fetch_all(&self.db)
        .await?
        .iter()
        .map(|r| {
            Ok(HistoryEntry {
                at: r.int("at")?,
                actor_name: r.text("actor_name")?,
                action: r.text("action")?,
                from_state: r.opt_text("from_state")?,
                to_state: r.opt_text("to_state")?,
                status_code: r.opt_text("status_code")?,
                organ_id: r.opt_text("organ_id")?,
                note: r.opt_text("note")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let dossiers =
            q("SELECT s.code FROM document_links l JOIN dossiers s ON s.id = l.dossier_id WHERE l.document_id = $1 ORDER BY s.code")
                .bind(id)
                .fetch_all(&self.db)
                .await?
                .iter()
                .map(|r| r.opt_text("code").map(Option::unwrap_or_default))
                .collect::<Result<Vec<_>>>()?;
        Ok(DocumentView { document, files, recipients, assignments, history, dossiers })
    }

    pub async fn recipients(&self, id: &str) -> Result<Vec<Recipient>> {
        q("SELECT organ_id, name, status_code, status_at, description FROM document_recipients WHERE document_id = $1 ORDER BY name")
            .bind(id)
            .fetch_all(&self.db)
            .await?
            .iter()
            .map(|r| {
                Ok(Recipient {
                    organ_id: r.text("organ_id")?,
                    name: r.text("name")?,
                    status_code: r.opt_text("status_code")?,
                    status_at: r.opt_int("status_at")?,
                    description: r.opt_text("description")?,
                })
            })
            .collect()
    }

    /// Documents the caller may see, newest first, with the total.
    pub async fn search(&self, p: &Principal, f: &DocumentFilter, offset: i64, limit: i64) -> Result<(Vec<Document>, i64)> {
        let mut w = Where::new();
        let mine = f.mine.unwrap_or(false);
        if mine {
            let a = w.arg(p.id.clone());
            w.and(format!(
                "d.id IN (SELECT document_id FROM document_assignments WHERE account_id = {a} AND state IN ('assigned', 'processing'))"
            ));
        } else {
            match p.agencies_with(Permission::DossierView) {
                None => {}
                Some(set) if set.is_empty() => {
                    let a = w.arg(p.id.clone());
                    w.and(format!("d.id IN (SELECT document_id FROM document_assignments WHERE account_id = {a})"));
                }
                Some(set) => {
                    let args: Vec<String> = set.into_iter().map(|s| w.arg(s)).collect();
                    let a = w.arg(p.id.clone());
                    w.and(format!(
                        "(d.agency_id IN ({}) OR d.id IN (SELECT document_id FROM document_assignments WHERE account_id = {a}))",
                        args.join(", ")
                    ));
                }
            }
        }
        if let Some(d) = f.direction.as_deref().filter(|s| !s.is_empty()) {
            let d = Direction::parse(d).ok_or_else(|| Error::invalid("direction", "incoming | outgoing"))?;
            let a = w.arg(d.as_str());
            w.and(format!("d.direction = {a}"));
        }
        if let Some(c) = f.agency_code.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let a = w.arg(c.to_owned());
            w.and(format!("a.code = {a}"));
        }
        if let Some(c) = f.register_code.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let a = w.arg(c.to_owned());
            w.and(format!("r.code = {a}"));
        }
        if let Some(s) = f.state.as_deref().filter(|s| !s.is_empty()) {
            let states: Vec<&str> = s.split(',').map(str::trim).collect();
            let mut args = Vec::new();
            for st in states {
                let st =
                    DocState::parse(st).ok_or_else(|| Error::invalid("state", format!("không có trạng thái «{st}» (no such state)")))?;
                args.push(w.arg(st.as_str()));
            }
            w.and(format!("d.state IN ({})", args.join(", ")));
        }
        if let Some(y) = f.year {
            let a = w.arg(y);
            w.and(format!("d.reg_year = {a}"));
        }
        for (field, cmp, end) in [(&f.from, ">=", false), (&f.to, "<", true)] {
            if let Some(s) = field.as_deref().filter(|s| !s.is_empty()) {
                let day = kernel::time::parse_date(s).ok_or_else(|| Error::invalid(if end { "to" } else { "from" }, "YYYY-MM-DD"))?;
                let day = if end { day.next_day().unwrap_or(day) } else { day };
                let ms = day.midnight().assume_offset(time::macros::offset!(+7)).unix_timestamp() * 1000;
                let a = w.arg(ms);
                w.and(format!("d.created_at {cmp} {a}"));
            }
        }
        for word in kernel::fold::fold_words(f.q.as_deref().unwrap_or("")).into_iter().take(8) {
            let a = w.arg(format!("%{word}%"));
            w.and(format!("d.search LIKE {a}"));
        }
        let total = w.query(format!("SELECT COUNT(*) FROM {DOC_FROM}{}", w.sql())).fetch_i64(&self.db).await?;
        let lim = w.arg(limit);
        let off = w.arg(offset);
        let rows = w
            .query(format!("SELECT {DOC_COLS} FROM {DOC_FROM}{} ORDER BY d.created_at DESC, d.id DESC LIMIT {lim} OFFSET {off}", w.sql()))
            .fetch_all(&self.db)
            .await?;
        Ok((rows.iter().map(doc_row).collect::<Result<_>>()?, total))
    }
}
