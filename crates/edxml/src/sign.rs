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
        let mut line = |depth: usize, s: &str| {
            t.push_str(indent);
            (0..depth).for_each(|_| t.push_str("  "));
            t.push_str(s);
            t.push('\n');
        };
        let reference = |line: &mut dyn FnMut(usize, &str), d: usize, open: &str, transforms: &[&str]| {
            line(d, open);
            line(d + 1, "<ds:Transforms>");
            for tr in transforms {
                line(d + 2, &format!("<ds:Transform Algorithm=\"{tr}\"/>"));
            }
            line(d + 1, "</ds:Transforms>");
            line(d + 1, &format!("<ds:DigestMethod Algorithm=\"{SHA256}\"/>"));
            line(d + 1, "<ds:DigestValue></ds:DigestValue>");
            line(d, "</ds:Reference>");
        };
        line(0, &format!("<ds:Signature xmlns:ds=\"{}\">", crate::model::DSIG_NS));
        line(1, "<ds:SignedInfo>");
        line(2, &format!("<ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\"/>"));
        line(2, &format!("<ds:SignatureMethod Algorithm=\"{}\"/>", self.method));
        reference(&mut line, 2, "<ds:Reference URI=\"\">", &[ENVELOPED, EXC_C14N]);
        if !attachments.is_empty() {
            reference(&mut line, 2, &format!("<ds:Reference URI=\"#{MANIFEST_ID}\" Type=\"{MANIFEST_TYPE}\">"), &[EXC_C14N]);
        }
        line(1, "</ds:SignedInfo>");
        line(1, "<ds:SignatureValue></ds:SignatureValue>");
        line(1, "<ds:KeyInfo>");
        line(2, "<ds:X509Data>");
        line(3, &format!("<ds:X509Certificate>{}</ds:X509Certificate>", BASE64.encode(&self.cert_der)));
        line(2, "</ds:X509Data>");
        line(1, "</ds:KeyInfo>");
        if !attachments.is_empty() {
            line(1, "<ds:Object>");
            line(2, &format!("<ds:Manifest Id=\"{MANIFEST_ID}\">"));
            for (cid, digest) in attachments {
                line(3, &format!("<ds:Reference URI=\"cid:{}\">", escape(cid)));
                line(4, &format!("<ds:DigestMethod Algorithm=\"{SHA256}\"/>"));
                line(4, &format!("<ds:DigestValue>{}</ds:DigestValue>", BASE64.encode(digest)));
                line(3, "</ds:Reference>");
            }
            line(2, "</ds:Manifest>");
            line(1, "</ds:Object>");
        }
        line(0, "</ds:Signature>");
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
