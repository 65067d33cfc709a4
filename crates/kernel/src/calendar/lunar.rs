//! The Vietnamese lunisolar calendar (âm lịch), computed astronomically for a given time zone.
//!
//! Months begin on the day of the new moon in local time; the 11th month is the one holding the
//! winter solstice; in a year of 13 months the leap month is the first one without a major solar
//! term (the Sun entering a new 30° sector of longitude). Because the day of a new moon depends
//! on the time zone, Vietnam (UTC+7) and China (UTC+8) disagree in some years: Tết fell on
//! 21 January 1985 in Vietnam but 20 February in China, and falls on 2 February 2030 (China:
//! 3 February). Computing at UTC+8, as crates for the Chinese calendar do, is wrong here.
//!
//! New moons and the solar longitude use the classical series from J. Meeus' astronomical
//! algorithms (accurate to minutes over 1800–2200, enough to place a new moon on a day).

use std::f64::consts::PI;

use ::time::Date;

/// Julian day number of the epoch 1900-01-01 new moon used to count lunations.
const LUNATION_EPOCH: f64 = 2_415_021.076_998_695;
const SYNODIC_MONTH: f64 = 29.530_588_853;

/// A date in the lunar calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LunarDate {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    /// True for the intercalary (leap) month that repeats `month`.
    pub leap: bool,
}

/// Lunar calendar computations for one time zone (hours east of UTC).
#[derive(Debug, Clone, Copy)]
pub struct LunarCalendar {
    tz_hours: f64,
}

/// Vietnam's lunar calendar (UTC+7).
pub const VIETNAM: LunarCalendar = LunarCalendar { tz_hours: 7.0 };

impl LunarCalendar {
    pub const fn with_offset_hours(tz_hours: f64) -> Self {
        Self { tz_hours }
    }

    /// The solar date of the first day of lunar year `year` (Tết Nguyên Đán).
    pub fn new_year(&self, year: i32) -> Date {
        self.to_solar(LunarDate { year, month: 1, day: 1, leap: false }).expect("month 1 exists every year")
    }

    /// Solar date of a lunar date, or `None` when it does not exist (a leap month that year
    /// lacks, or day 30 of a 29-day month).
    pub fn to_solar(&self, d: LunarDate) -> Option<Date> {
        if !(1..=12).contains(&d.month) || !(1..=30).contains(&d.day) {
            return None;
        }
        let (a11, b11) = if d.month < 11 {
            (self.month11_start(d.year - 1), self.month11_start(d.year))
        } else {
            (self.month11_start(d.year), self.month11_start(d.year + 1))
        };
        let k = lunation_index_rounded(a11);
        let mut offset = d.month as i64 - 11;
        if offset < 0 {
            offset += 12;
        }
        if b11 - a11 > 365 {
            let leap_offset = self.leap_month_offset(a11);
            let mut leap_month = leap_offset - 2;
            if leap_month < 0 {
                leap_month += 12;
            }
            if d.leap && d.month as i64 != leap_month {
                return None;
            }
            if d.leap || offset >= leap_offset {
                offset += 1;
            }
        } else if d.leap {
            return None;
        }
        let month_start = self.new_moon_day(k + offset);
        let next_start = self.new_moon_day(k + offset + 1);
        if month_start + d.day as i64 > next_start {
            return None;
        }
        Some(date_from_jdn(month_start + d.day as i64 - 1))
    }

    /// Lunar date of a solar date.
    pub fn to_lunar(&self, date: Date) -> LunarDate {
        let day_number = jdn(date);
        let k = ((day_number as f64 - LUNATION_EPOCH) / SYNODIC_MONTH).floor() as i64;
        let mut month_start = self.new_moon_day(k + 1);
        if month_start > day_number {
            month_start = self.new_moon_day(k);
        }
        let year = date.year();
        let mut a11 = self.month11_start(year);
        let mut b11 = a11;
        let mut lunar_year;
        if a11 >= month_start {
            lunar_year = year;
            a11 = self.month11_start(year - 1);
        } else {
            lunar_year = year + 1;
            b11 = self.month11_start(year + 1);
        }
        let day = (day_number - month_start + 1) as u8;
        let diff = (month_start - a11) / 29;
        let mut leap = false;
        let mut month = diff + 11;
        if b11 - a11 > 365 {
            let leap_diff = self.leap_month_offset(a11);
            if diff >= leap_diff {
                month = diff + 10;
                leap = diff == leap_diff;
            }
        }
        if month > 12 {
            month -= 12;
        }
        if month >= 11 && diff < 4 {
            lunar_year -= 1;
        }
        LunarDate { year: lunar_year, month: month as u8, day, leap }
    }

