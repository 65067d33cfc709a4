//! The exchange hub role (trục liên thông văn bản): agencies send edXML packages and status
//! messages here; the hub checks each against its sender's rights, keeps it in the blob store
//! and holds it for every recipient until the recipient has fetched and processed it.
//! Operations mirror the national axis: send, list received, get, update status (a status
//! message), list sent, agency list. A deployment is the hub of its own agencies; other
//! deployments' agencies become members bound to the OAuth2 client that speaks for them.

use kernel::authz::{Permission, Principal, PrincipalKind};
use kernel::db::q;
use kernel::{Error, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Docflow;

/// Who is calling the hub.
#[derive(Debug, Clone)]
pub enum HubCaller {
    /// This deployment's own exchange worker: speaks for its agencies.
    Local,
    /// A system with client credentials: speaks for the members bound to its client id.
    Client(String),
}

impl HubCaller {
    pub fn of(p: &Principal) -> Result<HubCaller> {
        match p.kind {
            PrincipalKind::System => Ok(HubCaller::Client(p.id.clone())),
            _ => {
                Err(Error::Forbidden("trục liên thông chỉ nhận hệ thống có định danh (the hub takes calls from registered systems)".into()))
            }
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HubMessage {
    pub id: String,
    /// package or status.
    pub kind: String,
    pub from_organ: String,
    pub to_organ: String,
    pub document_id: Option<String>,
    pub subject: Option<String>,
    pub status_code: Option<String>,
    pub size: i64,
    pub created_at: i64,
    pub fetched_at: Option<i64>,
    pub done_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HubMember {
    pub organ_id: String,
    pub name: String,
    /// True for agencies of this deployment.
    pub local: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = HubMemberInput)]
pub struct MemberInput {
    pub organ_id: String,
    pub name: String,
    /// The OAuth2 client that speaks for the member.
    pub client_id: String,
}

const MSG_COLS: &str = "id, kind, from_organ, to_organ, document_id, subject, status_code, size, created_at, fetched_at, done_at";

fn msg_row(r: &kernel::db::Row) -> Result<HubMessage> {
    Ok(HubMessage {
        id: r.text("id")?,
        kind: r.text("kind")?,
        from_organ: r.text("from_organ")?,
        to_organ: r.text("to_organ")?,
        document_id: r.opt_text("document_id")?,
        subject: r.opt_text("subject")?,
        status_code: r.opt_text("status_code")?,
        size: r.int("size")?,
        created_at: r.int("created_at")?,
        fetched_at: r.opt_int("fetched_at")?,
        done_at: r.opt_int("done_at")?,
    })
}

impl Docflow {
    /// The organs a caller may send for and receive for.
    async fn organs_of(&self, caller: &HubCaller) -> Result<Vec<String>> {
        let rows = match caller {
            HubCaller::Local => q("SELECT COALESCE(qcvn_code, code) AS organ_id FROM agencies WHERE active").fetch_all(&self.db).await?,
            HubCaller::Client(c) => q("SELECT organ_id FROM hub_members WHERE client_id = $1").bind(c.clone()).fetch_all(&self.db).await?,
        };
        rows.iter().map(|r| r.text("organ_id")).collect()
    }

    async fn may_speak_for(&self, caller: &HubCaller, organ: &str) -> Result<()> {
        if self.organs_of(caller).await?.iter().any(|o| o == organ) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!("hệ thống không được gửi thay cơ quan {organ} (the caller may not send for {organ})")))
        }
    }

    /// Members the hub delivers to: this deployment's agencies and registered members.
    pub async fn hub_members(&self) -> Result<Vec<HubMember>> {
        let mut out = Vec::new();
        for r in
            q("SELECT COALESCE(qcvn_code, code) AS organ_id, name FROM agencies WHERE active ORDER BY name").fetch_all(&self.db).await?
        {
            out.push(HubMember { organ_id: r.text("organ_id")?, name: r.text("name")?, local: true });
        }
        for r in q("SELECT organ_id, name FROM hub_members ORDER BY name").fetch_all(&self.db).await? {
            out.push(HubMember { organ_id: r.text("organ_id")?, name: r.text("name")?, local: false });
        }
        Ok(out)
    }

    pub async fn add_hub_member(&self, p: &Principal, input: &MemberInput) -> Result<HubMember> {
        if !p.allows(Permission::CatalogManage, None) {
            return Err(Error::Forbidden("cần quyền quản trị (administration rights are required)".into()));
        }
        let organ = kernel::codes::QcvnAgencyCode::parse(input.organ_id.trim()).map_err(|e| Error::invalid("organ_id", e.to_string()))?;
        let name = input.name.trim();
        if name.is_empty() || input.client_id.trim().is_empty() {
            return Err(Error::invalid("name", "cần tên và client_id (name and client_id are required)"));
        }
        if self.agency_by_organ(organ.as_str()).await?.is_some() {
            return Err(Error::conflict(format!("{} là cơ quan của hệ thống này (is an agency of this deployment)", organ.as_str())));
        }
        q("INSERT INTO hub_members (organ_id, name, client_id, created_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (organ_id) DO UPDATE SET name = excluded.name, client_id = excluded.client_id")
        .bind(organ.as_str().to_owned())
        .bind(name)
        .bind(input.client_id.trim())
        .bind(kernel::time::now_ms())
        .execute(&self.db)
        .await?;
        Ok(HubMember { organ_id: organ.as_str().to_owned(), name: name.to_owned(), local: false })
    }

    async fn is_member(&self, organ: &str) -> Result<bool> {
        Ok(self.agency_by_organ(organ).await?.is_some()
            || q("SELECT COUNT(*) FROM hub_members WHERE organ_id = $1").bind(organ).fetch_i64(&self.db).await? > 0)
    }

    /// Takes a package (already in the blob store as `sha`): checks it strictly, that the caller
    /// speaks for its sender and that every recipient is a member; holds one message per
    /// recipient. Nothing is held when anything is wrong.
    pub async fn hub_accept_package(&self, caller: &HubCaller, sha: &str, size: i64) -> Result<Vec<HubMessage>> {
        let file = self.blobs.open(sha)?;
        let parsed = tokio::task::spawn_blocking(move || edxml::read_package(std::io::BufReader::new(file), &mut edxml::DiscardSink))
            .await
            .map_err(Error::internal)?
            .map_err(|e| Error::invalid(e.path().unwrap_or("edXML").to_owned(), e.to_string()))?;
        let h = &parsed.package.header;
        self.may_speak_for(caller, &h.from.organ_id).await?;
        let mut unknown = Vec::new();
        for to in &h.to {
            if !self.is_member(&to.organ_id).await? {
                unknown.push(to.organ_id.clone());
            }
        }
        if !unknown.is_empty() {
            return Err(Error::invalid(
                "edXML/edXMLEnvelope/edXMLHeader/MessageHeader/To/OrganId",
                format!("trục không phục vụ cơ quan {} (not served by this hub)", unknown.join(", ")),
            ));
        }
        let doc_id = h.document_id.clone().unwrap_or_else(|| format!("{},{}", h.from.organ_id, h.code.code_notation));
        let mut out = Vec::new();
        let mut tx = self.db.begin().await?;
        for to in &h.to {
            let id = kernel::id::new_id();
            q("INSERT INTO hub_messages (id, kind, from_organ, to_organ, document_id, subject, sha256, size, created_at) VALUES ($1, 'package', $2, $3, $4, $5, $6, $7, $8)")
                .bind(id.clone())
                .bind(h.from.organ_id.clone())
                .bind(to.organ_id.clone())
                .bind(doc_id.clone())
                .bind(h.subject.clone())
                .bind(sha)
                .bind(size)
                .bind(kernel::time::now_ms())
                .execute(&mut tx)
                .await?;
            out.push(id);
        }
        tx.commit().await?;
        // This deployment's own worker takes in what is for its agencies at once.
        self.wake.notify_one();
        self.hub_signal.notify_waiters();
        self.hub_messages_by_id(&out).await
    }

    /// Takes a status message: routed to the organ that issued the document it answers, or,
    /// for a recall (13) sent by that organ, to every organ the document was sent to.
    pub async fn hub_accept_status(&self, caller: &HubCaller, bytes: &[u8]) -> Result<Vec<HubMessage>> {
        let st = edxml::read_status(bytes).map_err(|e| Error::invalid(e.path().unwrap_or("edXML").to_owned(), e.to_string()))?;
        self.may_speak_for(caller, &st.from.organ_id).await?;
        let targets: Vec<String> = if st.status_code == edxml::StatusCode::Recalled {
            q("SELECT DISTINCT to_organ FROM hub_messages WHERE kind = 'package' AND from_organ = $1 AND document_id = $2")
                .bind(st.from.organ_id.clone())
                .bind(st.response_for.document_id.clone())
                .fetch_all(&self.db)
                .await?
                .iter()
                .map(|r| r.text("to_organ"))
                .collect::<Result<_>>()?
        } else {
            let to = st.response_for.organ_id.clone();
            if !self.is_member(&to).await? {
                return Err(Error::invalid(
                    "edXML/edXMLEnvelope/edXMLHeader/MessageStatus/ResponseFor/OrganId",
                    format!("trục không phục vụ cơ quan {to} (not served by this hub)"),
                ));
            }
            vec![to]
        };
        if targets.is_empty() {
            return Err(Error::invalid(
                "edXML/edXMLEnvelope/edXMLHeader/MessageStatus/ResponseFor/DocumentId",
                "trục chưa chuyển văn bản này (the hub never carried this document)",
            ));
        }
        let sha = self.blobs.put(bytes).await?;
        let mut ids = Vec::new();
        for to in targets {
            let id = kernel::id::new_id();
            q("INSERT INTO hub_messages (id, kind, from_organ, to_organ, document_id, status_code, sha256, size, created_at) VALUES ($1, 'status', $2, $3, $4, $5, $6, $7, $8)")
                .bind(id.clone())
                .bind(st.from.organ_id.clone())
                .bind(to)
                .bind(st.response_for.document_id.clone())
                .bind(st.status_code.as_str())
                .bind(sha.clone())
                .bind(bytes.len() as i64)
                .bind(kernel::time::now_ms())
                .execute(&self.db)
                .await?;
            ids.push(id);
        }
        self.wake.notify_one();
        self.hub_signal.notify_waiters();
        self.hub_messages_by_id(&ids).await
    }

    async fn hub_messages_by_id(&self, ids: &[String]) -> Result<Vec<HubMessage>> {
        let mut out = Vec::new();
        for id in ids {
            let r = q(format!("SELECT {MSG_COLS} FROM hub_messages WHERE id = $1")).bind(id.clone()).fetch_one(&self.db).await?;
            out.push(msg_row(&r)?);
        }
        Ok(out)
    }

    /// Messages waiting for the caller's organs (not yet processed), oldest first.
    pub async fn hub_received(&self, caller: &HubCaller, limit: i64) -> Result<Vec<HubMessage>> {
        let organs = self.organs_of(caller).await?;
        if organs.is_empty() {
            return Ok(Vec::new());
        }
        let mut w = kernel::db::Where::new();
        let args: Vec<String> = organs.into_iter().map(|o| w.arg(o)).collect();
        w.and(format!("to_organ IN ({})", args.join(", ")));
        w.and("done_at IS NULL");
        let lim = w.arg(limit);
        w.query(format!("SELECT {MSG_COLS} FROM hub_messages{} ORDER BY created_at, id LIMIT {lim}", w.sql()))
            .fetch_all(&self.db)
            .await?
            .iter()
            .map(msg_row)
            .collect()
    }

    /// Like [`Docflow::hub_received`], but when nothing waits, holds on up to `wait` for a
    /// message (a long poll): a message accepted by this node answers at once, one accepted by
    /// another node within a second.
    pub async fn hub_received_wait(&self, caller: &HubCaller, limit: i64, wait: std::time::Duration) -> Result<Vec<HubMessage>> {
        let until = tokio::time::Instant::now() + wait;
        loop {
            let signal = self.hub_signal.notified();
            let list = self.hub_received(caller, limit).await?;
            let now = tokio::time::Instant::now();
            if !list.is_empty() || now >= until || self.closing.load(std::sync::atomic::Ordering::Relaxed) {
                return Ok(list);
            }
            let _ = tokio::time::timeout((until - now).min(std::time::Duration::from_secs(1)), signal).await;
        }
    }

    /// Messages the caller's organs sent, newest first.
    pub async fn hub_sent(&self, caller: &HubCaller, limit: i64) -> Result<Vec<HubMessage>> {
        let organs = self.organs_of(caller).await?;
        if organs.is_empty() {
            return Ok(Vec::new());
        }
        let mut w = kernel::db::Where::new();
        let args: Vec<String> = organs.into_iter().map(|o| w.arg(o)).collect();
        w.and(format!("from_organ IN ({})", args.join(", ")));
        let lim = w.arg(limit);
        w.query(format!("SELECT {MSG_COLS} FROM hub_messages{} ORDER BY created_at DESC, id LIMIT {lim}", w.sql()))
            .fetch_all(&self.db)
            .await?
            .iter()
            .map(msg_row)
            .collect()
    }

    /// One message addressed to the caller: its stored bytes' hash (the file is read by the caller).
    pub async fn hub_fetch(&self, caller: &HubCaller, id: &str) -> Result<(HubMessage, String)> {
        let r = q(format!("SELECT {MSG_COLS}, sha256 FROM hub_messages WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.db)
            .await?
            .ok_or_else(|| Error::not_found(format!("thông điệp {id} (message)")))?;
        let m = msg_row(&r)?;
        if !self.organs_of(caller).await?.contains(&m.to_organ) {
            return Err(Error::not_found(format!("thông điệp {id} (message)")));
        }
        q("UPDATE hub_messages SET fetched_at = COALESCE(fetched_at, $1) WHERE id = $2")
            .bind(kernel::time::now_ms())
            .bind(id)
            .execute(&self.db)
            .await?;
        Ok((m, r.text("sha256")?))
    }

    /// The recipient has processed the message: it leaves the received list.
    pub async fn hub_done(&self, caller: &HubCaller, id: &str) -> Result<()> {
        let (m, _) = self.hub_fetch(caller, id).await?;
        if m.done_at.is_none() {
            q("UPDATE hub_messages SET done_at = $1 WHERE id = $2").bind(kernel::time::now_ms()).bind(id).execute(&self.db).await?;
        }
        Ok(())
    }
}
