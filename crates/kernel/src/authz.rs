//! The authorization policy every component calls (deny by default).
//!
//! Officials hold roles at an agency, optionally also covering the agencies below it; each
//! role is a fixed set of permissions. A [`Principal`] carries its grants with the agencies
//! they cover already expanded (the identity component resolves the agency tree when it loads
//! a session or token), so checking a permission is pure and cheap: [`Principal::allows`].

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// What one may do. Components check these, never role names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Edit shared catalogs: units, agencies, code lists, holidays, procedures, registries.
    CatalogManage,
    /// Read registries that hold personal data.
    RegistryReadPersonal,
    /// Create officials and grant roles within one's scope.
    OfficialsManage,
    /// Register and change OpenID Connect clients.
    ClientsManage,
    /// Read the security audit log.
    AuditRead,
    /// See an agency's dossiers and documents.
    DossierView,
    /// Receive dossiers at the counter or online, and return results (tiếp nhận, trả kết quả).
    DossierReceive,
    /// Handle a dossier (thụ lý).
    DossierProcess,
    /// Review a specialist's work (lãnh đạo phòng).
    DossierReview,
    /// Approve and sign a result or an apology (lãnh đạo cơ quan).
    DossierApprove,
    /// Number, stamp and dispatch documents (văn thư).
    DocumentNumber,
    /// Collect fees (thu phí, lệ phí).
    FeeCollect,
    /// See statistics and dashboards.
    ReportsView,
}

/// Roles of a one-stop unit and of administration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Cán bộ tiếp nhận và trả kết quả.
    ReceptionOfficer,
    /// Chuyên viên thụ lý.
    Specialist,
    /// Lãnh đạo phòng.
    DepartmentHead,
    /// Lãnh đạo cơ quan.
    AgencyLeader,
    /// Văn thư.
    Clerk,
    /// Cán bộ thu phí, lệ phí.
    Cashier,
    /// Quản trị cơ quan.
    AgencyAdmin,
    /// Quản trị cấp tỉnh.
    ProvincialAdmin,
    /// Thanh tra, kiểm tra.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::ReceptionOfficer,
        Role::Specialist,
        Role::DepartmentHead,
        Role::AgencyLeader,
        Role::Clerk,
        Role::Cashier,
        Role::AgencyAdmin,
        Role::ProvincialAdmin,
        Role::Auditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::ReceptionOfficer => "reception_officer",
            Role::Specialist => "specialist",
            Role::DepartmentHead => "department_head",
            Role::AgencyLeader => "agency_leader",
            Role::Clerk => "clerk",
            Role::Cashier => "cashier",
            Role::AgencyAdmin => "agency_admin",
            Role::ProvincialAdmin => "provincial_admin",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (Role::ReceptionOfficer, false) => "Cán bộ tiếp nhận và trả kết quả",
            (Role::Specialist, false) => "Chuyên viên thụ lý",
            (Role::DepartmentHead, false) => "Lãnh đạo phòng",
            (Role::AgencyLeader, false) => "Lãnh đạo cơ quan",
            (Role::Clerk, false) => "Văn thư",
            (Role::Cashier, false) => "Cán bộ thu phí",
            (Role::AgencyAdmin, false) => "Quản trị cơ quan",
            (Role::ProvincialAdmin, false) => "Quản trị cấp tỉnh",
            (Role::Auditor, false) => "Thanh tra, kiểm tra",
            (Role::ReceptionOfficer, true) => "Reception officer",
            (Role::Specialist, true) => "Specialist",
            (Role::DepartmentHead, true) => "Department head",
            (Role::AgencyLeader, true) => "Agency leader",
            (Role::Clerk, true) => "Clerk",
            (Role::Cashier, true) => "Cashier",
            (Role::AgencyAdmin, true) => "Agency administrator",
            (Role::ProvincialAdmin, true) => "Provincial administrator",
            (Role::Auditor, true) => "Auditor",
        }
    }

    /// The permissions the role gives, within the agencies its grant covers.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::ReceptionOfficer => &[DossierView, DossierReceive],
            Role::Specialist => &[DossierView, DossierProcess],
            Role::DepartmentHead => &[DossierView, DossierReview, DossierApprove, ReportsView],
            Role::AgencyLeader => &[DossierView, DossierApprove, ReportsView],
            Role::Clerk => &[DossierView, DocumentNumber],
            Role::Cashier => &[DossierView, FeeCollect],
            Role::AgencyAdmin => &[OfficialsManage],
            Role::ProvincialAdmin => &[CatalogManage, RegistryReadPersonal, OfficialsManage, ClientsManage, AuditRead, ReportsView],
            Role::Auditor => &[AuditRead, DossierView, ReportsView],
        }
    }

    /// Roles that act for the whole province whatever agency they are granted at.
    pub fn province_wide(self) -> bool {
        matches!(self, Role::ProvincialAdmin | Role::Auditor)
    }

    /// Roles whose holders must use a second factor (approval or administration rights).
    pub fn needs_second_factor(self) -> bool {
        matches!(self, Role::DepartmentHead | Role::AgencyLeader | Role::AgencyAdmin | Role::ProvincialAdmin)
    }
}

