//! Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), the second
//! factor officials with approval or administration rights must use. Secrets are 20 random
//! bytes shown to the person as base32 and as an `otpauth://` link for authenticator apps.

use hmac::{Hmac, Mac};
use sha1::Sha1;

const STEP: u64 = 30;
const DIGITS: u32 = 6;

/// A new random secret, base32 without padding.
pub fn new_secret() -> String {
    use rand::RngCore;
    let mut b = [0u8; 20];
    rand::rng().fill_bytes(&mut b);
    data_encoding::BASE32_NOPAD.encode(&b)
}

fn code_at(secret: &[u8], counter: u64) -> u32 {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let off = (h[19] & 0x0f) as usize;
    let bin = ((h[off] as u32 & 0x7f) << 24) | ((h[off + 1] as u32) << 16) | ((h[off + 2] as u32) << 8) | h[off + 3] as u32;
    bin % 10u32.pow(DIGITS)
}

/// The code for `unix_secs`, zero-padded.
pub fn code(secret_b32: &str, unix_secs: u64) -> Option<String> {
    let key = data_encoding::BASE32_NOPAD.decode(secret_b32.trim().trim_end_matches('=').as_bytes()).ok()?;
    Some(format!("{:06}", code_at(&key, unix_secs / STEP)))
}

/// True when `given` is the code of the current step or of one step either side (clock drift).
pub fn verify(secret_b32: &str, given: &str, unix_secs: u64) -> bool {
    let given = given.trim();
    if given.len() != DIGITS as usize || !given.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    [unix_secs.saturating_sub(STEP), unix_secs, unix_secs + STEP]
        .iter()
        .filter_map(|t| code(secret_b32, *t))
        .any(|c| web::auth::constant_time_eq(c.as_bytes(), given.as_bytes()))
}

/// The `otpauth://` link an authenticator app reads.
pub fn uri(secret_b32: &str, account: &str, issuer: &str) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect::<String>()
    };
    format!("otpauth://totp/{}:{}?secret={secret_b32}&issuer={}&algorithm=SHA1&digits=6&period=30", enc(issuer), enc(account), enc(issuer))
}

pub fn now_secs() -> u64 {
    (kernel::time::now_ms() / 1000) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_test_vectors() {
        // Secret "12345678901234567890" (RFC 6238 Appendix B), 8-digit codes truncated to 6.
        let key = b"12345678901234567890";
        let b32 = data_encoding::BASE32_NOPAD.encode(key);
        for (t, full) in
            [(59u64, 94287082u32), (1111111109, 7081804), (1111111111, 14050471), (1234567890, 89005924), (2000000000, 69279037)]
        {
            assert_eq!(code(&b32, t).unwrap(), format!("{:06}", full % 1_000_000), "t={t}");
        }
    }

    #[test]
    fn codes_are_accepted_one_step_either_side_only() {
        let s = new_secret();
        let t = 1_800_000_000;
        assert!(verify(&s, &code(&s, t).unwrap(), t));
        assert!(verify(&s, &code(&s, t - 30).unwrap(), t));
        assert!(!verify(&s, &code(&s, t - 90).unwrap(), t));
        assert!(!verify(&s, "12345", t));
        assert!(uri(&s, "lanhdao", "Tỉnh Số").starts_with("otpauth://totp/T%E1%BB%89nh%20S%E1%BB%91:lanhdao?secret="));
    }
}
