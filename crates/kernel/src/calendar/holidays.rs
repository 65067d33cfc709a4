//! Public holidays of the Labour Code 2019 (Art. 112), as a seed for the holiday table.
//!
//! The Government fixes the exact Tết break and the day added to National Day each year and
//! often swaps days to make bridges, so what this module produces is a starting point that an
//! administrator edits, not the law itself. Rules used:
//! - 1 January; 30 April; 1 May; 2 September and one day next to it (1 September when the 2nd
//!   is a Tuesday, so the break joins the weekend; otherwise 3 September);
//! - Tết: 5 days, the last day of the lunar year and the first four of the new one;
//! - Hùng Kings' commemoration, 10th day of the 3rd lunar month;
//! - a holiday falling on a weekly day off gives a compensatory day off on the next working
//!   day (Art. 111–112).

use std::collections::BTreeSet;

use ::time::{Date, Duration, Month, Weekday};
use serde::Serialize;

use super::WorkingWeek;
use super::lunar::{LunarDate, VIETNAM};

/// Where a seeded holiday comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayKind {
    Fixed,
    Lunar,
    Compensatory,
}

impl HolidayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HolidayKind::Fixed => "fixed",
            HolidayKind::Lunar => "lunar",
            HolidayKind::Compensatory => "compensatory",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holiday {
    pub date: Date,
    pub name: String,
    pub name_en: String,
    pub kind: HolidayKind,
}

fn ymd(year: i32, month: Month, day: u8) -> Date {
    Date::from_calendar_date(year, month, day).expect("valid calendar date")
}

/// The statutory holidays of solar year `year`, with compensatory days for those that fall on
/// a day `week` does not work.
pub fn statutory(year: i32, week: &WorkingWeek) -> Vec<Holiday> {
    let mut days: Vec<Holiday> = Vec::new();
    let mut push = |date: Date, name: &str, name_en: &str, kind| {
        days.push(Holiday { date, name: name.to_owned(), name_en: name_en.to_owned(), kind });
    };
    push(ymd(year, Month::January, 1), "Tết Dương lịch", "New Year's Day", HolidayKind::Fixed);
    let tet = VIETNAM.new_year(year);
    push(tet - Duration::days(1), "Tết Nguyên Đán (ngày cuối năm)", "Lunar New Year's Eve", HolidayKind::Lunar);
    for i in 0..4 {
        push(
            tet + Duration::days(i),
            &format!("Tết Nguyên Đán (mùng {})", i + 1),
            &format!("Lunar New Year (day {})", i + 1),
            HolidayKind::Lunar,
        );
    }
    let hung = VIETNAM.to_solar(LunarDate { year, month: 3, day: 10, leap: false }).expect("the 3rd lunar month has a 10th day");
    push(hung, "Giỗ Tổ Hùng Vương (10/3 âm lịch)", "Hung Kings' Commemoration", HolidayKind::Lunar);
    push(ymd(year, Month::April, 30), "Ngày Chiến thắng (30/4)", "Reunification Day", HolidayKind::Fixed);
    push(ymd(year, Month::May, 1), "Ngày Quốc tế Lao động (1/5)", "International Labour Day", HolidayKind::Fixed);
    let national = ymd(year, Month::September, 2);
    push(national, "Quốc khánh (2/9)", "National Day", HolidayKind::Fixed);
    let adjacent = if national.weekday() == Weekday::Tuesday { national - Duration::days(1) } else { national + Duration::days(1) };
    push(adjacent, "Quốc khánh (ngày liền kề)", "National Day (adjacent day)", HolidayKind::Fixed);

    let taken: BTreeSet<Date> = days.iter().map(|h| h.date).collect();
    let mut occupied = taken.clone();
    let mut compensatory = Vec::new();
    for h in &days {
        if !week.works_on(h.date.weekday()) {
            let mut d = h.date + Duration::days(1);
            while !week.works_on(d.weekday()) || occupied.contains(&d) {
                d += Duration::days(1);
            }
            occupied.insert(d);
            compensatory.push(Holiday {
                date: d,
                name: format!("Nghỉ bù {}", h.name),
                name_en: format!("Compensatory day for {}", h.name_en),
                kind: HolidayKind::Compensatory,
            });
        }
    }
    days.extend(compensatory);
    days.sort_by_key(|h| h.date);
    days
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::time::macros::date;

    fn dates(year: i32) -> Vec<Date> {
        statutory(year, &WorkingWeek::default()).into_iter().map(|h| h.date).collect()
    }

    #[test]
    fn tet_break_is_five_days_around_new_year() {
        let d = dates(2025);
        for day in [date!(2025 - 01 - 28), date!(2025 - 01 - 29), date!(2025 - 01 - 30), date!(2025 - 01 - 31), date!(2025 - 02 - 01)] {
            assert!(d.contains(&day), "{day}");
        }
        // 1 February 2025 (Saturday) gives a compensatory Monday, 3 February.
        assert!(d.contains(&date!(2025 - 02 - 03)));
    }

    #[test]
    fn holidays_2024_to_2030_include_fixed_and_lunar_days() {
        for year in 2024..=2030 {
            let d = dates(year);
            assert!(d.contains(&ymd(year, Month::January, 1)));
            assert!(d.contains(&ymd(year, Month::April, 30)));
            assert!(d.contains(&ymd(year, Month::May, 1)));
            assert!(d.contains(&ymd(year, Month::September, 2)));
            assert!(d.contains(&VIETNAM.new_year(year)));
            assert!(d.len() >= 11, "{year}: {} days", d.len());
        }
        assert!(dates(2030).contains(&date!(2030 - 02 - 02)));
        assert!(dates(2030).contains(&date!(2030 - 04 - 12)));
    }

    #[test]
    fn national_day_bridges_to_the_weekend() {
        // 2 September 2025 is a Tuesday: Monday 1 September is added.
        assert!(dates(2025).contains(&date!(2025 - 09 - 01)));
        // 2 September 2024 is a Monday: Tuesday 3 September is added.
        assert!(dates(2024).contains(&date!(2024 - 09 - 03)));
    }

    #[test]
    fn weekend_holidays_get_a_compensatory_day() {
        // 30 April 2028 is a Sunday: compensatory day is Tuesday 2 May (1 May is itself off).
        let h = statutory(2028, &WorkingWeek::default());
        let comp: Vec<Date> = h.iter().filter(|x| x.kind == HolidayKind::Compensatory).map(|x| x.date).collect();
        assert!(comp.contains(&date!(2028 - 05 - 02)), "{comp:?}");
    }
}
