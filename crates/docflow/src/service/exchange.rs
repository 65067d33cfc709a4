//! This deployment's side of the exchange: edXML packages of issued documents and status
//! messages are queued in `docflow_outbox` in the transaction that causes them, and a worker
//! sends them to the hub (this deployment itself, or the one named in the configuration,
//! reached directly or through the LGSP gateway), with retries and backoff. The same worker
//! fetches what the hub holds for this deployment's agencies: packages become incoming
//! documents once their signature checks out, status messages update the recipients of
//! outgoing documents. Hub messages are kept by id, so one fetched twice is processed once.

use kernel::authz::Principal;
use kernel::db::{Tx, q};
use kernel::{Error, Result};

use super::hub::HubMessage;
use super::{Docflow, Document, trace};
use crate::model::DocState;

/// Attempts before a message is left as failed (about a day with the backoff below).
const MAX_ATTEMPTS: i64 = 16;

fn backoff_ms(attempt: i64) -> i64 {
    (2_000i64 << attempt.clamp(0, 15)).min(3_600_000)
}

pub(crate) fn date_of(s: Option<&str>) -> time::Date {
    s.and_then(kernel::time::parse_date).unwrap_or_else(kernel::time::today_vn)
}

impl Docflow {
    /// Queues a status message to the sender of an incoming document that came through the
    /// exchange (nothing for documents typed in).
    pub(crate) async fn tell_sender(&self, tx: &mut Tx, d: &Document, state: DocState, note: Option<&str>, p: &Principal) -> Result<()> {
        let Some(code) = state.status_for_sender() else { return Ok(()) };
        self.queue_status(tx, d, code, note, Some(p)).await
    }

