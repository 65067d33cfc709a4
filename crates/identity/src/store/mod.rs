//! SQL of the identity component.

pub mod accounts;
pub mod audit;
pub mod sessions;
