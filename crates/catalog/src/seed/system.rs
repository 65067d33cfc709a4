//! System code lists: seeded at every start, items added only when missing so that an
//! administrator's edits stay.

use kernel::Result;
use kernel::db::q;

use crate::Catalog;
use crate::store::codelists;

/// The 54 ethnic groups of Viet Nam in the order of the statistics office's list (codes 01–54).
const ETHNIC: [&str; 54] = [
    "Kinh",
    "Tày",
    "Thái",
    "Hoa",
    "Khơ-me",
    "Mường",
    "Nùng",
    "Mông",
    "Dao",
    "Gia-rai",
    "Ngái",
    "Ê-đê",
    "Ba-na",
    "Xơ-đăng",
    "Sán Chay",
    "Cơ-ho",
    "Chăm",
    "Sán Dìu",
    "Hrê",
    "Mnông",
    "Ra-glai",
    "Xtiêng",
    "Bru-Vân Kiều",
    "Thổ",
    "Giáy",
    "Cơ-tu",
    "Gié-Triêng",
    "Mạ",
    "Khơ-mú",
    "Co",
    "Tà-ôi",
    "Chơ-ro",
    "Kháng",
    "Xinh-mun",
    "Hà Nhì",
    "Chu-ru",
    "Lào",
    "La Chí",
    "La Ha",
    "Phù Lá",
    "La Hủ",
    "Lự",
    "Lô Lô",
    "Chứt",
    "Mảng",
    "Pà Thẻn",
    "Cờ Lao",
    "Cống",
    "Bố Y",
    "Si La",
    "Pu Péo",
    "Brâu",
    "Ơ Đu",
    "Rơ-măm",
];

const RELIGIONS: [(&str, &str, &str); 17] = [
    ("00", "Không", "None"),
    ("01", "Phật giáo", "Buddhism"),
    ("02", "Công giáo", "Catholicism"),
    ("03", "Tin lành", "Protestantism"),
    ("04", "Cao Đài", "Caodaism"),
    ("05", "Phật giáo Hòa Hảo", "Hoa Hao Buddhism"),
    ("06", "Hồi giáo", "Islam"),
    ("07", "Tôn giáo Baha'i", "Baha'i Faith"),
    ("08", "Tịnh độ Cư sĩ Phật hội Việt Nam", "Pure Land Buddhist Home Practice"),
    ("09", "Cơ đốc Phục lâm", "Seventh-day Adventism"),
    ("10", "Phật giáo Tứ Ân Hiếu Nghĩa", "Tu An Hieu Nghia Buddhism"),
    ("11", "Minh Sư đạo", "Minh Su Dao"),
    ("12", "Minh Lý đạo – Tam Tông Miếu", "Minh Ly Dao"),
    ("13", "Bửu Sơn Kỳ Hương", "Buu Son Ky Huong"),
    ("14", "Bà-la-môn giáo", "Brahmanism"),
    ("15", "Các Thánh hữu Ngày sau của Chúa Giê-su Ky-tô", "Latter-day Saints"),
    ("16", "Phật giáo Hiếu Nghĩa Tà Lơn", "Hieu Nghia Ta Lon Buddhism"),
];

const SEXES: [(&str, &str, &str); 3] = [("1", "Nam", "Male"), ("2", "Nữ", "Female"), ("3", "Chưa có thông tin", "Unknown")];

const MARITAL: [(&str, &str, &str); 4] =
    [("1", "Chưa kết hôn", "Never married"), ("2", "Đã kết hôn", "Married"), ("3", "Ly hôn", "Divorced"), ("4", "Góa", "Widowed")];

/// Document types of NĐ 30/2020/NĐ-CP with their abbreviations.
const DOC_TYPES: [(&str, &str, &str); 29] = [
    ("NQ", "Nghị quyết", "Resolution"),
    ("QĐ", "Quyết định", "Decision"),
    ("CT", "Chỉ thị", "Directive"),
    ("QC", "Quy chế", "Regulation"),
    ("QYĐ", "Quy định", "Rules"),
    ("TC", "Thông cáo", "Communiqué"),
    ("TB", "Thông báo", "Notice"),
    ("HD", "Hướng dẫn", "Guidance"),
    ("CTr", "Chương trình", "Programme"),
    ("KH", "Kế hoạch", "Plan"),
    ("PA", "Phương án", "Scheme"),
    ("ĐA", "Đề án", "Proposal"),
    ("DA", "Dự án", "Project"),
    ("BC", "Báo cáo", "Report"),
    ("BB", "Biên bản", "Minutes"),
    ("TTr", "Tờ trình", "Submission"),
    ("HĐ", "Hợp đồng", "Contract"),
    ("CV", "Công văn", "Official letter"),
    ("CĐ", "Công điện", "Official dispatch"),
    ("BGN", "Bản ghi nhớ", "Memorandum"),
    ("BTT", "Bản thỏa thuận", "Agreement"),
    ("GUQ", "Giấy ủy quyền", "Power of attorney"),
    ("GM", "Giấy mời", "Invitation"),
    ("GGT", "Giấy giới thiệu", "Letter of introduction"),
    ("GNP", "Giấy nghỉ phép", "Leave permit"),
    ("PG", "Phiếu gửi", "Dispatch slip"),
    ("PC", "Phiếu chuyển", "Transfer slip"),
    ("PB", "Phiếu báo", "Notification slip"),
    ("TCg", "Thư công", "Public letter"),
];

