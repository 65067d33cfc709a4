//! Passwords: argon2id with OWASP's recommended cost (19 MiB, 2 passes, 1 lane), stored as
//! PHC strings so the parameters can be raised later without invalidating old hashes.

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash(password: &str) -> kernel::Result<String> {
    hasher().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(kernel::Error::internal)
}

/// True when `password` matches the stored PHC string.
pub fn verify(password: &str, stored: &str) -> bool {
    hasher().verify_password(password.as_bytes(), stored).is_ok()
}

/// Why a password is refused, if it is.
pub fn weakness(password: &str, login: &str) -> Option<&'static str> {
    let n = password.chars().count();
    if n < 10 {
        return Some("mật khẩu cần ít nhất 10 ký tự (at least 10 characters)");
    }
    if n > 200 {
        return Some("mật khẩu dài quá 200 ký tự (at most 200 characters)");
    }
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    if classes.iter().filter(|x| **x).count() < 3 {
        return Some(
            "mật khẩu cần ít nhất 3 trong 4 loại: chữ thường, chữ hoa, chữ số, ký tự khác (use 3 of: lower case, upper case, digits, symbols)",
        );
    }
    if !login.is_empty() && password.to_lowercase().contains(&login.to_lowercase()) {
        return Some("mật khẩu không được chứa tên đăng nhập (must not contain the login)");
    }
    None
}

/// A hash to verify against when the account does not exist, so that timing does not tell
/// which logins exist.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("not-a-real-password-Xy1!").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_salted() {
        let a = hash("Mật-khẩu-2026").unwrap();
        let b = hash("Mật-khẩu-2026").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b);
        assert!(verify("Mật-khẩu-2026", &a));
        assert!(!verify("mật-khẩu-2026", &a));
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(weakness("short1A!", "u").is_some());
        assert!(weakness("alllowercaseletters", "u").is_some());
        assert!(weakness("Nguyenvana2026!", "nguyenvana").is_some());
        assert!(weakness("Thai-An-2026!", "001090012345").is_none());
    }
}
