//! Administrative units (đơn vị hành chính): province → district (abolished 1 July 2025) →
//! commune/ward. Units carry the dates they existed and, when merged, the unit they became part
//! of, so dossiers and reports before the two-tier reform keep pointing at real units.

use kernel::Violations;
use kernel::codes::UnitCode;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

/// The date the two-tier local government took effect (districts abolished).
pub const TWO_TIER_REFORM: Date = time::macros::date!(2025 - 07 - 01);

/// The tier a unit belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Province,
    District,
    Commune,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Province => "province",
            Tier::District => "district",
            Tier::Commune => "commune",
        }
    }

    pub fn rank(self) -> u8 {
        match self {
            Tier::Province => 1,
            Tier::District => 2,
            Tier::Commune => 3,
        }
    }

    fn code_len(self) -> usize {
        match self {
            Tier::Province => 2,
            Tier::District => 3,
            Tier::Commune => 5,
        }
    }
}

/// The kind of unit, which fixes its tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// Tỉnh.
    Province,
    /// Thành phố trực thuộc trung ương.
    Municipality,
    /// Huyện.
    District,
    /// Quận.
    UrbanDistrict,
    /// Thị xã.
    Town,
    /// Thành phố thuộc tỉnh.
    ProvincialCity,
    /// Xã.
    Commune,
    /// Phường.
    Ward,
    /// Thị trấn.
    Township,
    /// Đặc khu (special administrative zone at commune tier since 2025).
    SpecialZone,
}

impl UnitKind {
    pub const ALL: [UnitKind; 10] = [
        UnitKind::Province,
        UnitKind::Municipality,
        UnitKind::District,
        UnitKind::UrbanDistrict,
        UnitKind::Town,
        UnitKind::ProvincialCity,
        UnitKind::Commune,
        UnitKind::Ward,
        UnitKind::Township,
        UnitKind::SpecialZone,
    ];

    pub fn tier(self) -> Tier {
        match self {
            UnitKind::Province | UnitKind::Municipality => Tier::Province,
            UnitKind::District | UnitKind::UrbanDistrict | UnitKind::Town | UnitKind::ProvincialCity => Tier::District,
            UnitKind::Commune | UnitKind::Ward | UnitKind::Township | UnitKind::SpecialZone => Tier::Commune,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Province => "province",
            UnitKind::Municipality => "municipality",
            UnitKind::District => "district",
            UnitKind::UrbanDistrict => "urban_district",
            UnitKind::Town => "town",
            UnitKind::ProvincialCity => "provincial_city",
            UnitKind::Commune => "commune",
            UnitKind::Ward => "ward",
            UnitKind::Township => "township",
            UnitKind::SpecialZone => "special_zone",
        }
    }

