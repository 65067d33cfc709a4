//! QCVN 102:2016/BTTTT edXML (gói tin edXML): the document package exchanged between agencies on
//! the national document axis (trục liên thông văn bản) and its status message (gói tin trạng thái).
//!
//! Pure library: no database, no async. A package is written and read as a stream: only the
//! skeleton (header, manifest, signature: a few KB) and fixed-size buffers are held in memory,
//! so a 50 MB attachment never needs 50 MB. Signatures are enveloped XML-DSig (bergshamra) over
//! the skeleton, with the attachments bound through a signed `ds:Manifest` of their SHA-256s.
//! The design and rules are in `docs/edxml.md`.

mod base64;
mod build;
pub mod codes;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod header;
mod model;
mod parse;
mod sign;
mod status;
mod validate;
mod verify;
mod xml;

pub use build::{AttachmentSource, write_package};
pub use error::{EdxmlError, SignatureFailure};
pub use model::*;
pub use parse::{AttachmentSink, DiscardSink, ParsedPackage, read_package};
pub use sign::Signer;
pub use status::{read_status, write_status};
pub use validate::package as validate_package;
pub use verify::{DsigReference, SignatureBlock, TrustStore, verify};
