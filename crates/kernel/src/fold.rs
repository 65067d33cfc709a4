//! Vietnamese folding for search: lower case, diacritics dropped, đ→d, so that
//! "dang ky khai sinh" matches "Đăng ký khai sinh". Neither SQLite FTS5 nor PostgreSQL's
//! `unaccent` folds đ, so the folded text is computed here and stored in a search column.

use unicode_normalization::UnicodeNormalization;

/// Folds text for matching: NFD, combining marks removed, đ/Đ → d, lower case, every run of
/// non-alphanumeric characters collapsed to one space.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for ch in text.nfd() {
        if is_combining_mark(ch) {
            continue;
        }
        let ch = match ch {
            'đ' | 'Đ' => 'd',
            c => c,
        };
        if ch.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(ch.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// The folded words of a query, for building prefix searches.
pub fn fold_words(text: &str) -> Vec<String> {
    fold(text).split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect()
}

fn is_combining_mark(ch: char) -> bool {
    matches!(ch as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_drops_marks_and_maps_d_with_stroke() {
        assert_eq!(fold("Đăng ký khai sinh"), "dang ky khai sinh");
        assert_eq!(fold("ĐĂNG KÝ   KẾT HÔN!"), "dang ky ket hon");
        assert_eq!(fold("Cấp Giấy phép xây dựng (GPXD)"), "cap giay phep xay dung gpxd");
        assert_eq!(fold("Ủy ban nhân dân tỉnh"), "uy ban nhan dan tinh");
    }

    #[test]
    fn folded_words_split_on_spaces() {
        assert_eq!(fold_words("  Khai-sinh, hộ tịch "), vec!["khai", "sinh", "ho", "tich"]);
    }
}