    pub fn parse(s: &str) -> Option<UnitKind> {
        UnitKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            UnitKind::Province => "Tỉnh",
            UnitKind::Municipality => "Thành phố trực thuộc trung ương",
            UnitKind::District => "Huyện",
            UnitKind::UrbanDistrict => "Quận",
            UnitKind::Town => "Thị xã",
            UnitKind::ProvincialCity => "Thành phố thuộc tỉnh",
            UnitKind::Commune => "Xã",
            UnitKind::Ward => "Phường",
            UnitKind::Township => "Thị trấn",
            UnitKind::SpecialZone => "Đặc khu",
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminUnit {
    pub id: String,
    #[schema(value_type = String, example = "94")]
    pub code: UnitCode,
    pub name: String,
    pub name_en: Option<String>,
    pub kind: UnitKind,
    pub tier: Tier,
    pub parent_code: Option<String>,
    /// First day the unit existed (absent: before the records begin).
    #[schema(value_type = Option<String>, format = Date)]
    pub valid_from: Option<Date>,
    /// Last day the unit existed (absent: it exists today).
    #[schema(value_type = Option<String>, format = Date)]
    pub valid_to: Option<Date>,
    /// The unit it was merged into when it ceased to exist.
    pub merged_into_code: Option<String>,
}

impl AdminUnit {
    /// True when the unit existed on `d`.
    pub fn exists_on(&self, d: Date) -> bool {
        self.valid_from.is_none_or(|f| f <= d) && self.valid_to.is_none_or(|t| t >= d)
    }
}

/// A unit as clients send it (API, import files).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema, Default)]
pub struct UnitInput {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    /// One of province, municipality, district, urban_district, town, provincial_city,
    /// commune, ward, township, special_zone.
    pub kind: String,
    pub parent_code: Option<String>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub merged_into_code: Option<String>,
}

/// A unit input whose own fields are valid; references to other units are checked by the
/// service against the database.
#[derive(Debug, Clone)]
pub struct ValidUnit {
    pub code: UnitCode,
    pub name: String,
    pub name_en: Option<String>,
    pub kind: UnitKind,
    pub parent_code: Option<UnitCode>,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
    pub merged_into_code: Option<UnitCode>,
}

impl UnitInput {
    pub fn validate(&self) -> Result<ValidUnit, Violations> {
        let mut v = Violations::new();
        let code = v.check("code", UnitCode::parse(&self.code));
        let name = super::text(&mut v, "name", &self.name, true, 200);
        let name_en = super::opt_text(&mut v, "name_en", &self.name_en, 200);
        let kind = UnitKind::parse(&self.kind);
        if kind.is_none() {
            v.add("kind", format!("loại «{}» không hợp lệ (unknown kind; use one of province, municipality, district, urban_district, town, provincial_city, commune, ward, township, special_zone)", self.kind));
        }
        let parent_code =
            self.parent_code.as_deref().map(str::trim).filter(|s| !s.is_empty()).and_then(|p| v.check("parent_code", UnitCode::parse(p)));
        let merged_into_code = self
            .merged_into_code
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .and_then(|p| v.check("merged_into_code", UnitCode::parse(p)));
        let valid_from = super::opt_date(&mut v, "valid_from", &self.valid_from);
        let valid_to = super::opt_date(&mut v, "valid_to", &self.valid_to);
        if let (Some(f), Some(t)) = (valid_from, valid_to)
            && t < f
        {
            v.add("valid_to", "ngày kết thúc trước ngày bắt đầu (ends before it starts)");
        }
        if merged_into_code.is_some() && valid_to.is_none() {
            v.add("valid_to", "đơn vị đã sáp nhập phải có ngày kết thúc (a merged unit needs the date it ended)");
        }
        if let (Some(c), Some(k)) = (&code, kind) {
            if c.as_str().len() != k.tier().code_len() {
                v.add(
                    "code",
                    format!(
                        "mã cấp {} phải có {} chữ số ({} codes have {} digits)",
                        k.label_vi(),
                        k.tier().code_len(),
                        k.tier().as_str(),
                        k.tier().code_len()
                    ),
                );
            }
            if k.tier() == Tier::Province && parent_code.is_some() {
                v.add("parent_code", "tỉnh không có đơn vị cấp trên (a province has no parent)");
            }
            if k.tier() != Tier::Province && parent_code.is_none() {
                v.add("parent_code", "bắt buộc với đơn vị cấp huyện, xã (required below the province tier)");
            }
            if k.tier() == Tier::District
                && valid_from.is_none_or(|f| f < TWO_TIER_REFORM)
                && valid_to.is_some_and(|t| t >= TWO_TIER_REFORM)
            {
                v.add("valid_to", "cấp huyện chấm dứt hoạt động từ 01/07/2025 (districts ceased to exist on 1 July 2025)");
            }
        }
        match (v.is_empty(), code, kind) {
            (true, Some(code), Some(kind)) => {
                Ok(ValidUnit { code, name, name_en, kind, parent_code, valid_from, valid_to, merged_into_code })
            }
            _ => Err(v),
        }
    }
}

/// Checks the parent link once the parent is known: its tier must be above the child's, and a
/// commune created after the reform hangs directly under its province.
pub fn check_parent(child: &ValidUnit, parent_tier: Tier) -> Result<(), String> {
    let tier = child.kind.tier();
    if parent_tier.rank() >= tier.rank() {
        return Err(format!("đơn vị cấp trên phải ở cấp cao hơn (the parent must be of a higher tier than {})", tier.as_str()));
    }
    if tier == Tier::Commune && parent_tier == Tier::District && child.valid_from.is_some_and(|f| f >= TWO_TIER_REFORM) {
        return Err(
            "xã, phường thành lập từ 01/07/2025 trực thuộc tỉnh (communes formed after 1 July 2025 belong directly to the province)".into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(code: &str, kind: &str, parent: Option<&str>) -> UnitInput {
        UnitInput { code: code.into(), name: "Thử".into(), kind: kind.into(), parent_code: parent.map(Into::into), ..Default::default() }
    }

    #[test]
    fn code_length_follows_the_tier() {
        assert!(input("94", "province", None).validate().is_ok());
        assert!(input("941", "district", Some("94")).validate().is_ok());
        assert!(input("31471", "ward", Some("94")).validate().is_ok());
        let e = input("9411", "ward", Some("94")).validate().unwrap_err();
        assert!(e.0.iter().any(|f| f.field == "code"));
    }

    #[test]
    fn units_below_the_province_need_a_parent() {
        let e = input("31471", "commune", None).validate().unwrap_err();
        assert_eq!(e.0[0].field, "parent_code");
        let e = input("94", "province", Some("01")).validate().unwrap_err();
        assert_eq!(e.0[0].field, "parent_code");
    }

    #[test]
    fn districts_end_no_later_than_the_reform() {
        let mut i = input("941", "district", Some("94"));
        i.valid_to = Some("2025-06-30".into());
        assert!(i.validate().is_ok());
        i.valid_to = Some("2025-12-31".into());
        assert!(i.validate().is_err());
    }

    #[test]
    fn merged_units_record_when_they_ended() {
        let mut i = input("31471", "commune", Some("941"));
        i.merged_into_code = Some("31500".into());
        assert!(i.validate().is_err());
        i.valid_to = Some("2025-06-30".into());
        assert!(i.validate().is_ok());
    }

    #[test]
    fn communes_after_the_reform_hang_under_the_province() {
        let mut i = input("31500", "commune", Some("941"));
        i.valid_from = Some("2025-07-01".into());
        let u = i.validate().unwrap();
        assert!(check_parent(&u, Tier::District).is_err());
        assert!(check_parent(&u, Tier::Province).is_ok());
        assert!(check_parent(&u, Tier::Commune).is_err());
    }

    #[test]
    fn existence_is_bounded_by_dates() {
        let u = AdminUnit {
            id: "x".into(),
            code: UnitCode::parse("941").unwrap(),
            name: "Huyện".into(),
            name_en: None,
            kind: UnitKind::District,
            tier: Tier::District,
            parent_code: None,
            valid_from: None,
            valid_to: Some(time::macros::date!(2025 - 06 - 30)),
            merged_into_code: None,
        };
        assert!(u.exists_on(time::macros::date!(2024 - 01 - 01)));
        assert!(!u.exists_on(TWO_TIER_REFORM));
    }
}
