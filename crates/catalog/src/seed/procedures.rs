//! The demo province's procedures: ~60 real-style procedures across fields, with documents,
//! fees, legal times and e-forms. Names follow the national catalog; codes, fees and the rest
//! are the demo's own.

use kernel::money::Vnd;
use serde_json::{Value, json};

use super::procedure_rows::ROWS;
use crate::model::procedure::{Fee, LegalBasis, ProcedureBody, ProcedureInput, RequiredDocument};

/// Fields of procedures (lĩnh vực): code, Vietnamese, English.
pub const FIELDS: [(&str, &str, &str); 16] = [
    ("HT", "Hộ tịch", "Civil status"),
    ("CT", "Chứng thực", "Certification"),
    ("DN", "Thành lập và hoạt động của doanh nghiệp", "Enterprises"),
    ("HKD", "Hộ kinh doanh", "Household businesses"),
    ("DT", "Đầu tư", "Investment"),
    ("XD", "Xây dựng", "Construction"),
    ("DD", "Đất đai", "Land"),
    ("GT", "Giao thông đường bộ", "Road transport"),
    ("LD", "Lao động, việc làm", "Labour and employment"),
    ("BTXH", "Bảo trợ xã hội", "Social protection"),
    ("NCC", "Người có công", "Persons with meritorious services"),
    ("GD", "Giáo dục và đào tạo", "Education and training"),
    ("YT", "Y tế", "Health"),
    ("VH", "Văn hóa, thể thao và du lịch", "Culture, sports and tourism"),
    ("MT", "Môi trường", "Environment"),
    ("TP", "Lý lịch tư pháp", "Judicial records"),
];

/// One row of the compact table below.
pub(super) struct Row {
    pub(super) code: &'static str,
    pub(super) name: &'static str,
    pub(super) field: &'static str,
    pub(super) level: &'static str,
    pub(super) online: &'static str,
    pub(super) days: f64,
    pub(super) unit: &'static str,
    pub(super) fee: i64,
    /// Department code suffix (`13` → 000.00.13.H99) or `commune` for every commune.
    pub(super) agency: &'static str,
    pub(super) result: &'static str,
    /// Documents: `name|originals|copies`, separated by `;`.
    pub(super) docs: &'static str,
    pub(super) law: &'static str,
}

fn eform_for(field: &str) -> Value {
    let person = json!({
        "ho_ten": {"type": "string", "title": "Họ, chữ đệm và tên người yêu cầu", "minLength": 2, "maxLength": 100},
        "so_dinh_danh": {"type": "string", "title": "Số định danh cá nhân", "pattern": "^[0-9]{12}$"},
        "ngay_sinh": {"type": "string", "format": "date", "title": "Ngày sinh"},
        "dien_thoai": {"type": "string", "title": "Số điện thoại", "maxLength": 15},
        "dia_chi": {"type": "string", "title": "Nơi cư trú", "maxLength": 300}
    });
    let mut props = person.as_object().cloned().unwrap_or_default();
    let mut required = vec!["ho_ten", "so_dinh_danh"];
    match field {
        "HT" => {
            props.insert(
                "ho_ten_nguoi_duoc_dang_ky".into(),
                json!({"type": "string", "title": "Họ, chữ đệm và tên người được đăng ký", "minLength": 2}),
            );
            props.insert("gioi_tinh".into(), json!({"enum": ["Nam", "Nữ"], "title": "Giới tính"}));
            props.insert("dan_toc".into(), json!({"type": "string", "title": "Dân tộc"}));
            props.insert("quan_he".into(), json!({"type": "string", "title": "Quan hệ với người được đăng ký"}));
            required.push("ho_ten_nguoi_duoc_dang_ky");
        }
        "DN" | "HKD" | "DT" => {
            props.insert("ten_doanh_nghiep".into(), json!({"type": "string", "title": "Tên doanh nghiệp / hộ kinh doanh", "minLength": 3}));
            props.insert("nganh_nghe".into(), json!({"type": "string", "title": "Ngành, nghề kinh doanh"}));
            props.insert("von".into(), json!({"type": "integer", "title": "Vốn (đồng)", "minimum": 0}));
            required.push("ten_doanh_nghiep");
        }
        "XD" | "DD" => {
            props.insert("dia_chi_thua_dat".into(), json!({"type": "string", "title": "Địa chỉ thửa đất / công trình"}));
            props.insert("so_thua".into(), json!({"type": "string", "title": "Thửa đất số"}));
            props.insert("to_ban_do".into(), json!({"type": "string", "title": "Tờ bản đồ số"}));
            props.insert("dien_tich".into(), json!({"type": "number", "title": "Diện tích (m²)", "exclusiveMinimum": 0}));
            required.push("dia_chi_thua_dat");
        }
        _ => {
            props.insert("noi_dung".into(), json!({"type": "string", "title": "Nội dung đề nghị", "maxLength": 2000}));
        }
    }
    json!({"type": "object", "required": required, "properties": props})
}

