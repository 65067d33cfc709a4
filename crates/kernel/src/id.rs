//! Identifiers: UUIDv7 (time-ordered, so B-tree indexes stay compact) stored as TEXT.

/// A new time-ordered identifier as its canonical hyphenated text.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A new time-ordered identifier and the moment (unix ms) it carries.
pub fn new_id_at() -> (String, i64) {
    let u = uuid::Uuid::now_v7();
    (u.to_string(), unix_ms(&u).unwrap_or_else(crate::time::now_ms))
}

fn unix_ms(u: &uuid::Uuid) -> Option<i64> {
    let (secs, nanos) = u.get_timestamp()?.to_unix();
    Some(secs as i64 * 1000 + i64::from(nanos / 1_000_000))
}

/// The moment (unix ms) a time-ordered identifier made by [`new_id`] was made; None for any
/// other text.
pub fn made_at_ms(id: &str) -> Option<i64> {
    let u = uuid::Uuid::parse_str(id).ok()?;
    if u.get_version_num() != 7 {
        return None;
    }
    unix_ms(&u)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_id_tells_when_it_was_made() {
        let before = crate::time::now_ms();
        let id = new_id();
        let after = crate::time::now_ms();
        let at = made_at_ms(&id).unwrap();
        assert!(before <= at && at <= after, "{before} <= {at} <= {after}");
        let (id, at) = new_id_at();
        assert_eq!(made_at_ms(&id), Some(at));
        assert_eq!(made_at_ms(&uuid::Uuid::new_v4().to_string()), None);
        assert_eq!(made_at_ms("not-an-id"), None);
    }
}