    pub(crate) async fn queue_status(
        &self,
        tx: &mut Tx,
        d: &Document,
        code: edxml::StatusCode,
        note: Option<&str>,
        p: Option<&Principal>,
    ) -> Result<()> {
        let (Some(sender), Some(edxml_id)) = (d.sender_organ_id.clone(), d.edxml_id.clone()) else { return Ok(()) };
        if d.source != "exchange" {
            return Ok(());
        }
        let agency = self.agency_by_id(&d.agency_id).await?;
        let msg = edxml::StatusMessage {
            response_for: edxml::ResponseFor {
                organ_id: sender,
                code: d.number_notation(),
                promulgation_date: date_of(d.promulgation_date.as_deref()),
                document_id: Some(edxml_id),
            },
            from: organization(&agency),
            status_code: code,
            description: note.map(str::to_owned),
            timestamp: time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+7)),
            staff_info: edxml::StaffInfo {
                department: Some(agency.name.clone()),
                staff: p.map(|p| p.name.clone()),
                mobile: None,
                email: None,
            },
        };
        let bytes = edxml::write_status(&msg).map_err(|e| Error::internal(format!("status message: {e}")))?;
        let sha = self.blobs.put(&bytes).await?;
        self.queue(tx, "status", &d.id, &agency.organ_id, Some((&sha, bytes.len() as i64))).await
    }

    pub(crate) async fn queue(
        &self,
        tx: &mut Tx,
        kind: &str,
        document_id: &str,
        from_organ: &str,
        blob: Option<(&str, i64)>,
    ) -> Result<()> {
        let now = kernel::time::now_ms();
        q("INSERT INTO docflow_outbox (id, kind, document_id, from_organ, sha256, size, state, attempts, next_at, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $7, $7)")
        .bind(kernel::id::new_id())
        .bind(kind)
        .bind(document_id)
        .bind(from_organ)
        .bind(blob.map(|b| b.0.to_owned()))
        .bind(blob.map(|b| b.1))
        .bind(now)
        .execute(tx)
        .await?;
        Ok(())
    }

    /// One round of the exchange worker: sends what is due, then takes in what arrived.
    /// Returns how many messages were sent and received. Rounds of one process run one at a
    /// time; other nodes' rounds are kept apart by the claims and `docflow_seen`.
    pub async fn exchange_round(&self) -> Result<(usize, usize)> {
        let _turn = self.round.lock().await;
        let sent = self.send_due().await?;
        let received = self.take_in_all(self.hub_list(0).await?).await?;
        Ok((sent, received))
    }

    /// Runs the exchange worker until `stop` turns true.
    pub async fn run_exchange(&self, mut stop: tokio::sync::watch::Receiver<bool>, every: std::time::Duration) {
        // Another deployment's hub is long-polled by a loop of its own, so statuses and packages
        // from there arrive within moments rather than at the next round.
        let listener = {
            let (me, mut stop) = (self.clone(), stop.clone());
            tokio::spawn(async move {
                loop {
                    if me.remote().is_some() {
                        let taken = tokio::select! {
                            _ = stop.changed() => return,
                            r = me.receive_in_turn(15) => r,
                        };
                        if let Err(e) = taken {
                            tracing::warn!(error = %e, "waiting on the document exchange hub failed");
                            tokio::time::sleep(every).await;
                        }
                    } else {
                        tokio::select! {
                            _ = stop.changed() => return,
                            _ = tokio::time::sleep(every) => {}
                        }
                    }
                    if *stop.borrow() {
                        return;
                    }
                }
            })
        };
        self.run_rounds(&mut stop, every).await;
        self.closing.store(true, std::sync::atomic::Ordering::Relaxed);
        self.hub_signal.notify_waiters();
        let _ = listener.await;
    }

    /// Long-polls the remote hub, then takes in what came, in turn with the rounds.
    async fn receive_in_turn(&self, wait_secs: u64) -> Result<usize> {
        let list = self.hub_list(wait_secs).await?;
        if list.is_empty() {
            return Ok(0);
        }
        let _turn = self.round.lock().await;
        self.take_in_all(list).await
    }

    async fn run_rounds(&self, stop: &mut tokio::sync::watch::Receiver<bool>, every: std::time::Duration) {
        loop {
            match self.exchange_round().await {
                Ok((s, r)) if s + r > 0 => tracing::debug!(sent = s, received = r, "document exchange"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "document exchange round failed"),
            }
            tokio::select! {
                _ = stop.changed() => {}
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(every) => {}
            }
            if *stop.borrow() {
                return;
            }
        }
    }

    async fn send_due(&self) -> Result<usize> {
        let now = kernel::time::now_ms();
        let rows = q("SELECT id, kind, document_id, sha256, size, attempts, next_at FROM docflow_outbox
                      WHERE state = 'queued' AND next_at <= $1 ORDER BY created_at LIMIT 20")
        .bind(now)
        .fetch_all(&self.db)
        .await?;
        let mut sent = 0;
        for r in rows {
            let id = r.text("id")?;
            // Claim the row: another node that read it too finds next_at changed and skips it.
            let claimed = q("UPDATE docflow_outbox SET next_at = $1 WHERE id = $2 AND next_at = $3 AND state = 'queued'")
                .bind(now + 120_000)
                .bind(id.clone())
                .bind(r.int("next_at")?)
                .execute(&self.db)
                .await?;
            if claimed != 1 {
                continue;
            }
            let kind = r.text("kind")?;
            let document_id = r.text("document_id")?;
            let attempts = r.int("attempts")? + 1;
            let result = async {
                let (sha, size) = match (r.opt_text("sha256")?, r.opt_int("size")?) {
                    (Some(s), Some(n)) => (s, n),
                    _ => {
                        let (s, n) = self.build_package(&document_id).await?;
                        q("UPDATE docflow_outbox SET sha256 = $1, size = $2 WHERE id = $3")
                            .bind(s.clone())
                            .bind(n)
                            .bind(id.clone())
                            .execute(&self.db)
                            .await?;
                        (s, n)
                    }
                };
                self.hub_send(&kind, &sha, size).await
            }
            .await;
            match result {
                Ok(hub_ids) => {
                    let mut tx = self.db.begin().await?;
                    q("UPDATE docflow_outbox SET state = 'sent', sent_at = $1, attempts = $2, error = NULL, hub_id = $3 WHERE id = $4")
                        .bind(kernel::time::now_ms())
                        .bind(attempts)
                        .bind(hub_ids.join(","))
                        .bind(id.clone())
                        .execute(&mut tx)
                        .await?;
                    // A status names its code and whom it went to in the history.
                    let status = match (kind.as_str(), r.opt_text("sha256")?) {
                        ("status", Some(sha)) => edxml::read_status(&self.blobs.read(&sha).await?).ok(),
                        _ => None,
                    };
                    let note = match &status {
                        None => "đã gửi gói tin edXML lên trục liên thông (package sent to the hub)".to_owned(),
                        Some(st) => format!("đã báo «{}» (status sent)", status_label(st.status_code)),
                    };
                    let code = status.as_ref().map(|st| (st.status_code.as_str(), st.response_for.organ_id.clone()));
                    trace(
                        &mut tx,
                        &document_id,
                        None,
                        if kind == "package" { "package_sent" } else { "status_sent" },
                        None,
                        None,
                        Some(&note),
                        code.as_ref().map(|(c, o)| (*c, o.as_str())),
                    )
                    .await?;
                    tx.commit().await?;
                    sent += 1;
                }
                Err(e) => {
                    let dead = attempts >= MAX_ATTEMPTS || matches!(e, Error::Invalid(_) | Error::Forbidden(_));
                    tracing::warn!(error = %e, outbox = %id, attempts, "an edXML message could not be sent");
                    let mut tx = self.db.begin().await?;
                    q("UPDATE docflow_outbox SET state = $1, attempts = $2, next_at = $3, error = $4 WHERE id = $5")
                        .bind(if dead { "failed" } else { "queued" })
                        .bind(attempts)
                        .bind(kernel::time::now_ms() + backoff_ms(attempts))
                        .bind(e.to_string())
                        .bind(id.clone())
                        .execute(&mut tx)
                        .await?;
                    if dead {
                        trace(
                            &mut tx,
                            &document_id,
                            None,
                            "send_failed",
                            None,
                            None,
                            Some(&format!("không gửi được (could not be sent): {e}")),
                            None,
                        )
                        .await?;
                    }
                    tx.commit().await?;
                }
            }
        }
        Ok(sent)
    }

    /// Takes in the messages the hub listed for this deployment's agencies; one already taken
    /// in (by another node, or before a lost acknowledgement) is only acknowledged.
    async fn take_in_all(&self, list: Vec<HubMessage>) -> Result<usize> {
        let mut n = 0;
        for m in list {
            let done = q("SELECT COUNT(*) FROM docflow_seen WHERE message_id = $1").bind(m.id.clone()).fetch_i64(&self.db).await? > 0;
            let outcome = if done { Ok(()) } else { self.take_in(&m).await };
            match outcome {
                Ok(()) => {
                    self.hub_ack(&m.id).await?;
                    n += 1;
                }
                Err(e) => {
                    tracing::warn!(error = %e, message = %m.id, "an edXML message from the hub could not be taken in; it stays at the hub")
                }
            }
        }
        Ok(n)
    }

    async fn take_in(&self, m: &HubMessage) -> Result<()> {
        let sha = self.hub_get(m).await?;
        match m.kind.as_str() {
            "status" => self.take_status(m, &sha).await,
            _ => self.take_package(m, &sha).await,
        }
    }

    async fn take_status(&self, m: &HubMessage, sha: &str) -> Result<()> {
        let bytes = self.blobs.read(sha).await?;
        let st = match edxml::read_status(&bytes) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, message = %m.id, "a malformed status message was dropped");
                return Ok(());
            }
        };
        let code = st.status_code.as_str();
        let edxml_id = st.response_for.document_id.clone().unwrap_or_default();
        // Our outgoing document the status answers, or (a recall) our incoming copy of theirs.
        let Some(agency) = self.agency_by_organ(&m.to_organ).await? else { return Ok(()) };
        let row = q("SELECT id, direction FROM documents WHERE agency_id = $1 AND edxml_id = $2 ORDER BY created_at DESC LIMIT 1")
            .bind(agency.id.clone())
            .bind(edxml_id.clone())
            .fetch_optional(&self.db)
            .await?;
        let Some(row) = row else {
            tracing::warn!(document = %edxml_id, "a status message for an unknown document was dropped");
            return Ok(());
        };
        let doc_id = row.text("id")?;
        let mut tx = self.db.begin().await?;
        if !seen(&mut tx, &m.id, "status").await? {
            return Ok(());
        }
        if row.text("direction")? == "outgoing" {
            let ms = st.timestamp.unix_timestamp() * 1000;
            q("UPDATE document_recipients SET status_code = $1, status_at = $2, description = $3 WHERE document_id = $4 AND organ_id = $5")
                .bind(code)
                .bind(ms)
                .bind(st.description.clone())
                .bind(doc_id.clone())
                .bind(st.from.organ_id.clone())
                .execute(&mut tx)
                .await?;
        } else if st.status_code == edxml::StatusCode::Recalled {
            // The sender asks for its document back: the clerk accepts (15) or refuses (16).
            q("UPDATE documents SET business_type = 1, version = version + 1, updated_at = $1 WHERE id = $2")
                .bind(kernel::time::now_ms())
                .bind(doc_id.clone())
                .execute(&mut tx)
                .await?;
        }
        let note = format!(
            "{} — {}{}",
            st.from.organ_name,
            status_label(st.status_code),
            st.description.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
        );
        trace(&mut tx, &doc_id, None, "status_received", None, None, Some(&note), Some((code, &st.from.organ_id))).await?;
        tx.commit().await
    }
}

