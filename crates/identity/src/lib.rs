//! Identity and single sign-on (xác thực tập trung): accounts of citizens, businesses and
//! officials, roles held at agencies, passwords (argon2id) with lockout, browser sessions with
//! anti-forgery tokens, the append-only security audit log, and the middleware that tells
//! every component who is calling.

pub mod api;
pub mod external;
pub mod middleware;
pub mod model;
pub mod oidc;
pub mod pages;
pub mod password;
pub mod seed;
pub mod service;
pub mod store;
pub mod totp;

pub use service::Identity;
