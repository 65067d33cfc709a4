//! The working-day calendar every deadline is computed with.
//!
//! A [`Calendar`] combines an agency's working week (which days have office sessions, e.g.
//! Monday–Friday plus Saturday morning) with dated exceptions: public holidays and
//! compensatory days off, and the occasional Saturday declared a working day to make up for a
//! bridge holiday. Holidays are data that an administrator edits; [`holidays::statutory`]
//! seeds them for a year from the Labour Code, with lunar dates computed at UTC+7.

pub mod holidays;
pub mod lunar;

use std::collections::BTreeMap;

use ::time::{Date, Duration, Weekday};
use serde::{Deserialize, Serialize};

/// One office session in a day, in minutes after local midnight (e.g. 450..690 = 07:30–11:30).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub start: u16,
    pub end: u16,
}

impl Session {
    pub fn parse(text: &str) -> Option<Session> {
        let (a, b) = text.trim().split_once('-')?;
        let (start, end) = (parse_hhmm(a)?, parse_hhmm(b)?);
        (start < end).then_some(Session { start, end })
    }
}

fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 24 && m < 60 && h * 60 + m <= 1440).then_some(h * 60 + m)
}

fn hhmm(min: u16) -> String {
    format!("{:02}:{:02}", min / 60, min % 60)
}

/// Which days an agency works and its office hours. Serialised as
/// `{"mon": ["07:30-11:30", "13:30-17:00"], ..., "sat": ["07:30-11:30"]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingWeek {
    /// Sessions per weekday, Monday first.
    pub days: [Vec<Session>; 7],
}

const DAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Default for WorkingWeek {
    /// Monday to Friday, 07:30–11:30 and 13:30–17:00, as most provincial agencies work.
    fn default() -> Self {
        let day = vec![Session { start: 450, end: 690 }, Session { start: 810, end: 1020 }];
        WorkingWeek { days: [day.clone(), day.clone(), day.clone(), day.clone(), day, vec![], vec![]] }
    }
}

impl WorkingWeek {
    /// The default week plus Saturday morning, as many one-stop units receive dossiers.
    pub fn with_saturday_morning() -> Self {
        let mut w = Self::default();
        w.days[5] = vec![Session { start: 450, end: 690 }];
        w
    }

    pub fn sessions(&self, wd: Weekday) -> &[Session] {
        &self.days[wd.number_days_from_monday() as usize]
    }

    pub fn works_on(&self, wd: Weekday) -> bool {
        !self.sessions(wd).is_empty()
    }

    /// A readable summary, e.g. `mon-fri 07:30-11:30,13:30-17:00; sat 07:30-11:30`.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for (i, s) in self.days.iter().enumerate() {
            if !s.is_empty() {
                let hours: Vec<String> = s.iter().map(|x| format!("{}-{}", hhmm(x.start), hhmm(x.end))).collect();
                parts.push(format!("{} {}", DAY_KEYS[i], hours.join(",")));
            }
        }
        parts.join("; ")
    }
}

impl Serialize for WorkingWeek {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let map: BTreeMap<&str, Vec<String>> = self
            .days
            .iter()
            .enumerate()
            .map(|(i, d)| (DAY_KEYS[i], d.iter().map(|x| format!("{}-{}", hhmm(x.start), hhmm(x.end))).collect()))
            .collect();
        map.serialize(s)
    }
}

impl<'de> Deserialize<'de> for WorkingWeek {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let map = BTreeMap::<String, Vec<String>>::deserialize(d)?;
        let mut days: [Vec<Session>; 7] = Default::default();
        for (k, v) in map {
            let i = DAY_KEYS.iter().position(|x| *x == k).ok_or_else(|| D::Error::custom(format!("unknown day «{k}», use mon..sun")))?;
            for s in v {
                let sess = Session::parse(&s).ok_or_else(|| D::Error::custom(format!("bad session «{s}», use HH:MM-HH:MM")))?;
                days[i].push(sess);
            }
            days[i].sort_by_key(|s| s.start);
            if days[i].windows(2).any(|w| w[0].end > w[1].start) {
                return Err(D::Error::custom(format!("sessions of «{k}» overlap")));
            }
        }
        Ok(WorkingWeek { days })
    }
}

