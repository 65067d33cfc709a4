//! Configuration: defaults that need no file, then `tinhso.toml` when present (or the file
//! named by `--config`), then `TINHSO_*` environment variables, then command-line flags.
//! Every setting is listed, with its default, in `docs/configuration.md`.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub listen: String,
    /// The address people reach the server at (links in e-mails, QR codes). Defaults to
    /// `http://` + `listen`.
    pub public_url: Option<String>,
    /// Where the SQLite database, blobs and generated secrets live.
    pub data_dir: PathBuf,
    /// `sqlite://...` or `postgres://...`; defaults to `sqlite://<data_dir>/tinhso.db`.
    pub database_url: Option<String>,
    /// Pool size.
    pub db_max_connections: u32,
    /// Bearer token with full administrative rights, for bootstrapping a deployment. When unset
    /// one is generated and kept in `<data_dir>/admin-token`.
    pub admin_token: Option<String>,
    pub log_format: LogFormat,
    /// tracing filter, e.g. `info` or `tinhso=debug,tower_http=info`.
    pub log_level: String,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Time limit for one request, in seconds.
    pub request_timeout_secs: u64,
    /// Name of the province shown on pages.
    pub province_name: String,
    /// Sign-in attempts one client address may make per minute (per node).
    pub login_attempts_per_minute: u32,
    /// An external OpenID provider people may sign in with (the national identity platform):
    /// its issuer URL. Unset: no external sign-in.
    pub external_idp_issuer: Option<String>,
    pub external_idp_client_id: Option<String>,
    pub external_idp_client_secret: Option<String>,
    /// Name shown on the sign-in button.
    pub external_idp_name: String,
    /// Outgoing mail server: `smtp://user:pass@host:587?tls=required` (STARTTLS),
    /// `smtps://user:pass@host:465` (TLS), or `smtp://host:25` (no TLS: a relay on the same
    /// host only). Unset: e-mails are only recorded.
    pub smtp_url: Option<String>,
    /// Sender address of e-mails.
    pub mail_from: String,
    /// The SMS provider's HTTP endpoint: POST `{"to", "text", "ref"}` as JSON. Unset: text
    /// messages are only recorded.
    pub sms_url: Option<String>,
    /// Bearer token for the SMS provider.
    pub sms_token: Option<String>,
    /// How often outbox workers look for new events, in milliseconds.
    pub outbox_poll_ms: u64,
    /// How often the LGSP message log's new records are sealed into a signed batch, in seconds.
    pub lgsp_seal_secs: u64,
    /// The LGSP room (`INSTANCE/CLASS/MEMBER/SUBSYSTEM`) where dossier status changes are
    /// published as `dossier-status` events for the national portal sync. Unset: not published.
    pub lgsp_room: Option<String>,
    /// Days the LGSP message log's sealed batches stay in the database; older ones are moved
    /// into archive files on a schedule. Unset: archived only on request.
    pub lgsp_retention_days: Option<u32>,
    /// Where archive files of the message log are written. Unset: `<data_dir>/lgsp-archive`.
    pub lgsp_archive_dir: Option<PathBuf>,
    /// How often each node looks for batches past the retention period, in seconds.
    pub lgsp_archive_check_secs: u64,
    /// HTTPS: the server's certificate chain and private key (PEM files). Unset: plain HTTP
    /// (behind a TLS-terminating proxy).
    pub tls_cert: Option<String>,
    pub tls_key: Option<String>,
    /// Mutual TLS: the CA (PEM) whose client certificates are accepted; systems may then prove
    /// their LGSP subsystem with a certificate. Unset: no client certificates asked for.
    pub tls_client_ca: Option<String>,
    /// Mutual TLS: the client CA's certificate revocation lists (PEM, one or more `X509 CRL`
    /// blocks), read again whenever the file changes. A certificate whose issuer has no list
    /// here is refused. Unset: revocation is not checked.
    pub tls_client_crl: Option<String>,
    /// Mutual TLS: ask the client CA's OCSP responder about each client certificate once the
    /// handshake is done, and refuse the connection unless it answers "good" (a revoked or
    /// unknown certificate, or no answer, is refused). Answers are kept until their next update,
    /// at most `tls_client_ocsp_max_age_secs`; open connections are asked about again then.
    pub tls_client_ocsp: bool,
    /// The OCSP responder to ask. Unset: the one each certificate names (its Authority
    /// Information Access).
    pub tls_client_ocsp_url: Option<String>,
    /// How long an OCSP answer is relied on at most, in seconds.
    pub tls_client_ocsp_max_age_secs: u64,
    /// OCSP stapling: ask the responder that the server's own certificate names whether it is
    /// good, and send its signed answer to clients in the handshake (they need not ask the CA
    /// themselves). The issuer's certificate must follow the server's in `tls_cert`.
    pub tls_ocsp_stapling: bool,
    /// Document exchange: the hub API of another deployment that plays the exchange hub
    /// (`https://.../api/docflow/hub`, or an LGSP gateway path leading there). Unset: this
    /// deployment is the hub of its own agencies.
    pub docflow_hub_url: Option<String>,
    /// `X-Road-Client` sent with hub calls when `docflow_hub_url` is a gateway path.
    pub docflow_hub_client: Option<String>,
    /// OAuth2 client credentials for the hub calls, at this token endpoint.
    pub docflow_hub_token_url: Option<String>,
    pub docflow_hub_client_id: Option<String>,
    pub docflow_hub_client_secret: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            public_url: None,
            data_dir: PathBuf::from("./tinhso-data"),
            database_url: None,
            db_max_connections: 16,
            admin_token: None,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            max_body_bytes: 16 * 1024 * 1024,
            request_timeout_secs: 30,
            province_name: "Tỉnh Số".into(),
            login_attempts_per_minute: 30,
            external_idp_issuer: None,
            external_idp_client_id: None,
            external_idp_client_secret: None,
            external_idp_name: "VNeID".into(),
            smtp_url: None,
            mail_from: "Tinh So <no-reply@tinhso.invalid>".into(),
            sms_url: None,
            sms_token: None,
            outbox_poll_ms: 500,
            lgsp_seal_secs: 5,
            lgsp_room: None,
            lgsp_retention_days: None,
            lgsp_archive_dir: None,
            lgsp_archive_check_secs: 3600,
            tls_cert: None,
            tls_key: None,
            tls_client_ca: None,
            tls_client_crl: None,
            tls_client_ocsp: false,
            tls_client_ocsp_url: None,
            tls_client_ocsp_max_age_secs: 300,
            tls_ocsp_stapling: false,
            docflow_hub_url: None,
            docflow_hub_client: None,
            docflow_hub_token_url: None,
            docflow_hub_client_id: None,
            docflow_hub_client_secret: None,
        }
    }
}

