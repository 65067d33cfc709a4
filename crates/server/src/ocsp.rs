//! OCSP (RFC 6960) for client certificates, with `tls_client_ocsp`: once a client's chain has
//! passed the handshake, the responder of its certificate's CA is asked whether the certificate
//! is good, and the connection is served only when it says so. The responder is the one the
//! certificate names (Authority Information Access), or `tls_client_ocsp_url`. The answer must
//! be signed by the CA itself or by a responder the CA delegated (a certificate it issued for
//! OCSP signing, sent with the answer), name this very certificate, and be current. Revoked,
//! unknown to the responder, or no usable answer: refused (fail closed, as with the lists).
//!
//! Answers are kept until their next update, at most `tls_client_ocsp_max_age_secs`, so a
//! busy client does not cost a request to the responder per connection, and connections that
//! need the same answer at once share one request; a failed attempt is kept a few seconds, so
//! a dead responder is not asked on every handshake. Open connections ask again when their
//! answer runs out, and close if the certificate is no longer good. While the responder gives
//! no answer, a good answer the CA signed still holds until its own next update.
//!
//! Only the client's own certificate is asked about; its intermediates are checked by the
//! lists (`tls_client_crl`) when those are configured.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::der::asn1::{Null, ObjectIdentifier, OctetString};
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{AuthorityInfoAccessSyntax, ExtendedKeyUsage};
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_ocsp::{BasicOcspResponse, CertId, CertStatus, OcspRequest, OcspResponse, OcspResponseStatus, Request, ResponderId, TbsRequest};

/// How long the responder may take to answer.
const ASK_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a failed attempt is kept before the responder is asked again.
const RETRY_AFTER: Duration = Duration::from_secs(5);
/// The largest answer read.
const MAX_ANSWER: usize = 64 * 1024;
/// Clocks may differ this much between the responder and us.
const SKEW: Duration = Duration::from_secs(300);

const SHA1: &str = "1.3.14.3.2.26";
const OCSP_ACCESS: &str = "1.3.6.1.5.5.7.48.1";
const AIA: &str = "1.3.6.1.5.5.7.1.1";
const EXTENDED_KEY_USAGE: &str = "2.5.29.37";
const OCSP_SIGNING: &str = "1.3.6.1.5.5.7.3.9";
const BASIC_RESPONSE: &str = "1.3.6.1.5.5.7.48.1.1";

/// A certificate that may issue client certificates: its subject and public key.
struct Issuer {
    subject: Vec<u8>,
    key: SubjectPublicKeyInfoOwned,
}

/// What the responder said about one certificate, until when it is relied on before asking
/// again, and (for a good one) until when it holds as the CA signed it (its next update).
#[derive(Clone)]
struct Answer {
    verdict: Result<(), String>,
    until: Instant,
    good_until: Option<Instant>,
}

/// One certificate's answer: asked once however many connections wait for it.
type Slot = Arc<tokio::sync::OnceCell<Answer>>;

/// The OCSP checks of the client certificates, with the answers kept.
pub struct Ocsp {
    anchors: Vec<Issuer>,
    url: Option<String>,
    max_age: Duration,
    http: reqwest::Client,
    answers: Mutex<HashMap<[u8; 32], Slot>>,
}