/// A dated exception to the working week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// A day off (public holiday, Tết, compensatory day).
    Off,
    /// A day worked although the week says otherwise (a make-up Saturday).
    Working,
}

/// Working-day arithmetic for one agency.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    pub week: WorkingWeek,
    exceptions: BTreeMap<Date, DayKind>,
}

impl Calendar {
    pub fn new(week: WorkingWeek) -> Self {
        Self { week, exceptions: BTreeMap::new() }
    }

    /// Adds a dated exception; later entries for the same date win (agency over province).
    pub fn set(&mut self, date: Date, kind: DayKind) {
        self.exceptions.insert(date, kind);
    }

    pub fn is_working_day(&self, d: Date) -> bool {
        match self.exceptions.get(&d) {
            Some(DayKind::Off) => false,
            Some(DayKind::Working) => true,
            None => self.week.works_on(d.weekday()),
        }
    }

    /// Office sessions on `d` (a make-up working day uses Monday's hours).
    pub fn sessions_on(&self, d: Date) -> &[Session] {
        match self.exceptions.get(&d) {
            Some(DayKind::Off) => &[],
            Some(DayKind::Working) if !self.week.works_on(d.weekday()) => self.week.sessions(Weekday::Monday),
            _ => self.week.sessions(d.weekday()),
        }
    }

    /// The first working day on or after `d`.
    pub fn working_day_on_or_after(&self, mut d: Date) -> Date {
        for _ in 0..3660 {
            if self.is_working_day(d) {
                return d;
            }
            d += Duration::days(1);
        }
        d
    }