    /// Day number (JDN) of the local day holding the `k`-th new moon after 1900-01-01.
    fn new_moon_day(&self, k: i64) -> i64 {
        (new_moon_jd(k as f64) + 0.5 + self.tz_hours / 24.0).floor() as i64
    }

    /// Which 30° sector (0..=11) the Sun's longitude is in at the start of local day `day`.
    fn sun_sector(&self, day: i64) -> i64 {
        let lon = sun_longitude(day as f64 - 0.5 - self.tz_hours / 24.0);
        (lon / PI * 6.0).floor() as i64
    }

    /// JDN of the first day of the 11th lunar month of solar year `year` (the one holding the
    /// winter solstice).
    fn month11_start(&self, year: i32) -> i64 {
        let dec31 = jdn(Date::from_calendar_date(year, ::time::Month::December, 31).expect("valid"));
        let k = ((dec31 as f64 - 2_415_021.0) / SYNODIC_MONTH).floor() as i64;
        let nm = self.new_moon_day(k);
        if self.sun_sector(nm) >= 9 { self.new_moon_day(k - 1) } else { nm }
    }

    /// In a 13-month year starting at month 11 (`a11`), how many months after it the leap
    /// month comes: the first month whose start lies in the same solar sector as the next.
    fn leap_month_offset(&self, a11: i64) -> i64 {
        let k = lunation_index_rounded(a11);
        let mut i = 1;
        let mut sector = self.sun_sector(self.new_moon_day(k + i));
        loop {
            let last = sector;
            i += 1;
            sector = self.sun_sector(self.new_moon_day(k + i));
            if sector == last || i >= 14 {
                break;
            }
        }
        i - 1
    }
}

fn lunation_index_rounded(day: i64) -> i64 {
    ((day as f64 - LUNATION_EPOCH) / SYNODIC_MONTH + 0.5).floor() as i64
}

/// Julian day (with fraction, Terrestrial Time corrected to UT) of the `k`-th new moon after
/// the new moon of 1900-01-01.
fn new_moon_jd(k: f64) -> f64 {
    let t = k / 1236.85;
    let (t2, t3) = (t * t, t * t * t);
    let rad = PI / 180.0;
    let mut jd = 2_415_020.759_33 + 29.530_588_68 * k + 0.000_117_8 * t2 - 0.000_000_155 * t3;
    jd += 0.000_33 * ((166.56 + 132.87 * t - 0.009_173 * t2) * rad).sin();
    // Mean anomalies of the Sun and the Moon, and the Moon's argument of latitude.
    let m = (359.2242 + 29.105_356_08 * k - 0.000_033_3 * t2 - 0.000_003_47 * t3) * rad;
    let mp = (306.0253 + 385.816_918_06 * k + 0.010_730_6 * t2 + 0.000_012_36 * t3) * rad;
    let f = (21.2964 + 390.670_506_46 * k - 0.001_652_8 * t2 - 0.000_002_39 * t3) * rad;
    let correction = (0.1734 - 0.000_393 * t) * m.sin() + 0.0021 * (2.0 * m).sin() - 0.4068 * mp.sin() + 0.0161 * (2.0 * mp).sin()
        - 0.0004 * (3.0 * mp).sin()
        + 0.0104 * (2.0 * f).sin()
        - 0.0051 * (m + mp).sin()
        - 0.0074 * (m - mp).sin()
        + 0.0004 * (2.0 * f + m).sin()
        - 0.0004 * (2.0 * f - m).sin()
        - 0.0006 * (2.0 * f + mp).sin()
        + 0.0010 * (2.0 * f - mp).sin()
        + 0.0005 * (2.0 * mp + m).sin();
    // ΔT = TT − UT, in days.
    let delta_t = if t < -11.0 {
        0.001 + 0.000_839 * t + 0.000_226_1 * t2 - 0.000_008_45 * t3 - 0.000_000_081 * t * t3
    } else {
        -0.000_278 + 0.000_265 * t + 0.000_262 * t2
    };
    jd + correction - delta_t
}