/// Records that a hub message is being taken in; false when it already was (by this
/// transaction's competitor on another node, or before an acknowledgement was lost).
pub(crate) async fn seen(tx: &mut Tx, message_id: &str, kind: &str) -> Result<bool> {
    let n = q("INSERT INTO docflow_seen (message_id, kind, at) VALUES ($1, $2, $3) ON CONFLICT (message_id) DO NOTHING")
        .bind(message_id)
        .bind(kind)
        .bind(kernel::time::now_ms())
        .execute(tx)
        .await?;
    Ok(n == 1)
}

pub(crate) fn organization(a: &super::AgencyRef) -> edxml::Organization {
    edxml::Organization {
        organ_id: a.organ_id.clone(),
        organization_in_charge: None,
        organ_name: a.name.clone(),
        organ_add: a.address.clone(),
        email: a.email.clone(),
        telephone: a.phone.clone(),
        fax: None,
        website: a.website.clone(),
    }
}

pub fn status_label(c: edxml::StatusCode) -> &'static str {
    use edxml::StatusCode as S;
    match c {
        S::Arrived => "01 đã đến",
        S::Rejected => "02 từ chối tiếp nhận",
        S::Accepted => "03 đã tiếp nhận",
        S::Assigned => "04 đã phân công",
        S::Processing => "05 đang xử lý",
        S::Done => "06 hoàn thành",
        S::Recalled => "13 lấy lại",
        S::ChangeAccepted => "15 đồng ý",
        S::ChangeRejected => "16 từ chối",
    }
}

