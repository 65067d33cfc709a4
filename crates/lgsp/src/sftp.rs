//! SFTP drops of national data files: a replica's `directory` given as
//! `sftp://user@host[:port]/path` is listed and read over SSH, the platform signing in with a
//! private key file on the server (ed25519 or ECDSA) or, where the provider hands out accounts
//! with passwords, a password file on the server (never the password in the database, the
//! address or the API). The server's host key is pinned by its
//! SHA-256 fingerprint: given when the drop is added, or taken from the first connection and
//! kept; a server that shows another key is refused, as OpenSSH refuses a changed known host.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client;
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh_sftp::client::SftpSession;

/// How long connecting and signing in may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// The largest file read from a drop (files are read whole to be hashed and parsed).
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// Where an SFTP drop is: `sftp://user@host[:port]/path`.
#[derive(Debug, Clone, PartialEq)]
pub struct Drop {
    pub user: String,
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl Drop {
    /// None when `address` is not an `sftp://` address; an error naming what is wrong with one.
    pub fn parse(address: &str) -> Option<Result<Drop, String>> {
        let rest = address.trim().strip_prefix("sftp://")?;
        Some((|| {
            let url = reqwest::Url::parse(&format!("sftp://{rest}")).map_err(|e| format!("địa chỉ SFTP sai (a bad SFTP address): {e}"))?;
            let user = percent_encoding::percent_decode_str(url.username()).decode_utf8_lossy().into_owned();
            if user.is_empty() {
                return Err("địa chỉ SFTP cần tên người dùng: sftp://user@host/path (the user is required)".into());
            }
            if url.password().is_some() {
                return Err(
                    "không ghi mật khẩu trong địa chỉ; dùng tệp khóa hoặc tệp mật khẩu (no password in the address; use a key file or a password file)"
                        .into(),
                );
            }
            let host = url.host_str().filter(|h| !h.is_empty()).ok_or("địa chỉ SFTP cần máy chủ (the host is required)")?;
            let path = percent_encoding::percent_decode_str(url.path()).decode_utf8_lossy().into_owned();
            if path.is_empty() {
                return Err("địa chỉ SFTP cần thư mục: sftp://user@host/path (the directory is required)".into());
            }
            Ok(Drop { user, host: host.trim_matches(['[', ']']).to_owned(), port: url.port().unwrap_or(22), path })
        })())
    }
}

/// Checks the server's host key against the pinned fingerprint, noting the one it showed.
struct Pinning {
    pinned: Option<String>,
    seen: Arc<Mutex<Option<String>>>,
}

impl client::Handler for Pinning {
    type Error = russh::Error;

    async fn check_server_key(&mut self, key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        let fingerprint = match key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.fingerprint(HashAlg::Sha256).to_string(),
            PublicKeyOrCertificate::Certificate(c) => c.public_key().fingerprint(HashAlg::Sha256).to_string(),
        };
        let ok = self.pinned.as_ref().is_none_or(|p| *p == fingerprint);
        *self.seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(fingerprint);
        Ok(ok)
    }
}

/// A file as a directory listing gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub name: String,
    pub size: u64,
    /// Milliseconds since 1970, when known.
    pub modified: Option<i64>,
}

/// An open SFTP session on a drop, with the host key fingerprint the server showed.
pub struct Session {
    pub host_key: String,
    sftp: SftpSession,
    ssh: client::Handle<Pinning>,
    path: String,
}

/// How the platform signs in to a drop: both are files on the server, read at each sign-in.
#[derive(Debug, Clone, Copy)]
pub enum SignIn<'a> {
    /// A private key file (OpenSSH format, ed25519 or ECDSA, without a passphrase).
    Key(&'a Path),
    /// A file holding the account's password (its one line; a final line end is not part of it).
    Password(&'a Path),
}

/// What a sign-in sends, read from its file before connecting.
enum Credential {
    Key(Arc<russh::keys::PrivateKey>),
    Password(String),
}

impl SignIn<'_> {
    fn credential(self) -> Result<Credential, String> {
        match self {
            SignIn::Key(path) => russh::keys::load_secret_key(path, None)
                .map(|k| Credential::Key(Arc::new(k)))
                .map_err(|e| format!("tệp khóa {} không đọc được (the key file cannot be read): {e}", path.display())),
            SignIn::Password(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("tệp mật khẩu {} không đọc được (the password file cannot be read): {e}", path.display()))?;
                let password = text.strip_suffix('\n').map(|t| t.strip_suffix('\r').unwrap_or(t)).unwrap_or(&text);
                if password.is_empty() || password.contains('\n') {
                    return Err(format!(
                        "tệp mật khẩu {} phải có đúng một dòng (the password file must hold the password on one line)",
                        path.display()
                    ));
                }
                Ok(Credential::Password(password.to_owned()))
            }
        }
    }
}

