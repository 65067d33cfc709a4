//! Proving an e-mail address or phone number (a six-digit code sent there), password reset (a
//! link sent to the account's address), and profile changes. Codes and links are one-time,
//! expire, and only their SHA-256 is stored; a code allows a few wrong tries, then a new one
//! must be asked for. Asking for a reset never tells whether an account exists.

use kernel::authz::Principal;
use kernel::{Error, Result, Violations};
use notify::Channel;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::Identity;
use crate::model::Account;
use crate::store::{accounts, sessions};
use kernel::db::q;

pub const CODE_MINUTES: i64 = 15;
pub const RESET_MINUTES: i64 = 30;
/// Wrong codes accepted before the code is spent.
pub const CODE_TRIES: i64 = 5;
/// Codes or links one account may be sent per hour.
pub const SENDS_PER_HOUR: i64 = 5;

fn secret_hash(purpose: &str, account_id: &str, secret: &str) -> String {
    let d = Sha256::digest(format!("{purpose}:{account_id}:{secret}").as_bytes());
    data_encoding::HEXLOWER.encode(&d)
}

fn purpose_of(c: Channel) -> &'static str {
    match c {
        Channel::Email => "verify_email",
        Channel::Sms => "verify_phone",
    }
}

fn six_digits() -> String {
    use rand::Rng;
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

/// A profile change.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct ProfileInput {
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl Identity {
    async fn sent_last_hour(&self, account_id: &str) -> Result<i64> {
        q("SELECT COUNT(*) FROM verification_codes WHERE account_id = $1 AND created_at > $2")
            .bind(account_id)
            .bind(kernel::time::now_ms() - 3_600_000)
            .fetch_i64(&self.db)
            .await
    }

    /// Sends a code to the account's e-mail address or phone number.
    pub async fn send_verification(&self, p: &Principal, channel: Channel, lang: &str, ip: Option<&str>) -> Result<()> {
        let a = self.account(&p.id).await?;
        let (target, verified) = match channel {
            Channel::Email => (a.email.clone(), a.email_verified),
            Channel::Sms => (a.phone.clone(), a.phone_verified),
        };
        let field = if channel == Channel::Email { "email" } else { "phone" };
        let Some(target) = target else {
            return Err(Error::invalid(field, "tài khoản chưa có địa chỉ này (the account has no such address)"));
        };
        if verified {
            return Err(Error::conflict("địa chỉ này đã được xác minh (this address is already verified)"));
        }
        if self.sent_last_hour(&a.id).await? >= SENDS_PER_HOUR {
            return Err(Error::TooMany("đã gửi quá nhiều mã, hãy thử lại sau một giờ (too many codes sent; try again in an hour)".into()));
        }
        let code = six_digits();
        let purpose = purpose_of(channel);
        let now = kernel::time::now_ms();
        let mut tx = self.db.begin().await?;
        // A new code replaces the ones before it.
        q("UPDATE verification_codes SET used_at = $3 WHERE account_id = $1 AND purpose = $2 AND used_at IS NULL")
            .bind(a.id.as_str())
            .bind(purpose)
            .bind(now)
            .execute(&mut tx)
            .await?;
        q("INSERT INTO verification_codes (id, account_id, purpose, target, secret_hash, created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(kernel::id::new_id())
        .bind(a.id.as_str())
        .bind(purpose)
        .bind(target.as_str())
        .bind(secret_hash(purpose, &a.id, &code))
        .bind(now)
        .bind(now + CODE_MINUTES * 60_000)
        .execute(&mut tx)
        .await?;
        let vars = json!({"name": a.full_name, "code": code, "minutes": CODE_MINUTES});
        notify::queue(&mut tx, &notify::service::request(channel, &target, Some(&a.id), purpose, lang, vars)).await?;
        crate::store::audit::record(&mut tx, "verification.sent", Some(&a.id), Some(&a.id), ip, json!({"channel": channel.as_str()}))
            .await?;
        tx.commit().await
    }

    /// Checks a code; on success the address is verified.
    pub async fn confirm_verification(&self, p: &Principal, channel: Channel, code: &str, ip: Option<&str>) -> Result<Account> {
        let purpose = purpose_of(channel);
        let now = kernel::time::now_ms();
        let mut tx = self.db.begin().await?;
        let row = q("SELECT id, target, secret_hash, attempts FROM verification_codes
                     WHERE account_id = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
                     ORDER BY created_at DESC LIMIT 1")
        .bind(p.id.as_str())
        .bind(purpose)
        .bind(now)
        .fetch_optional(&mut tx)
        .await?;
        let Some(row) = row else {
            return Err(Error::invalid(
                "code",
                "mã đã hết hạn hoặc chưa được gửi; hãy yêu cầu mã mới (the code expired or was not sent; ask for a new one)",
            ));
        };
        let id = row.text("id")?;
        let given = code.trim();
        let ok = web::auth::constant_time_eq(secret_hash(purpose, &p.id, given).as_bytes(), row.text("secret_hash")?.as_bytes());
        if !ok {
            let tries = row.int("attempts")? + 1;
            let spent = tries >= CODE_TRIES;
            q("UPDATE verification_codes SET attempts = $2, used_at = $3 WHERE id = $1")
                .bind(id.as_str())
                .bind(tries)
                .bind(spent.then_some(now))
                .execute(&mut tx)
                .await?;
            crate::store::audit::record(&mut tx, "verification.failed", Some(&p.id), Some(&p.id), ip, json!({"channel": channel.as_str()}))
                .await?;
            tx.commit().await?;
            let msg = if spent {
                "mã sai quá số lần cho phép; hãy yêu cầu mã mới (too many wrong codes; ask for a new one)"
            } else {
                "mã không đúng (wrong code)"
            };
            return Err(Error::invalid("code", msg));
        }
        q("UPDATE verification_codes SET used_at = $2 WHERE id = $1").bind(id.as_str()).bind(now).execute(&mut tx).await?;
        let target = row.text("target")?;
        if !accounts::set_verified(&mut tx, &p.id, channel == Channel::Sms, &target).await? {
            return Err(Error::conflict("địa chỉ đã đổi sau khi gửi mã; hãy yêu cầu mã mới (the address changed after the code was sent)"));
        }
        crate::store::audit::record(&mut tx, "verification.confirmed", Some(&p.id), Some(&p.id), ip, json!({"channel": channel.as_str()}))
            .await?;
        tx.commit().await?;
        self.account(&p.id).await
    }

    /// Changes the account's e-mail address and phone number (at least one stays).
    pub async fn update_profile(&self, p: &Principal, input: &ProfileInput, ip: Option<&str>) -> Result<Account> {
        let a = self.account(&p.id).await?;
        let mut v = Violations::new();
        let (email, phone) = crate::model::contact(&mut v, &input.email, &input.phone, a.kind != crate::model::AccountKind::Official);
        if !v.is_empty() {
            return Err(Error::Invalid(v.0));
        }
        let mut tx = self.db.begin().await?;
        match accounts::set_contact(&mut tx, &a.id, email.as_deref(), phone.as_deref()).await {
            Err(e) if e.is_unique_violation() => {
                return Err(Error::conflict("thư điện tử này đã dùng cho tài khoản khác (this e-mail address belongs to another account)"));
            }
            other => other?,
        }
        crate::store::audit::record(
            &mut tx,
            "profile.changed",
            Some(&a.id),
            Some(&a.id),
            ip,
            json!({"email_changed": email != a.email, "phone_changed": phone != a.phone}),
        )
        .await?;
        tx.commit().await?;
        self.account(&a.id).await
    }

    /// Sends a reset link to the account named by login, e-mail or phone, if there is one.
    /// Always succeeds as far as the caller can tell.
    pub async fn request_password_reset(&self, who: &str, lang: &str, ip: Option<&str>) -> Result<()> {
        if !self.rate_ok(ip.unwrap_or("-")) {
            return Err(Error::TooMany("quá nhiều yêu cầu, hãy thử lại sau (too many requests, try again later)".into()));
        }
        let who = who.trim();
        if who.is_empty() || who.len() > 200 {
            return Err(Error::invalid("login", "nhập tên đăng nhập, thư điện tử hoặc số điện thoại (enter a login, e-mail or phone)"));
        }
        let Some(a) = accounts::find_for_reset(&self.db, who).await? else {
            self.audit("password.reset_unknown", None, None, ip, json!({})).await?;
            return Ok(());
        };
        // The verified address first; else any the account has.
        let (channel, to) = match (&a.email, a.email_verified, &a.phone, a.phone_verified) {
            (Some(e), true, _, _) => (Channel::Email, e.clone()),
            (_, _, Some(ph), true) => (Channel::Sms, ph.clone()),
            (Some(e), _, _, _) => (Channel::Email, e.clone()),
            (_, _, Some(ph), _) => (Channel::Sms, ph.clone()),
            _ => {
                self.audit("password.reset_no_address", Some(&a.id), None, ip, json!({})).await?;
                return Ok(());
            }
        };
        if self.sent_last_hour(&a.id).await? >= SENDS_PER_HOUR {
            self.audit("password.reset_throttled", Some(&a.id), None, ip, json!({})).await?;
            return Ok(());
        }
        let token = kernel::id::random_token(24);
        let now = kernel::time::now_ms();
        let mut tx = self.db.begin().await?;
        q("UPDATE verification_codes SET used_at = $2 WHERE account_id = $1 AND purpose = 'password_reset' AND used_at IS NULL")
            .bind(a.id.as_str())
            .bind(now)
            .execute(&mut tx)
            .await?;
        q("INSERT INTO verification_codes (id, account_id, purpose, target, secret_hash, created_at, expires_at)
           VALUES ($1, $2, 'password_reset', $3, $4, $5, $6)")
        .bind(kernel::id::new_id())
        .bind(a.id.as_str())
        .bind(to.as_str())
        .bind(secret_hash("password_reset", "", &token))
        .bind(now)
        .bind(now + RESET_MINUTES * 60_000)
        .execute(&mut tx)
        .await?;
        let link = format!("{}/password/reset?token={token}", self.issuer);
        let template = if channel == Channel::Email { "password_reset" } else { "password_reset_sms" };
        let vars = json!({"name": a.full_name, "login": a.login, "link": link, "minutes": RESET_MINUTES});
        notify::queue(&mut tx, &notify::service::request(channel, &to, Some(&a.id), template, lang, vars)).await?;
        crate::store::audit::record(&mut tx, "password.reset_requested", Some(&a.id), None, ip, json!({"channel": channel.as_str()}))
            .await?;
        tx.commit().await
    }

    /// True when `token` is a reset link still usable (to show the form or a clear message).
    pub async fn reset_token_valid(&self, token: &str) -> Result<bool> {
        Ok(q("SELECT COUNT(*) FROM verification_codes WHERE secret_hash = $1 AND purpose = 'password_reset' AND used_at IS NULL AND expires_at > $2")
            .bind(secret_hash("password_reset", "", token.trim()))
            .bind(kernel::time::now_ms())
            .fetch_i64(&self.db)
            .await?
            == 1)
    }

    /// Sets a new password with a reset link: the link is spent, the lockout cleared, every
    /// session signed out, and the address the link went to counts as verified.
    pub async fn reset_password(&self, token: &str, new_password: &str, ip: Option<&str>) -> Result<()> {
        let now = kernel::time::now_ms();
        let mut tx = self.db.begin().await?;
        let row = q("UPDATE verification_codes SET used_at = $2
                     WHERE secret_hash = $1 AND purpose = 'password_reset' AND used_at IS NULL AND expires_at > $2
                     RETURNING account_id, target")
        .bind(secret_hash("password_reset", "", token.trim()))
        .bind(now)
        .fetch_optional(&mut tx)
        .await?;
        let Some(row) = row else {
            return Err(Error::invalid(
                "token",
                "liên kết đặt lại mật khẩu không đúng, đã dùng hoặc đã hết hạn (the reset link is wrong, used or expired)",
            ));
        };
        let account_id = row.text("account_id")?;
        let a = accounts::get(&mut tx, &account_id).await?;
        if let Some(w) = crate::password::weakness(new_password, &a.login) {
            return Err(Error::invalid("password", w));
        }
        accounts::set_password(&mut tx, &a.id, &crate::password::hash(new_password)?).await?;
        accounts::record_success(&mut tx, &a.id).await?;
        let target = row.text("target")?;
        let by_phone = a.phone.as_deref() == Some(target.as_str()) && a.email.as_deref() != Some(target.as_str());
        accounts::set_verified(&mut tx, &a.id, by_phone, &target).await?;
        let n = sessions::revoke_all(&mut tx, &a.id).await?;
        crate::store::audit::record(&mut tx, "password.reset", Some(&a.id), Some(&a.id), ip, json!({"sessions_revoked": n})).await?;
        tx.commit().await
    }
}
