//! Accounts and what registration and administration send, with their rules.

use kernel::Violations;
use kernel::authz::Role;
use kernel::codes::{AgencyCode, CitizenId, TaxCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Citizen,
    Business,
    Official,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Citizen => "citizen",
            AccountKind::Business => "business",
            AccountKind::Official => "official",
        }
    }

    pub fn parse(s: &str) -> Option<AccountKind> {
        [AccountKind::Citizen, AccountKind::Business, AccountKind::Official].into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Registered; the contact address is not verified yet.
    Pending,
    Active,
    Disabled,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Pending => "pending",
            AccountStatus::Active => "active",
            AccountStatus::Disabled => "disabled",
        }
    }

    pub fn parse(s: &str) -> AccountStatus {
        match s {
            "active" => AccountStatus::Active,
            "disabled" => AccountStatus::Disabled,
            _ => AccountStatus::Pending,
        }
    }
}

/// An account as it is shown (never with its password hash or second-factor secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Account {
    pub id: String,
    pub kind: AccountKind,
    /// What the person types to sign in: personal number, tax code or an official's username.
    pub login: String,
    pub full_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The person proved they read this address (a code sent there, or a reset link).
    pub email_verified: bool,
    pub phone_verified: bool,
    pub citizen_id: Option<String>,
    pub tax_code: Option<String>,
    pub business_name: Option<String>,
    pub agency_code: Option<String>,
    pub position: Option<String>,
    pub status: AccountStatus,
    pub mfa_enabled: bool,
    pub roles: Vec<RoleGrant>,
}

/// A role held at an agency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RoleGrant {
    pub id: String,
    pub role: String,
    pub agency_code: String,
    pub include_children: bool,
}

pub(crate) fn email_ok(e: &str) -> bool {
    match e.split_once('@') {
        Some((l, d)) => !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.') && !e.contains(char::is_whitespace),
        None => false,
    }
}

pub(crate) fn phone_ok(p: &str) -> bool {
    let digits: String = p.chars().filter(|c| c.is_ascii_digit()).collect();
    (9..=12).contains(&digits.len()) && p.chars().all(|c| c.is_ascii_digit() || " +().-".contains(c))
}

pub(crate) fn contact(
    v: &mut Violations,
    email: &Option<String>,
    phone: &Option<String>,
    required: bool,
) -> (Option<String>, Option<String>) {
    let email = email.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_lowercase);
    let phone = phone.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    if email.as_deref().is_some_and(|e| !email_ok(e)) {
        v.add("email", "địa chỉ thư điện tử không hợp lệ (invalid e-mail address)");
    }
    if phone.as_deref().is_some_and(|p| !phone_ok(p)) {
        v.add("phone", "số điện thoại không hợp lệ (invalid phone number)");
    }
    if required && email.is_none() && phone.is_none() {
        v.add("email", "cần thư điện tử hoặc số điện thoại (an e-mail address or a phone number is required)");
    }
    (email, phone)
}

fn name(v: &mut Violations, field: &str, s: &str) -> String {
    let t = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.chars().count() < 2 || t.chars().count() > 120 {
        v.add(field, "từ 2 đến 120 ký tự (2 to 120 characters)");
    }
    t
}

/// A citizen registering with their personal identification number.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CitizenRegistration {
    pub citizen_id: String,
    pub full_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password: String,
}

/// A validated new account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub kind: AccountKind,
    pub login: String,
    pub full_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub citizen_id: Option<CitizenId>,
    pub tax_code: Option<TaxCode>,
    pub business_name: Option<String>,
    pub agency_code: Option<AgencyCode>,
    pub position: Option<String>,
    pub password: String,
    pub representatives: Vec<(CitizenId, String, Option<String>)>,
}

impl CitizenRegistration {
    pub fn validate(&self) -> Result<NewAccount, Violations> {
        let mut v = Violations::new();
        let cid = v.check("citizen_id", CitizenId::parse(&self.citizen_id));
        let full_name = name(&mut v, "full_name", &self.full_name);
        let (email, phone) = contact(&mut v, &self.email, &self.phone, true);
        if let Some(w) = crate::password::weakness(&self.password, self.citizen_id.trim()) {
            v.add("password", w);
        }
        match (v.is_empty(), cid) {
            (true, Some(c)) => Ok(NewAccount {
                kind: AccountKind::Citizen,
                login: c.to_string(),
                full_name,
                email,
                phone,
                citizen_id: Some(c),
                tax_code: None,
                business_name: None,
                agency_code: None,
                position: None,
                password: self.password.clone(),
                representatives: vec![],
            }),
            _ => Err(v),
        }
    }
}

/// A representative of a business (người đại diện theo pháp luật / được ủy quyền).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct Representative {
    pub citizen_id: String,
    pub full_name: String,
    pub position: Option<String>,
}

/// A business registering with its tax code.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct BusinessRegistration {
    pub tax_code: String,
    pub business_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password: String,
    pub representatives: Vec<Representative>,
}

