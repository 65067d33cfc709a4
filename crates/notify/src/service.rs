//! Queuing requests in the outbox, and the consumer that turns them into messages and sends
//! them.

use std::sync::Arc;

use kernel::db::{Db, Ex, Row, Tx, Where, q};
use kernel::outbox::{BoxFuture, Consumer, Delivery, Outcome};
use kernel::{Error, Result};
use serde_json::Value;

use crate::model::{Channel, Message, Request};
use crate::provider::{Provider, SendError};
use crate::templates;

/// The outbox topic of notification requests.
pub const TOPIC: &str = "notify.send";
/// Dossier status changes of the one-stop engine: the applicant is told by e-mail, or else by
/// SMS, when they gave an address (and the dossier has a code to track).
pub const DOSSIER_STATUS: &str = "onestop.dossier.status";

fn dossier_status(p: &Value) -> Option<Request> {
    let code = p["code"].as_str()?;
    let a = &p["applicant"];
    let (channel, to, template) = match (a["email"].as_str(), a["phone"].as_str()) {
        (Some(e), _) => (Channel::Email, e, "dossier_status"),
        (None, Some(ph)) => (Channel::Sms, ph, "dossier_status_sms"),
        _ => return None,
    };
    let vars = serde_json::json!({
        "name": a["name"], "code": code, "procedure": p["procedure_name"], "status": p["status_label"],
        "note": p["note"].as_str().unwrap_or(""), "link": p["tracking_url"],
    });
    Some(request(channel, to, None, template, "vi", vars))
}

/// Asks for a message to be sent once `tx` commits. Fails at once on an unknown template, so
/// a mistake shows where it was made and not in a worker's log.
pub async fn queue(tx: &mut Tx, r: &Request) -> Result<String> {
    if !templates::exists(&r.template) {
        return Err(Error::internal(format!("no notification template {}", r.template)));
    }
    if r.to.trim().is_empty() {
        return Err(Error::internal("a notification needs a recipient"));
    }
    let subject = r.account_id.clone().unwrap_or_else(|| r.to.clone());
    let payload = serde_json::to_value(r).map_err(|e| Error::internal(e.to_string()))?;
    kernel::outbox::publish(tx, TOPIC, &subject, &payload).await
}

#[derive(Clone)]
pub struct Notify {
    pub db: Db,
    pub email: Arc<Provider>,
    pub sms: Arc<Provider>,
    /// Filled in as `{site}` in every template.
    pub site: String,
}

impl Notify {
    pub fn new(db: Db, email: Provider, sms: Provider, site: &str) -> Notify {
        Notify { db, email: Arc::new(email), sms: Arc::new(sms), site: site.to_owned() }
    }

    fn provider(&self, c: Channel) -> &Provider {
        match c {
            Channel::Email => &self.email,
            Channel::Sms => &self.sms,
        }
    }

    async fn deliver(&self, d: &Delivery) -> Outcome {
        let parsed = if d.event.topic == DOSSIER_STATUS {
            dossier_status(&d.event.payload).map(Ok)
        } else {
            Some(serde_json::from_value(d.event.payload.clone()))
        };
        let mut r: Request = match parsed {
            // A status change of an applicant who gave no address: nothing to send.
            None => return Outcome::Done,
            Some(Ok(r)) => r,
            Some(Err(e)) => return Outcome::Dead(format!("not a notification request: {e}")),
        };
        r.vars.entry("site").or_insert_with(|| Value::String(self.site.clone()));
        let (subject, body) = match templates::render(&r.template, &r.lang, &r.vars) {
            Ok(x) => x,
            Err(e) => return Outcome::Dead(e),
        };
        let provider = self.provider(r.channel);
        let recorded = match self.record(d, &r, &subject, &body, provider.name()).await {
            Ok(m) => m,
            Err(e) => return Outcome::Retry(e.to_string()),
        };
        if matches!(recorded.status.as_str(), "sent" | "recorded") {
            // Delivered before a crash kept the outbox from hearing it: not again.
            return Outcome::Done;
        }
        match provider.send(&r.to, &subject, &body, &recorded.id).await {
            Ok(reference) => {
                let status = if reference.is_some() { "sent" } else { "recorded" };
                match self.set_status(&recorded.id, status, reference.as_deref(), None).await {
                    Ok(()) => Outcome::Done,
                    Err(e) => Outcome::Retry(e.to_string()),
                }
            }
            Err(SendError::Temporary(e)) => {
                let last = d.attempt >= kernel::outbox::MAX_ATTEMPTS;
                let _ = self.set_status(&recorded.id, if last { "dead" } else { "failed" }, None, Some(&e)).await;
                Outcome::Retry(e)
            }
            Err(SendError::Permanent(e)) => {
                let _ = self.set_status(&recorded.id, "dead", None, Some(&e)).await;
                Outcome::Dead(e)
            }
        }
    }

