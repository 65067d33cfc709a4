//! XML plumbing shared by packages and status messages.

pub mod input;
pub mod output;
pub mod tree;
