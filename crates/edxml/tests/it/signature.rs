//! Signing and verifying: every kind of tampering is caught and named.

use crate::common::*;
use edxml::*;
use time::{Duration, OffsetDateTime};

fn signed_full(id: &Identity) -> Vec<u8> {
    let (pkg, files) = full();
    build(&pkg, &files, Some(&id.signer()))
}

fn verify_bytes(bytes: &[u8], trust: &TrustStore) -> Result<SignatureInfo, EdxmlError> {
    let (p, _) = parse(bytes)?;
    verify(&p, trust)
}

fn failure(r: Result<SignatureInfo, EdxmlError>) -> SignatureFailure {
    match r {
        Err(EdxmlError::Signature(f)) => f,
        other => panic!("expected a signature failure, got {other:?}"),
    }
}

/// Replace the first occurrence of `from` after `after` in the document.
fn edit(bytes: &[u8], after: &str, from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let start = text.find(after).unwrap_or_else(|| panic!("{after} not found"));
    let at = start + text[start..].find(from).unwrap_or_else(|| panic!("{from} not found"));
    format!("{}{}{}", &text[..at], to, &text[at + from.len()..]).into_bytes()
}

#[test]
fn rsa_signed_package_verifies() {
    let id = issued_now(rsa_key(), "Văn thư VP UBND tỉnh");
    let info = verify_bytes(&signed_full(&id), &id.trust()).unwrap();
    assert_eq!(info.algorithm, "rsa-sha256");
    assert!(info.subject.contains("Văn thư VP UBND tỉnh"), "{}", info.subject);
    assert!(info.issuer.contains("Test CA"), "{}", info.issuer);
    assert_eq!(info.certificate_sha256.len(), 64);
}

#[test]
fn ecdsa_signed_package_verifies_with_a_pinned_certificate() {
    let id = self_signed(p256_key(), "Ký số P-256");
    let bytes = signed_full(&id);
    assert_eq!(verify_bytes(&bytes, &id.trust()).unwrap().algorithm, "ecdsa-sha256");
    // A signed package is still a normal package.
    let (p, sink) = parse(&bytes).unwrap();
    assert_eq!(p.package, full().0);
    assert_eq!(sink.files, full().1);
}

#[test]
fn signed_package_without_attachments_verifies() {
    let id = self_signed(p256_key(), "Ký số");
    let (p, _) = parse(&fixture("minimal.xml")).unwrap();
    let bytes = build(&p.package, &Default::default(), Some(&id.signer()));
    verify_bytes(&bytes, &id.trust()).unwrap();
}

#[test]
fn unsigned_package_is_reported_as_not_signed() {
    let id = self_signed(p256_key(), "Ký số");
    assert!(matches!(verify_bytes(&fixture("full.xml"), &id.trust()), Err(EdxmlError::NotSigned)));
}

#[test]
fn tampered_header_field_is_refused() {
    let id = issued_now(p256_key(), "Ký số");
    let bytes = edit(&signed_full(&id), "<edXML:Subject>", "2024", "2025");
    match failure(verify_bytes(&bytes, &id.trust())) {
        SignatureFailure::ReferenceDigest { uri, .. } => assert_eq!(uri, ""),
        f => panic!("{f}"),
    }
}

#[test]
fn tampered_recipient_is_refused() {
    let id = issued_now(p256_key(), "Ký số");
    let bytes = edit(&signed_full(&id), "<edXML:To>", "000.00.12.H41", "000.00.99.H41");
    assert!(matches!(failure(verify_bytes(&bytes, &id.trust())), SignatureFailure::ReferenceDigest { .. }));
}

#[test]
fn tampered_attachment_is_refused() {
    let id = issued_now(rsa_key(), "Ký số");
    let bytes = signed_full(&id);
    // Change one decoded byte of the second attachment: "JVBERi0x" = "%PDF-1" → "%PDF-2".
    let bytes = edit(&bytes, "<edXML:AttachmentEncoded>", "JVBERi0x", "JVBERi0y");
    match failure(verify_bytes(&bytes, &id.trust())) {
        SignatureFailure::AttachmentDigest { content_id } => assert_eq!(content_id, "phuluc1.pdf"),
        f => panic!("{f}"),
    }
}