    /// The message of this event, created on the first attempt.
    async fn record(&self, d: &Delivery, r: &Request, subject: &str, body: &str, provider: &str) -> Result<Message> {
        let now = kernel::time::now_ms();
        q("INSERT INTO messages (id, event_id, channel, recipient, account_id, template, subject, body, status, provider,
                                 attempts, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9, 0, $10)
           ON CONFLICT (event_id) DO NOTHING")
        .bind(kernel::id::new_id())
        .bind(d.event.id.as_str())
        .bind(r.channel.as_str())
        .bind(r.to.as_str())
        .bind(r.account_id.clone())
        .bind(r.template.as_str())
        .bind(subject)
        .bind(body)
        .bind(provider)
        .bind(now)
        .execute(&self.db)
        .await?;
        let row = q(format!("UPDATE messages SET attempts = attempts + 1 WHERE event_id = $1 RETURNING {COLS}"))
            .bind(d.event.id.as_str())
            .fetch_one(&self.db)
            .await?;
        message(&row)
    }

    async fn set_status(&self, id: &str, status: &str, reference: Option<&str>, error: Option<&str>) -> Result<()> {
        let sent = matches!(status, "sent" | "recorded").then(kernel::time::now_ms);
        q("UPDATE messages SET status = $2, provider_ref = COALESCE($3, provider_ref), last_error = $4, sent_at = $5 WHERE id = $1")
            .bind(id)
            .bind(status)
            .bind(reference.map(str::to_owned))
            .bind(error.map(str::to_owned))
            .bind(sent)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    /// Messages, newest first: all of them, or those of one account.
    pub async fn messages(&self, account_id: Option<&str>, status: Option<&str>, offset: i64, limit: i64) -> Result<(Vec<Message>, i64)> {
        let mut w = Where::new();
        if let Some(a) = account_id {
            let p = w.arg(a);
            w.and(format!("account_id = {p}"));
        }
        if let Some(s) = status {
            let p = w.arg(s);
            w.and(format!("status = {p}"));
        }
        let total = w.query(format!("SELECT COUNT(*) FROM messages{}", w.sql())).fetch_i64(&self.db).await?;
        let rows = w
            .query(format!("SELECT {COLS} FROM messages{} ORDER BY created_at DESC, id DESC LIMIT {limit} OFFSET {offset}", w.sql()))
            .fetch_all(&self.db)
            .await?;
        Ok((rows.iter().map(message).collect::<Result<_>>()?, total))
    }

    pub async fn message(&self, id: &str) -> Result<Message> {
        let row = q(format!("SELECT {COLS} FROM messages WHERE id = $1")).bind(id).fetch_optional(&self.db).await?;
        message(&row.ok_or_else(|| Error::not_found(format!("tin nhắn {id}")))?)
    }

    /// Queue figures of every outbox consumer.
    pub async fn queues<'e>(&self, ex: impl Into<Ex<'e>>) -> Result<Vec<kernel::outbox::QueueStat>> {
        kernel::outbox::stats(ex).await
    }
}

const COLS: &str = "id, event_id, channel, recipient, account_id, template, subject, body, status, provider, provider_ref, attempts,
                    last_error, created_at, sent_at";

fn message(r: &Row) -> Result<Message> {
    Ok(Message {
        id: r.text("id")?,
        event_id: r.text("event_id")?,
        channel: Channel::parse(&r.text("channel")?).unwrap_or(Channel::Email),
        recipient: r.text("recipient")?,
        account_id: r.opt_text("account_id")?,
        template: r.text("template")?,
        subject: r.text("subject")?,
        body: r.text("body")?,
        status: r.text("status")?,
        provider: r.text("provider")?,
        provider_ref: r.opt_text("provider_ref")?,
        attempts: r.int("attempts")?,
        last_error: r.opt_text("last_error")?,
        created_at: r.int("created_at")?,
        sent_at: r.opt_int("sent_at")?,
    })
}

impl Consumer for Notify {
    fn name(&self) -> &'static str {
        "notify"
    }

    fn topics(&self) -> Vec<&'static str> {
        vec![TOPIC, DOSSIER_STATUS]
    }

    fn handle<'a>(&'a self, d: &'a Delivery) -> BoxFuture<'a, Outcome> {
        Box::pin(self.deliver(d))
    }
}

/// A request for `template` to `to`, with values.
pub fn request(channel: Channel, to: &str, account_id: Option<&str>, template: &str, lang: &str, vars: Value) -> Request {
    Request {
        channel,
        to: to.to_owned(),
        account_id: account_id.map(str::to_owned),
        template: template.to_owned(),
        lang: lang.to_owned(),
        vars: vars.as_object().cloned().unwrap_or_default(),
    }
}
