//! What every component's HTTP side shares: problem+json errors, extractors that answer bad
//! input with problem+json, paging, the language of a request, the HTML page shell and its
//! stylesheet, security headers, and the bootstrap administrator check.

pub mod auth;
pub mod chart;
pub mod extract;
pub mod headers;
pub mod lang;
pub mod page;
pub mod paging;
pub mod problem;

pub use auth::{Admin, Authed, Caller, ClientCert, ClientIp, ImClient};
pub use extract::{Json, Path, Query};
pub use lang::Lang;
pub use page::{Shell, render};
pub use paging::{PageQuery, Paged};
pub use problem::{ApiResult, Problem};
