//! Time: instants are UTC milliseconds; "today", deadlines and office hours are reckoned in
//! Vietnam's time (Asia/Ho_Chi_Minh, UTC+7 without daylight saving since 1975).

use ::time::{Date, OffsetDateTime, UtcOffset};

/// Vietnam's offset from UTC.
pub const VN_OFFSET: UtcOffset = match UtcOffset::from_hms(7, 0, 0) {
    Ok(o) => o,
    Err(_) => panic!("valid offset"),
};

/// Now, as unix milliseconds.
pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// An instant (unix ms) as a date-time in Vietnam.
pub fn vn_datetime(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH).to_offset(VN_OFFSET)
}

/// Today's date in Vietnam.
pub fn today_vn() -> Date {
    OffsetDateTime::now_utc().to_offset(VN_OFFSET).date()
}

/// ISO date text `YYYY-MM-DD`.
pub fn date_text(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

/// A date or a reference to one, so templates can pass whatever they hold.
pub trait DateLike {
    fn get(&self) -> Date;
}

impl DateLike for Date {
    fn get(&self) -> Date {
        *self
    }
}

impl<T: DateLike + ?Sized> DateLike for &T {
    fn get(&self) -> Date {
        (**self).get()
    }
}

/// Vietnamese display form `dd/mm/yyyy`.
pub fn date_vi(d: impl DateLike) -> String {
    let d = d.get();
    format!("{:02}/{:02}/{:04}", d.day(), d.month() as u8, d.year())
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<Date> {
    let fmt = ::time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), &fmt).ok()
}

/// RFC 3339 text of an instant in Vietnam's offset, for APIs and logs people read.
pub fn rfc3339_vn(ms: i64) -> String {
    vn_datetime(ms).format(&::time::format_description::well_known::Rfc3339).unwrap_or_default()
}