/// The demo procedures, ready for [`crate::Catalog::create_procedures`]. `commune_codes` are
/// the agencies that take the commune-level ones.
pub fn demo_procedures(province_suffix: &str, commune_codes: &[String]) -> Vec<ProcedureInput> {
    ROWS.iter()
        .map(|r| {
            let documents = r
                .docs
                .split(';')
                .enumerate()
                .map(|(i, d)| {
                    let mut parts = d.split('|');
                    let name = parts.next().unwrap_or("").to_owned();
                    let originals = parts.next().and_then(|x| x.parse().ok()).unwrap_or(1);
                    let copies = parts.next().and_then(|x| x.parse().ok()).unwrap_or(0);
                    let template = name.starts_with("Tờ khai").then(|| format!("Mẫu {name}"));
                    RequiredDocument { code: format!("TP{}", i + 1), name, originals, copies, mandatory: true, template, note: None }
                })
                .collect();
            let agency_codes =
                if r.agency == "commune" { commune_codes.to_vec() } else { vec![format!("000.00.{}.{}", r.agency, province_suffix)] };
            let channels = match r.online {
                "none" => vec!["in_person".to_string(), "post".into()],
                _ => vec!["in_person".to_string(), "online".into(), "post".into()],
            };
            let fees = if r.fee > 0 { vec![Fee { name: "Lệ phí".into(), amount: Vnd(r.fee), note: None }] } else { vec![] };
            ProcedureInput {
                code: r.code.into(),
                name: r.name.into(),
                field_code: r.field.into(),
                level: r.level.into(),
                online_level: r.online.into(),
                processing_value: r.days,
                processing_unit: Some(r.unit.into()),
                decision_number: "1520/QĐ-UBND".into(),
                decision_date: Some("2025-07-01".into()),
                effective_from: Some("2025-07-01".into()),
                body: ProcedureBody {
                    steps: vec![
                        "Tổ chức, cá nhân chuẩn bị hồ sơ theo quy định và nộp trực tiếp, qua dịch vụ bưu chính hoặc trực tuyến.".into(),
                        "Bộ phận Một cửa kiểm tra, tiếp nhận hồ sơ; hồ sơ chưa đầy đủ được hướng dẫn bổ sung một lần.".into(),
                        "Cơ quan có thẩm quyền xem xét, giải quyết và trả kết quả theo thời hạn quy định.".into(),
                    ],
                    applicant_types: if matches!(r.field, "DN" | "DT") {
                        vec!["business".into()]
                    } else {
                        vec!["citizen".into(), "business".into()]
                    },
                    conditions: None,
                    channels,
                    documents,
                    fees,
                    result: r.result.into(),
                    legal_bases: vec![LegalBasis {
                        number: r.law.into(),
                        title: format!("Văn bản quy phạm pháp luật số {}", r.law),
                        issued_by: None,
                        issued_on: None,
                    }],
                    agency_codes,
                    legacy_level: Some(match r.online {
                        "full" => 4,
                        "partial" => 3,
                        _ => 2,
                    }),
                },
                eform: Some(eform_for(r.field)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_procedure_is_valid_and_codes_are_unique() {
        let today = time::macros::date!(2026 - 01 - 01);
        let list = demo_procedures("H99", &["000.00.51.H99".into()]);
        assert!(list.len() >= 60, "{} procedures", list.len());
        let mut codes = std::collections::HashSet::new();
        for p in &list {
            assert!(p.validate(today).is_ok(), "{}: {:?}", p.code, p.validate(today).err());
            assert!(codes.insert(p.code.clone()), "duplicate {}", p.code);
            assert!(FIELDS.iter().any(|f| f.0 == p.field_code), "unknown field {}", p.field_code);
        }
    }
}
