//! Verifying a package's signature (xác thực chữ ký số): the certificate against a trust store,
//! the XML-DSig over the skeleton with bergshamra, and the signed attachment digests against the
//! SHA-256 the parser computed while streaming.

use bergshamra::keys::loader;
use bergshamra::{DsigContext, KeysManager, VerifyResult};
use data_encoding::{BASE64, HEXLOWER};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::error::{EdxmlError, SignatureFailure};
use crate::model::SignatureInfo;
use crate::parse::ParsedPackage;
use crate::sign::{ECDSA_SHA256, ENVELOPED, EXC_C14N, MANIFEST_ID, MANIFEST_TYPE, RSA_SHA256, SHA256};
use crate::xml::tree::{Element, Ns};

/// What the parser read of a `ds:Signature` (unchecked; [`verify`] checks it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignatureBlock {
    pub signature_method: String,
    /// `SignedInfo/Reference`s.
    pub references: Vec<DsigReference>,
    /// `KeyInfo/X509Data/X509Certificate`s, DER.
    pub certificates: Vec<Vec<u8>>,
    /// `Object/Manifest[@Id="edxml-attachments"]/Reference`s.
    pub manifest: Vec<DsigReference>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DsigReference {
    pub uri: String,
    pub ref_type: Option<String>,
    pub transforms: Vec<String>,
    pub digest_method: String,
    pub digest_value: Vec<u8>,
}

fn ds<'a>(el: &'a Element, name: &'a str) -> impl Iterator<Item = &'a Element> {
    el.children.iter().filter(move |c| c.is(&Ns::Dsig, name))
}

fn reference(el: &Element) -> DsigReference {
    DsigReference {
        uri: el.attr("URI").unwrap_or_default().to_owned(),
        ref_type: el.attr("Type").map(str::to_owned),
        transforms: ds(el, "Transforms").flat_map(|t| ds(t, "Transform")).filter_map(|t| t.attr("Algorithm").map(str::to_owned)).collect(),
        digest_method: ds(el, "DigestMethod").find_map(|d| d.attr("Algorithm")).unwrap_or_default().to_owned(),
        digest_value: ds(el, "DigestValue").next().and_then(|d| b64(&d.text)).unwrap_or_default(),
    }
}

fn b64(text: &str) -> Option<Vec<u8>> {
    let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    BASE64.decode(clean.as_bytes()).ok()
}

/// Reads the parts of a `ds:Signature` that [`verify`] needs.
pub(crate) fn read_signature(el: &Element, path: &str) -> Result<SignatureBlock, EdxmlError> {
    let signed_info =
        ds(el, "SignedInfo").next().ok_or_else(|| EdxmlError::invalid(format!("{path}/ds:SignedInfo"), "required element is missing"))?;
    let mut certificates = Vec::new();
    for c in ds(el, "KeyInfo").flat_map(|k| ds(k, "X509Data")).flat_map(|d| ds(d, "X509Certificate")) {
        certificates.push(
            b64(&c.text).ok_or_else(|| EdxmlError::invalid(format!("{path}/ds:KeyInfo/ds:X509Data/ds:X509Certificate"), "not base64"))?,
        );
    }
    let manifest = ds(el, "Object")
        .flat_map(|o| ds(o, "Manifest"))
        .filter(|m| m.attr("Id") == Some(MANIFEST_ID))
        .flat_map(|m| ds(m, "Reference"))
        .map(reference)
        .collect();
    Ok(SignatureBlock {
        signature_method: ds(signed_info, "SignatureMethod").find_map(|m| m.attr("Algorithm")).unwrap_or_default().to_owned(),
        references: ds(signed_info, "Reference").map(reference).collect(),
        certificates,
        manifest,
    })
}

/// Trusted certificates (CA or end-entity, DER) and the time at which certificates must be valid.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    certs: Vec<Vec<u8>>,
    at: Option<OffsetDateTime>,
}

impl TrustStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a certificate, DER or PEM.
    pub fn add(&mut self, certificate: &[u8]) -> Result<&mut Self, EdxmlError> {
        let der = certificate_der(certificate).map_err(|e| EdxmlError::Signature(SignatureFailure::BadCertificate(e)))?;
        self.certs.push(der);
        Ok(self)
    }

    /// Check validity at `at` instead of now (e.g. the signing time of an archived package).
    pub fn at(mut self, at: OffsetDateTime) -> Self {
        self.at = Some(at);
        self
    }
}

