//! The integration tests of `docflow`, in one binary: each file below was its own test binary,
//! and every one of them linked the whole crate again.

mod changes;
mod common;
mod drafts;
mod numbering;
mod outbox;
mod pages;
mod two_provinces;
mod workflow;
