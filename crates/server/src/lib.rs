//! The `tinhso` binary's library: command line, configuration, migrations, the assembled
//! HTTP application with its middleware, background workers and graceful shutdown.

pub mod app;
pub mod backup;
pub mod cli;
mod cores;
pub mod import;
mod lane;
pub mod migrate;
pub mod ocsp;
pub mod ops;
pub mod serve;
pub mod staple;
pub mod tls;

pub use app::{App, build_router};

/// mimalloc rather than glibc's allocator: under the gateway's load glibc kept growing and
/// trimming its per-thread arenas (an `mprotect` per request); see docs/architecture.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