    /// The date `n` working days after `start`, not counting `start` itself: a procedure of
    /// 5 working days received on a Monday is due the next Monday. `n = 0` gives the first
    /// working day on or after `start`.
    pub fn add_working_days(&self, start: Date, n: u32) -> Date {
        let mut d = start;
        let mut left = n;
        if left == 0 {
            return self.working_day_on_or_after(d);
        }
        while left > 0 {
            d += Duration::days(1);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// Working days in `(from, to]`: how many working days it takes to get from `from` to `to`.
    /// Negative when `to` is before `from`.
    pub fn working_days_between(&self, from: Date, to: Date) -> i64 {
        if to < from {
            return -self.working_days_between(to, from);
        }
        let mut count = 0;
        let mut d = from;
        while d < to {
            d += Duration::days(1);
            if self.is_working_day(d) {
                count += 1;
            }
        }
        count
    }

    /// The day a submission counts as received: the same day when it arrives within office
    /// hours of a working day, otherwise the next working day (online dossiers after hours).
    /// `minute` is minutes after local midnight.
    pub fn receipt_day(&self, date: Date, minute: u16) -> Date {
        let last_end = self.sessions_on(date).iter().map(|s| s.end).max();
        match last_end {
            Some(end) if minute < end => date,
            _ => self.working_day_on_or_after(date + Duration::days(1)),
        }
    }

    /// Adds `minutes` of office time to a local date and minute, for steps measured in hours.
    /// Returns the local date and minute when the time runs out.
    pub fn add_working_minutes(&self, mut date: Date, mut minute: u16, minutes: u32) -> (Date, u16) {
        let mut left = minutes;
        for _ in 0..3660 {
            for s in self.sessions_on(date) {
                if minute >= s.end {
                    continue;
                }
                let from = minute.max(s.start);
                let avail = (s.end - from) as u32;
                if left <= avail {
                    return (date, from + left as u16);
                }
                left -= avail;
                minute = s.end;
            }
            date += Duration::days(1);
            minute = 0;
        }
        (date, minute)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::time::macros::date;

    fn calendar_2026() -> Calendar {
        let mut c = Calendar::new(WorkingWeek::default());
        for h in holidays::statutory(2026, &WorkingWeek::default()) {
            c.set(h.date, DayKind::Off);
        }
        c
    }

    #[test]
    fn five_working_days_from_monday_is_next_monday() {
        let c = Calendar::new(WorkingWeek::default());
        assert_eq!(c.add_working_days(date!(2026 - 11 - 16), 5), date!(2026 - 11 - 23));
        assert_eq!(c.add_working_days(date!(2026 - 11 - 20), 1), date!(2026 - 11 - 23));
        assert_eq!(c.add_working_days(date!(2026 - 11 - 21), 0), date!(2026 - 11 - 23));
        assert_eq!(c.working_days_between(date!(2026 - 11 - 16), date!(2026 - 11 - 23)), 5);
        assert_eq!(c.working_days_between(date!(2026 - 11 - 23), date!(2026 - 11 - 16)), -5);
    }

    #[test]
    fn deadline_spanning_tet_skips_the_holiday_week() {
        // Tết 2026 is 17 February (Tuesday); the statutory break runs 16–20 February.
        let c = calendar_2026();
        for d in [date!(2026 - 02 - 16), date!(2026 - 02 - 17), date!(2026 - 02 - 20)] {
            assert!(!c.is_working_day(d), "{d} should be off");
        }
        // Received Thursday 12 February, 5 working days: 13, 23, 24, 25, 26 February.
        assert_eq!(c.add_working_days(date!(2026 - 02 - 12), 5), date!(2026 - 02 - 26));
        assert_eq!(c.working_days_between(date!(2026 - 02 - 12), date!(2026 - 02 - 26)), 5);
    }

    #[test]
    fn saturday_morning_counts_for_units_that_work_it() {
        let c = Calendar::new(WorkingWeek::with_saturday_morning());
        assert!(c.is_working_day(date!(2026 - 11 - 21)));
        assert_eq!(c.add_working_days(date!(2026 - 11 - 20), 1), date!(2026 - 11 - 21));
        assert_eq!(c.receipt_day(date!(2026 - 11 - 21), 10 * 60), date!(2026 - 11 - 21));
        assert_eq!(c.receipt_day(date!(2026 - 11 - 21), 14 * 60), date!(2026 - 11 - 23));
    }

    #[test]
    fn after_hours_submission_counts_from_next_working_day() {
        let c = Calendar::new(WorkingWeek::default());
        assert_eq!(c.receipt_day(date!(2026 - 11 - 19), 16 * 60 + 59), date!(2026 - 11 - 19));
        assert_eq!(c.receipt_day(date!(2026 - 11 - 19), 17 * 60), date!(2026 - 11 - 20));
        assert_eq!(c.receipt_day(date!(2026 - 11 - 20), 20 * 60), date!(2026 - 11 - 23));
        assert_eq!(c.receipt_day(date!(2026 - 11 - 22), 9 * 60), date!(2026 - 11 - 23));
    }

    #[test]
    fn make_up_saturday_is_a_working_day() {
        let mut c = Calendar::new(WorkingWeek::default());
        c.set(date!(2026 - 11 - 21), DayKind::Working);
        assert!(c.is_working_day(date!(2026 - 11 - 21)));
        assert_eq!(c.sessions_on(date!(2026 - 11 - 21)).len(), 2);
    }

    #[test]
    fn working_hours_carry_over_lunch_and_nights() {
        let c = Calendar::new(WorkingWeek::default());
        // 8 office hours from Thursday 10:00: 1.5 h before lunch, 3.5 h after, 3 h Friday.
        assert_eq!(c.add_working_minutes(date!(2026 - 11 - 19), 600, 8 * 60), (date!(2026 - 11 - 20), 630));
        // From Friday 16:00, 2 hours end Monday 08:30.
        assert_eq!(c.add_working_minutes(date!(2026 - 11 - 20), 960, 120), (date!(2026 - 11 - 23), 510));
    }

    #[test]
    fn working_week_reads_and_writes_json() {
        let w = WorkingWeek::with_saturday_morning();
        let json = serde_json::to_string(&w).unwrap();
        assert!(json.contains("\"sat\":[\"07:30-11:30\"]"));
        let back: WorkingWeek = serde_json::from_str(&json).unwrap();
        assert_eq!(back, w);
        assert!(serde_json::from_str::<WorkingWeek>(r#"{"xyz": []}"#).is_err());
        assert!(serde_json::from_str::<WorkingWeek>(r#"{"mon": ["09:00-08:00"]}"#).is_err());
        assert!(serde_json::from_str::<WorkingWeek>(r#"{"mon": ["07:00-12:00", "11:00-13:00"]}"#).is_err());
    }
}
