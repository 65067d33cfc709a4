use kernel::calendar::{Calendar, WorkingWeek, holidays as statutory};
use kernel::{Error, Result};
use time::{Date, Duration};

use super::Catalog;
use crate::model::holiday::{HolidayEntry, HolidayInput};
use crate::store::{agencies, holidays, settings};

const DEFAULT_WEEK: &str = "calendar.default_week";

impl Catalog {
    /// The province's default working week (agencies without their own use it).
    pub async fn default_week(&self) -> Result<WorkingWeek> {
        match settings::get(&self.db, DEFAULT_WEEK).await? {
            Some(s) => serde_json::from_str(&s).map_err(Error::internal),
            None => Ok(WorkingWeek::default()),
        }
    }

    pub async fn set_default_week(&self, week: &WorkingWeek) -> Result<()> {
        settings::put(&self.db, DEFAULT_WEEK, &serde_json::to_string(week).map_err(Error::internal)?).await
    }

    /// Seeds the statutory holidays of `year` once: a year already seeded is left alone, so
    /// days an administrator removed or moved stay as they left them. Returns days added.
    pub async fn seed_holidays(&self, year: i32) -> Result<usize> {
        let key = format!("calendar.seeded.{year}");
        let mut tx = self.db.begin().await?;
        if settings::get(&mut tx, &key).await?.is_some() {
            return Ok(0);
        }
        let week = match settings::get(&mut tx, DEFAULT_WEEK).await? {
            Some(s) => serde_json::from_str(&s).map_err(Error::internal)?,
            None => WorkingWeek::default(),
        };
        let mut added = 0;
        for h in statutory::statutory(year, &week) {
            if holidays::seed(&mut tx, h.date, &h.name, &h.name_en, h.kind.as_str()).await? {
                added += 1;
            }
        }
        settings::put(&mut tx, &key, "1").await?;
        tx.commit().await?;
        Ok(added)
    }

    pub async fn holidays(&self, year: i32) -> Result<Vec<HolidayEntry>> {
        holidays::year(&self.db, year).await
    }

    /// Sets a day off (or a make-up working day) for the province or one agency.
    pub async fn set_holiday(&self, input: &HolidayInput) -> Result<HolidayEntry> {
        let (date, kind, name) = input.validate().map_err(|v| Error::Invalid(v.0))?;
        let scope = match input.agency_code.as_deref().filter(|s| !s.is_empty()) {
            Some(code) => agencies::find_id(&self.db, code)
                .await?
                .ok_or_else(|| Error::invalid("agency_code", format!("không có cơ quan {code} (no agency with this code)")))?,
            None => String::new(),
        };
        let id = holidays::upsert(&self.db, date, &scope, kind, &name, input.name_en.as_deref(), "admin").await?;
        let agency_id = (!scope.is_empty()).then_some(scope.as_str());
        holidays::between(&self.db, date, date, agency_id)
            .await?
            .into_iter()
            .find(|h| h.id == id)
            .ok_or_else(|| Error::internal("holiday vanished"))
    }

    pub async fn delete_holiday(&self, id: &str) -> Result<()> {
        holidays::delete(&self.db, id).await
    }

    /// The working-day calendar of an agency (or the province) covering `from..=to`.
    pub async fn calendar(&self, agency_code: Option<&str>, from: Date, to: Date) -> Result<Calendar> {
        for y in from.year()..=to.year() {
            self.seed_holidays(y).await?;
        }
        let (week, agency_id) = match agency_code {
            Some(code) => {
                let a = agencies::get(&self.db, code).await?;
                let week = match a.working_week {
                    Some(w) => w,
                    None => self.default_week().await?,
                };
                (week, Some(a.id))
            }
            None => (self.default_week().await?, None),
        };
        let mut cal = Calendar::new(week);
        for h in holidays::between(&self.db, from, to, agency_id.as_deref()).await? {
            cal.set(h.date, h.kind);
        }
        Ok(cal)
    }

    /// The date `n` working days after `start` for an agency (every deadline uses this).
    pub async fn add_working_days(&self, agency_code: Option<&str>, start: Date, n: u32) -> Result<Date> {
        let cal = self.calendar(agency_code, start, start + Duration::days(n as i64 * 3 + 120)).await?;
        Ok(cal.add_working_days(start, n))
    }

    /// Working days in `(from, to]` for an agency.
    pub async fn working_days_between(&self, agency_code: Option<&str>, from: Date, to: Date) -> Result<i64> {
        let (a, b) = if from <= to { (from, to) } else { (to, from) };
        let cal = self.calendar(agency_code, a, b).await?;
        Ok(cal.working_days_between(from, to))
    }

    /// True when `d` is a working day for the agency (or the province).
    pub async fn is_working_day(&self, agency_code: Option<&str>, d: Date) -> Result<bool> {
        Ok(self.calendar(agency_code, d, d).await?.is_working_day(d))
    }
}