/// A role held at an agency, with the agencies it covers (the agency itself, and its
/// descendants when the grant includes children).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    pub agency_id: String,
    pub include_children: bool,
    /// Agency ids covered, filled in by the identity component.
    pub covers: BTreeSet<String>,
}

/// What kind of caller this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    Citizen,
    Business,
    Official,
    /// A system calling with client credentials.
    System,
    /// The deployment's bootstrap administrator token.
    Bootstrap,
}

/// An authenticated caller.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Principal {
    pub kind: PrincipalKind,
    /// Account id, or the client id for systems, or `bootstrap`.
    pub id: String,
    pub name: String,
    /// Personal identification number of a citizen (or of a business's representative).
    pub citizen_id: Option<String>,
    pub tax_code: Option<String>,
    /// The official's own agency.
    pub agency_id: Option<String>,
    pub grants: Vec<Grant>,
    /// True when this session passed a second factor.
    pub mfa: bool,
}

impl Principal {
    /// The bootstrap administrator: provincial administration rights everywhere.
    pub fn bootstrap() -> Principal {
        Principal {
            kind: PrincipalKind::Bootstrap,
            id: "bootstrap".into(),
            name: "Bootstrap administrator".into(),
            citizen_id: None,
            tax_code: None,
            agency_id: None,
            grants: vec![Grant { role: Role::ProvincialAdmin, agency_id: String::new(), include_children: true, covers: BTreeSet::new() }],
            mfa: true,
        }
    }

    /// True when the principal may do `perm` at `agency_id`, or anywhere when `None` is asked
    /// (then only province-wide roles qualify). Grants from roles that need a second factor
    /// count only when the session passed one.
    pub fn allows(&self, perm: Permission, agency_id: Option<&str>) -> bool {
        self.grants.iter().any(|g| {
            if !g.role.permissions().contains(&perm) {
                return false;
            }
            if g.role.needs_second_factor() && !self.mfa {
                return false;
            }
            if g.role.province_wide() {
                return true;
            }
            match agency_id {
                Some(a) => g.covers.contains(a),
                None => false,
            }
        })
    }

    /// Agencies where the principal has `perm` (for filtering lists); `None` means all.
    pub fn agencies_with(&self, perm: Permission) -> Option<BTreeSet<String>> {
        let mut out = BTreeSet::new();
        for g in &self.grants {
            if !g.role.permissions().contains(&perm) || (g.role.needs_second_factor() && !self.mfa) {
                continue;
            }
            if g.role.province_wide() {
                return None;
            }
            out.extend(g.covers.iter().cloned());
        }
        Some(out)
    }

    pub fn is_official(&self) -> bool {
        self.kind == PrincipalKind::Official
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn official(role: Role, covers: &[&str], mfa: bool) -> Principal {
        Principal {
            kind: PrincipalKind::Official,
            id: "u".into(),
            name: "U".into(),
            citizen_id: None,
            tax_code: None,
            agency_id: Some(covers[0].into()),
            grants: vec![Grant {
                role,
                agency_id: covers[0].into(),
                include_children: covers.len() > 1,
                covers: covers.iter().map(|s| s.to_string()).collect(),
            }],
            mfa,
        }
    }

    #[test]
    fn permissions_are_scoped_to_the_agencies_a_grant_covers() {
        let p = official(Role::ReceptionOfficer, &["A"], false);
        assert!(p.allows(Permission::DossierReceive, Some("A")));
        assert!(!p.allows(Permission::DossierReceive, Some("B")), "agency A's officer acts for B");
        assert!(!p.allows(Permission::DossierApprove, Some("A")), "a reception officer approves");
        assert!(!p.allows(Permission::DossierReceive, None));
    }

    #[test]
    fn grants_with_children_cover_sub_agencies() {
        let p = official(Role::Specialist, &["A", "A1", "A2"], false);
        assert!(p.allows(Permission::DossierProcess, Some("A2")));
        assert_eq!(p.agencies_with(Permission::DossierView).unwrap().len(), 3);
    }

    #[test]
    fn approval_rights_need_a_second_factor() {
        let without = official(Role::AgencyLeader, &["A"], false);
        assert!(!without.allows(Permission::DossierApprove, Some("A")));
        let with = official(Role::AgencyLeader, &["A"], true);
        assert!(with.allows(Permission::DossierApprove, Some("A")));
    }

    #[test]
    fn provincial_roles_act_everywhere_and_deny_the_rest() {
        let admin = official(Role::ProvincialAdmin, &["P"], true);
        assert!(admin.allows(Permission::CatalogManage, None));
        assert!(admin.allows(Permission::OfficialsManage, Some("anything")));
        assert!(!admin.allows(Permission::DossierApprove, Some("P")));
        let auditor = official(Role::Auditor, &["P"], false);
        assert!(auditor.allows(Permission::AuditRead, None));
        assert!(!auditor.allows(Permission::CatalogManage, None));
        assert!(Principal::bootstrap().allows(Permission::CatalogManage, None));
    }

    #[test]
    fn every_role_has_a_name_that_parses_back() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert!(!r.permissions().is_empty());
        }
    }
}