const URGENCY: [(&str, &str, &str); 4] =
    [("1", "Thường", "Normal"), ("2", "Khẩn", "Urgent"), ("3", "Thượng khẩn", "Very urgent"), ("4", "Hỏa tốc", "Immediate")];
const SECRECY: [(&str, &str, &str); 4] =
    [("1", "Thường", "Unclassified"), ("2", "Mật", "Confidential"), ("3", "Tối mật", "Secret"), ("4", "Tuyệt mật", "Top secret")];

/// Vietnamese names of the countries people most often cite; others keep the English name.
const COUNTRY_VI: [(&str, &str); 24] = [
    ("VN", "Việt Nam"),
    ("LA", "Lào"),
    ("KH", "Campuchia"),
    ("CN", "Trung Quốc"),
    ("TH", "Thái Lan"),
    ("JP", "Nhật Bản"),
    ("KR", "Hàn Quốc"),
    ("TW", "Đài Loan (Trung Quốc)"),
    ("SG", "Xin-ga-po"),
    ("MY", "Ma-lai-xi-a"),
    ("ID", "In-đô-nê-xi-a"),
    ("PH", "Phi-líp-pin"),
    ("US", "Hoa Kỳ"),
    ("FR", "Pháp"),
    ("DE", "Đức"),
    ("GB", "Vương quốc Anh"),
    ("RU", "Liên bang Nga"),
    ("AU", "Ô-xtrây-li-a"),
    ("CA", "Ca-na-đa"),
    ("IN", "Ấn Độ"),
    ("IT", "I-ta-li-a"),
    ("CZ", "Séc"),
    ("PL", "Ba Lan"),
    ("MM", "Mi-an-ma"),
];

async fn list(c: &Catalog, code: &str, name: &str, name_en: &str, items: &[(String, String, Option<String>)]) -> Result<()> {
    let mut tx = c.db.begin().await?;
    codelists::upsert_list(&mut tx, code, name, Some(name_en), true).await?;
    q("UPDATE code_lists SET system = TRUE WHERE code = $1").bind(code).execute(&mut tx).await?;
    for (i, (c, n, en)) in items.iter().enumerate() {
        q("INSERT INTO code_items (list_code, code, name, name_en, name_folded, sort, active, updated_at) VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7)
           ON CONFLICT (list_code, code) DO NOTHING")
        .bind(code)
        .bind(c.as_str())
        .bind(n.as_str())
        .bind(en.clone())
        .bind(codelists::folded(c, n, en.as_deref()))
        .bind(i as i64)
        .bind(kernel::time::now_ms())
        .execute(&mut tx)
        .await?;
    }
    tx.commit().await
}

fn triples(items: &[(&str, &str, &str)]) -> Vec<(String, String, Option<String>)> {
    items.iter().map(|(c, n, e)| (c.to_string(), n.to_string(), Some(e.to_string()))).collect()
}

/// Seeds the system lists; safe to run at every start.
pub async fn system(c: &Catalog) -> Result<()> {
    let ethnic: Vec<_> = ETHNIC.iter().enumerate().map(|(i, n)| (format!("{:02}", i + 1), n.to_string(), None)).collect();
    list(c, "ethnic", "Dân tộc", "Ethnic groups", &ethnic).await?;
    list(c, "religion", "Tôn giáo", "Religions", &triples(&RELIGIONS)).await?;
    list(c, "sex", "Giới tính", "Sexes", &triples(&SEXES)).await?;
    list(c, "marital-status", "Tình trạng hôn nhân", "Marital status", &triples(&MARITAL)).await?;
    list(c, "document-type", "Loại văn bản", "Document types", &triples(&DOC_TYPES)).await?;
    list(c, "urgency", "Độ khẩn", "Urgency levels", &triples(&URGENCY)).await?;
    list(c, "secrecy", "Độ mật", "Secrecy levels", &triples(&SECRECY)).await?;
    let countries: Vec<_> = rust_iso3166::ALL
        .iter()
        .map(|cc| {
            let vi = COUNTRY_VI.iter().find(|(a, _)| *a == cc.alpha2).map(|x| x.1).unwrap_or(cc.name);
            (cc.alpha2.to_string(), vi.to_string(), Some(cc.name.to_string()))
        })
        .collect();
    list(c, "country", "Quốc gia (ISO 3166-1)", "Countries (ISO 3166-1)", &countries).await?;
    let fields: Vec<_> = super::FIELDS.iter().map(|(c, n, e)| (c.to_string(), n.to_string(), Some(e.to_string()))).collect();
    list(c, crate::model::codelist::FIELD_LIST, "Lĩnh vực thủ tục hành chính", "Fields of procedures", &fields).await?;
    Ok(())
}
