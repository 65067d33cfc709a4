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
//! Each intermediate CA's certificate on the way from the client's to the client CA is asked
//! about too, at the responder it names itself: a revoked intermediate refuses every
//! certificate under it. An intermediate that names no responder is left to the lists
//! (`tls_client_crl`), as CAs often vouch for their intermediates in lists only;
//! `tls_client_ocsp_url` is the responder of the client's own certificate.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::der::asn1::{Null, ObjectIdentifier, OctetString};
use x509_cert::der::{Decode, Encode, Header, Reader, SliceReader};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{AuthorityInfoAccessSyntax, ExtendedKeyUsage};
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_ocsp::{BasicOcspResponse, CertId, CertStatus, OcspRequest, OcspResponse, OcspResponseStatus, Request, ResponderId, TbsRequest};

mod verify;
use verify::verify;

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
pub(crate) struct Issuer {
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
            anchors.push(issuer(der.as_ref()).map_err(|e| anyhow::anyhow!("tls_client_ca {ca}: {e}"))?);
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

    /// Whether the responders say the chain's certificate, and each intermediate CA's that
    /// names a responder, are good (asked, or remembered).
    pub async fn check(&self, chain: &[CertificateDer<'static>]) -> Result<(), String> {
        for (link, own) in self.links(chain)? {
            self.answer(&link, own).await?.verdict.map_err(|e| if own { e } else { format!("an intermediate CA's certificate: {e}") })?;
        }
        Ok(())
    }

    /// What is asked about, each as a chain whose first certificate is the one in question
    /// (`true` for the client's own): the client's certificate, then each intermediate CA's
    /// that issued the one before, as long as it is not the client CA's own and names a
    /// responder. The issuer is found by name and signature, as in [`Ocsp::issuer_of`], so a
    /// certificate the client adds beside its chain is never asked about.
    fn links(&self, chain: &[CertificateDer<'static>]) -> Result<Vec<(Vec<CertificateDer<'static>>, bool)>, String> {
        if chain.is_empty() {
            return Err("no client certificate".into());
        }
        let mut out = vec![(chain.to_vec(), true)];
        let mut used = vec![false; chain.len()];
        let mut at = 0;
        used[0] = true;
        for _ in 1..chain.len() {
            let cert = Certificate::from_der(chain[at].as_ref()).map_err(der_error("a certificate of the client's chain"))?;
            let raw = RawCert::read(chain[at].as_ref())?;
            let signed = |i: &Issuer| {
                i.subject == raw.issuer && verify(&i.key, &cert.signature_algorithm, raw.tbs, cert.signature.raw_bytes()).is_ok()
            };
            if self.anchors.iter().any(signed) {
                break;
            }
            let Some(next) = (0..chain.len()).filter(|i| !used[*i]).find(|i| issuer(chain[*i].as_ref()).is_ok_and(|c| signed(&c))) else {
                break;
            };
            used[next] = true;
            at = next;
            let intermediate = Certificate::from_der(chain[next].as_ref()).map_err(der_error("an intermediate CA's certificate"))?;
            if responder_named(&intermediate)?.is_some() {
                let mut link = vec![chain[next].clone()];
                link.extend(chain.iter().enumerate().filter(|(i, _)| *i != next).map(|(_, c)| c.clone()));
                out.push((link, false));
            }
        }
        Ok(out)
    }

    /// The certificate's answer: the one kept while it runs, else the responder's. Connections
    /// that want the same certificate's answer at once wait for one request. When the
    /// responder gives no usable answer but the last good one still holds (its next update has
    /// not come), that one stands a few seconds more: a responder's short outage does not close
    /// every connection, while a revocation it does announce is taken at once.
    async fn answer(&self, chain: &[CertificateDer<'static>], own: bool) -> Result<Answer, String> {
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
                match self.ask(chain, own).await {
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

    /// Resolves when the chain's certificate, or an intermediate's asked about, is no longer
    /// good; asks again each time the first of their answers runs out.
    pub async fn until_refused(&self, chain: &[CertificateDer<'static>]) {
        let Ok(links) = self.links(chain) else { return };
        loop {
            let mut next: Option<Instant> = None;
            for (link, own) in &links {
                match self.answer(link, *own).await {
                    Ok(Answer { verdict: Ok(()), until, .. }) => next = Some(next.map_or(until, |n| n.min(until))),
                    _ => return,
                }
            }
            let wake = next.unwrap_or_else(Instant::now).max(Instant::now() + Duration::from_millis(100));
            tokio::time::sleep_until(tokio::time::Instant::from_std(wake)).await
        }
    }

    /// Asks the responder; gives its verdict and how long it holds, or why there is none.
    /// `own`: the client's own certificate, whose responder may be set (`tls_client_ocsp_url`);
    /// an intermediate's is always the one it names.
    async fn ask(&self, chain: &[CertificateDer<'static>], own: bool) -> Result<(Result<(), String>, Duration), String> {
        let cert = Certificate::from_der(chain[0].as_ref()).map_err(der_error("the client certificate"))?;
        let raw = RawCert::read(chain[0].as_ref())?;
        let issuer = self.issuer_of(&cert, &raw, &chain[1..])?;
        let url = match self.url.as_ref().filter(|_| own) {
            Some(u) => u.clone(),
            None => responder_named(&cert)?.ok_or("the certificate names no OCSP responder and tls_client_ocsp_url is not set")?,
        };
        let reply = query(&self.http, &url, chain[0].as_ref(), &issuer, self.max_age).await?;
        Ok((reply.verdict, reply.valid_for))
    }

    /// The issuer of `cert`: among the chain's other certificates (intermediates) and the
    /// client CA's, the one with its issuer's name whose key signed it. The key must be the
    /// signer's, not only the name: the request's key hash and the answer's signature rest on
    /// it, and a client may send any certificate beside its own.
    fn issuer_of(&self, cert: &Certificate, raw: &RawCert, rest: &[CertificateDer<'static>]) -> Result<Issuer, String> {
        let mut candidates = Vec::new();
        for der in rest {
            candidates.push(issuer(der.as_ref())?);
        }
        candidates.extend(self.anchors.iter().map(|a| Issuer { subject: a.subject.clone(), key: a.key.clone() }));
        candidates
            .into_iter()
            .find(|i| i.subject == raw.issuer && verify(&i.key, &cert.signature_algorithm, raw.tbs, cert.signature.raw_bytes()).is_ok())
            .ok_or_else(|| "the certificate's issuer is not among the client CA's certificates".into())
    }
}

/// A responder's answer about one certificate, its signature checked.
pub(crate) struct Reply {
    pub verdict: Result<(), String>,
    /// How long it is kept from now: until it runs out (below), but at least a few seconds.
    pub valid_for: Duration,
    /// When it runs out: its next update, or `max_age` after its date when it gives none.
    pub holds_until: SystemTime,
    /// The OCSP response as the responder sent it (what a server staples).
    pub der: Vec<u8>,
}

/// Asks the responder at `url` about the certificate `der`, issued by `issuer`: the request
/// names it by SHA-1 hashes of its issuer's name and key and its serial, as responders expect.
/// The answer must be signed by the issuer or a responder it delegated, be about this very
/// certificate and be current; an answer without a next update holds `max_age` from its date.
/// Its status, revoked or unknown, is the reply's verdict.
pub(crate) async fn query(http: &reqwest::Client, url: &str, der: &[u8], issuer: &Issuer, max_age: Duration) -> Result<Reply, String> {
    let cert = Certificate::from_der(der).map_err(der_error("the certificate asked about"))?;
    let raw = RawCert::read(der)?;
    let id = CertId {
        hash_algorithm: AlgorithmIdentifierOwned { oid: ObjectIdentifier::new_unwrap(SHA1), parameters: Some(Null.into()) },
        issuer_name_hash: octets(&sha1(raw.issuer))?,
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
    let sent = http
        .post(url)
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
    let (basic, basic_der) = basic_response(&body)?;
    signed_for(&basic, &basic_der, issuer)?;
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
    let holds_until = match &single.next_update {
        Some(next) => {
            let next = next.0.to_system_time();
            if next + SKEW < now {
                return Err("the OCSP answer is out of date (its next update has passed)".into());
            }
            next
        }
        // Without a next update, an answer is as good as it is fresh.
        None => {
            let until = single.this_update.0.to_system_time() + max_age;
            if until + SKEW < now {
                return Err("the OCSP answer is too old (it gives no next update)".into());
            }
            until
        }
    };
    let valid_for = holds_until.duration_since(now).unwrap_or(Duration::ZERO);
    // An answer just past its next update (within the clocks' leeway) is still kept a few
    // seconds, so that it is not asked for again on every handshake.
    let valid_for = valid_for.max(RETRY_AFTER);
    let verdict = match &single.cert_status {
        CertStatus::Good(_) => Ok(()),
        CertStatus::Revoked(info) => Err(format!("the certificate was revoked on {}", info.revocation_time.0.to_date_time())),
        CertStatus::Unknown(_) => Err("the OCSP responder does not know the certificate".into()),
    };
    Ok(Reply { verdict, valid_for, holds_until, der: body })
}

/// Checks the answer is signed by the issuer, or by a responder the issuer delegated.
fn signed_for(basic: &BasicOcspResponse, der: &[u8], issuer: &Issuer) -> Result<(), String> {
    let answer = fields(der)?;
    let tbs = *answer.first().ok_or("the OCSP answer is empty")?;
    let data = fields(tbs)?;
    // ResponseData: version [0] (when not v1), then the responder's id: by name [1], by key [2].
    let responder = data.get(usize::from(data.first().is_some_and(|f| f[0] == 0xA0))).ok_or("the OCSP answer names no responder")?;
    let by_name = if responder[0] == 0xA1 { fields(responder)?.first().copied() } else { None };
    let names = |subject: &[u8], key: &SubjectPublicKeyInfoOwned| match &basic.tbs_response_data.responder_id {
        ResponderId::ByName(_) => by_name == Some(subject),
        ResponderId::ByKey(h) => h.as_bytes() == sha1(key.subject_public_key.raw_bytes()),
    };
    let signer = if names(&issuer.subject, &issuer.key) {
        issuer.key.clone()
    } else {
        // certs [0] EXPLICIT SEQUENCE OF Certificate, after the signature.
        let sent = match answer.get(3) {
            Some(certs) => fields(fields(certs)?.first().ok_or("the OCSP answer's certificates are empty")?)?,
            None => Vec::new(),
        };
        let mut delegated = None;
        for (c, der) in basic.certs.iter().flatten().zip(sent) {
            let raw = RawCert::read(der)?;
            if names(raw.subject, &c.tbs_certificate.subject_public_key_info) {
                delegated = Some((c, raw));
                break;
            }
        }
        let (c, raw) = delegated.ok_or("the OCSP answer is signed by a responder that is neither the CA nor one it delegated")?;
        delegated_by(c, &raw, issuer)?;
        c.tbs_certificate.subject_public_key_info.clone()
    };
    verify(&signer, &basic.signature_algorithm, tbs, basic.signature.raw_bytes())
        .map_err(|e| format!("the OCSP answer's signature does not hold: {e}"))
}

/// Whether `by` issued the certificate `der`: `Err(None)` when it bears another issuer's name,
/// `Err(Some(why))` when it bears `by`'s but its signature does not hold with `by`'s key.
pub(crate) fn issued(der: &[u8], by: &Issuer) -> Result<(), Option<String>> {
    let cert = Certificate::from_der(der).map_err(|e| Some(e.to_string()))?;
    let raw = RawCert::read(der).map_err(Some)?;
    if by.subject != raw.issuer {
        return Err(None);
    }
    verify(&by.key, &cert.signature_algorithm, raw.tbs, cert.signature.raw_bytes()).map_err(Some)
}

/// A certificate's subject and key, as an issuer.
pub(crate) fn issuer(der: &[u8]) -> Result<Issuer, String> {
    let c = Certificate::from_der(der).map_err(der_error("a CA certificate"))?;
    Ok(Issuer { subject: RawCert::read(der)?.subject.to_vec(), key: c.tbs_certificate.subject_public_key_info })
}

/// The parts of a certificate that are signed or compared, as received: a signature holds over
/// the signer's bytes, which a decoded and re-encoded structure need not reproduce (a name
/// encoded with its attributes out of DER's order, say), and names are compared as the
/// handshake compared them, byte for byte.
struct RawCert<'a> {
    tbs: &'a [u8],
    issuer: &'a [u8],
    subject: &'a [u8],
}

impl<'a> RawCert<'a> {
    fn read(der: &'a [u8]) -> Result<RawCert<'a>, String> {
        let tbs = *fields(der)?.first().ok_or("a certificate without content")?;
        let parts = fields(tbs)?;
        // TBSCertificate: version [0] (when not v1), serial, signature algorithm, issuer,
        // validity, subject.
        let at = usize::from(parts.first().is_some_and(|p| p[0] == 0xA0));
        match (parts.get(at + 2), parts.get(at + 4)) {
            (Some(issuer), Some(subject)) => Ok(RawCert { tbs, issuer, subject }),
            _ => Err("a certificate without its issuer or subject".into()),
        }
    }
}

/// The elements of one constructed DER value (a SEQUENCE, or an explicitly tagged field), each
/// with its tag and length, as they stand in `tlv`.
fn fields(tlv: &[u8]) -> Result<Vec<&[u8]>, String> {
    elements(tlv).map_err(der_error("a DER structure"))
}

fn elements(tlv: &[u8]) -> x509_cert::der::Result<Vec<&[u8]>> {
    let mut reader = SliceReader::new(tlv)?;
    let header = Header::decode(&mut reader)?;
    if !header.tag.is_constructed() {
        return Err(header.tag.value_error());
    }
    let inner = reader.read_nested(header.length, |r| {
        let mut parts = Vec::new();
        while !r.is_finished() {
            parts.push(r.tlv_bytes()?);
        }
        Ok(parts)
    })?;
    reader.finish(inner)
}

/// Checks `c` is a responder certificate the issuer made for signing OCSP answers, and current.
fn delegated_by(c: &Certificate, raw: &RawCert, issuer: &Issuer) -> Result<(), String> {
    if raw.issuer != issuer.subject {
        return Err("the OCSP responder's certificate is not the CA's".into());
    }
    verify(&issuer.key, &c.signature_algorithm, raw.tbs, c.signature.raw_bytes())
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
pub(crate) fn responder_named(c: &Certificate) -> Result<Option<String>, String> {
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

/// The basic answer inside an OCSP response, when the responder answered at all: decoded, and
/// as received.
fn basic_response(body: &[u8]) -> Result<(BasicOcspResponse, Vec<u8>), String> {
    let r = OcspResponse::from_der(body).map_err(der_error("the OCSP answer"))?;
    if r.response_status != OcspResponseStatus::Successful {
        return Err(format!("the OCSP responder refused to answer ({:?})", r.response_status));
    }
    let bytes = r.response_bytes.ok_or("the OCSP answer is empty")?;
    if bytes.response_type.to_string() != BASIC_RESPONSE {
        return Err(format!("the OCSP answer is of an unknown type {}", bytes.response_type));
    }
    let der = bytes.response.as_bytes();
    Ok((BasicOcspResponse::from_der(der).map_err(der_error("the OCSP answer"))?, der.to_vec()))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A DER value of `tag` around `content`, with a long-form length when it is long.
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut v = vec![tag];
        match content.len() {
            n if n < 128 => v.push(n as u8),
            n => v.extend([0x82, (n >> 8) as u8, n as u8]),
        }
        v.extend_from_slice(content);
        v
    }

    #[test]
    fn fields_are_the_bytes_as_received() {
        let long = tlv(0x04, &[7; 300]);
        let inner = tlv(0x30, &[tlv(0x02, &[5]), long.clone()].concat());
        let explicit = tlv(0xA0, &inner);
        let outer = tlv(0x30, &[explicit.clone(), tlv(0x05, &[])].concat());
        let parts = fields(&outer).unwrap();
        assert_eq!(parts, vec![&explicit[..], &[0x05, 0x00][..]]);
        assert_eq!(fields(fields(parts[0]).unwrap()[0]).unwrap(), vec![&[0x02, 0x01, 0x05][..], &long[..]]);
        // A primitive value has no fields; a truncated or over-long value is refused.
        assert!(fields(&long).is_err());
        assert!(fields(&outer[..outer.len() - 1]).is_err());
        assert!(fields(&[outer.clone(), vec![0]].concat()).is_err());
    }

    #[test]
    fn a_certificates_signed_part_and_names_are_found_with_or_without_a_version() {
        let name = |cn: &[u8]| tlv(0x30, &tlv(0x31, &tlv(0x30, &[tlv(0x06, &[0x55, 4, 3]), tlv(0x0C, cn)].concat())));
        let (issuer, subject) = (name(b"CA"), name(b"client"));
        let body = [tlv(0x02, &[9]), tlv(0x30, &tlv(0x06, &[0x2B, 101, 112])), issuer.clone(), tlv(0x30, &[]), subject.clone()].concat();
        for tbs in [tlv(0x30, &body), tlv(0x30, &[tlv(0xA0, &tlv(0x02, &[2])), body.clone()].concat())] {
            let cert = tlv(0x30, &[tbs.clone(), tlv(0x30, &tlv(0x06, &[0x2B, 101, 112])), tlv(0x03, &[0, 1, 2])].concat());
            let raw = RawCert::read(&cert).unwrap();
            assert_eq!((raw.tbs, raw.issuer, raw.subject), (&tbs[..], &issuer[..], &subject[..]));
        }
        assert!(RawCert::read(&tlv(0x30, &tlv(0x30, &tlv(0x02, &[9])))).is_err());
    }
}
