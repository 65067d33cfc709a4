//! The `tinhso` binary's library: command line, configuration, migrations, the assembled
//! HTTP application with its middleware, background workers and graceful shutdown.

pub mod app;
pub mod backup;
pub mod cli;
pub mod import;
pub mod migrate;
pub mod ops;
pub mod serve;
pub mod tls;

pub use app::{App, build_router};