/// DER of a certificate given as DER or PEM.
pub(crate) fn certificate_der(input: &[u8]) -> Result<Vec<u8>, String> {
    let der = if input.trim_ascii_start().starts_with(b"-----BEGIN") {
        let (_, pem) = x509_parser::pem::parse_x509_pem(input).map_err(|e| e.to_string())?;
        pem.contents
    } else {
        input.to_vec()
    };
    X509Certificate::from_der(&der).map_err(|e| e.to_string())?;
    Ok(der)
}

pub(crate) fn spki_of(der: &[u8]) -> Result<Vec<u8>, String> {
    let (_, c) = X509Certificate::from_der(der).map_err(|e| e.to_string())?;
    Ok(c.public_key().raw.to_vec())
}

fn fail(f: SignatureFailure) -> EdxmlError {
    EdxmlError::Signature(f)
}

fn odt(t: &x509_parser::time::ASN1Time) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t.timestamp()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn parse_cert(der: &[u8]) -> Option<X509Certificate<'_>> {
    X509Certificate::from_der(der).ok().map(|(_, c)| c)
}

/// Checks the leaf is trusted, or chains (through the other KeyInfo certificates, at most 4
/// links) to a trusted certificate, every certificate valid at `at`.
fn check_trust(
    leaf: &X509Certificate<'_>,
    leaf_der: &[u8],
    extra: &[Vec<u8>],
    trust: &TrustStore,
    at: OffsetDateTime,
) -> Result<(), EdxmlError> {
    let subject = leaf.subject().to_string();
    let valid_at = |c: &X509Certificate<'_>| odt(&c.validity().not_before) <= at && at <= odt(&c.validity().not_after);
    if !valid_at(leaf) {
        let detail = format!("valid {} to {}, checked at {at}", odt(&leaf.validity().not_before), odt(&leaf.validity().not_after));
        return Err(fail(SignatureFailure::CertificateExpired { subject, detail }));
    }
    let trusted: Vec<X509Certificate<'_>> = trust.certs.iter().filter_map(|d| parse_cert(d)).collect();
    let pool: Vec<X509Certificate<'_>> = extra.iter().filter_map(|d| parse_cert(d)).collect();
    if trust.certs.iter().any(|t| t == leaf_der) {
        return Ok(());
    }
    let issued_by = |child: &X509Certificate<'_>, ca: &X509Certificate<'_>| {
        child.issuer() == ca.subject() && ca.is_ca() && valid_at(ca) && child.verify_signature(Some(ca.public_key())).is_ok()
    };
    let mut current = leaf.clone();
    for _ in 0..4 {
        if trusted.iter().any(|ca| issued_by(&current, ca)) {
            return Ok(());
        }
        match pool.iter().find(|ca| issued_by(&current, ca)) {
            Some(next) => current = next.clone(),
            None => break,
        }
    }
    Err(fail(SignatureFailure::UntrustedCertificate { subject }))
}

