//! Signing (ký số gói tin): an enveloped XML-DSig over the skeleton (the package without
//! `AttachmentEncoded`) plus a signed `ds:Manifest` of the attachments' SHA-256 digests, so the
//! attachments can be streamed after the signature is computed. See `docs/edxml.md`.

use std::fmt;

use bergshamra::keys::loader;
use bergshamra::{DsigContext, Key, KeysManager};
use data_encoding::BASE64;

use crate::error::EdxmlError;
use crate::xml::output::escape;

pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
pub const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
pub const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
pub const MANIFEST_TYPE: &str = "http://www.w3.org/2000/09/xmldsig#Manifest";
/// `Id` of the `ds:Manifest` listing the attachment digests.
pub const MANIFEST_ID: &str = "edxml-attachments";

/// A signing key and its certificate (khóa ký và chứng thư số): RSA 2048+ or P-256.
#[derive(Clone)]
pub struct Signer {
    key: Key,
    cert_der: Vec<u8>,
    method: &'static str,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer").field("method", &self.method).field("key", &"<redacted>").finish()
    }
}

impl Signer {
    /// `private_key_pem`: PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, RSA or EC P-256);
    /// `certificate`: the matching X.509 certificate, DER or PEM.
    pub fn from_pem(private_key_pem: &[u8], certificate: &[u8]) -> Result<Self, EdxmlError> {
        let key = loader::load_pem_auto(private_key_pem, None).map_err(|e| EdxmlError::Signing(format!("private key: {e}")))?;
        if !key.has_private_key() {
            return Err(EdxmlError::Signing("the PEM holds no private key".into()));
        }
        let method = match key.algorithm_name() {
            "RSA" => RSA_SHA256,
            "EC-P256" => ECDSA_SHA256,
            other => return Err(EdxmlError::Signing(format!("unsupported key type {other}: use RSA or EC P-256"))),
        };
        let cert_der = crate::verify::certificate_der(certificate).map_err(|e| EdxmlError::Signing(format!("certificate: {e}")))?;
        let cert_spki = crate::verify::spki_of(&cert_der).map_err(|e| EdxmlError::Signing(format!("certificate: {e}")))?;
        if key.to_spki_der().as_deref() != Some(cert_spki.as_slice()) {
            return Err(EdxmlError::Signing("the certificate does not belong to the private key".into()));
        }
        Ok(Signer { key, cert_der, method })
    }

    /// The signer's certificate, DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The `ds:Signature` template with empty DigestValue/SignatureValue, the certificate in
    /// KeyInfo and the manifest of attachment digests (ContentId, SHA-256).
    pub(crate) fn template(&self, attachments: &[(&str, [u8; 32])], indent: &str) -> String {
        let mut t = String::with_capacity(2048 + attachments.len() * 300);
        let nl = format!("\n{indent}");
        t.push_str(indent);
        t.push_str("<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">");
        t.push_str(&format!("{nl}<ds:SignedInfo>{nl}<ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\"/>"));
        t.push_str(&format!("{nl}<ds:SignatureMethod Algorithm=\"{}\"/>", self.method));
        t.push_str(&format!(
            "{nl}<ds:Reference URI=\"\">{nl}<ds:Transforms>{nl}<ds:Transform Algorithm=\"{ENVELOPED}\"/>\
             {nl}<ds:Transform Algorithm=\"{EXC_C14N}\"/>{nl}</ds:Transforms>\
             {nl}<ds:DigestMethod Algorithm=\"{SHA256}\"/>{nl}<ds:DigestValue></ds:DigestValue>{nl}</ds:Reference>"
        ));
        if !attachments.is_empty() {
            t.push_str(&format!(
                "{nl}<ds:Reference URI=\"#{MANIFEST_ID}\" Type=\"{MANIFEST_TYPE}\">{nl}<ds:Transforms>\
                 {nl}<ds:Transform Algorithm=\"{EXC_C14N}\"/>{nl}</ds:Transforms>\
                 {nl}<ds:DigestMethod Algorithm=\"{SHA256}\"/>{nl}<ds:DigestValue></ds:DigestValue>{nl}</ds:Reference>"
            ));
        }
        t.push_str(&format!("{nl}</ds:SignedInfo>{nl}<ds:SignatureValue></ds:SignatureValue>"));
        t.push_str(&format!(
            "{nl}<ds:KeyInfo>{nl}<ds:X509Data>{nl}<ds:X509Certificate>{}</ds:X509Certificate>{nl}</ds:X509Data>{nl}</ds:KeyInfo>",
            BASE64.encode(&self.cert_der)
        ));
        if !attachments.is_empty() {
            t.push_str(&format!("{nl}<ds:Object>{nl}<ds:Manifest Id=\"{MANIFEST_ID}\">"));
            for (cid, digest) in attachments {
                t.push_str(&format!(
                    "{nl}<ds:Reference URI=\"cid:{}\">{nl}<ds:DigestMethod Algorithm=\"{SHA256}\"/>\
                     {nl}<ds:DigestValue>{}</ds:DigestValue>{nl}</ds:Reference>",
                    escape(cid),
                    BASE64.encode(digest)
                ));
            }
            t.push_str(&format!("{nl}</ds:Manifest>{nl}</ds:Object>"));
        }
        t.push_str(&format!("{nl}</ds:Signature>\n"));
        t
    }

    /// Fills the digests and the signature value of a skeleton holding [`Self::template`].
    pub(crate) fn sign(&self, skeleton: String) -> Result<String, EdxmlError> {
        let mut keys = KeysManager::new();
        keys.add_key(self.key.clone());
        let ctx = DsigContext::new_permissive(keys);
        bergshamra::dsig::sign::sign_owned(&ctx, skeleton).map_err(|e| EdxmlError::Signing(e.to_string()))
    }
}
