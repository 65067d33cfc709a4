//! Notifications (dịch vụ thông báo): e-mails over SMTP and text messages through an HTTP SMS
//! provider, worded from templates in Vietnamese (with English), with their delivery status.
//!
//! Components never send directly: they call [`queue`] inside the transaction of the change
//! that needs telling, which writes a `notify.send` event to the outbox. The [`Notify`]
//! consumer takes it from there: records the message, sends it, and lets the outbox retry
//! with backoff (and dead-letter) when the server or the provider fails.

pub mod api;
pub mod model;
pub mod pages;
pub mod provider;
pub mod service;
pub mod templates;

pub use model::{Channel, Message, Request};
pub use service::{Notify, queue};