/// Verifies the signature of a parsed package; returns who signed. A package without
/// `ds:Signature` gives [`EdxmlError::NotSigned`].
pub fn verify(parsed: &ParsedPackage, trust: &TrustStore) -> Result<SignatureInfo, EdxmlError> {
    let sig = parsed.signature.as_ref().ok_or(EdxmlError::NotSigned)?;
    let structure = |m: &str| fail(SignatureFailure::Structure(m.to_owned()));
    let algorithm = match sig.signature_method.as_str() {
        RSA_SHA256 => "rsa-sha256",
        ECDSA_SHA256 => "ecdsa-sha256",
        other => return Err(structure(&format!("SignatureMethod {other:?} is not rsa-sha256 or ecdsa-sha256"))),
    };
    // The profile: Reference "" (enveloped + exc-c14n) and, with attachments, the manifest.
    let whole = sig.references.iter().filter(|r| r.uri.is_empty()).count();
    let manifest_ref = sig.references.iter().filter(|r| r.uri == format!("#{MANIFEST_ID}")).count();
    if whole != 1 || manifest_ref > 1 || sig.references.len() != whole + manifest_ref {
        return Err(structure("SignedInfo must hold one Reference URI=\"\" and at most one Reference URI=\"#edxml-attachments\""));
    }
    for r in &sig.references {
        let want: &[&str] = if r.uri.is_empty() { &[ENVELOPED, EXC_C14N] } else { &[EXC_C14N] };
        if r.transforms != want || r.digest_method != SHA256 {
            return Err(structure(&format!("Reference URI=\"{}\" must use transforms {want:?} and SHA-256", r.uri)));
        }
        if !r.uri.is_empty() && r.ref_type.as_deref() != Some(MANIFEST_TYPE) {
            return Err(structure("the attachments Reference must have Type=\"…#Manifest\""));
        }
    }
    if manifest_ref == 0 && !parsed.attachments.is_empty() {
        return Err(fail(SignatureFailure::AttachmentNotSigned { content_id: parsed.attachments[0].content_id.clone() }));
    }

    let leaf_der = sig.certificates.first().ok_or_else(|| structure("KeyInfo holds no X509Certificate"))?;
    let (_, leaf) = X509Certificate::from_der(leaf_der).map_err(|e| fail(SignatureFailure::BadCertificate(e.to_string())))?;
    check_trust(&leaf, leaf_der, &sig.certificates[1..], trust, trust.at.unwrap_or_else(OffsetDateTime::now_utc))?;

    // bergshamra checks both SignedInfo digests and SignatureValue, with the key of the
    // certificate just checked as the only key (inline keys are ignored).
    let key = loader::load_x509_cert_der(leaf_der).map_err(|e| fail(SignatureFailure::BadCertificate(e.to_string())))?;
    let mut keys = KeysManager::new();
    keys.add_key(key);
    let mut ctx = DsigContext::new(keys);
    // The manifest sits inside the Signature (ds:Object), which strict mode refuses.
    ctx.strict_verification = false;
    let xml = std::str::from_utf8(&parsed.signed_part).map_err(|_| structure("signed part is not UTF-8"))?;
    match bergshamra::verify(&ctx, xml) {
        Ok(VerifyResult::Valid { references, .. }) => {
            if references.len() != sig.references.len() || references.iter().any(|r| !r.digest_verified) {
                return Err(structure("not every SignedInfo reference was digested"));
            }
        }
        Ok(VerifyResult::Invalid { reason }) => return Err(fail(classify(&reason, sig))),
        Err(e) => return Err(fail(SignatureFailure::SignatureValue(e.to_string()))),
    }

    // The signed manifest against what was streamed.
    for m in &sig.manifest {
        let cid = m.uri.strip_prefix("cid:").ok_or_else(|| structure(&format!("manifest Reference URI {:?} is not cid:", m.uri)))?;
        if m.digest_method != SHA256 {
            return Err(structure(&format!("manifest Reference {:?} must use SHA-256", m.uri)));
        }
        match parsed.attachments.iter().find(|a| a.content_id == cid) {
            None => return Err(fail(SignatureFailure::AttachmentMissing { content_id: cid.to_owned() })),
            Some(a) if a.sha256.as_slice() != m.digest_value.as_slice() => {
                return Err(fail(SignatureFailure::AttachmentDigest { content_id: cid.to_owned() }));
            }
            Some(_) => {}
        }
    }
    for a in &parsed.attachments {
        if !sig.manifest.iter().any(|m| m.uri.strip_prefix("cid:") == Some(a.content_id.as_str())) {
            return Err(fail(SignatureFailure::AttachmentNotSigned { content_id: a.content_id.clone() }));
        }
    }

    Ok(SignatureInfo {
        subject: leaf.subject().to_string(),
        issuer: leaf.issuer().to_string(),
        serial: leaf.raw_serial_as_string().replace(':', ""),
        certificate_sha256: HEXLOWER.encode(&Sha256::digest(leaf_der)),
        not_before: odt(&leaf.validity().not_before),
        not_after: odt(&leaf.validity().not_after),
        algorithm: algorithm.to_owned(),
    })
}

/// Turns bergshamra's reason into which part failed.
fn classify(reason: &str, sig: &SignatureBlock) -> SignatureFailure {
    let lower = reason.to_ascii_lowercase();
    if lower.contains("digest") {
        let uri = sig.references.iter().map(|r| r.uri.as_str()).find(|u| !u.is_empty() && reason.contains(*u)).unwrap_or("");
        SignatureFailure::ReferenceDigest { uri: uri.to_owned(), detail: reason.to_owned() }
    } else {
        SignatureFailure::SignatureValue(reason.to_owned())
    }
}
