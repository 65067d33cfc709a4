//! Primitives shared by every component of Tỉnh Số: identifiers, validated Vietnamese codes,
//! the working-day calendar (with lunar holidays computed at UTC+7), money, Vietnamese text
//! folding, the database handle over SQLite or PostgreSQL, configuration and the common error
//! type. Nothing here decides policy; components do.

pub mod authz;
pub mod blob;
pub mod calendar;
pub mod codes;
pub mod config;
pub mod db;
pub mod error;
pub mod fold;
pub mod id;
pub mod money;
pub mod outbox;
pub mod time;
pub mod tls;

pub use error::{Error, FieldError, Result, Violations};
pub use sqlx;
