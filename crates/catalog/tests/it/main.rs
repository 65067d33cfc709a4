//! The integration tests of `catalog`, in one binary: each file below was its own test binary,
//! and every one of them linked the whole crate again.

mod calendar;
mod places;
mod procedures;
mod registries;
