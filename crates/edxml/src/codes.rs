//! Text formats of edXML values: agency codes, `yyyy/MM/dd` dates, `yyyy/MM/dd HH:mm:ss`
//! timestamps in Vietnam time, DocumentId.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Vietnam's offset, UTC+7: edXML timestamps carry no zone and mean Vietnam time.
pub const VIETNAM: UtcOffset = match UtcOffset::from_hms(7, 0, 0) {
    Ok(o) => o,
    Err(_) => panic!("UTC+7 is a valid offset"),
};

/// Whether `s` has the shape of a QCVN 102 agency code `V1V2V3.Z1Z2.Y1Y2.MX1X2`
/// (mã định danh cơ quan): groups of 3, 2, 2 and 3 upper-case letters or digits, e.g. `000.00.00.H41`.
pub fn is_organ_id(s: &str) -> bool {
    let groups: Vec<&str> = s.split('.').collect();
    groups.len() == 4
        && groups
            .iter()
            .zip([3usize, 2, 2, 3])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()))
}

fn digits(s: &str) -> Option<u32> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// Parse `yyyy/MM/dd` (one-digit month/day accepted); `None` for anything else or impossible dates.
pub fn parse_date(s: &str) -> Option<Date> {
    let mut it = s.split('/');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || y.len() != 4 || m.len() > 2 || d.len() > 2 {
        return None;
    }
    let month = Month::try_from(u8::try_from(digits(m)?).ok()?).ok()?;
    Date::from_calendar_date(i32::try_from(digits(y)?).ok()?, month, u8::try_from(digits(d)?).ok()?).ok()
}

/// Format as `yyyy/MM/dd`.
pub fn format_date(d: Date) -> String {
    format!("{:04}/{:02}/{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Parse `yyyy/MM/dd HH:mm:ss` as Vietnam time.
pub fn parse_timestamp(s: &str) -> Option<OffsetDateTime> {
    let (date, time) = s.trim().split_once(' ')?;
    let date = parse_date(date)?;
    let mut it = time.trim().split(':');
    let (h, m, sec) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || [h, m, sec].iter().any(|p| p.len() != 2) {
        return None;
    }
    let t = Time::from_hms(u8::try_from(digits(h)?).ok()?, u8::try_from(digits(m)?).ok()?, u8::try_from(digits(sec)?).ok()?).ok()?;
    Some(PrimitiveDateTime::new(date, t).assume_offset(VIETNAM))
}

/// Format as `yyyy/MM/dd HH:mm:ss` in Vietnam time (sub-seconds dropped).
pub fn format_timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(VIETNAM);
    format!("{} {:02}:{:02}:{:02}", format_date(t.date()), t.hour(), t.minute(), t.second())
}

/// Checks a DocumentId `OrganId,yyyy/MM/dd,Number/Notation`; returns what is wrong.
pub fn check_document_id(s: &str) -> Result<(), String> {
    let parts: Vec<&str> = s.split(',').collect();
    if parts.len() != 3 {
        return Err(format!("DocumentId {s:?} must be OrganId,yyyy/MM/dd,Number/Notation"));
    }
    if !is_organ_id(parts[0].trim()) {
        return Err(format!("DocumentId {s:?}: {:?} is not an agency code like 000.00.00.H41", parts[0]));
    }
    if parse_date(parts[1].trim()).is_none() {
        return Err(format!("DocumentId {s:?}: {:?} is not a date yyyy/MM/dd", parts[1]));
    }
    let code = parts[2].trim();
    match code.split_once('/') {
        Some((n, notation)) if !n.trim().is_empty() && !notation.trim().is_empty() => Ok(()),
        _ => Err(format!("DocumentId {s:?}: {code:?} must be Number/Notation")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organ_id_has_the_3_2_2_3_shape() {
        for ok in ["000.00.00.H41", "000.00.12.H41", "G12.34.AB.H08"] {
            assert!(is_organ_id(ok), "{ok}");
        }
        for bad in ["", "000.00.00", "000.00.00.H4", "0000.00.00.H41", "000.00.00.h41", "000-00-00-H41", "000.00.00.H41.1", "000.0 .00.H41"]
        {
            assert!(!is_organ_id(bad), "{bad}");
        }
    }

    #[test]
    fn dates_are_year_month_day_with_slashes() {
        assert_eq!(parse_date("2024/02/29").map(format_date).as_deref(), Some("2024/02/29"));
        assert_eq!(parse_date("2024/2/9").map(format_date).as_deref(), Some("2024/02/09"));
        for bad in ["2023/02/29", "2024-02-01", "24/02/01", "2024/13/01", "2024/01/01/1", "2024/+1/01", ""] {
            assert!(parse_date(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn timestamps_are_vietnam_time() {
        let t = parse_timestamp("2024/05/01 08:30:00").unwrap();
        assert_eq!(t.offset(), VIETNAM);
        assert_eq!(format_timestamp(t.to_offset(UtcOffset::UTC)), "2024/05/01 08:30:00");
        assert!(parse_timestamp("2024/05/01 24:00:00").is_none());
        assert!(parse_timestamp("2024/05/01T08:30:00").is_none());
    }

    #[test]
    fn document_id_is_organ_date_and_code() {
        assert!(check_document_id("000.00.00.H41,2024/05/01,123/UBND-VP").is_ok());
        assert!(check_document_id("000.00.00.H41,2024/05/01,123").is_err());
        assert!(check_document_id("H41,2024/05/01,1/A").is_err());
        assert!(check_document_id("000.00.00.H41,2024/15/01,1/A").is_err());
    }
}
