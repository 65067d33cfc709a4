//! Retention of the message log: sealed batches older than the configured number of days are
//! moved, with their records, into archive files on a schedule (every node may run it; the
//! database decides which node archives a batch), or at once on an administrator's request.

use std::path::PathBuf;

use kernel::{Error, Result};

use crate::Lgsp;
use crate::log::{ArchiveFile, Archived};

/// At most this many records go into one archive file; a longer backlog takes several.
pub const RECORDS_PER_FILE: i64 = 100_000;

/// Where archive files go, and after how many days sealed batches leave the database.
#[derive(Debug, Clone)]
pub struct Retention {
    pub dir: PathBuf,
    /// None: the log is archived only on request.
    pub days: Option<u32>,
}

/// Milliseconds at midnight (Vietnam's time) starting `day`.
pub fn midnight_ms(day: time::Date) -> i64 {
    day.midnight().assume_offset(time::macros::offset!(+7)).unix_timestamp() * 1000
}

impl Lgsp {
    /// Gives the platform its archive directory and retention period.
    pub fn with_retention(mut self, r: Retention) -> Lgsp {
        std::sync::Arc::make_mut(&mut self.0).retention = Some(r);
        self
    }

    pub fn retention(&self) -> Option<&Retention> {
        self.retention.as_ref()
    }

    /// Moves the batches sealed before `before_ms` into archive files (a file per
    /// [`RECORDS_PER_FILE`] records or so), at most `max_files` files. Another node archiving at
    /// the same moment ends the run without error: what it took is its own to report.
    pub async fn archive_before(&self, before_ms: i64, max_files: usize) -> Result<Vec<Archived>> {
        let r = self.retention.as_ref().ok_or_else(|| Error::conflict("this platform has no archive directory"))?;
        let mut done = Vec::new();
        while done.len() < max_files {
            match crate::log::archive_into(&self.db, &self.key, before_ms, RECORDS_PER_FILE, &r.dir).await {
                Ok(Some(a)) => {
                    tracing::info!(file = %a.file, batches = a.batches, records = a.records, "message log archived");
                    done.push(a)
                }
                Ok(None) => return Ok(done),
                Err(Error::Conflict(why)) if !done.is_empty() || why.contains("meanwhile") => {
                    tracing::info!(reason = %why, "message log archiving left to another node");
                    return Ok(done);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }

    /// The scheduled run: batches sealed before the retention period's first day leave the
    /// database, at most `max_files` files of them. Nothing when no period is set.
    pub async fn archive_due(&self, max_files: usize) -> Result<Vec<Archived>> {
        let Some(days) = self.retention.as_ref().and_then(|r| r.days) else { return Ok(vec![]) };
        let first_kept = kernel::time::today_vn() - time::Duration::days(i64::from(days));
        self.archive_before(midnight_ms(first_kept), max_files).await
    }

    /// The latest archive files.
    pub async fn archives(&self, limit: i64) -> Result<Vec<ArchiveFile>> {
        crate::log::archives(&self.db, limit).await
    }
}

/// At most this many files per request from an administrator; the rest on the next request or
/// by the schedule.
pub const FILES_PER_REQUEST: usize = 20;

/// What an administrator's archive request did.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ArchiveRun {
    /// The day (Vietnam's time) before which sealed batches were archived.
    pub before: String,
    pub files: Vec<Archived>,
    /// True when the request stopped at [`FILES_PER_REQUEST`] files with more to archive.
    pub more: bool,
}

impl Lgsp {
    /// Archives the batches sealed before `before` (`YYYY-MM-DD`, not after today), or before
    /// the retention period when no day is given.
    pub async fn archive_now(&self, before: Option<&str>) -> Result<ArchiveRun> {
        let today = kernel::time::today_vn();
        let day = match before.map(str::trim).filter(|s| !s.is_empty()) {
            Some(text) => {
                let day = kernel::time::parse_date(text).ok_or_else(|| {
                    Error::invalid("before", format!("«{text}»: viết ngày dạng YYYY-MM-DD (write the day as YYYY-MM-DD)"))
                })?;
                if day > today {
                    return Err(Error::invalid(
                        "before",
                        format!(
                            "{text} là ngày trong tương lai; hãy chọn hôm nay hoặc một ngày trước đó ({text} is after today: choose today or an earlier day)"
                        ),
                    ));
                }
                day
            }
            None => match self.retention.as_ref().and_then(|r| r.days) {
                Some(days) => today - time::Duration::days(i64::from(days)),
                None => {
                    return Err(Error::invalid(
                        "before",
                        "hãy chọn ngày: chưa đặt thời hạn lưu giữ lgsp_retention_days (choose a day: no retention period is set)",
                    ));
                }
            },
        };
        let files = self.archive_before(midnight_ms(day), FILES_PER_REQUEST).await?;
        let more = files.len() == FILES_PER_REQUEST;
        Ok(ArchiveRun { before: kernel::time::date_text(day), files, more })
    }
}
