//! The integration tests of `lgsp`, in one binary: each file below was its own test binary,
//! and every one of them linked the whole crate again.

mod common;
mod console;
mod events_page;
mod federation;
mod gateway;
mod http11;
mod mtls;
mod nodes;
mod ocsp;
mod pubsub;
mod quota;
mod registry_checks;
mod replicas;
mod retention;
mod sftp;
mod soap;
