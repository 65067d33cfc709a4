//! Registration, officials and their roles.

use kernel::authz::{Permission, Principal, Role};
use kernel::{Error, Result};
use serde_json::json;

use super::Identity;
use crate::model::{Account, AccountStatus, BusinessRegistration, CitizenRegistration, GrantInput, NewAccount, OfficialInput};
use crate::store::{accounts, sessions};

impl Identity {
    async fn create(&self, a: NewAccount, agency_id: Option<String>, actor: &str, ip: Option<&str>) -> Result<Account> {
        let hash = crate::password::hash(&a.password)?;
        let mut tx = self.db.begin().await?;
        let id = match accounts::insert(&mut tx, &a, &hash, agency_id.as_deref(), AccountStatus::Active).await {
            Err(e) if e.is_unique_violation() => {
                return Err(Error::conflict(
                    "tài khoản với số định danh, mã số thuế, tên đăng nhập hoặc thư điện tử này đã có (an account with this number, login or e-mail exists)",
                ));
            }
            other => other?,
        };
        crate::store::audit::record(
            &mut tx,
            "account.created",
            Some(&id),
            Some(actor),
            ip,
            json!({"kind": a.kind.as_str(), "login": a.login}),
        )
        .await?;
        tx.commit().await?;
        self.account(&id).await
    }

    pub async fn register_citizen(&self, input: &CitizenRegistration, ip: Option<&str>) -> Result<Account> {
        let a = input.validate().map_err(|v| Error::Invalid(v.0))?;
        self.create(a, None, "self-registration", ip).await
    }

    pub async fn register_business(&self, input: &BusinessRegistration, ip: Option<&str>) -> Result<Account> {
        let a = input.validate().map_err(|v| Error::Invalid(v.0))?;
        self.create(a, None, "self-registration", ip).await
    }

    /// Creates an official at an agency; `by` must manage officials there.
    pub async fn create_official(&self, by: &Principal, input: &OfficialInput) -> Result<Account> {
        let a = input.validate().map_err(|v| Error::Invalid(v.0))?;
        let code = a.agency_code.as_ref().map(|c| c.to_string()).unwrap_or_default();
        let agency_id = catalog::store::agencies::find_id(&self.db, &code)
            .await?
            .ok_or_else(|| Error::invalid("agency_code", format!("không có cơ quan {code} (no agency with this code)")))?;
        if !by.allows(Permission::OfficialsManage, Some(&agency_id)) {
            return Err(Error::Forbidden(
                "không có quyền quản lý cán bộ của cơ quan này (not allowed to manage this agency's officials)".into(),
            ));
        }
        self.create(a, Some(agency_id), &by.id, None).await
    }

    /// Officials visible to `by`: all for provincial administrators, else those of the
    /// agencies `by` manages.
    pub async fn officials(&self, by: &Principal, offset: i64, limit: i64) -> Result<(Vec<Account>, i64)> {
        match by.agencies_with(Permission::OfficialsManage) {
            None => accounts::officials(&self.db, None, offset, limit).await,
            Some(set) => {
                let ids: Vec<String> = set.into_iter().collect();
                accounts::officials(&self.db, Some(&ids), offset, limit).await
            }
        }
    }

    async fn managed_official(&self, by: &Principal, account_id: &str) -> Result<Account> {
        let a = self.account(account_id).await?;
        let agency_id = match &a.agency_code {
            Some(c) => catalog::store::agencies::find_id(&self.db, c).await?,
            None => None,
        };
        match agency_id {
            Some(id) if by.allows(Permission::OfficialsManage, Some(&id)) => Ok(a),
            // Not telling people outside the scope whether the account exists.
            _ => Err(Error::not_found(format!("cán bộ {account_id}"))),
        }
    }

    /// Grants a role. Agency administrators grant agency roles within their own scope;
    /// province-wide roles (provincial administrator, auditor) only provincial administrators.
    pub async fn grant(&self, by: &Principal, account_id: &str, input: &GrantInput) -> Result<Account> {
        let (role, code) = input.validate().map_err(|v| Error::Invalid(v.0))?;
        let a = self.managed_official(by, account_id).await?;
        let agency_id = catalog::store::agencies::find_id(&self.db, code.as_str())
            .await?
            .ok_or_else(|| Error::invalid("agency_code", format!("không có cơ quan {code} (no agency with this code)")))?;
        if !by.allows(Permission::OfficialsManage, Some(&agency_id)) {
            return Err(Error::Forbidden("không có quyền cấp vai trò tại cơ quan này (not allowed to grant roles at this agency)".into()));
        }
        if role.province_wide() && !by.allows(Permission::CatalogManage, None) {
            return Err(Error::Forbidden(
                "chỉ quản trị cấp tỉnh cấp được vai trò này (only provincial administrators grant this role)".into(),
            ));
        }
        let mut tx = self.db.begin().await?;
        accounts::add_grant(&mut tx, &a.id, role.as_str(), &agency_id, input.include_children, &by.id).await?;
        crate::store::audit::record(
            &mut tx,
            "role.granted",
            Some(&a.id),
            Some(&by.id),
            None,
            json!({"role": role.as_str(), "agency": code.to_string(), "include_children": input.include_children}),
        )
        .await?;
        tx.commit().await?;
        self.account(&a.id).await
    }

    pub async fn revoke_grant(&self, by: &Principal, account_id: &str, grant_id: &str) -> Result<Account> {
        let a = self.managed_official(by, account_id).await?;
        let mut tx = self.db.begin().await?;
        let (role, agency_id) = accounts::remove_grant(&mut tx, &a.id, grant_id).await?;
        if !by.allows(Permission::OfficialsManage, Some(&agency_id))
            || (Role::parse(&role).is_some_and(Role::province_wide) && !by.allows(Permission::CatalogManage, None))
        {
            return Err(Error::Forbidden("không có quyền thu hồi vai trò này (not allowed to revoke this role)".into()));
        }
        crate::store::audit::record(&mut tx, "role.revoked", Some(&a.id), Some(&by.id), None, json!({"role": role, "grant": grant_id}))
            .await?;
        // Rights change now: sessions are signed out so the next sign-in carries the new roles.
        sessions::revoke_all(&mut tx, &a.id).await?;
        tx.commit().await?;
        self.account(&a.id).await
    }

    pub async fn set_account_status(&self, by: &Principal, account_id: &str, status: AccountStatus) -> Result<Account> {
        let a = self.managed_official(by, account_id).await?;
        let mut tx = self.db.begin().await?;
        accounts::set_status(&mut tx, &a.id, status).await?;
        if status == AccountStatus::Disabled {
            sessions::revoke_all(&mut tx, &a.id).await?;
        }
        crate::store::audit::record(&mut tx, "account.status", Some(&a.id), Some(&by.id), None, json!({"status": status.as_str()})).await?;
        tx.commit().await?;
        self.account(&a.id).await
    }
}
