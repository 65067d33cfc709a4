//! The integration tests of `onestop`, in one binary: each file below was its own test binary,
//! and every one of them linked the whole crate again.

mod concurrency;
mod internal;
mod lifecycle;
mod process_editor;
mod registration;
mod rules;