/// Apparent longitude of the Sun, in radians within [0, 2π), at Julian day `jd` (UT).
fn sun_longitude(jd: f64) -> f64 {
    let t = (jd - 2_451_545.0) / 36_525.0;
    let t2 = t * t;
    let rad = PI / 180.0;
    let m = 357.529_10 + 35_999.050_30 * t - 0.000_155_9 * t2 - 0.000_000_48 * t * t2;
    let l0 = 280.466_45 + 36_000.769_83 * t + 0.000_303_2 * t2;
    let center = (1.914_600 - 0.004_817 * t - 0.000_014 * t2) * (rad * m).sin()
        + (0.019_993 - 0.000_101 * t) * (rad * 2.0 * m).sin()
        + 0.000_290 * (rad * 3.0 * m).sin();
    let l = (l0 + center) * rad;
    l.rem_euclid(2.0 * PI)
}

/// Julian day number of a Gregorian date.
pub(crate) fn jdn(date: Date) -> i64 {
    date.to_julian_day() as i64
}

pub(crate) fn date_from_jdn(day: i64) -> Date {
    Date::from_julian_day(day as i32).expect("date in range")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::time::macros::date;

    const CHINA: LunarCalendar = LunarCalendar::with_offset_hours(8.0);

    #[test]
    fn tet_dates_2024_to_2030_in_vietnam() {
        let expected = [
            (2024, date!(2024 - 02 - 10)),
            (2025, date!(2025 - 01 - 29)),
            (2026, date!(2026 - 02 - 17)),
            (2027, date!(2027 - 02 - 06)),
            (2028, date!(2028 - 01 - 26)),
            (2029, date!(2029 - 02 - 13)),
            (2030, date!(2030 - 02 - 02)),
        ];
        for (year, tet) in expected {
            assert_eq!(VIETNAM.new_year(year), tet, "Tết {year}");
        }
    }

    #[test]
    fn vietnam_and_china_differ_in_1985_2007_2030_and_2053() {
        assert_eq!(VIETNAM.new_year(1985), date!(1985 - 01 - 21));
        assert_eq!(CHINA.new_year(1985), date!(1985 - 02 - 20));
        assert_eq!(VIETNAM.new_year(2007), date!(2007 - 02 - 17));
        assert_eq!(CHINA.new_year(2007), date!(2007 - 02 - 18));
        assert_eq!(VIETNAM.new_year(2030), date!(2030 - 02 - 02));
        assert_eq!(CHINA.new_year(2030), date!(2030 - 02 - 03));
        assert_eq!(VIETNAM.new_year(2053), date!(2053 - 02 - 18));
        assert_eq!(CHINA.new_year(2053), date!(2053 - 02 - 19));
    }

    #[test]
    fn hung_kings_day_is_the_tenth_of_the_third_month() {
        let expected = [
            (2024, date!(2024 - 04 - 18)),
            (2025, date!(2025 - 04 - 07)),
            (2026, date!(2026 - 04 - 26)),
            (2027, date!(2027 - 04 - 16)),
            (2028, date!(2028 - 04 - 04)),
            (2029, date!(2029 - 04 - 23)),
            (2030, date!(2030 - 04 - 12)),
        ];
        for (year, day) in expected {
            let d = VIETNAM.to_solar(LunarDate { year, month: 3, day: 10, leap: false }).unwrap();
            assert_eq!(d, day, "Giỗ Tổ {year}");
        }
    }

    #[test]
    fn solar_to_lunar_round_trips_for_every_day_of_a_decade() {
        let mut d = date!(2020 - 01 - 01);
        while d < date!(2031 - 01 - 01) {
            let l = VIETNAM.to_lunar(d);
            assert_eq!(VIETNAM.to_solar(l), Some(d), "{d} -> {l:?}");
            d = d.next_day().unwrap();
        }
    }

    #[test]
    fn leap_month_of_2023_is_the_second_and_of_2025_the_sixth() {
        assert!(VIETNAM.to_solar(LunarDate { year: 2023, month: 2, day: 1, leap: true }).is_some());
        assert!(VIETNAM.to_solar(LunarDate { year: 2023, month: 3, day: 1, leap: true }).is_none());
        assert_eq!(VIETNAM.to_solar(LunarDate { year: 2025, month: 6, day: 1, leap: true }), Some(date!(2025 - 07 - 25)));
    }
}