/// A message of this deployment's exchange outbox, as operators see it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct OutboxEntry {
    pub id: String,
    /// package or status.
    pub kind: String,
    pub document_id: String,
    pub from_organ: String,
    /// queued, sent or failed.
    pub state: String,
    pub attempts: i64,
    pub next_at: i64,
    pub error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

impl Docflow {
    /// The exchange outbox (administrators): what waits, what failed and why.
    pub async fn outbox(&self, p: &Principal, state: Option<&str>, limit: i64) -> Result<Vec<OutboxEntry>> {
        if !p.allows(kernel::authz::Permission::CatalogManage, None) {
            return Err(Error::Forbidden("cần quyền quản trị (administration rights are required)".into()));
        }
        let mut w = kernel::db::Where::new();
        if let Some(s) = state.filter(|s| !s.is_empty()) {
            if !["queued", "sent", "failed"].contains(&s) {
                return Err(Error::invalid("state", "queued | sent | failed"));
            }
            let a = w.arg(s.to_owned());
            w.and(format!("state = {a}"));
        }
        let lim = w.arg(limit);
        w.query(format!(
            "SELECT id, kind, document_id, from_organ, state, attempts, next_at, error, created_at, sent_at FROM docflow_outbox{} ORDER BY created_at DESC LIMIT {lim}",
            w.sql()
        ))
        .fetch_all(&self.db)
        .await?
        .iter()
        .map(|r| {
            Ok(OutboxEntry {
                id: r.text("id")?,
                kind: r.text("kind")?,
                document_id: r.text("document_id")?,
                from_organ: r.text("from_organ")?,
                state: r.text("state")?,
                attempts: r.int("attempts")?,
                next_at: r.int("next_at")?,
                error: r.opt_text("error")?,
                created_at: r.int("created_at")?,
                sent_at: r.opt_int("sent_at")?,
            })
        })
        .collect()
    }

    /// Sends a failed message again (administrators), at once.
    pub async fn retry_outbox(&self, p: &Principal, id: &str) -> Result<()> {
        if !p.allows(kernel::authz::Permission::CatalogManage, None) {
            return Err(Error::Forbidden("cần quyền quản trị (administration rights are required)".into()));
        }
        let n = q("UPDATE docflow_outbox SET state = 'queued', attempts = 0, next_at = $1 WHERE id = $2 AND state = 'failed'")
            .bind(kernel::time::now_ms())
            .bind(id)
            .execute(&self.db)
            .await?;
        if n != 1 {
            return Err(Error::conflict("chỉ gửi lại được thông điệp đã thất bại (only a failed message can be sent again)"));
        }
        self.wake.notify_one();
        Ok(())
    }
}
