//! Shared test helpers: fixtures, an in-memory sink, test certificates.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use edxml::*;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Keeps every attachment in memory (fine for small test files).
#[derive(Default)]
pub struct MemSink {
    pub files: BTreeMap<String, Vec<u8>>,
}

struct Into<'a>(&'a mut Vec<u8>);
impl Write for Into<'_> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl AttachmentSink for MemSink {
    fn begin(&mut self, r: &Reference) -> Result<Box<dyn Write + '_>, EdxmlError> {
        let v = self.files.entry(r.content_id.clone()).or_default();
        Ok(Box::new(Into(v)))
    }
}

pub fn parse(bytes: &[u8]) -> Result<(ParsedPackage, MemSink), EdxmlError> {
    let mut sink = MemSink::default();
    let p = read_package(bytes, &mut sink)?;
    Ok((p, sink))
}

pub fn sha256(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

/// Sources for the attachments in `files`.
pub fn sources(files: &BTreeMap<String, Vec<u8>>) -> Vec<AttachmentSource> {
    files
        .iter()
        .map(|(cid, bytes)| AttachmentSource {
            content_id: cid.clone(),
            sha256: sha256(bytes),
            reader: Box::new(std::io::Cursor::new(bytes.clone())),
        })
        .collect()
}

pub fn build(pkg: &Package, files: &BTreeMap<String, Vec<u8>>, signer: Option<&Signer>) -> Vec<u8> {
    let mut out = Vec::new();
    write_package(&mut out, pkg, &mut sources(files), signer).expect("package builds");
    out
}

/// The full fixture, parsed: a package with every optional element and its three files.
pub fn full() -> (Package, BTreeMap<String, Vec<u8>>) {
    let (p, sink) = parse(&fixture("full.xml")).expect("full.xml parses");
    (p.package, sink.files)
}

/// A signing identity: key PEM, certificate DER, and the CA that issued it (if any).
pub struct Identity {
    pub key_pem: String,
    pub cert_der: Vec<u8>,
    pub ca_der: Option<Vec<u8>>,
}

impl Identity {
    pub fn signer(&self) -> Signer {
        Signer::from_pem(self.key_pem.as_bytes(), &self.cert_der).expect("signer")
    }
    pub fn trust(&self) -> TrustStore {
        let mut t = TrustStore::new();
        t.add(self.ca_der.as_deref().unwrap_or(&self.cert_der)).expect("trust");
        t
    }
}

fn params(cn: &str, from: OffsetDateTime, to: OffsetDateTime) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
    p.distinguished_name.push(DnType::CommonName, cn);
    p.distinguished_name.push(DnType::OrganizationName, "Văn phòng UBND tỉnh");
    p.not_before = from;
    p.not_after = to;
    p
}

pub fn p256_key() -> KeyPair {
    KeyPair::generate().expect("P-256 key")
}

pub fn rsa_key() -> KeyPair {
    let pem = String::from_utf8(fixture("keys/test_rsa2048.pk8.pem")).expect("pem");
    KeyPair::from_pkcs8_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).expect("RSA key")
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// A self-signed end-entity certificate, trusted as itself.
pub fn self_signed(key: KeyPair, cn: &str) -> Identity {
    let cert = params(cn, now() - Duration::days(1), now() + Duration::days(365)).self_signed(&key).expect("cert");
    Identity { key_pem: key.serialize_pem(), cert_der: cert.der().to_vec(), ca_der: None }
}

/// A certificate issued by a fresh CA; valid from `from` to `to`.
pub fn issued(key: KeyPair, cn: &str, from: OffsetDateTime, to: OffsetDateTime) -> Identity {
    let ca_key = p256_key();
    let mut ca_params = params("Test CA Chính phủ", now() - Duration::days(3650), now() + Duration::days(3650));
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).expect("ca");
    let issuer = Issuer::new(ca_params, ca_key);
    let cert = params(cn, from, to).signed_by(&key, &issuer).expect("leaf");
    Identity { key_pem: key.serialize_pem(), cert_der: cert.der().to_vec(), ca_der: Some(ca_cert.der().to_vec()) }
}

pub fn issued_now(key: KeyPair, cn: &str) -> Identity {
    issued(key, cn, now() - Duration::days(1), now() + Duration::days(365))
}
