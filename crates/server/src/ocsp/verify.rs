//! Signatures of certificates and OCSP answers, checked with ring.

use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode, Encode};
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use super::{SHA1, der_error, fields};

/// Checks a signature with a public key, for the algorithms CAs sign with: RSA (PKCS #1 v1.5
/// and PSS), ECDSA on P-256 and P-384, Ed25519. SHA-1 signatures are refused: collisions of
/// chosen prefixes make them forgeable.
pub(super) fn verify(
    key: &SubjectPublicKeyInfoOwned,
    algorithm: &AlgorithmIdentifierOwned,
    message: &[u8],
    sig: &[u8],
) -> Result<(), String> {
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
        (RSA_PSS, _) => pss(algorithm)?,
        (other, _) => return Err(format!("the signature algorithm {other} is not supported")),
    };
    UnparsedPublicKey::new(scheme, key.subject_public_key.raw_bytes()).verify(message, sig).map_err(|_| "a bad signature".into())
}

const RSA_PSS: &str = "1.2.840.113549.1.1.10";
const MGF1: &str = "1.2.840.113549.1.1.8";

/// The RSASSA-PSS check its parameters (RFC 4055) name, for those ring has: SHA-256, SHA-384 or
/// SHA-512, the mask made with MGF1 over the same hash, a salt as long as the hash.
fn pss(algorithm: &AlgorithmIdentifierOwned) -> Result<&'static dyn VerificationAlgorithm, String> {
    let params = algorithm.parameters.as_ref().ok_or("an RSASSA-PSS signature without its parameters")?;
    let params = params.to_der().map_err(der_error("the RSASSA-PSS parameters"))?;
    let identifier = |der: &[u8]| AlgorithmIdentifierOwned::from_der(der).map_err(der_error("the RSASSA-PSS parameters"));
    // Each field is explicitly tagged; left out, it takes the default: SHA-1, MGF1 over SHA-1,
    // a salt of 20 bytes.
    let (mut hash, mut mask, mut salt) = (SHA1.to_owned(), SHA1.to_owned(), 20u32);
    // The fields come in the order of their tags, each at most once; the trailer field, when
    // present, must be 1 (the 0xBC byte), the only one defined.
    let mut last = None;
    for field in fields(&params)? {
        let tag = field[0];
        if last.is_some_and(|t| t >= tag) {
            return Err("RSASSA-PSS parameters out of order".into());
        }
        last = Some(tag);
        let inner = *fields(field)?.first().ok_or("an empty RSASSA-PSS parameter")?;
        match tag {
            0xA0 => hash = identifier(inner)?.oid.to_string(),
            0xA1 => {
                let mgf = identifier(inner)?;
                if mgf.oid.to_string() != MGF1 {
                    return Err(format!("the RSASSA-PSS mask function {} is not supported", mgf.oid));
                }
                let over = mgf.parameters.as_ref().ok_or("MGF1 without its hash")?;
                mask = over.decode_as::<AlgorithmIdentifierOwned>().map_err(der_error("MGF1's hash"))?.oid.to_string();
            }
            0xA2 => salt = u32::from_der(inner).map_err(der_error("the RSASSA-PSS salt length"))?,
            0xA3 if u32::from_der(inner).is_ok_and(|t| t == 1) => {}
            _ => return Err(format!("an RSASSA-PSS parameter not defined (tag {tag:#04x}) or not 1 as trailer field")),
        }
    }
    match (hash.as_str(), mask == hash, salt) {
        ("2.16.840.1.101.3.4.2.1", true, 32) => Ok(&signature::RSA_PSS_2048_8192_SHA256),
        ("2.16.840.1.101.3.4.2.2", true, 48) => Ok(&signature::RSA_PSS_2048_8192_SHA384),
        ("2.16.840.1.101.3.4.2.3", true, 64) => Ok(&signature::RSA_PSS_2048_8192_SHA512),
        _ => Err(format!(
            "RSASSA-PSS with the hash {hash}, MGF1 over {mask} and a salt of {salt} bytes is not supported (SHA-256, -384 or -512, MGF1 over the same hash, a salt as long as the hash)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_cert::der::Any;

    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        [&[tag, content.len() as u8][..], content].concat()
    }

    /// RSASSA-PSS with the parameters' fields `fields` (each already tagged).
    fn pss_with(fields: &[Vec<u8>]) -> Result<&'static dyn VerificationAlgorithm, String> {
        let params = Any::from_der(&tlv(0x30, &fields.concat())).unwrap();
        pss(&AlgorithmIdentifierOwned { oid: ObjectIdentifier::new_unwrap(RSA_PSS), parameters: Some(params) })
    }

    #[test]
    fn pss_parameters_name_the_check_or_why_there_is_none() {
        let sha = |last: u8| tlv(0x30, &tlv(0x06, &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, last]));
        let mgf1 = |last: u8| tlv(0x30, &[tlv(0x06, &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x08]), sha(last)].concat());
        let int = |v: u8| tlv(0x02, &[v]);
        let sha256 = [tlv(0xA0, &sha(1)), tlv(0xA1, &mgf1(1)), tlv(0xA2, &int(32))];
        assert!(pss_with(&sha256).is_ok());
        assert!(pss_with(&[sha256.to_vec(), vec![tlv(0xA3, &int(1))]].concat()).is_ok(), "the trailer field, 1");
        assert!(pss_with(&[tlv(0xA0, &sha(3)), tlv(0xA1, &mgf1(3)), tlv(0xA2, &int(64))]).is_ok(), "SHA-512");
        let refused = |fields: &[Vec<u8>], why: &str| {
            let e = pss_with(fields).err().unwrap_or_else(|| panic!("accepted: {why}"));
            assert!(e.contains(why), "{e}");
        };
        refused(&[], "hash 1.3.14.3.2.26"); // the defaults: SHA-1
        refused(&[tlv(0xA0, &sha(1)), tlv(0xA1, &mgf1(3)), tlv(0xA2, &int(32))], "MGF1 over 2.16.840.1.101.3.4.2.3");
        refused(&[tlv(0xA0, &sha(1)), tlv(0xA1, &mgf1(1)), tlv(0xA2, &int(20))], "salt of 20 bytes");
        refused(&[sha256.to_vec(), vec![tlv(0xA3, &int(2))]].concat(), "trailer field");
        refused(&[tlv(0xA1, &mgf1(1)), tlv(0xA0, &sha(1)), tlv(0xA2, &int(32))], "out of order");
        refused(&[sha256.to_vec(), vec![tlv(0xA4, &int(1))]].concat(), "not defined");
    }
}
