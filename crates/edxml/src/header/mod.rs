//! MessageHeader, TraceHeaderList and manifest: element tree ⇄ model.

pub mod read;
pub mod write;
