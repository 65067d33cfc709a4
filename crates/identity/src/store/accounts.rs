//! Accounts, representatives and role grants.

use kernel::db::{Ex, Row, Where, q};
use kernel::{Error, Result};

use crate::model::{Account, AccountKind, AccountStatus, NewAccount, RoleGrant};

/// What sign-in needs about an account.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub id: String,
    pub kind: AccountKind,
    pub status: AccountStatus,
    pub password_hash: String,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
    pub totp_secret: Option<String>,
}

pub async fn insert<'e>(
    ex: impl Into<Ex<'e>>,
    a: &NewAccount,
    password_hash: &str,
    agency_id: Option<&str>,
    status: AccountStatus,
) -> Result<String> {
    let mut ex = ex.into();
    let id = kernel::id::new_id();
    let now = kernel::time::now_ms();
    q("INSERT INTO accounts (id, kind, login, full_name, email, phone, citizen_id, tax_code, business_name, agency_id, position,
         password_hash, status, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)")
    .bind(&id)
    .bind(a.kind.as_str())
    .bind(&a.login)
    .bind(&a.full_name)
    .bind(a.email.clone())
    .bind(a.phone.clone())
    .bind(a.citizen_id.as_ref().map(|c| c.to_string()))
    .bind(a.tax_code.as_ref().map(|c| c.to_string()))
    .bind(a.business_name.clone())
    .bind(agency_id)
    .bind(a.position.clone())
    .bind(password_hash)
    .bind(status.as_str())
    .bind(now)
    .execute(ex.reborrow())
    .await?;
    for (cid, name, pos) in &a.representatives {
        q("INSERT INTO business_representatives (business_id, citizen_id, full_name, position) VALUES ($1, $2, $3, $4)")
            .bind(&id)
            .bind(cid.as_str())
            .bind(name)
            .bind(pos.clone())
            .execute(ex.reborrow())
            .await?;
    }
    Ok(id)
}

pub async fn credentials<'e>(ex: impl Into<Ex<'e>>, login: &str) -> Result<Option<Credentials>> {
    let row = q("SELECT id, kind, status, password_hash, failed_logins, locked_until, totp_secret FROM accounts WHERE login = $1")
        .bind(login)
        .fetch_optional(ex)
        .await?;
    row.map(|r| {
        Ok(Credentials {
            id: r.text("id")?,
            kind: AccountKind::parse(&r.text("kind")?).ok_or_else(|| Error::internal("bad account kind"))?,
            status: AccountStatus::parse(&r.text("status")?),
            password_hash: r.text("password_hash")?,
            failed_logins: r.int("failed_logins")?,
            locked_until: r.opt_int("locked_until")?,
            totp_secret: r.opt_text("totp_secret")?,
        })
    })
    .transpose()
}

pub async fn record_failure<'e>(ex: impl Into<Ex<'e>>, id: &str, failed: i64, locked_until: Option<i64>) -> Result<()> {
    q("UPDATE accounts SET failed_logins = $1, locked_until = $2, updated_at = $3 WHERE id = $4")
        .bind(failed)
        .bind(locked_until)
        .bind(kernel::time::now_ms())
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn record_success<'e>(ex: impl Into<Ex<'e>>, id: &str) -> Result<()> {
    q("UPDATE accounts SET failed_logins = 0, locked_until = NULL WHERE id = $1").bind(id).execute(ex).await?;
    Ok(())
}