/// Connects and signs in, refusing a server whose host key is not the pinned one.
pub async fn open(drop: &Drop, sign_in: SignIn<'_>, pinned: Option<&str>) -> Result<Session, String> {
    let credential = sign_in.credential()?;
    let seen = Arc::new(Mutex::new(None));
    let handler = Pinning { pinned: pinned.map(str::to_owned), seen: seen.clone() };
    // Kept alive while a long file is imported between reads.
    let config = Arc::new(client::Config {
        inactivity_timeout: Some(Duration::from_secs(120)),
        keepalive_interval: Some(Duration::from_secs(30)),
        ..Default::default()
    });
    let at = format!("{}:{}", drop.host, drop.port);
    let connected = tokio::time::timeout(CONNECT_TIMEOUT, client::connect(config, (drop.host.as_str(), drop.port), handler)).await;
    let shown = || seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut ssh = match connected {
        Err(_) => return Err(format!("{at} không trả lời (did not answer in time)")),
        Ok(Ok(h)) => h,
        Ok(Err(e)) => {
            return Err(match (shown(), pinned) {
                (Some(s), Some(p)) if s != p => format!(
                    "khóa máy chủ {at} là {s}, không phải {p} đã ghi nhận (the server's host key is {s}, not the pinned {p}); \
                     nếu máy chủ đã đổi khóa, hãy ghi nhận khóa mới (if the server's key really changed, pin the new one)"
                ),
                _ => format!("không kết nối được {at} (cannot connect): {e}"),
            });
        }
    };
    let host_key = shown().unwrap_or_default();
    let user = drop.user.as_str();
    let (auth, what) = match credential {
        Credential::Key(key) => (ssh.authenticate_publickey(user, PrivateKeyWithHashAlg::new(key, None)).await, ("khóa", "key")),
        Credential::Password(password) => (ssh.authenticate_password(user, password).await, ("mật khẩu", "password")),
    };
    let auth = auth.map_err(|e| format!("đăng nhập {at} lỗi (signing in failed): {e}"))?;
    if !auth.success() {
        return Err(format!("{at} từ chối {} của {user} (the server refused the {} for {user})", what.0, what.1));
    }
    let channel = ssh.channel_open_session().await.map_err(|e| format!("SFTP: {e}"))?;
    channel.request_subsystem(true, "sftp").await.map_err(|e| format!("SFTP: {e}"))?;
    let sftp = SftpSession::new(channel.into_stream()).await.map_err(|e| format!("SFTP: {e}"))?;
    Ok(Session { host_key, sftp, ssh, path: drop.path.clone() })
}

impl Session {
    /// The regular files in the drop's directory whose names `wanted` accepts, in name order.
    pub async fn files(&self, wanted: impl Fn(&str) -> bool) -> Result<Vec<Listed>, String> {
        let dir = self
            .sftp
            .read_dir(self.path.as_str())
            .await
            .map_err(|e| format!("thư mục {} không đọc được (the directory cannot be read): {e}", self.path))?;
        let mut out: Vec<Listed> = dir
            .filter(|e| e.file_type().is_file() && wanted(&e.file_name()))
            .map(|e| {
                let m = e.metadata();
                Listed { name: e.file_name(), size: m.len(), modified: m.mtime.map(|t| i64::from(t) * 1000) }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// A file of the drop's directory, whole (refused past `MAX_FILE_BYTES`, whatever size the
    /// listing gave).
    pub async fn read(&self, name: &str) -> Result<Vec<u8>, String> {
        use tokio::io::AsyncReadExt;
        let path = format!("{}/{name}", self.path.trim_end_matches('/'));
        let file = self.sftp.open(path.as_str()).await.map_err(|e| format!("{name}: {e}"))?;
        let mut bytes = Vec::new();
        let mut limited = file.take(MAX_FILE_BYTES + 1);
        limited.read_to_end(&mut bytes).await.map_err(|e| format!("{name}: {e}"))?;
        let _ = limited.into_inner().close().await;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(format!("{name}: lớn hơn {MAX_FILE_BYTES} byte (larger than {MAX_FILE_BYTES} bytes)"));
        }
        Ok(bytes)
    }

    pub async fn close(self) {
        let _ = self.sftp.close().await;
        let _ = self.ssh.disconnect(russh::Disconnect::ByApplication, "", "vi").await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_addresses_are_read() {
        assert_eq!(Drop::parse("/srv/drop"), None);
        assert_eq!(
            Drop::parse("sftp://lgsp@data.gov.vn/xuat/doanh-nghiep").unwrap().unwrap(),
            Drop { user: "lgsp".into(), host: "data.gov.vn".into(), port: 22, path: "/xuat/doanh-nghiep".into() }
        );
        let d = Drop::parse("sftp://t%E1%BB%89nh@127.0.0.1:2222/th%C6%B0%20m%E1%BB%A5c").unwrap().unwrap();
        assert_eq!((d.user.as_str(), d.port, d.path.as_str()), ("tỉnh", 2222, "/thư mục"));
        assert_eq!(Drop::parse("sftp://u@[::1]:22/x").unwrap().unwrap().host, "::1");
        for bad in ["sftp://host/x", "sftp://u:secret@host/x", "sftp://u@host", "sftp://u@/x", "sftp://u@host:99999/x"] {
            assert!(Drop::parse(bad).unwrap().is_err(), "{bad}");
        }
    }
}
