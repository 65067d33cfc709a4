//! Signing in and out, sessions, passwords and the second factor.

use kernel::authz::Principal;
use kernel::{Error, Result};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::{Identity, LOCKOUT_MS, MAX_FAILURES, SESSION_IDLE_MS, bad_credentials};
use crate::model::{AccountKind, AccountStatus};
use crate::store::{accounts, audit, sessions};

/// What a successful sign-in gives: the cookie value (shown once) and the session.
pub struct LoginOutcome {
    pub token: String,
    pub session_id: String,
    pub csrf: String,
    pub principal: Principal,
}

/// A session as its owner sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionInfo {
    pub id: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub mfa: bool,
    pub current: bool,
}

pub fn token_hash(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

impl Identity {
    /// Checks a password (and the second factor when the account has one) and opens a
    /// session. Wrong passwords count towards a lockout; every outcome is audited.
    pub async fn login(
        &self,
        login: &str,
        password: &str,
        totp: Option<&str>,
        ip: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<LoginOutcome> {
        let ip_key = ip.unwrap_or("-");
        if !self.rate_ok(ip_key) {
            self.audit("login.rate_limited", None, None, ip, json!({"login": login})).await?;
            return Err(Error::Conflict(
                "quá nhiều lần đăng nhập, vui lòng thử lại sau một phút (too many attempts; try again in a minute)".into(),
            ));
        }
        let login = login.trim();
        let now = kernel::time::now_ms();
        let Some(c) = accounts::credentials(&self.db, login).await? else {
            // Spend the same time as a real check.
            crate::password::verify(password, crate::password::dummy_hash());
            self.audit("login.failed", None, None, ip, json!({"login": login, "reason": "unknown login"})).await?;
            return Err(bad_credentials());
        };
        if let Some(until) = c.locked_until.filter(|u| *u > now) {
            self.audit("login.locked", Some(&c.id), None, ip, json!({"until": kernel::time::rfc3339_vn(until)})).await?;
            let t = kernel::time::vn_datetime(until);
            return Err(Error::Forbidden(format!(
                "tài khoản tạm khóa do nhập sai nhiều lần, thử lại sau {:02}:{:02} (account locked after repeated failures; try again after {:02}:{:02})",
                t.hour(),
                t.minute(),
                t.hour(),
                t.minute()
            )));
        }
        if !crate::password::verify(password, &c.password_hash) {
            let failed = c.failed_logins + 1;
            let locked = (failed >= MAX_FAILURES).then_some(now + LOCKOUT_MS);
            accounts::record_failure(&self.db, &c.id, if locked.is_some() { 0 } else { failed }, locked).await?;
            self.audit("login.failed", Some(&c.id), None, ip, json!({"reason": "wrong password", "failures": failed})).await?;
            if locked.is_some() {
                self.audit("account.locked", Some(&c.id), None, ip, json!({"minutes": LOCKOUT_MS / 60_000})).await?;
            }
            return Err(bad_credentials());
        }
        if c.status == AccountStatus::Disabled {
            self.audit("login.failed", Some(&c.id), None, ip, json!({"reason": "disabled"})).await?;
            return Err(Error::Forbidden("tài khoản đã bị vô hiệu hóa (the account is disabled)".into()));
        }
        let mfa = match (&c.totp_secret, totp.map(str::trim).filter(|t| !t.is_empty())) {
            (None, _) => false,
            (Some(_), None) => {
                return Err(Error::invalid(
                    "totp",
                    "nhập mã xác thực 6 chữ số từ ứng dụng (enter the 6-digit code from your authenticator app)",
                ));
            }
            (Some(secret), Some(code)) => {
                if !crate::totp::verify(secret, code, crate::totp::now_secs()) {
                    let failed = c.failed_logins + 1;
                    accounts::record_failure(&self.db, &c.id, failed, (failed >= MAX_FAILURES).then_some(now + LOCKOUT_MS)).await?;
                    self.audit("login.failed", Some(&c.id), None, ip, json!({"reason": "wrong second factor"})).await?;
                    return Err(Error::invalid("totp", "mã xác thực không đúng (wrong code)"));
                }
                true
            }
        };
        accounts::record_success(&self.db, &c.id).await?;
        self.open_session(&c.id, mfa, ip, user_agent, c.kind.as_str()).await
    }

    /// Opens a session for an account that has proved who it is.
    pub async fn open_session(
        &self,
        account_id: &str,
        mfa: bool,
        ip: Option<&str>,
        user_agent: Option<&str>,
        how: &str,
    ) -> Result<LoginOutcome> {
        let now = kernel::time::now_ms();
        let token = kernel::id::random_token(32);
        let csrf = kernel::id::random_token(16);
        let session_id = sessions::insert(
            &self.db,
            &token_hash(&token),
            account_id,
            &csrf,
            mfa,
            user_agent.map(|u| &u[..u.len().min(300)]),
            ip,
            now + SESSION_IDLE_MS,
        )
        .await?;
        self.audit("login.succeeded", Some(account_id), None, ip, json!({"session": session_id, "mfa": mfa, "via": how})).await?;
        let principal = self.principal(account_id, mfa).await?;
        Ok(LoginOutcome { token, session_id, csrf, principal })
    }

    /// The principal behind a session cookie, with the session id and anti-forgery token.
    pub async fn session(&self, token: &str) -> Result<Option<(Principal, String, String)>> {
        let now = kernel::time::now_ms();
        let Some(s) = sessions::live(&self.db, &token_hash(token), now).await? else {
            return Ok(None);
        };
        sessions::touch(&self.db, &s.id, now, now + SESSION_IDLE_MS).await?;
        let p = self.principal(&s.account_id, s.mfa).await?;
        Ok(Some((p, s.id, s.csrf_token)))
    }

    pub async fn sessions(&self, account_id: &str, current: Option<&str>) -> Result<Vec<SessionInfo>> {
        Ok(sessions::of_account(&self.db, account_id, kernel::time::now_ms())
            .await?
            .into_iter()
            .map(|s| SessionInfo {
                current: current == Some(s.id.as_str()),
                id: s.id,
                created_at: kernel::time::rfc3339_vn(s.created_at),
                last_seen_at: kernel::time::rfc3339_vn(s.last_seen_at),
                user_agent: s.user_agent,
                ip: s.ip,
                mfa: s.mfa,
            })
            .collect())
    }

    pub async fn logout(&self, account_id: &str, session_id: &str, ip: Option<&str>) -> Result<()> {
        if !sessions::revoke(&self.db, account_id, session_id).await? {
            return Err(Error::not_found(format!("phiên {session_id}")));
        }
        self.audit("session.revoked", Some(account_id), Some(account_id), ip, json!({"session": session_id})).await
    }

    /// Signs the account out everywhere.
    pub async fn logout_everywhere(&self, account_id: &str, ip: Option<&str>) -> Result<u64> {
        let n = sessions::revoke_all(&self.db, account_id).await?;
        self.audit("session.revoked_all", Some(account_id), Some(account_id), ip, json!({"sessions": n})).await?;
        Ok(n)
    }

    pub async fn change_password(&self, p: &Principal, current: &str, new: &str, ip: Option<&str>) -> Result<()> {
        let a = self.account(&p.id).await?;
        let c = accounts::credentials(&self.db, &a.login).await?.ok_or_else(|| Error::not_found("tài khoản"))?;
        if !crate::password::verify(current, &c.password_hash) {
            return Err(Error::invalid("current_password", "mật khẩu hiện tại không đúng (wrong current password)"));
        }
        if let Some(w) = crate::password::weakness(new, &a.login) {
            return Err(Error::invalid("new_password", w));
        }
        accounts::set_password(&self.db, &a.id, &crate::password::hash(new)?).await?;
        self.audit("password.changed", Some(&a.id), Some(&a.id), ip, json!({})).await
    }

    /// Starts second-factor enrolment: a new secret, stored only when confirmed.
    pub fn totp_offer(&self, login: &str) -> (String, String) {
        let secret = crate::totp::new_secret();
        let uri = crate::totp::uri(&secret, login, "Tỉnh Số");
        (secret, uri)
    }

    /// Turns the second factor on once the person proves their app has the secret; the
    /// current session counts as verified from then on.
    pub async fn totp_enable(&self, p: &Principal, secret: &str, code: &str, session_id: Option<&str>, ip: Option<&str>) -> Result<()> {
        if p.kind != kernel::authz::PrincipalKind::Official
            && p.kind != kernel::authz::PrincipalKind::Citizen
            && p.kind != kernel::authz::PrincipalKind::Business
        {
            return Err(Error::Forbidden("chỉ tài khoản người dùng có xác thực hai lớp (only user accounts have a second factor)".into()));
        }
        if !crate::totp::verify(secret, code, crate::totp::now_secs()) {
            return Err(Error::invalid("code", "mã xác thực không đúng (wrong code)"));
        }
        kernel::db::q("UPDATE accounts SET totp_secret = $1, updated_at = $2 WHERE id = $3")
            .bind(secret)
            .bind(kernel::time::now_ms())
            .bind(&p.id)
            .execute(&self.db)
            .await?;
        if let Some(s) = session_id {
            kernel::db::q("UPDATE sessions SET mfa = TRUE WHERE id = $1 AND account_id = $2").bind(s).bind(&p.id).execute(&self.db).await?;
        }
        self.audit("mfa.enabled", Some(&p.id), Some(&p.id), ip, json!({})).await
    }

    /// Whether `p`'s account must use a second factor (it holds approval or admin roles).
    pub fn needs_mfa(p: &Principal) -> bool {
        p.grants.iter().any(|g| g.role.needs_second_factor())
    }

    pub async fn audit_events_of(&self, account_id: &str) -> Result<Vec<audit::SecurityEvent>> {
        Ok(audit::query(&self.db, None, Some(account_id), 0, 50).await?.0)
    }

    pub fn kind_of(p: &Principal) -> AccountKind {
        match p.kind {
            kernel::authz::PrincipalKind::Business => AccountKind::Business,
            kernel::authz::PrincipalKind::Official => AccountKind::Official,
            _ => AccountKind::Citizen,
        }
    }
}