impl BusinessRegistration {
    pub fn validate(&self) -> Result<NewAccount, Violations> {
        let mut v = Violations::new();
        let tax = v.check("tax_code", TaxCode::parse(&self.tax_code));
        let business_name = name(&mut v, "business_name", &self.business_name);
        let (email, phone) = contact(&mut v, &self.email, &self.phone, true);
        if let Some(w) = crate::password::weakness(&self.password, self.tax_code.trim()) {
            v.add("password", w);
        }
        if self.representatives.is_empty() {
            v.add("representatives", "cần ít nhất một người đại diện (at least one representative)");
        }
        let mut reps = Vec::new();
        for (i, r) in self.representatives.iter().enumerate() {
            let c = v.check(&format!("representatives[{i}].citizen_id"), CitizenId::parse(&r.citizen_id));
            let n = name(&mut v, &format!("representatives[{i}].full_name"), &r.full_name);
            if let Some(c) = c {
                reps.push((c, n, r.position.clone()));
            }
        }
        match (v.is_empty(), tax) {
            (true, Some(t)) => Ok(NewAccount {
                kind: AccountKind::Business,
                login: t.to_string(),
                full_name: reps.first().map(|r| r.1.clone()).unwrap_or_default(),
                email,
                phone,
                citizen_id: None,
                tax_code: Some(t),
                business_name: Some(business_name),
                agency_code: None,
                position: None,
                password: self.password.clone(),
                representatives: reps,
            }),
            _ => Err(v),
        }
    }
}

/// An official created by an administrator.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct OfficialInput {
    /// Sign-in name: 3–40 lower-case letters, digits, '.', '_' or '-'.
    pub login: String,
    pub full_name: String,
    pub agency_code: String,
    pub position: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub citizen_id: Option<String>,
    /// Initial password; the official changes it after the first sign-in.
    pub password: String,
}

impl OfficialInput {
    pub fn validate(&self) -> Result<NewAccount, Violations> {
        let mut v = Violations::new();
        let login = self.login.trim().to_owned();
        if !(3..=40).contains(&login.len()) || !login.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)) {
            v.add("login", "3–40 ký tự thường, số, '.', '_', '-' (3–40 lower-case letters, digits, '.', '_', '-')");
        }
        let full_name = name(&mut v, "full_name", &self.full_name);
        let agency = v.check("agency_code", AgencyCode::parse(&self.agency_code));
        let (email, phone) = contact(&mut v, &self.email, &self.phone, false);
        let cid =
            self.citizen_id.as_deref().map(str::trim).filter(|s| !s.is_empty()).and_then(|c| v.check("citizen_id", CitizenId::parse(c)));
        if let Some(w) = crate::password::weakness(&self.password, &login) {
            v.add("password", w);
        }
        match (v.is_empty(), agency) {
            (true, Some(a)) => Ok(NewAccount {
                kind: AccountKind::Official,
                login,
                full_name,
                email,
                phone,
                citizen_id: cid,
                tax_code: None,
                business_name: None,
                agency_code: Some(a),
                position: self.position.clone().filter(|p| !p.trim().is_empty()),
                password: self.password.clone(),
                representatives: vec![],
            }),
            _ => Err(v),
        }
    }
}

/// A role to grant.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct GrantInput {
    /// reception_officer, specialist, department_head, agency_leader, clerk, cashier,
    /// agency_admin, provincial_admin or auditor.
    pub role: String,
    pub agency_code: String,
    #[serde(default)]
    pub include_children: bool,
}

impl GrantInput {
    pub fn validate(&self) -> Result<(Role, AgencyCode), Violations> {
        let mut v = Violations::new();
        let role = Role::parse(&self.role);
        if role.is_none() {
            v.add("role", format!("vai trò «{}» không có (unknown role)", self.role));
        }
        let agency = v.check("agency_code", AgencyCode::parse(&self.agency_code));
        match (v.is_empty(), role, agency) {
            (true, Some(r), Some(a)) => Ok((r, a)),
            _ => Err(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citizens_register_with_a_valid_number_and_a_contact() {
        let r = CitizenRegistration {
            citizen_id: "001090012345".into(),
            full_name: " Nguyễn  Văn A ".into(),
            email: Some("A@Example.vn".into()),
            phone: None,
            password: "Thai-An-2026!".into(),
        };
        let a = r.validate().unwrap();
        assert_eq!(a.login, "001090012345");
        assert_eq!(a.full_name, "Nguyễn Văn A");
        assert_eq!(a.email.as_deref(), Some("a@example.vn"));
        let bad = CitizenRegistration {
            citizen_id: "123".into(),
            full_name: "A".into(),
            email: None,
            phone: Some("12".into()),
            password: "x".into(),
        };
        let fields: Vec<String> = bad.validate().unwrap_err().0.into_iter().map(|f| f.field).collect();
        for f in ["citizen_id", "full_name", "phone", "password"] {
            assert!(fields.contains(&f.to_string()), "{f}: {fields:?}");
        }
    }

    #[test]
    fn businesses_need_a_valid_tax_code_and_a_representative() {
        let b = BusinessRegistration {
            tax_code: "0100109107".into(),
            business_name: "Công ty".into(),
            email: Some("x@y.vn".into()),
            phone: None,
            password: "Thai-An-2026!".into(),
            representatives: vec![],
        };
        let fields: Vec<String> = b.validate().unwrap_err().0.into_iter().map(|f| f.field).collect();
        assert!(fields.contains(&"tax_code".into()) && fields.contains(&"representatives".into()));
    }
}
