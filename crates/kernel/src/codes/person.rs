//! Identifiers of people and businesses: the 12-digit personal identification number (số định
//! danh cá nhân, printed on the citizen identity card) and the tax code (mã số thuế).

use super::{CodeError, all_digits, code_type};

/// Province-of-registration codes that open a personal identification number (TT 59/2021/TT-BCA
/// annex; the 63 provinces before the 2025 merger, which keeps issued numbers valid).
const BIRTH_PROVINCE_CODES: [u16; 63] = [
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52,
    54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
];

/// Personal identification number (số định danh cá nhân): 3 digits of the province where the
/// birth was registered, 1 digit of sex and century, 2 digits of the birth year, 6 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CitizenId(String);
code_type!(CitizenId);

impl CitizenId {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let s = s.trim();
        let bad = |why: &str| CodeError(format!("số định danh cá nhân «{s}» không hợp lệ: {why} (invalid personal identification number)"));
        if s.len() != 12 || !all_digits(s) {
            return Err(bad("cần đúng 12 chữ số"));
        }
        let province: u16 = s[0..3].parse().map_err(|_| bad("mã tỉnh"))?;
        if !BIRTH_PROVINCE_CODES.contains(&province) {
            return Err(bad("3 chữ số đầu không phải mã tỉnh, thành phố"));
        }
        let birth_year = self::birth_year(s);
        if birth_year > crate::time::today_vn().year() {
            return Err(bad("năm sinh ở tương lai"));
        }
        Ok(Self(s.to_owned()))
    }

    /// Birth year encoded by digits 4–6 (century from digit 4: 0/1 → 1900s, 2/3 → 2000s, ...).
    pub fn birth_year(&self) -> i32 {
        birth_year(&self.0)
    }

    /// True for the female codes (odd digit 4).
    pub fn is_female(&self) -> bool {
        (self.0.as_bytes()[3] - b'0') % 2 == 1
    }
}

fn birth_year(s: &str) -> i32 {
    let b = s.as_bytes();
    let century = match b[3] - b'0' {
        0 | 1 => 1900,
        2 | 3 => 2000,
        4 | 5 => 2100,
        6 | 7 => 2200,
        _ => 2300,
    };
    century + ((b[4] - b'0') * 10 + (b[5] - b'0')) as i32
}

/// Tax code (mã số thuế) of a business: 10 digits whose last is a check digit, optionally
/// followed by `-NNN` for a branch or dependent unit (13 digits in all).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaxCode(String);
code_type!(TaxCode);

const TAX_WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];

impl TaxCode {
    /// Accepts `0100109106`, `0100109106-001` and `0100109106001`; stores the hyphenated form.
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let s = s.trim();
        let bad = |why: &str| CodeError(format!("mã số thuế «{s}» không hợp lệ: {why} (invalid tax code)"));
        let digits: String = s.chars().filter(|c| *c != '-').collect();
        let hyphens = s.matches('-').count();
        if !all_digits(&digits) || !(digits.len() == 10 || digits.len() == 13) {
            return Err(bad("cần 10 hoặc 13 chữ số"));
        }
        if hyphens > 1 || (hyphens == 1 && s.find('-') != Some(10)) {
            return Err(bad("dấu gạch ngang chỉ đứng sau 10 chữ số đầu"));
        }
        let main = &digits[..10];
        if check_digit(main) != Some(main.as_bytes()[9] - b'0') {
            return Err(bad("chữ số kiểm tra không đúng"));
        }
        if digits.len() == 13 {
            if &digits[10..] == "000" {
                return Err(bad("mã đơn vị phụ thuộc phải từ 001 đến 999"));
            }
            Ok(Self(format!("{}-{}", main, &digits[10..])))
        } else {
            Ok(Self(main.to_owned()))
        }
    }

    /// The 10-digit code of the parent enterprise.
    pub fn enterprise(&self) -> &str {
        &self.0[..10]
    }

    /// Builds a valid 10-digit code from 9 leading digits (demo data, tests).
    pub fn with_check_digit(nine: &str) -> Option<Self> {
        if nine.len() != 9 || !all_digits(nine) {
            return None;
        }
        let d = check_digit(&format!("{nine}0"))?;
        Some(Self(format!("{nine}{d}")))
    }
}

fn check_digit(ten: &str) -> Option<u8> {
    let sum: u32 = ten.bytes().take(9).zip(TAX_WEIGHTS).map(|(b, w)| (b - b'0') as u32 * w).sum();
    let d = 10 - (sum % 11) as i32;
    (0..=9).contains(&d).then_some(d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_id_needs_twelve_digits_and_a_province() {
        let id = CitizenId::parse("001090012345").unwrap();
        assert_eq!(id.birth_year(), 1990);
        assert!(!id.is_female());
        assert_eq!(CitizenId::parse("079305001234").unwrap().birth_year(), 2005);
        for bad in ["", "00109001234", "0010900123456", "00109001234a", "003090012345", "099090012345", "001990012345"] {
            assert!(CitizenId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tax_code_check_digit_is_enforced() {
        assert_eq!(TaxCode::parse("0100109106").unwrap().as_str(), "0100109106");
        assert_eq!(TaxCode::parse("0100109106001").unwrap().as_str(), "0100109106-001");
        assert_eq!(TaxCode::parse("0100109106-002").unwrap().enterprise(), "0100109106");
        for bad in ["0100109107", "010010910", "0100109106-000", "01001-09106", "abcdefghij", "0100109106-01"] {
            assert!(TaxCode::parse(bad).is_err(), "{bad}");
        }
        let made = TaxCode::with_check_digit("370123456").unwrap();
        assert!(TaxCode::parse(made.as_str()).is_ok());
    }
}
