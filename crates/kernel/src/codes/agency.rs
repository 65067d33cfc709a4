//! Agency identifiers (mã định danh) of QĐ 20/2020/QĐ-TTg and QCVN 102:2016.
//!
//! Layout `V1V2V3.Z1Z2.Y1Y2.MX1X2`, read right to left as levels 1..4: `MX1X2` names the
//! level-1 body (M a letter group: G central bodies, H provinces/cities, ...), `Y1Y2` the
//! level-2 unit under it, `Z1Z2` level 3, `V1V2V3` level 4; zeros mean "no unit at that level".
//! `000.00.00.H41` is a provincial People's Committee, `000.00.15.H17` a unit two levels down.

use super::{CodeError, all_digits, code_type};

/// The level of an agency in the identifier tree (1 = the body named by `MX1X2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AgencyLevel {
    L1 = 1,
    L2 = 2,
    L3 = 3,
    L4 = 4,
}

fn parse_parts(s: &str, what: (&str, &str)) -> Result<[String; 4], CodeError> {
    let s = s.trim();
    let parts: Vec<&str> = s.split('.').collect();
    let bad = |why: &str| {
        CodeError(format!("{} «{s}» không hợp lệ: {why} (invalid {}; expected V1V2V3.Z1Z2.Y1Y2.MX1X2, e.g. 000.00.00.H41)", what.0, what.1))
    };
    if parts.len() != 4 {
        return Err(bad("cần 4 nhóm cách nhau bởi dấu chấm"));
    }
    let [v, z, y, m] = [parts[0], parts[1], parts[2], parts[3]];
    if v.len() != 3 || !all_digits(v) {
        return Err(bad("nhóm cấp 4 phải có 3 chữ số"));
    }
    if z.len() != 2 || !all_digits(z) {
        return Err(bad("nhóm cấp 3 phải có 2 chữ số"));
    }
    if y.len() != 2 || !all_digits(y) {
        return Err(bad("nhóm cấp 2 phải có 2 chữ số"));
    }
    let mb = m.as_bytes();
    if mb.len() != 3 || !mb[0].is_ascii_uppercase() || !all_digits(&m[1..]) {
        return Err(bad("nhóm cấp 1 phải là một chữ in hoa và 2 chữ số"));
    }
    if (v != "000" && z == "00") || (z != "00" && y == "00") {
        return Err(bad("một cấp dưới không thể có mã khi cấp trên bằng 0"));
    }
    Ok([v.to_owned(), z.to_owned(), y.to_owned(), m.to_owned()])
}

fn level_of(parts: &[String; 4]) -> AgencyLevel {
    if parts[0] != "000" {
        AgencyLevel::L4
    } else if parts[1] != "00" {
        AgencyLevel::L3
    } else if parts[2] != "00" {
        AgencyLevel::L2
    } else {
        AgencyLevel::L1
    }
}

/// Agency identifier under QĐ 20/2020/QĐ-TTg (mã định danh điện tử của cơ quan, tổ chức).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgencyCode(String);
code_type!(AgencyCode);

impl AgencyCode {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let parts = parse_parts(s, ("mã định danh cơ quan", "agency identifier"))?;
        Ok(Self(parts.join(".")))
    }

    pub fn level(&self) -> AgencyLevel {
        level_of(&parse_parts(&self.0, ("", "")).expect("validated"))
    }

    /// The level-1 letter group: `H` for provinces and cities, `G` for central bodies...
    pub fn group(&self) -> char {
        self.0.as_bytes()[10] as char
    }

    /// The code of the unit one level up, if any: `000.00.15.H17` → `000.00.00.H17`.
    pub fn parent_code(&self) -> Option<AgencyCode> {
        let mut p = parse_parts(&self.0, ("", "")).expect("validated");
        match level_of(&p) {
            AgencyLevel::L1 => return None,
            AgencyLevel::L2 => p[2] = "00".into(),
            AgencyLevel::L3 => p[1] = "00".into(),
            AgencyLevel::L4 => p[0] = "000".into(),
        }
        Some(AgencyCode(p.join(".")))
    }
}

/// Agency identifier as used by QCVN 102:2016 (edXML OrganId). Same layout as
/// [`AgencyCode`], but national systems keep the two separately and they may differ.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QcvnAgencyCode(String);
code_type!(QcvnAgencyCode);

impl QcvnAgencyCode {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let parts = parse_parts(s, ("mã QCVN 102 của cơ quan", "QCVN 102 agency code"))?;
        Ok(Self(parts.join(".")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provincial_peoples_committee_is_level_one() {
        let c = AgencyCode::parse("000.00.00.H41").unwrap();
        assert_eq!(c.level(), AgencyLevel::L1);
        assert_eq!(c.group(), 'H');
        assert_eq!(c.parent_code(), None);
    }

    #[test]
    fn lower_units_name_their_parent() {
        let c = AgencyCode::parse("000.00.15.H17").unwrap();
        assert_eq!(c.level(), AgencyLevel::L2);
        assert_eq!(c.parent_code().unwrap().as_str(), "000.00.00.H17");
        let d = AgencyCode::parse("001.02.15.H17").unwrap();
        assert_eq!(d.level(), AgencyLevel::L4);
        assert_eq!(d.parent_code().unwrap().as_str(), "000.02.15.H17");
    }

    #[test]
    fn malformed_agency_codes_are_refused() {
        for bad in [
            "",
            "H41",
            "000.00.00.h41",
            "00.00.00.H41",
            "000.00.00.H4",
            "000.0A.00.H41",
            "000.00.00.41H",
            "000.05.00.H41",
            "001.00.00.H41",
            "000.00.00.H41.1",
        ] {
            assert!(AgencyCode::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn codes_round_trip_through_json() {
        let c: AgencyCode = serde_json::from_str("\"000.00.00.G22\"").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"000.00.00.G22\"");
        assert!(serde_json::from_str::<AgencyCode>("\"G22\"").is_err());
        assert!(QcvnAgencyCode::parse("000.00.00.G22").is_ok());
    }
}
