//! Errors of the edXML crate. Every refusal says where: an element path for content rules, a
//! byte position for broken XML, the ContentId for attachments, the failing part for signatures.

use std::fmt;

/// Everything that can go wrong building, parsing or verifying an edXML package.
#[derive(Debug, thiserror::Error)]
pub enum EdxmlError {
    /// A content rule is broken (missing element, bad code, bad date, unknown element …).
    /// `path` is the element path, e.g. `edXML/edXMLEnvelope/edXMLHeader/MessageHeader/From/OrganId`.
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    /// The input is not well-formed XML (or not UTF-8); `position` is the byte offset.
    #[error("malformed XML at byte {position}: {message}")]
    Malformed { position: u64, message: String },
    /// A `<!DOCTYPE` was found: DTDs (and so entity declarations, billion laughs, XXE) are refused.
    #[error("DTD refused at byte {position}: edXML packages must not contain <!DOCTYPE (không chấp nhận DTD)")]
    DtdRefused { position: u64 },
    /// An entity reference other than the five predefined ones or a character reference.
    #[error("entity reference &{name}; refused at byte {position}: only &lt; &gt; &amp; &apos; &quot; and &#…; are allowed")]
    EntityRefused { name: String, position: u64 },
    /// An attachment's ContentTransferEncoded is not valid base64.
    #[error("attachment {content_id}: bad base64 (ContentTransferEncoded): {message}")]
    BadBase64 { content_id: String, message: String },
    /// The package carries no `ds:Signature` (gói tin chưa được ký số); the caller decides what that means.
    #[error("package is not signed (gói tin không có chữ ký số)")]
    NotSigned,
    /// The signature does not hold; says which part failed.
    #[error("signature invalid (chữ ký số không hợp lệ): {0}")]
    Signature(SignatureFailure),
    /// The signer's key or certificate cannot be used, or bergshamra failed while signing.
    #[error("cannot sign: {0}")]
    Signing(String),
    /// Reading the input, an attachment source, or writing the output failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// Which part of a signature check failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureFailure {
    /// The digest of a `SignedInfo` reference does not match (`""` = header and manifest,
    /// `#edxml-attachments` = the signed list of attachment digests).
    ReferenceDigest { uri: String, detail: String },
    /// `SignatureValue` does not verify with the certificate's key.
    SignatureValue(String),
    /// An attachment's bytes do not have the digest listed in the signed manifest.
    AttachmentDigest { content_id: String },
    /// The signed manifest lists an attachment the package does not carry.
    AttachmentMissing { content_id: String },
    /// The package carries an attachment the signed manifest does not list.
    AttachmentNotSigned { content_id: String },
    /// The certificate in KeyInfo is neither trusted nor issued by a trusted certificate.
    UntrustedCertificate { subject: String },
    /// The certificate is outside its validity period at the checked time.
    CertificateExpired { subject: String, detail: String },
    /// The certificate cannot be decoded or used.
    BadCertificate(String),
    /// The signature element does not have the structure this profile requires.
    Structure(String),
}

impl fmt::Display for SignatureFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReferenceDigest { uri, detail } => write!(f, "digest of reference URI=\"{uri}\" does not match ({detail})"),
            Self::SignatureValue(d) => write!(f, "SignatureValue does not verify ({d})"),
            Self::AttachmentDigest { content_id } => {
                write!(f, "attachment {content_id}: its SHA-256 differs from the signed manifest (tệp đính kèm bị thay đổi)")
            }
            Self::AttachmentMissing { content_id } => write!(f, "attachment {content_id} is signed but missing from the package"),
            Self::AttachmentNotSigned { content_id } => write!(f, "attachment {content_id} is not listed in the signed manifest"),
            Self::UntrustedCertificate { subject } => write!(f, "certificate {subject} is not trusted (chứng thư số không tin cậy)"),
            Self::CertificateExpired { subject, detail } => write!(f, "certificate {subject} is not valid at the checked time: {detail}"),
            Self::BadCertificate(d) => write!(f, "bad certificate: {d}"),
            Self::Structure(d) => write!(f, "unexpected signature structure: {d}"),
        }
    }
}

impl EdxmlError {
    /// A content-rule error at `path`.
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid { path: path.into(), message: message.into() }
    }

    /// The element path for content-rule errors.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::Invalid { path, .. } => Some(path),
            _ => None,
        }
    }
}