/// The settings' names, as keys of `tinhso.toml` and (upper case) of `TINHSO_*` variables.
const SETTINGS: [&str; 39] = [
    "listen",
    "public_url",
    "data_dir",
    "database_url",
    "db_max_connections",
    "admin_token",
    "log_format",
    "log_level",
    "max_body_bytes",
    "request_timeout_secs",
    "province_name",
    "login_attempts_per_minute",
    "external_idp_issuer",
    "external_idp_client_id",
    "external_idp_client_secret",
    "external_idp_name",
    "smtp_url",
    "mail_from",
    "sms_url",
    "sms_token",
    "outbox_poll_ms",
    "lgsp_seal_secs",
    "lgsp_room",
    "lgsp_retention_days",
    "lgsp_archive_dir",
    "lgsp_archive_check_secs",
    "tls_cert",
    "tls_key",
    "tls_client_ca",
    "tls_client_crl",
    "tls_client_ocsp",
    "tls_client_ocsp_url",
    "tls_client_ocsp_max_age_secs",
    "tls_ocsp_stapling",
    "docflow_hub_url",
    "docflow_hub_client",
    "docflow_hub_token_url",
    "docflow_hub_client_id",
    "docflow_hub_client_secret",
];

impl Config {
    /// Loads defaults, then the TOML file (`path`, or `tinhso.toml` in the working directory
    /// when it exists), then `TINHSO_*` variables (`TINHSO_DATABASE_URL`, `TINHSO_LISTEN`...).
    pub fn load(path: Option<&Path>) -> Result<Config, String> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        match path {
            Some(p) => {
                if !p.exists() {
                    return Err(format!("config file {} does not exist", p.display()));
                }
                fig = fig.merge(Toml::file_exact(p));
            }
            None => {
                if Path::new("tinhso.toml").exists() {
                    fig = fig.merge(Toml::file_exact("tinhso.toml"));
                }
            }
        }
        // Only the settings themselves: other TINHSO_* variables (test and tool settings) are not config.
        fig = fig.merge(Env::prefixed("TINHSO_").only(&SETTINGS));
        fig.extract().map_err(|e| format!("configuration error: {e}"))
    }

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(u) => u.clone(),
            None => format!("sqlite://{}", self.data_dir.join("tinhso.db").display()),
        }
    }

    /// Where the LGSP message log's archive files go.
    pub fn lgsp_archive_dir(&self) -> PathBuf {
        self.lgsp_archive_dir.clone().unwrap_or_else(|| self.data_dir.join("lgsp-archive"))
    }

    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_file() {
        let c = Config::default();
        assert_eq!(c.database_url(), "sqlite://./tinhso-data/tinhso.db");
        assert_eq!(c.public_url(), "http://127.0.0.1:8080");
    }

    #[test]
    fn file_values_override_defaults_and_unknown_keys_are_errors() {
        let dir = std::env::temp_dir().join(format!("tinhso-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("t.toml");
        std::fs::write(&f, "listen = \"127.0.0.1:9999\"\nprovince_name = \"Tỉnh Thử\"\n").unwrap();
        let c = Config::load(Some(&f)).unwrap();
        assert_eq!(c.listen, "127.0.0.1:9999");
        assert_eq!(c.province_name, "Tỉnh Thử");
        std::fs::write(&f, "lisen = 1\n").unwrap();
        assert!(Config::load(Some(&f)).unwrap_err().contains("lisen"));
        assert!(Config::load(Some(&dir.join("missing.toml"))).is_err());
        std::fs::write(&f, "listen = \"127.0.0.1:9999\"\n").unwrap();
        // Unrelated TINHSO_* variables (tools, tests) do not stop the server from starting.
        unsafe { std::env::set_var("TINHSO_SOMETHING_ELSE", "x") };
        assert!(Config::load(Some(&f)).is_ok());
    }
}
