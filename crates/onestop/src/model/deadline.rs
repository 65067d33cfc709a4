//! Deadlines in working time, from the catalog's calendar of the receiving agency.

use kernel::calendar::Calendar;
use time::{Date, Duration, OffsetDateTime, Time, UtcOffset};

const VN: UtcOffset = match UtcOffset::from_hms(7, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// The local (UTC+7) date and minute of an instant.
pub fn local(ms: i64) -> (Date, u16) {
    let t = kernel::time::vn_datetime(ms);
    (t.date(), t.hour() as u16 * 60 + t.minute() as u16)
}

/// The instant of a local date and minute.
pub fn instant(d: Date, minute: u16) -> i64 {
    let t = Time::from_hms((minute / 60).min(23) as u8, (minute % 60) as u8, 0).unwrap_or(Time::MIDNIGHT);
    let dt = OffsetDateTime::new_in_offset(d, t, VN);
    (dt.unix_timestamp_nanos() / 1_000_000) as i64 + if minute >= 1440 { 60_000 } else { 0 }
}

/// The end of the working day `d` (its last session's end), as an instant.
pub fn end_of_day(cal: &Calendar, d: Date) -> i64 {
    let end = cal.sessions_on(d).iter().map(|s| s.end).max().unwrap_or(17 * 60);
    instant(d, end)
}

/// The day the legal time counts from: the same day within office hours of a working day,
/// else the next working day.
pub fn received_on(cal: &Calendar, submitted_ms: i64) -> Date {
    let (d, m) = local(submitted_ms);
    cal.receipt_day(d, m)
}

/// Appointment date for `value` of `unit` ("working_days", "working_hours" or "days") counted
/// from `received` (reception at `received_ms` for hours).
pub fn due_on(cal: &Calendar, received: Date, received_ms: i64, value: f64, unit: &str) -> Date {
    match unit {
        "working_hours" => {
            let (d, m) = local(received_ms);
            let (d, m) = if d < received { (received, 0) } else { (d, m) };
            cal.add_working_minutes(d, m, (value * 60.0).ceil() as u32).0
        }
        "days" => cal.working_day_on_or_after(received + Duration::days(value.ceil() as i64)),
        _ => cal.add_working_days(received, value.ceil() as u32),
    }
}

/// Working days the clock stood still between `from` and `to` (supplement, fees).
pub fn paused_days(cal: &Calendar, from: Date, to: Date) -> i64 {
    cal.working_days_between(from, to).max(0)
}

/// When a step of `minutes` of office time started at `start_ms` is due.
pub fn step_due(cal: &Calendar, start_ms: i64, minutes: u32) -> i64 {
    let (d, m) = local(start_ms);
    let (d, m) = cal.add_working_minutes(d, m, minutes.max(1));
    instant(d, m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::calendar::{DayKind, WorkingWeek, holidays};
    use time::macros::date;

    fn cal(year: i32) -> Calendar {
        let mut c = Calendar::new(WorkingWeek::default());
        for y in [year, year + 1] {
            for h in holidays::statutory(y, &WorkingWeek::default()) {
                c.set(h.date, DayKind::Off);
            }
        }
        c
    }

    #[test]
    fn after_hours_submission_counts_from_the_next_working_day() {
        let c = cal(2026);
        // Friday 20 November 2026, 18:30 local: counts from Monday 23.
        let friday_evening = instant(date!(2026 - 11 - 20), 18 * 60 + 30);
        assert_eq!(received_on(&c, friday_evening), date!(2026 - 11 - 23));
        // Within hours: the same day.
        let friday_morning = instant(date!(2026 - 11 - 20), 9 * 60);
        assert_eq!(received_on(&c, friday_morning), date!(2026 - 11 - 20));
        // So 3 working days are due Thursday 26 and Wednesday 25 respectively.
        assert_eq!(due_on(&c, received_on(&c, friday_evening), friday_evening, 3.0, "working_days"), date!(2026 - 11 - 26));
        assert_eq!(due_on(&c, received_on(&c, friday_morning), friday_morning, 3.0, "working_days"), date!(2026 - 11 - 25));
    }

    #[test]
    fn a_deadline_spanning_tet_skips_the_holidays() {
        let c = cal(2026);
        // Received Thursday 12 February 2026; Tết break 16–20 February.
        let at = instant(date!(2026 - 02 - 12), 9 * 60);
        assert_eq!(due_on(&c, received_on(&c, at), at, 5.0, "working_days"), date!(2026 - 02 - 26));
    }

    #[test]
    fn hours_are_office_hours() {
        let c = cal(2026);
        // Monday 23 November 2026 at 16:00 with 8 working hours: the next day.
        let at = instant(date!(2026 - 11 - 23), 16 * 60);
        assert_eq!(due_on(&c, date!(2026 - 11 - 23), at, 8.0, "working_hours"), date!(2026 - 11 - 24));
        assert!(step_due(&c, at, 60) > at);
    }

    #[test]
    fn the_clock_stops_for_the_working_days_paused() {
        let c = cal(2026);
        assert_eq!(paused_days(&c, date!(2026 - 11 - 20), date!(2026 - 11 - 24)), 2);
        assert_eq!(paused_days(&c, date!(2026 - 11 - 24), date!(2026 - 11 - 24)), 0);
    }

    #[test]
    fn local_and_instant_round_trip() {
        let ms = instant(date!(2026 - 11 - 22), 7 * 60 + 30);
        assert_eq!(local(ms), (date!(2026 - 11 - 22), 450));
    }
}
