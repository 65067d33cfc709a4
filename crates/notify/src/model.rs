//! Messages and requests to send them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = MessageChannel)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        match s {
            "email" => Some(Channel::Email),
            "sms" => Some(Channel::Sms),
            _ => None,
        }
    }
}

/// What a component asks to be sent: a template and its values, to one recipient.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub channel: Channel,
    /// E-mail address or phone number.
    pub to: String,
    /// The account the message is for, so people see their own messages.
    pub account_id: Option<String>,
    /// A name from [`crate::templates`].
    pub template: String,
    /// "vi" or "en".
    #[serde(default = "vi")]
    pub lang: String,
    #[serde(default)]
    pub vars: Map<String, Value>,
}

fn vi() -> String {
    "vi".into()
}

/// A message as recorded, with its delivery status: queued, sent, recorded (no provider is
/// configured: kept here only), failed (will be retried) or dead (given up).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Message {
    pub id: String,
    pub event_id: String,
    pub channel: Channel,
    pub recipient: String,
    pub account_id: Option<String>,
    pub template: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub provider: String,
    pub provider_ref: Option<String>,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}
