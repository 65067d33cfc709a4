//! Where messages leave the platform: an SMTP server, an HTTP SMS provider, or nowhere (when
//! none is configured the message is recorded, visible to administrators, and not sent).

use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// Why a send failed: worth retrying, or never going to work.
#[derive(Debug)]
pub enum SendError {
    Temporary(String),
    Permanent(String),
}

pub enum Provider {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Http {
        client: reqwest::Client,
        url: String,
        token: Option<String>,
    },
    /// Nothing configured: messages are recorded only.
    Record,
}

impl Provider {
    /// An SMTP provider from a URL (see the `smtp_url` setting).
    pub fn smtp(url: &str, from: &str) -> Result<Provider, String> {
        let from: Mailbox = from.parse().map_err(|e| format!("mail_from {from:?} is not an address: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("smtp_url: {e}"))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        Ok(Provider::Smtp { transport, from })
    }

    pub fn http(url: &str, token: Option<String>) -> Result<Provider, String> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!("sms_url {url:?} must be an http(s) URL"));
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Provider::Http { client, url: url.to_owned(), token })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Provider::Smtp { .. } => "smtp",
            Provider::Http { .. } => "http-sms",
            Provider::Record => "record-only",
        }
    }

    /// Sends; returns the provider's reference for the message when it gives one, or None
    /// when the message was only recorded.
    pub async fn send(&self, to: &str, subject: &str, body: &str, reference: &str) -> Result<Option<String>, SendError> {
        match self {
            Provider::Record => Ok(None),
            Provider::Smtp { transport, from } => {
                let to: Mailbox = to.parse().map_err(|e| SendError::Permanent(format!("bad address {to}: {e}")))?;
                let message_id = format!("<{reference}@tinhso>");
                let mail = lettre::Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(subject)
                    .message_id(Some(message_id.clone()))
                    .header(ContentType::TEXT_PLAIN)
                    .body(body.to_owned())
                    .map_err(|e| SendError::Permanent(e.to_string()))?;
                match transport.send(mail).await {
                    Ok(_) => Ok(Some(message_id)),
                    Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
                    Err(e) => Err(SendError::Temporary(e.to_string())),
                }
            }
            Provider::Http { client, url, token } => {
                let mut req = client.post(url).json(&serde_json::json!({"to": to, "text": body, "ref": reference}));
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                let resp = req.send().await.map_err(|e| SendError::Temporary(e.to_string()))?;
                let status = resp.status();
                if status.is_success() {
                    let id =
                        resp.json::<serde_json::Value>().await.ok().and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_owned));
                    Ok(Some(id.unwrap_or_else(|| reference.to_owned())))
                } else if status.is_client_error() && status.as_u16() != 429 && status.as_u16() != 408 {
                    Err(SendError::Permanent(format!("SMS provider answered {status}")))
                } else {
                    Err(SendError::Temporary(format!("SMS provider answered {status}")))
                }
            }
        }
    }
}
