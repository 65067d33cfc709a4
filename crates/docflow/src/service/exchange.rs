//! This deployment's side of the exchange: edXML packages of issued documents and status
//! messages are queued in `docflow_outbox` in the transaction that causes them, and a worker
//! sends them to the hub (this deployment itself, or the one named in the configuration,
//! reached directly or through the LGSP gateway), with retries and backoff. The same worker
//! fetches what the hub holds for this deployment's agencies: packages become incoming
//! documents once their signature checks out, status messages update the recipients of
//! outgoing documents. Hub messages are kept by id, so one fetched twice is processed once.

use std::io::Write;

use kernel::authz::Principal;
use kernel::db::{Tx, q};
use kernel::{Error, Result};

use super::hub::{HubCaller, HubMessage};
use super::{Docflow, Document, search_text, trace};
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
        let received = self.receive().await?;
        Ok((sent, received))
    }

    /// Runs the exchange worker until `stop` turns true.
    pub async fn run_exchange(&self, mut stop: tokio::sync::watch::Receiver<bool>, every: std::time::Duration) {
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
                    let note = if kind == "package" {
                        "đã gửi gói tin edXML lên trục liên thông (package sent to the hub)"
                    } else {
                        "đã gửi trạng thái cho bên gửi (status sent to the sender)"
                    };
                    trace(
                        &mut tx,
                        &document_id,
                        None,
                        if kind == "package" { "package_sent" } else { "status_sent" },
                        None,
                        None,
                        Some(note),
                        None,
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

    /// Takes in every message the hub holds for this deployment's agencies.
    async fn receive(&self) -> Result<usize> {
        let mut n = 0;
        for m in self.hub_list().await? {
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

    async fn take_package(&self, m: &HubMessage, sha: &str) -> Result<()> {
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

    // ---- the hub, in-process or remote -------------------------------------------------

    async fn token(&self, remote: &super::RemoteHub) -> Result<String> {
        let mut t = self.token.lock().await;
        if let Some((tok, exp)) = t.as_ref()
            && *exp > kernel::time::now_ms() + 10_000
        {
            return Ok(tok.clone());
        }
        let r = self
            .http
            .post(&remote.token_url)
            .form(&[("grant_type", "client_credentials"), ("client_id", &remote.client_id), ("client_secret", &remote.client_secret)])
            .send()
            .await
            .map_err(|e| Error::internal(format!("hub token: {e}")))?;
        if !r.status().is_success() {
            return Err(Error::internal(format!("hub token: HTTP {}", r.status())));
        }
        let v: serde_json::Value = r.json().await.map_err(|e| Error::internal(format!("hub token: {e}")))?;
        let tok = v["access_token"].as_str().ok_or_else(|| Error::internal("hub token: no access_token"))?.to_owned();
        let exp = kernel::time::now_ms() + v["expires_in"].as_i64().unwrap_or(300) * 1000;
        *t = Some((tok.clone(), exp));
        Ok(tok)
    }

    async fn remote_request(&self, remote: &super::RemoteHub, method: reqwest::Method, path: &str) -> Result<reqwest::RequestBuilder> {
        let tok = self.token(remote).await?;
        let mut b = self.http.request(method, format!("{}{path}", remote.url.trim_end_matches('/'))).bearer_auth(tok);
        if let Some(c) = &remote.xroad_client {
            b = b.header("X-Road-Client", c);
        }
        Ok(b)
    }

    async fn checked(r: std::result::Result<reqwest::Response, reqwest::Error>) -> Result<reqwest::Response> {
        let r = r.map_err(|e| Error::internal(format!("hub: {e}")))?;
        let status = r.status();
        if status.is_success() {
            return Ok(r);
        }
        let text = r.text().await.unwrap_or_default();
        let text: String = text.chars().take(500).collect();
        Err(match status.as_u16() {
            400 | 422 => Error::invalid("hub", text),
            401 | 403 => Error::Forbidden(format!("hub: {text}")),
            _ => Error::internal(format!("hub: HTTP {status}: {text}")),
        })
    }

    async fn hub_send(&self, kind: &str, sha: &str, size: i64) -> Result<Vec<String>> {
        match &self.remote() {
            None => {
                let msgs = if kind == "package" {
                    self.hub_accept_package(&HubCaller::Local, sha, size).await?
                } else {
                    self.hub_accept_status(&HubCaller::Local, &self.blobs.read(sha).await?).await?
                };
                Ok(msgs.into_iter().map(|m| m.id).collect())
            }
            Some(remote) => {
                let path = if kind == "package" { "/packages" } else { "/statuses" };
                let file = tokio::fs::File::open(self.blobs.path(sha)).await.map_err(Error::internal)?;
                let body = reqwest::Body::wrap_stream(tokio_util_stream(file));
                let r = self
                    .remote_request(remote, reqwest::Method::POST, path)
                    .await?
                    .header("content-type", "application/xml")
                    .header("content-length", size)
                    .body(body)
                    .send()
                    .await;
                let v: serde_json::Value = Self::checked(r).await?.json().await.map_err(|e| Error::internal(format!("hub: {e}")))?;
                let list = if v.is_array() { v.as_array().cloned().unwrap_or_default() } else { vec![v] };
                Ok(list.iter().filter_map(|m| m["id"].as_str().map(str::to_owned)).collect())
            }
        }
    }

    /// Agencies documents can be sent to: the hub's list (the other deployment's, when it
    /// plays the hub).
    pub async fn known_recipients(&self) -> Result<Vec<super::hub::HubMember>> {
        match &self.remote() {
            None => self.hub_members().await,
            Some(remote) => {
                let r = self.remote_request(remote, reqwest::Method::GET, "/agencies").await?.send().await;
                Self::checked(r).await?.json().await.map_err(|e| Error::internal(format!("hub: {e}")))
            }
        }
    }

    async fn hub_list(&self) -> Result<Vec<HubMessage>> {
        match &self.remote() {
            None => self.hub_received(&HubCaller::Local, 50).await,
            Some(remote) => {
                let r = self.remote_request(remote, reqwest::Method::GET, "/received").await?.send().await;
                Self::checked(r).await?.json().await.map_err(|e| Error::internal(format!("hub: {e}")))
            }
        }
    }

    /// The message's bytes, in this deployment's blob store; returns their hash.
    async fn hub_get(&self, m: &HubMessage) -> Result<String> {
        match &self.remote() {
            None => Ok(self.hub_fetch(&HubCaller::Local, &m.id).await?.1),
            Some(remote) => {
                use futures_util::StreamExt;
                let r = self.remote_request(remote, reqwest::Method::GET, &format!("/messages/{}", m.id)).await?.send().await;
                let mut stream = Self::checked(r).await?.bytes_stream();
                let mut w = self.blobs.writer()?;
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk.map_err(|e| Error::internal(format!("hub: {e}")))?;
                    w.write_all(&chunk).map_err(Error::internal)?;
                }
                Ok(w.finish()?.0)
            }
        }
    }

    async fn hub_ack(&self, id: &str) -> Result<()> {
        match &self.remote() {
            None => self.hub_done(&HubCaller::Local, id).await,
            Some(remote) => {
                let r = self.remote_request(remote, reqwest::Method::POST, &format!("/messages/{id}/done")).await?.send().await;
                Self::checked(r).await.map(|_| ())
            }
        }
    }
}

/// Reads a file as a stream of chunks, for request bodies that are not held in memory.
fn tokio_util_stream(file: tokio::fs::File) -> impl futures_util::Stream<Item = std::io::Result<Vec<u8>>> {
    futures_util::stream::unfold(file, |mut f| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(buf), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    })
}

/// Records that a hub message is being taken in; false when it already was (by this
/// transaction's competitor on another node, or before an acknowledgement was lost).
async fn seen(tx: &mut Tx, message_id: &str, kind: &str) -> Result<bool> {
    let n = q("INSERT INTO docflow_seen (message_id, kind, at) VALUES ($1, $2, $3) ON CONFLICT (message_id) DO NOTHING")
        .bind(message_id)
        .bind(kind)
        .bind(kernel::time::now_ms())
        .execute(tx)
        .await?;
    Ok(n == 1)
}

async fn doc_in_tx(tx: &mut Tx, id: &str) -> Result<Document> {
    let r = q(format!("SELECT {} FROM {} WHERE d.id = $1", super::read::DOC_COLS, super::read::DOC_FROM)).bind(id).fetch_one(tx).await?;
    super::read::doc_row(&r)
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