fn der_error(what: &str) -> impl Fn(x509_cert::der::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

impl Ocsp {
    /// The checks for the client CA's certificates in the PEM file `ca`.
    pub fn new(ca: &str, url: Option<String>, max_age: Duration) -> anyhow::Result<Ocsp> {
        let mut anchors = Vec::new();
        for der in CertificateDer::pem_file_iter(ca).map_err(|e| anyhow::anyhow!("tls_client_ca {ca}: {e}"))? {
            let der = der.map_err(|e| anyhow::anyhow!("tls_client_ca {ca}: {e}"))?;
            let cert = Certificate::from_der(der.as_ref()).map_err(|e| anyhow::anyhow!("tls_client_ca {ca}: {e}"))?;
            anchors.push(issuer(&cert).map_err(|e| anyhow::anyhow!("tls_client_ca {ca}: {e}"))?);
        }
        if let Some(u) = &url
            && !u.starts_with("http://")
            && !u.starts_with("https://")
        {
            anyhow::bail!("tls_client_ocsp_url {u}: an http(s) address is needed");
        }
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(ASK_TIMEOUT).build()?;
        Ok(Ocsp { anchors, url, max_age, http, answers: Mutex::new(HashMap::new()) })
    }

    /// Whether the responder says the chain's certificate is good (asked, or remembered).
    pub async fn check(&self, chain: &[CertificateDer<'static>]) -> Result<(), String> {
        self.answer(chain).await?.verdict
    }

    /// The certificate's answer: the one kept while it runs, else the responder's. Connections
    /// that want the same certificate's answer at once wait for one request. When the
    /// responder gives no usable answer but the last good one still holds (its next update has
    /// not come), that one stands a few seconds more: a responder's short outage does not close
    /// every connection, while a revocation it does announce is taken at once.
    async fn answer(&self, chain: &[CertificateDer<'static>]) -> Result<Answer, String> {
        let Some(end) = chain.first() else { return Err("no client certificate".into()) };
        let key: [u8; 32] = Sha256::digest(end.as_ref()).into();
        let now = Instant::now();
        let current = |slot: &Slot| slot.get().is_none_or(|a| a.until > now);
        let (slot, previous) = {
            let mut answers = self.answers.lock().unwrap_or_else(|p| p.into_inner());
            match answers.get(&key).filter(|s| current(s)) {
                Some(slot) => (slot.clone(), None),
                None => {
                    let previous = answers.get(&key).and_then(|s| s.get().cloned());
                    answers.retain(|_, s| current(s));
                    let slot = Slot::default();
                    answers.insert(key, slot.clone());
                    (slot, previous)
                }
            }
        };
        let answer = slot
            .get_or_init(|| async {
                let now = Instant::now();
                match self.ask(chain).await {
                    Ok((verdict, valid_for)) => {
                        Answer { good_until: verdict.is_ok().then(|| now + valid_for), verdict, until: now + valid_for.min(self.max_age) }
                    }
                    Err(why) => match previous.and_then(|p| p.good_until.filter(|g| p.verdict.is_ok() && *g > now)) {
                        Some(good_until) => {
                            tracing::warn!(error = %why, "no usable OCSP answer; the last good one still holds");
                            Answer { verdict: Ok(()), until: (now + RETRY_AFTER).min(good_until), good_until: Some(good_until) }
                        }
                        None => {
                            tracing::warn!(error = %why, "no usable OCSP answer for a client certificate");
                            Answer { verdict: Err(why), until: now + RETRY_AFTER, good_until: None }
                        }
                    },
                }
            })
            .await;
        Ok(answer.clone())
    }

    /// Resolves when the chain's certificate is no longer good; asks again each time the last
    /// answer runs out.
    pub async fn until_refused(&self, chain: &[CertificateDer<'static>]) {
        loop {
            match self.answer(chain).await {
                Ok(Answer { verdict: Ok(()), until, .. }) => {
                    tokio::time::sleep_until(tokio::time::Instant::from_std(until.max(Instant::now() + Duration::from_millis(100)))).await
                }
                _ => return,
            }
        }
    }

    /// Asks the responder; gives its verdict and how long it holds, or why there is none.
    async fn ask(&self, chain: &[CertificateDer<'static>]) -> Result<(Result<(), String>, Duration), String> {
        let cert = Certificate::from_der(chain[0].as_ref()).map_err(der_error("the client certificate"))?;
        let issuer_name = cert.tbs_certificate.issuer.to_der().map_err(der_error("the issuer's name"))?;
        let issuer = self.issuer_of(&cert, &issuer_name, &chain[1..])?;
        let url = match &self.url {
            Some(u) => u.clone(),
            None => responder_named(&cert)?.ok_or("the certificate names no OCSP responder and tls_client_ocsp_url is not set")?,
        };
        let id = CertId {
            hash_algorithm: AlgorithmIdentifierOwned { oid: ObjectIdentifier::new_unwrap(SHA1), parameters: Some(Null.into()) },
            issuer_name_hash: octets(&sha1(&issuer_name))?,
            issuer_key_hash: octets(&sha1(issuer.key.subject_public_key.raw_bytes()))?,
            serial_number: cert.tbs_certificate.serial_number.clone(),
        };
        let request = OcspRequest {
            tbs_request: TbsRequest {
                version: Default::default(),
                requestor_name: None,
                request_list: vec![Request { req_cert: id.clone(), single_request_extensions: None }],
                request_extensions: None,
            },
            optional_signature: None,
        }
        .to_der()
        .map_err(der_error("the OCSP request"))?;
        let sent = self
            .http
            .post(&url)
            .header("content-type", "application/ocsp-request")
            .body(request)
            .send()
            .await
            .map_err(|e| format!("the OCSP responder {url} cannot be reached: {}", e.without_url()))?;
        if !sent.status().is_success() {
            return Err(format!("the OCSP responder {url} answered {}", sent.status()));
        }
        let too_large = || format!("the OCSP responder's answer is larger than {MAX_ANSWER} bytes");
        if sent.content_length().is_some_and(|n| n > MAX_ANSWER as u64) {
            return Err(too_large());
        }
        let mut sent = sent;
        let mut body = Vec::new();
        while let Some(chunk) = sent.chunk().await.map_err(|e| format!("the OCSP responder {url}: {}", e.without_url()))? {
            if body.len() + chunk.len() > MAX_ANSWER {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        let basic = basic_response(&body)?;
        self.signed_for(&basic, &issuer)?;
        let now = SystemTime::now();
        let single = basic
            .tbs_response_data
            .responses
            .iter()
            .find(|s| same_certificate(&s.cert_id, &id))
            .ok_or("the OCSP answer is about another certificate")?;
        if single.this_update.0.to_system_time() > now + SKEW {
            return Err("the OCSP answer is dated in the future".into());
        }
        let valid_for = match &single.next_update {
            Some(next) => {
                let next = next.0.to_system_time();
                if next + SKEW < now {
                    return Err("the OCSP answer is out of date (its next update has passed)".into());
                }
                next.duration_since(now).unwrap_or(Duration::ZERO)
            }
            // Without a next update, an answer is as good as it is fresh.
            None => {
                if single.this_update.0.to_system_time() + self.max_age + SKEW < now {
                    return Err("the OCSP answer is too old (it gives no next update)".into());
                }
                self.max_age
            }
        };
        // An answer just past its next update (within the clocks' leeway) is still kept a few
        // seconds, so that it is not asked for again on every handshake.
        let valid_for = valid_for.max(RETRY_AFTER);
        let verdict = match &single.cert_status {
            CertStatus::Good(_) => Ok(()),
            CertStatus::Revoked(info) => Err(format!("the certificate was revoked on {}", info.revocation_time.0.to_date_time())),
            CertStatus::Unknown(_) => Err("the OCSP responder does not know the certificate".into()),
        };
        Ok((verdict, valid_for))
    }

    /// The issuer of `cert`: among the chain's other certificates (intermediates) and the
    /// client CA's, the one with its issuer's name whose key signed it. The key must be the
    /// signer's, not only the name: the request's key hash and the answer's signature rest on
    /// it, and a client may send any certificate beside its own.
    fn issuer_of(&self, cert: &Certificate, name: &[u8], rest: &[CertificateDer<'static>]) -> Result<Issuer, String> {
        let tbs = cert.tbs_certificate.to_der().map_err(der_error("the client certificate"))?;
        let mut candidates = Vec::new();
        for der in rest {
            let c = Certificate::from_der(der.as_ref()).map_err(der_error("an intermediate certificate"))?;
            candidates.push(issuer(&c)?);
        }
        candidates.extend(self.anchors.iter().map(|a| Issuer { subject: a.subject.clone(), key: a.key.clone() }));
        candidates
            .into_iter()
            .find(|i| i.subject == name && verify(&i.key, &cert.signature_algorithm, &tbs, cert.signature.raw_bytes()).is_ok())
            .ok_or_else(|| "the certificate's issuer is not among the client CA's certificates".into())
    }

    /// Checks the answer is signed by the issuer, or by a responder the issuer delegated.
    fn signed_for(&self, basic: &BasicOcspResponse, issuer: &Issuer) -> Result<(), String> {
        let tbs = basic.tbs_response_data.to_der().map_err(der_error("the OCSP answer"))?;
        let names = |subject: &[u8], key: &SubjectPublicKeyInfoOwned| match &basic.tbs_response_data.responder_id {
            ResponderId::ByName(n) => n.to_der().is_ok_and(|d| d == subject),
            ResponderId::ByKey(h) => h.as_bytes() == sha1(key.subject_public_key.raw_bytes()),
        };
        let signer = if names(&issuer.subject, &issuer.key) {
            issuer.key.clone()
        } else {
            let delegated = basic
                .certs
                .iter()
                .flatten()
                .find(|c| {
                    let subject = c.tbs_certificate.subject.to_der().unwrap_or_default();
                    names(&subject, &c.tbs_certificate.subject_public_key_info)
                })
                .ok_or("the OCSP answer is signed by a responder that is neither the CA nor one it delegated")?;
            delegated_by(delegated, issuer)?;
            delegated.tbs_certificate.subject_public_key_info.clone()
        };
        verify(&signer, &basic.signature_algorithm, &tbs, basic.signature.raw_bytes())
            .map_err(|e| format!("the OCSP answer's signature does not hold: {e}"))
    }
}

/// A certificate's subject and key, as an issuer.
fn issuer(c: &Certificate) -> Result<Issuer, String> {
    Ok(Issuer {
        subject: c.tbs_certificate.subject.to_der().map_err(der_error("a subject"))?,
        key: c.tbs_certificate.subject_public_key_info.clone(),
    })
}

/// Checks `c` is a responder certificate the issuer made for signing OCSP answers, and current.
fn delegated_by(c: &Certificate, issuer: &Issuer) -> Result<(), String> {
    if c.tbs_certificate.issuer.to_der().map_err(der_error("the responder's issuer"))? != issuer.subject {
        return Err("the OCSP responder's certificate is not the CA's".into());
    }
    let tbs = c.tbs_certificate.to_der().map_err(der_error("the responder's certificate"))?;
    verify(&issuer.key, &c.signature_algorithm, &tbs, c.signature.raw_bytes())
        .map_err(|e| format!("the OCSP responder's certificate is not signed by the CA: {e}"))?;
    let for_ocsp = c
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id.to_string() == EXTENDED_KEY_USAGE)
        .any(|e| ExtendedKeyUsage::from_der(e.extn_value.as_bytes()).is_ok_and(|u| u.0.iter().any(|p| p.to_string() == OCSP_SIGNING)));
    if !for_ocsp {
        return Err("the OCSP responder's certificate is not made for OCSP signing".into());
    }
    let v = &c.tbs_certificate.validity;
    let now = SystemTime::now();
    if v.not_before.to_system_time() > now + SKEW || v.not_after.to_system_time() + SKEW < now {
        return Err("the OCSP responder's certificate is not current".into());
    }
    Ok(())
}

/// The OCSP responder a certificate names (HTTP only, as RFC 6960 has them).
fn responder_named(c: &Certificate) -> Result<Option<String>, String> {
    for e in c.tbs_certificate.extensions.iter().flatten().filter(|e| e.extn_id.to_string() == AIA) {
        let aia =
            AuthorityInfoAccessSyntax::from_der(e.extn_value.as_bytes()).map_err(der_error("the certificate's access information"))?;
        for d in aia.0 {
            if d.access_method.to_string() == OCSP_ACCESS
                && let GeneralName::UniformResourceIdentifier(uri) = d.access_location
                && (uri.as_str().starts_with("http://") || uri.as_str().starts_with("https://"))
            {
                return Ok(Some(uri.as_str().to_owned()));
            }
        }
    }
    Ok(None)
}

/// The basic answer inside an OCSP response, when the responder answered at all.
fn basic_response(body: &[u8]) -> Result<BasicOcspResponse, String> {
    let r = OcspResponse::from_der(body).map_err(der_error("the OCSP answer"))?;
    if r.response_status != OcspResponseStatus::Successful {
        return Err(format!("the OCSP responder refused to answer ({:?})", r.response_status));
    }
    let bytes = r.response_bytes.ok_or("the OCSP answer is empty")?;
    if bytes.response_type.to_string() != BASIC_RESPONSE {
        return Err(format!("the OCSP answer is of an unknown type {}", bytes.response_type));
    }
    BasicOcspResponse::from_der(bytes.response.as_bytes()).map_err(der_error("the OCSP answer"))
}

/// Whether two certificate ids name the same certificate (the hash algorithm's parameters, NULL
/// or left out, do not count).
fn same_certificate(a: &CertId, b: &CertId) -> bool {
    a.hash_algorithm.oid == b.hash_algorithm.oid
        && a.issuer_name_hash == b.issuer_name_hash
        && a.issuer_key_hash == b.issuer_key_hash
        && a.serial_number == b.serial_number
}

fn sha1(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, data).as_ref().to_vec()
}

fn octets(data: &[u8]) -> Result<OctetString, String> {
    OctetString::new(data).map_err(der_error("a hash"))
}

/// Checks a signature with a public key, for the algorithms CAs sign with: RSA (PKCS #1 v1.5),
/// ECDSA on P-256 and P-384, Ed25519.
fn verify(key: &SubjectPublicKeyInfoOwned, algorithm: &AlgorithmIdentifierOwned, message: &[u8], sig: &[u8]) -> Result<(), String> {
    let curve = key.algorithm.parameters.as_ref().and_then(|p| p.decode_as::<ObjectIdentifier>().ok()).map(|o| o.to_string());
    let (p256, p384) = ("1.2.840.10045.3.1.7", "1.3.132.0.34");
    let scheme: &'static dyn VerificationAlgorithm = match (algorithm.oid.to_string().as_str(), curve.as_deref()) {
        ("1.2.840.113549.1.1.11", _) => &signature::RSA_PKCS1_2048_8192_SHA256,
        ("1.2.840.113549.1.1.12", _) => &signature::RSA_PKCS1_2048_8192_SHA384,
        ("1.2.840.113549.1.1.13", _) => &signature::RSA_PKCS1_2048_8192_SHA512,
        ("1.2.840.10045.4.3.2", Some(c)) if c == p256 => &signature::ECDSA_P256_SHA256_ASN1,
        ("1.2.840.10045.4.3.2", Some(c)) if c == p384 => &signature::ECDSA_P384_SHA256_ASN1,
        ("1.2.840.10045.4.3.3", Some(c)) if c == p256 => &signature::ECDSA_P256_SHA384_ASN1,
        ("1.2.840.10045.4.3.3", Some(c)) if c == p384 => &signature::ECDSA_P384_SHA384_ASN1,
        ("1.3.101.112", _) => &signature::ED25519,
        (other, _) => return Err(format!("the signature algorithm {other} is not supported")),
    };
    UnparsedPublicKey::new(scheme, key.subject_public_key.raw_bytes()).verify(message, sig).map_err(|_| "a bad signature".into())
}
