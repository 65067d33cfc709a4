//! The invented demo province, tỉnh Thái An: its units before and after the 1 July 2025 reform,
//! its People's Committee and departments, its communes and wards, and its procedures.

use kernel::Result;

use crate::Catalog;
use crate::model::agency::AgencyInput;
use crate::model::registry::RegistryInput;
use crate::model::unit::UnitInput;

pub const DEMO_PROVINCE_NAME: &str = "Tỉnh Thái An";
pub const DEMO_PROVINCE_AGENCY: &str = "000.00.00.H99";
const SUFFIX: &str = "H99";

fn unit(code: &str, name: &str, kind: &str, parent: Option<&str>, from: Option<&str>, to: Option<&str>, merged: Option<&str>) -> UnitInput {
    UnitInput {
        code: code.into(),
        name: name.into(),
        name_en: None,
        kind: kind.into(),
        parent_code: parent.map(Into::into),
        valid_from: from.map(Into::into),
        valid_to: to.map(Into::into),
        merged_into_code: merged.map(Into::into),
    }
}

const REFORM_END: Option<&str> = Some("2025-06-30");
const REFORM_START: Option<&str> = Some("2025-07-01");

/// Today's communes and wards: (code, name, kind, agency suffix).
const NEW_COMMUNES: [(&str, &str, &str, &str); 9] = [
    ("99001", "Phường Thái An", "ward", "51"),
    ("99002", "Phường Hòa Bình", "ward", "52"),
    ("99003", "Phường Bình Minh", "ward", "53"),
    ("99004", "Xã Đông Sơn", "commune", "54"),
    ("99005", "Xã Tây Hà", "commune", "55"),
    ("99006", "Xã Sông Cầu", "commune", "56"),
    ("99007", "Xã Phú Lộc", "commune", "57"),
    ("99008", "Xã An Khánh", "commune", "58"),
    ("99009", "Xã Hải Đảo", "commune", "59"),
];

fn units() -> Vec<UnitInput> {
    let mut u = vec![unit("99", DEMO_PROVINCE_NAME, "province", None, None, None, None)];
    // The three-tier structure before 1 July 2025.
    for (code, name, kind) in [
        ("990", "Thành phố Thái An", "provincial_city"),
        ("991", "Huyện Đông Sơn", "district"),
        ("992", "Huyện Tây Hà", "district"),
        ("993", "Thị xã Bình Minh", "town"),
    ] {
        u.push(unit(code, name, kind, Some("99"), None, REFORM_END, None));
    }
    let old: [(&str, &str, &str, &str, &str); 18] = [
        ("99101", "Phường Trung Tâm", "ward", "990", "99001"),
        ("99102", "Phường Bắc Sơn", "ward", "990", "99001"),
        ("99103", "Phường Nam Hà", "ward", "990", "99002"),
        ("99104", "Xã Hòa Bình", "commune", "990", "99002"),
        ("99111", "Thị trấn Đông Sơn", "township", "991", "99004"),
        ("99112", "Xã Đông Hưng", "commune", "991", "99004"),
        ("99113", "Xã Đông Phong", "commune", "991", "99006"),
        ("99114", "Xã Sông Cầu", "commune", "991", "99006"),
        ("99121", "Thị trấn Tây Hà", "township", "992", "99005"),
        ("99122", "Xã Tây Lộc", "commune", "992", "99005"),
        ("99123", "Xã Phú Lộc", "commune", "992", "99007"),
        ("99124", "Xã Phú Thịnh", "commune", "992", "99007"),
        ("99125", "Xã An Khánh", "commune", "992", "99008"),
        ("99131", "Phường Bình Minh", "ward", "993", "99003"),
        ("99132", "Phường Bình An", "ward", "993", "99003"),
        ("99133", "Xã Bình Phú", "commune", "993", "99008"),
        ("99134", "Xã Hải Đảo", "commune", "993", "99009"),
        ("99135", "Xã Hải Bình", "commune", "993", "99009"),
    ];
    for (code, name, kind, parent, into) in old {
        u.push(unit(code, name, kind, Some(parent), None, REFORM_END, Some(into)));
    }
    for (code, name, kind, _) in NEW_COMMUNES {
        u.push(unit(code, name, kind, Some("99"), REFORM_START, None, None));
    }
    u
}

fn agency(code: &str, name: &str, short: Option<&str>, parent: Option<&str>, level: &str, unit: &str) -> AgencyInput {
    let n = code.split('.').nth(2).unwrap_or("00").parse::<u32>().unwrap_or(0);
    AgencyInput {
        code: code.into(),
        qcvn_code: Some(code.into()),
        name: name.into(),
        name_en: None,
        short_name: short.map(Into::into),
        parent_code: parent.map(Into::into),
        level: level.into(),
        unit_code: Some(unit.into()),
        address: Some(format!("Số {} đường Trần Hưng Đạo, phường Thái An, tỉnh Thái An", 10 + n * 2)),
        phone: Some(format!("0299 3{:06}", 820_000 + n * 11)),
        email: Some(format!("vanthu{n}@thaian.gov.vn")),
        website: Some("https://thaian.gov.vn".into()),
        working_week: None,
        active: Some(true),
    }
}

