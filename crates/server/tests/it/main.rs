//! The integration tests of `server`, in one binary: each file below was its own test binary,
//! and every one of them linked the whole crate again.

mod admin_console;
mod cli;
mod crash;
mod demo_dossiers;
mod demo_exchange;
mod nodes;
mod ops;
mod transactions;
