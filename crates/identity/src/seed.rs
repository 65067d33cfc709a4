//! Demo accounts for `tinhso demo`: officials in every role at two agencies (the Department
//! of Justice and a ward), a provincial administrator and an auditor, citizens and businesses.
//! Every demo account has the same password, printed at start; officials whose roles need a
//! second factor have a fixed demo TOTP secret, also printed.

use kernel::Result;

use crate::Identity;
use crate::model::{BusinessRegistration, CitizenRegistration, OfficialInput, Representative};

pub const DEMO_PASSWORD: &str = "ThaiAn@2026";
/// Demo second-factor secret (base32) for the officials who need one.
pub const DEMO_TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// (login, name, agency, role, include children)
pub const DEMO_OFFICIALS: &[(&str, &str, &str, &str, bool)] = &[
    ("tiepnhan.stp", "Trần Thị Tiếp", "000.00.13.H99", "reception_officer", false),
    ("chuyenvien.stp", "Lê Văn Thụ", "000.00.13.H99", "specialist", true),
    ("truongphong.stp", "Phạm Thị Phòng", "000.00.13.H99", "department_head", true),
    ("lanhdao.stp", "Hoàng Văn Đạo", "000.00.13.H99", "agency_leader", true),
    ("vanthu.stp", "Vũ Thị Thư", "000.00.13.H99", "clerk", false),
    ("thuphi.stp", "Đỗ Văn Phí", "000.00.13.H99", "cashier", false),
    ("quantri.stp", "Ngô Thị Trị", "000.00.13.H99", "agency_admin", true),
    ("tiepnhan.pta", "Bùi Văn Nhận", "000.00.51.H99", "reception_officer", false),
    ("chuyenvien.pta", "Đặng Thị Lý", "000.00.51.H99", "specialist", false),
    ("truongphong.pta", "Đinh Văn Trưởng", "000.00.51.H99", "department_head", false),
    ("lanhdao.pta", "Lý Thị Lãnh", "000.00.51.H99", "agency_leader", false),
    ("vanthu.pta", "Mai Văn Văn", "000.00.51.H99", "clerk", false),
    ("thuphi.pta", "Cao Thị Thu", "000.00.51.H99", "cashier", false),
    ("quantri.pta", "Trịnh Văn Quản", "000.00.51.H99", "agency_admin", false),
    ("quantri.tinh", "Phan Thị Tỉnh", "000.00.00.H99", "provincial_admin", false),
    ("thanhtra.tinh", "Tô Văn Tra", "000.00.23.H99", "auditor", false),
];

/// (personal number, name, e-mail)
pub const DEMO_CITIZENS: &[(&str, &str, &str)] = &[
    ("001090012345", "Nguyễn Văn An", "an.nguyen@example.vn"),
    ("079185004321", "Trần Thị Bình", "binh.tran@example.vn"),
    ("094300001122", "Lê Hoàng Châu", "chau.le@example.vn"),
];

/// (tax code, business name, representative's number and name)
pub const DEMO_BUSINESSES: &[(&str, &str, &str, &str)] = &[
    ("0100109106", "Công ty TNHH Thương mại Thái An", "001090012345", "Nguyễn Văn An"),
    ("0101245486", "Công ty Cổ phần Xây dựng Sông Cầu", "079185004321", "Trần Thị Bình"),
];

/// Creates the demo accounts that are missing.
pub async fn demo(id: &Identity) -> Result<()> {
    let boot = kernel::authz::Principal::bootstrap();
    for (login, name, agency, role, children) in DEMO_OFFICIALS {
        if crate::store::accounts::credentials(&id.db, login).await?.is_some() {
            continue;
        }
        let a = id
            .create_official(
                &boot,
                &OfficialInput {
                    login: login.to_string(),
                    full_name: name.to_string(),
                    agency_code: agency.to_string(),
                    position: None,
                    email: Some(format!("{login}@thaian.gov.vn")),
                    phone: None,
                    citizen_id: None,
                    password: DEMO_PASSWORD.into(),
                },
            )
            .await?;
        id.grant(
            &boot,
            &a.id,
            &crate::model::GrantInput { role: role.to_string(), agency_code: agency.to_string(), include_children: *children },
        )
        .await?;
        if kernel::authz::Role::parse(role).is_some_and(kernel::authz::Role::needs_second_factor) {
            kernel::db::q("UPDATE accounts SET totp_secret = $1 WHERE id = $2").bind(DEMO_TOTP_SECRET).bind(&a.id).execute(&id.db).await?;
        }
    }
    for (cid, name, email) in DEMO_CITIZENS {
        if crate::store::accounts::credentials(&id.db, cid).await?.is_none() {
            id.register_citizen(
                &CitizenRegistration {
                    citizen_id: cid.to_string(),
                    full_name: name.to_string(),
                    email: Some(email.to_string()),
                    phone: None,
                    password: DEMO_PASSWORD.into(),
                },
                None,
            )
            .await?;
        }
    }
    for (tax, name, rep, rep_name) in DEMO_BUSINESSES {
        if crate::store::accounts::credentials(&id.db, tax).await?.is_none() {
            id.register_business(
                &BusinessRegistration {
                    tax_code: tax.to_string(),
                    business_name: name.to_string(),
                    email: Some(format!("lienhe@{}.example.vn", tax)),
                    phone: None,
                    password: DEMO_PASSWORD.into(),
                    representatives: vec![Representative {
                        citizen_id: rep.to_string(),
                        full_name: rep_name.to_string(),
                        position: Some("Giám đốc".into()),
                    }],
                },
                None,
            )
            .await?;
        }
    }
    Ok(())
}

/// Lines describing the demo accounts, for `tinhso demo` to print.
pub fn describe() -> Vec<String> {
    let mut out = vec![format!(
        "demo accounts (password {DEMO_PASSWORD}; second factor for leaders and administrators: TOTP secret {DEMO_TOTP_SECRET}):"
    )];
    for (login, name, agency, role, _) in DEMO_OFFICIALS {
        out.push(format!("    {login:<17} {role:<18} {agency}  {name}"));
    }
    for (cid, name, _) in DEMO_CITIZENS {
        out.push(format!("    {cid:<17} citizen            {name}"));
    }
    for (tax, name, _, _) in DEMO_BUSINESSES {
        out.push(format!("    {tax:<17} business           {name}"));
    }
    out
}