fn agencies() -> Vec<AgencyInput> {
    let p = Some(DEMO_PROVINCE_AGENCY);
    let mut a = vec![agency(DEMO_PROVINCE_AGENCY, "Ủy ban nhân dân tỉnh Thái An", Some("UBND"), None, "province", "99")];
    let departments: [(&str, &str, &str); 20] = [
        ("10", "Trung tâm Phục vụ hành chính công tỉnh", "TTPVHCC"),
        ("11", "Văn phòng Ủy ban nhân dân tỉnh", "VP"),
        ("12", "Sở Nội vụ", "SNV"),
        ("13", "Sở Tư pháp", "STP"),
        ("14", "Sở Tài chính", "STC"),
        ("15", "Sở Công Thương", "SCT"),
        ("16", "Sở Nông nghiệp và Môi trường", "SNNMT"),
        ("17", "Sở Xây dựng", "SXD"),
        ("18", "Sở Y tế", "SYT"),
        ("19", "Sở Giáo dục và Đào tạo", "SGDĐT"),
        ("20", "Sở Văn hóa, Thể thao và Du lịch", "SVHTTDL"),
        ("21", "Sở Khoa học và Công nghệ", "SKHCN"),
        ("22", "Sở Dân tộc và Tôn giáo", "SDTTG"),
        ("23", "Thanh tra tỉnh", "TTr"),
        ("24", "Ban Quản lý các khu công nghiệp", "BQLKCN"),
        ("25", "Sở Ngoại vụ", "SNgV"),
        ("26", "Ban Quản lý dự án đầu tư xây dựng tỉnh", "BQLDA"),
        ("27", "Đài Phát thanh và Truyền hình tỉnh", "PTTH"),
        ("28", "Văn phòng Đoàn đại biểu Quốc hội và Hội đồng nhân dân tỉnh", "VPĐĐBQH"),
        ("29", "Quỹ Đầu tư phát triển tỉnh", "QĐTPT"),
    ];
    for (n, name, short) in departments {
        let level = if n == "10" { "unit" } else { "department" };
        a.push(agency(&format!("000.00.{n}.{SUFFIX}"), name, Some(short), p, level, "99"));
    }
    let units: [(&str, &str, &str); 5] = [
        ("000.01.13.H99", "Phòng Hành chính tư pháp", "000.00.13.H99"),
        ("000.01.14.H99", "Phòng Đăng ký kinh doanh", "000.00.14.H99"),
        ("000.01.16.H99", "Văn phòng Đăng ký đất đai", "000.00.16.H99"),
        ("000.01.17.H99", "Phòng Quản lý vận tải, phương tiện và người lái", "000.00.17.H99"),
        ("000.01.12.H99", "Trung tâm Dịch vụ việc làm", "000.00.12.H99"),
    ];
    for (code, name, parent) in units {
        a.push(agency(code, name, None, Some(parent), "unit", "99"));
    }
    for (code, name, _, n) in NEW_COMMUNES {
        let mut c = agency(&format!("000.00.{n}.{SUFFIX}"), &format!("Ủy ban nhân dân {}", lower_first(name)), None, p, "commune", code);
        if n == "51" {
            // The largest ward's one-stop unit also receives on Saturday mornings.
            c.working_week = Some(serde_json::to_value(kernel::calendar::WorkingWeek::with_saturday_morning()).unwrap_or_default());
        }
        a.push(c);
    }
    // District People's Committees, kept for dossiers and reports before July 2025.
    for (n, name, unit) in [
        ("41", "Ủy ban nhân dân thành phố Thái An", "990"),
        ("42", "Ủy ban nhân dân huyện Đông Sơn", "991"),
        ("43", "Ủy ban nhân dân huyện Tây Hà", "992"),
        ("44", "Ủy ban nhân dân thị xã Bình Minh", "993"),
    ] {
        let mut d = agency(&format!("000.00.{n}.{SUFFIX}"), name, None, p, "district", unit);
        d.active = Some(false);
        a.push(d);
    }
    a
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Codes of the commune/ward People's Committees that take commune-level procedures.
pub fn commune_agency_codes() -> Vec<String> {
    NEW_COMMUNES.iter().map(|(_, _, _, n)| format!("000.00.{n}.{SUFFIX}")).collect()
}

/// Seeds the demo province. Safe to run on a database that already has it: units and
/// agencies are updated, procedures are created only when missing.
pub async fn demo(c: &Catalog) -> Result<()> {
    super::system(c).await?;
    c.upsert_units(&units()).await?;
    c.upsert_agencies(&agencies()).await?;
    let mut missing = Vec::new();
    for p in super::demo_procedures(SUFFIX, &commune_agency_codes()) {
        if crate::store::procedures::find(&c.db, &p.code).await?.is_none() {
            missing.push(p);
        }
    }
    if !missing.is_empty() {
        c.create_procedures(&missing, false).await?;
    }
    let year = kernel::time::today_vn().year();
    for y in year - 1..=year + 1 {
        c.seed_holidays(y).await?;
    }
    c.define_registry(&RegistryInput {
        name: "ho-kinh-doanh".into(),
        version: "1.0".into(),
        title: "Sổ đăng ký hộ kinh doanh".into(),
        description: Some("Hộ kinh doanh đã đăng ký trên địa bàn tỉnh (dữ liệu mẫu)".into()),
        schema: serde_json::json!({
            "type": "object",
            "required": ["ID", "TenHo", "ChuHo"],
            "properties": {
                "ID": {"type": "string", "title": "Mã số hộ kinh doanh"},
                "TenHo": {"type": "string", "title": "Tên hộ kinh doanh"},
                "ChuHo": {"type": "string", "title": "Chủ hộ"},
                "SoDinhDanh": {"type": "string", "title": "Số định danh chủ hộ", "pattern": "^[0-9]{12}$"},
                "DiaChi": {"type": "string", "title": "Địa chỉ kinh doanh"},
                "NganhNghe": {"type": "string", "title": "Ngành nghề"}
            }
        }),
        id_field: Some("ID".into()),
        personal_field: Some("SoDinhDanh".into()),
    })
    .await?;
    Ok(())
}
