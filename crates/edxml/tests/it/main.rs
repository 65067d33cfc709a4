//! The integration tests of `edxml`, in one binary: each file below was its own test binary,
//! and every one of them linked the whole crate again.

mod common;
mod fixtures;
mod fuzz_corpus;
mod roundtrip;
mod signature;
mod streaming;