pub async fn set_status<'e>(ex: impl Into<Ex<'e>>, id: &str, status: AccountStatus) -> Result<()> {
    q("UPDATE accounts SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(kernel::time::now_ms())
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn set_password<'e>(ex: impl Into<Ex<'e>>, id: &str, hash: &str) -> Result<()> {
    q("UPDATE accounts SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(kernel::time::now_ms())
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

const SELECT: &str =
    "SELECT a.id, a.kind, a.login, a.full_name, a.email, a.phone, a.email_verified, a.phone_verified, a.citizen_id, a.tax_code,
    a.business_name, a.position, a.status, a.totp_secret, g.code AS agency_code FROM accounts a LEFT JOIN agencies g ON g.id = a.agency_id";

fn from_row(r: &Row) -> Result<Account> {
    Ok(Account {
        id: r.text("id")?,
        kind: AccountKind::parse(&r.text("kind")?).ok_or_else(|| Error::internal("bad account kind"))?,
        login: r.text("login")?,
        full_name: r.text("full_name")?,
        email: r.opt_text("email")?,
        phone: r.opt_text("phone")?,
        email_verified: r.bool("email_verified")?,
        phone_verified: r.bool("phone_verified")?,
        citizen_id: r.opt_text("citizen_id")?,
        tax_code: r.opt_text("tax_code")?,
        business_name: r.opt_text("business_name")?,
        agency_code: r.opt_text("agency_code")?,
        position: r.opt_text("position")?,
        status: AccountStatus::parse(&r.text("status")?),
        mfa_enabled: r.opt_text("totp_secret")?.is_some(),
        roles: Vec::new(),
    })
}

pub async fn get<'e>(ex: impl Into<Ex<'e>>, id: &str) -> Result<Account> {
    let mut ex = ex.into();
    let row = q(format!("{SELECT} WHERE a.id = $1")).bind(id).fetch_optional(ex.reborrow()).await?;
    let mut a = from_row(&row.ok_or_else(|| Error::not_found(format!("tài khoản {id}")))?)?;
    a.roles = grants(ex.reborrow(), id).await?;
    Ok(a)
}

/// Officials, optionally of a set of agencies (by id), with their roles.
pub async fn officials<'e>(ex: impl Into<Ex<'e>>, agency_ids: Option<&[String]>, offset: i64, limit: i64) -> Result<(Vec<Account>, i64)> {
    let mut ex = ex.into();
    let mut w = Where::new();
    w.and("a.kind = 'official'");
    if let Some(ids) = agency_ids {
        if ids.is_empty() {
            return Ok((vec![], 0));
        }
        let ps: Vec<String> = ids.iter().map(|i| w.arg(i.as_str())).collect();
        w.and(format!("a.agency_id IN ({})", ps.join(", ")));
    }
    let total = w.query(format!("SELECT COUNT(*) FROM accounts a{}", w.sql())).fetch_i64(ex.reborrow()).await?;
    let rows = w.query(format!("{SELECT}{} ORDER BY a.login LIMIT {limit} OFFSET {offset}", w.sql())).fetch_all(ex.reborrow()).await?;
    let mut out = Vec::new();
    for r in &rows {
        let mut a = from_row(r)?;
        a.roles = grants(ex.reborrow(), &a.id).await?;
        out.push(a);
    }
    Ok((out, total))
}

/// Raw grants of an account: (id, role, agency id, agency code, include children).
pub async fn grant_rows<'e>(ex: impl Into<Ex<'e>>, account_id: &str) -> Result<Vec<(String, String, String, String, bool)>> {
    let rows = q("SELECT r.id, r.role, r.agency_id, g.code, r.include_children FROM role_grants r JOIN agencies g ON g.id = r.agency_id
                  WHERE r.account_id = $1 ORDER BY g.code, r.role")
    .bind(account_id)
    .fetch_all(ex)
    .await?;
    rows.iter().map(|r| Ok((r.text("id")?, r.text("role")?, r.text("agency_id")?, r.text("code")?, r.bool("include_children")?))).collect()
}

pub async fn grants<'e>(ex: impl Into<Ex<'e>>, account_id: &str) -> Result<Vec<RoleGrant>> {
    Ok(grant_rows(ex, account_id)
        .await?
        .into_iter()
        .map(|(id, role, _, agency_code, include_children)| RoleGrant { id, role, agency_code, include_children })
        .collect())
}

pub async fn add_grant<'e>(
    ex: impl Into<Ex<'e>>,
    account_id: &str,
    role: &str,
    agency_id: &str,
    include_children: bool,
    by: &str,
) -> Result<String> {
    let id = kernel::id::new_id();
    q("INSERT INTO role_grants (id, account_id, role, agency_id, include_children, granted_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (account_id, role, agency_id) DO UPDATE SET include_children = excluded.include_children")
    .bind(&id)
    .bind(account_id)
    .bind(role)
    .bind(agency_id)
    .bind(include_children)
    .bind(by)
    .bind(kernel::time::now_ms())
    .execute(ex)
    .await?;
    Ok(id)
}

/// Removes a grant; returns (role, agency id) of what was removed.
pub async fn remove_grant<'e>(ex: impl Into<Ex<'e>>, account_id: &str, grant_id: &str) -> Result<(String, String)> {
    let mut ex = ex.into();
    let row = q("SELECT role, agency_id FROM role_grants WHERE id = $1 AND account_id = $2")
        .bind(grant_id)
        .bind(account_id)
        .fetch_optional(ex.reborrow())
        .await?;
    let row = row.ok_or_else(|| Error::not_found(format!("vai trò {grant_id}")))?;
    q("DELETE FROM role_grants WHERE id = $1").bind(grant_id).execute(ex.reborrow()).await?;
    Ok((row.text("role")?, row.text("agency_id")?))
}

/// Changes contact details; a changed address is no longer verified.
pub async fn set_contact<'e>(ex: impl Into<Ex<'e>>, id: &str, email: Option<&str>, phone: Option<&str>) -> Result<()> {
    q("UPDATE accounts SET
         email_verified = CASE WHEN email IS NOT DISTINCT FROM $2 THEN email_verified ELSE FALSE END,
         phone_verified = CASE WHEN phone IS NOT DISTINCT FROM $3 THEN phone_verified ELSE FALSE END,
         email = $2, phone = $3, updated_at = $4
       WHERE id = $1")
    .bind(id)
    .bind(email.map(str::to_owned))
    .bind(phone.map(str::to_owned))
    .bind(kernel::time::now_ms())
    .execute(ex)
    .await?;
    Ok(())
}

/// Marks the e-mail address or phone number verified, if it is still `target`.
pub async fn set_verified<'e>(ex: impl Into<Ex<'e>>, id: &str, phone: bool, target: &str) -> Result<bool> {
    let sql = if phone {
        "UPDATE accounts SET phone_verified = TRUE WHERE id = $1 AND phone = $2"
    } else {
        "UPDATE accounts SET email_verified = TRUE WHERE id = $1 AND email = $2"
    };
    Ok(q(sql).bind(id).bind(target).execute(ex).await? == 1)
}

/// The account someone names when they forgot their password: by login, e-mail or phone.
pub async fn find_for_reset<'e>(ex: impl Into<Ex<'e>>, who: &str) -> Result<Option<Account>> {
    let mut ex = ex.into();
    let row =
        q(format!("{SELECT} WHERE a.status = 'active' AND (a.login = $1 OR a.email = $2 OR a.phone = $1) ORDER BY a.created_at LIMIT 1"))
            .bind(who)
            .bind(who.to_lowercase())
            .fetch_optional(ex.reborrow())
            .await?;
    row.as_ref().map(from_row).transpose()
}
