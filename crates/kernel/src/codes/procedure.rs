//! Codes of the procedure catalog and of dossiers.

use super::{AgencyCode, CodeError, all_digits, code_type};

/// National code of an administrative procedure (mã thủ tục hành chính), e.g. `1.012790`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProcedureCode(String);
code_type!(ProcedureCode);

impl ProcedureCode {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let s = s.trim();
        let ok = s.len() == 8 && s.as_bytes()[1] == b'.' && all_digits(&s[..1]) && all_digits(&s[2..]);
        if !ok {
            return Err(CodeError(format!("mã thủ tục «{s}» không hợp lệ: dạng N.NNNNNN, ví dụ 1.012790 (invalid procedure code)")));
        }
        Ok(Self(s.to_owned()))
    }

    /// The combined code used by the national portal: procedure code then agency code,
    /// `1.012790.000.00.00.H41`.
    pub fn with_agency(&self, agency: &AgencyCode) -> String {
        format!("{}.{}", self.0, agency)
    }
}

/// Code of a field of procedures (lĩnh vực), e.g. `HT` or `G05-TP01`: letters, digits, `.`, `-`, `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldCode(String);
code_type!(FieldCode);

impl FieldCode {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let s = s.trim();
        let ok = !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b));
        if !ok {
            return Err(CodeError(format!("mã «{s}» không hợp lệ: 1–40 ký tự chữ, số, '.', '-', '_' (invalid code)")));
        }
        Ok(Self(s.to_owned()))
    }
}

/// Code of an administrative unit in the national list (mã đơn vị hành chính): 2 digits for a
/// province, 3 for a district, 5 for a commune or ward.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnitCode(String);
code_type!(UnitCode);

impl UnitCode {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let s = s.trim();
        if !all_digits(s) || ![2, 3, 5].contains(&s.len()) {
            return Err(CodeError(format!(
                "mã đơn vị hành chính «{s}» không hợp lệ: 2 (tỉnh), 3 (huyện) hoặc 5 (xã) chữ số (invalid administrative unit code)"
            )));
        }
        Ok(Self(s.to_owned()))
    }
}

/// Dossier code (mã hồ sơ, NĐ 61/2018 Art. 26): `<agency identifier>-YYMMDD-XXXX`, the
/// receiving agency, the date of receipt and that agency's 4-digit sequence for the day.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DossierCode(String);
code_type!(DossierCode);

impl DossierCode {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let s = s.trim();
        let bad = || CodeError(format!("mã hồ sơ «{s}» không hợp lệ: dạng <mã cơ quan>-YYMMDD-XXXX (invalid dossier code)"));
        let mut parts = s.rsplitn(3, '-');
        let (seq, date, agency) = (parts.next(), parts.next(), parts.next());
        let (Some(seq), Some(date), Some(agency)) = (seq, date, agency) else {
            return Err(bad());
        };
        AgencyCode::parse(agency).map_err(|_| bad())?;
        if date.len() != 6 || !all_digits(date) || seq.len() != 4 || !all_digits(seq) || seq == "0000" {
            return Err(bad());
        }
        let (m, d): (u8, u8) = (date[2..4].parse().map_err(|_| bad())?, date[4..6].parse().map_err(|_| bad())?);
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return Err(bad());
        }
        Ok(Self(s.to_owned()))
    }

    /// Builds the code from its parts; `seq` must be 1..=9999.
    pub fn compose(agency: &AgencyCode, date: ::time::Date, seq: u32) -> Result<Self, CodeError> {
        if !(1..=9999).contains(&seq) {
            return Err(CodeError(format!("số thứ tự hồ sơ trong ngày vượt quá 9999 ({seq})")));
        }
        Ok(Self(format!("{}-{:02}{:02}{:02}-{:04}", agency, date.year().rem_euclid(100), date.month() as u8, date.day(), seq)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn procedure_codes_follow_the_national_form() {
        let p = ProcedureCode::parse("1.012790").unwrap();
        let a = AgencyCode::parse("000.00.00.H41").unwrap();
        assert_eq!(p.with_agency(&a), "1.012790.000.00.00.H41");
        for bad in ["1012790", "1.01279", "1.0127900", "a.012790", ""] {
            assert!(ProcedureCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dossier_code_is_agency_date_and_sequence() {
        let a = AgencyCode::parse("000.00.15.H17").unwrap();
        let d = ::time::macros::date!(2020 - 08 - 13);
        let c = DossierCode::compose(&a, d, 1).unwrap();
        assert_eq!(c.as_str(), "000.00.15.H17-200813-0001");
        assert_eq!(DossierCode::parse("000.00.15.H17-200813-0001").unwrap(), c);
        assert!(DossierCode::compose(&a, d, 10_000).is_err());
        for bad in ["000.00.15.H17-200813-0000", "000.00.15.H17-201313-0001", "H17-200813-0001", "000.00.15.H17-200813-001"] {
            assert!(DossierCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unit_and_field_codes() {
        assert!(UnitCode::parse("94").is_ok());
        assert!(UnitCode::parse("941").is_ok());
        assert!(UnitCode::parse("31471").is_ok());
        assert!(UnitCode::parse("9411").is_err());
        assert!(FieldCode::parse("G05-TP01").is_ok());
        assert!(FieldCode::parse("hộ tịch").is_err());
    }
}
