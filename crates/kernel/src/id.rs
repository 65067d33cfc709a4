//! Identifiers: UUIDv7 (time-ordered, so B-tree indexes stay compact) stored as TEXT.

/// A new time-ordered identifier as its canonical hyphenated text.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A random token of `bytes` bytes, hex-encoded, for secrets such as bootstrap tokens.
pub fn random_token(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// True when `s` is a UUID in any of its textual forms.
pub fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok()
}