#[test]
fn tampered_manifest_digest_is_refused() {
    let id = issued_now(p256_key(), "Ký số");
    let (pkg, mut files) = full();
    let bytes = build(&pkg, &files, Some(&id.signer()));
    // Swap in other bytes for an attachment and put their digest in the ds:Manifest.
    let old = data_encoding::BASE64.encode(&sha256(&files["qd45.txt"]));
    files.insert("qd45.txt".into(), b"forged".to_vec());
    let new = data_encoding::BASE64.encode(&sha256(b"forged"));
    let bytes = edit(&bytes, "<ds:Manifest", &old, &new);
    let bytes = edit(&bytes, "<edXML:ContentId>qd45.txt", "UXV54bq/", "Zm9yZ2Vk");
    let bytes = String::from_utf8(bytes).unwrap();
    let start = bytes.find("Zm9yZ2Vk").unwrap() + 8;
    let end = start + bytes[start..].find("</edXML:ContentTransferEncoded>").unwrap();
    let bytes = format!("{}{}", &bytes[..start], &bytes[end..]);
    match failure(verify_bytes(bytes.as_bytes(), &id.trust())) {
        SignatureFailure::ReferenceDigest { uri, .. } => assert_eq!(uri, "#edxml-attachments"),
        f => panic!("{f}"),
    }
}

#[test]
fn dropped_attachment_is_refused() {
    let id = issued_now(p256_key(), "Ký số");
    let (mut pkg, mut files) = full();
    let bytes = build(&pkg, &files, Some(&id.signer()));
    // An attacker rebuilds the package without one attachment but keeps the signature block.
    let sig_start = String::from_utf8_lossy(&bytes).find("<ds:Signature").unwrap();
    let sig_end = String::from_utf8_lossy(&bytes).find("</ds:Signature>").unwrap() + "</ds:Signature>\n".len();
    let sig = String::from_utf8_lossy(&bytes)[sig_start..sig_end].to_owned();
    pkg.references.remove(1);
    files.remove("phuluc1.pdf");
    let unsigned = String::from_utf8(build(&pkg, &files, None)).unwrap();
    let at = unsigned.find("    </edXML:edXMLHeader>").unwrap();
    let forged = format!("{}{}{}", &unsigned[..at], sig, &unsigned[at..]);
    assert!(matches!(failure(verify_bytes(forged.as_bytes(), &id.trust())), SignatureFailure::ReferenceDigest { .. }));
}

#[test]
fn certificate_swapped_for_an_untrusted_one_is_refused() {
    let id = issued_now(p256_key(), "Ký số");
    let stranger = self_signed(p256_key(), "Kẻ lạ");
    let (pkg, files) = full();
    let bytes = build(&pkg, &files, Some(&stranger.signer()));
    match failure(verify_bytes(&bytes, &id.trust())) {
        SignatureFailure::UntrustedCertificate { subject } => assert!(subject.contains("Kẻ lạ"), "{subject}"),
        f => panic!("{f}"),
    }
    // Only the KeyInfo certificate replaced by a trusted one: the signature no longer verifies.
    let signed = String::from_utf8(signed_full(&id)).unwrap();
    let other = issued_now(p256_key(), "Người khác");
    let mut trust = TrustStore::new();
    trust.add(&other.cert_der).unwrap();
    trust.add(id.ca_der.as_deref().unwrap()).unwrap();
    let start = signed.find("<ds:X509Certificate>").unwrap() + "<ds:X509Certificate>".len();
    let end = signed.find("</ds:X509Certificate>").unwrap();
    let swapped = format!("{}{}{}", &signed[..start], data_encoding::BASE64.encode(&other.cert_der), &signed[end..]);
    assert!(matches!(failure(verify_bytes(swapped.as_bytes(), &trust)), SignatureFailure::SignatureValue(_)));
}

#[test]
fn expired_certificate_is_refused() {
    let now = OffsetDateTime::now_utc();
    let id = issued(p256_key(), "Hết hạn", now - Duration::days(400), now - Duration::days(35));
    let bytes = signed_full(&id);
    assert!(matches!(failure(verify_bytes(&bytes, &id.trust())), SignatureFailure::CertificateExpired { .. }));
    // Checked at a time inside its validity (an archived package), it holds.
    verify_bytes(&bytes, &id.trust().at(now - Duration::days(100))).unwrap();
}

#[test]
fn signature_value_tampering_is_refused() {
    let id = issued_now(rsa_key(), "Ký số");
    let signed = String::from_utf8(signed_full(&id)).unwrap();
    let at = signed.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len() + 10;
    let c = if &signed[at..at + 1] == "A" { "B" } else { "A" };
    let bad = format!("{}{}{}", &signed[..at], c, &signed[at + 1..]);
    assert!(matches!(failure(verify_bytes(bad.as_bytes(), &id.trust())), SignatureFailure::SignatureValue(_)));
}

#[test]
fn signer_refuses_a_certificate_of_another_key() {
    let a = self_signed(p256_key(), "A");
    let b = self_signed(p256_key(), "B");
    assert!(matches!(Signer::from_pem(a.key_pem.as_bytes(), &b.cert_der), Err(EdxmlError::Signing(_))));
}

#[test]
#[ignore = "prints a signed package for reading"]
fn print_signed_package() {
    let id = issued_now(p256_key(), "Ký số");
    println!("{}", String::from_utf8(signed_full(&id)).unwrap());
}
