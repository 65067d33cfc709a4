//! Money in Vietnamese đồng. VND has no minor unit in practice, so amounts are whole numbers.

use serde::{Deserialize, Serialize};

/// An amount in VND.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Vnd(pub i64);

impl Vnd {
    /// `50.000 đ`: thousands separated by dots, as Vietnamese documents write them.
    pub fn display_vi(self) -> String {
        let neg = self.0 < 0;
        let digits = self.0.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push('.');
            }
            out.push(ch);
        }
        format!("{}{} đ", if neg { "-" } else { "" }, out)
    }
}

#[cfg(test)]
mod tests {
    use super::Vnd;

    #[test]
    fn amounts_are_grouped_by_thousands_with_dots() {
        assert_eq!(Vnd(0).display_vi(), "0 đ");
        assert_eq!(Vnd(50_000).display_vi(), "50.000 đ");
        assert_eq!(Vnd(1_234_567).display_vi(), "1.234.567 đ");
        assert_eq!(Vnd(-100).display_vi(), "-100 đ");
    }
}
