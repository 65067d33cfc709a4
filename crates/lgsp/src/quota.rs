//! Daily quotas and rate limits: how many calls a client subsystem may make through the
//! gateway in a calendar day (Vietnam's time) and in a minute, counted across every node of
//! the platform (and, for days, kept over restarts).
//!
//! A node counts the calls it takes in memory, so the serving path never waits for the
//! database, and every second adds them to the period's row (`lgsp_usage` per day,
//! `lgsp_rate_usage` per minute; one atomic addition per client, whichever node makes it) and
//! reads back the total all nodes reached. A call fits while that total, plus what this node
//! took since, is under the limit. So the nodes together may overshoot by what the others took
//! in the last second, and a node that stops without its last addition (a crash, not a stop)
//! forgets at most a second of its own calls. A period's total is read from the database at a
//! client's first call of the period on a node (for rate limits, one reading a minute).

use std::collections::HashMap;
use std::sync::Mutex;

use kernel::Result;
use kernel::db::{Db, q};

const DAY_MS: i64 = 86_400_000;
const VN_OFFSET_MS: i64 = 7 * 3_600_000;

/// The day (days since 1970-01-01 in Vietnam's time) an instant (unix ms) falls on.
pub fn day_of(ms: i64) -> i64 {
    (ms + VN_OFFSET_MS).div_euclid(DAY_MS)
}

/// Seconds from `ms` until the next day starts in Vietnam (when quotas start again).
pub fn seconds_to_next_day(ms: i64) -> i64 {
    let next = (day_of(ms) + 1) * DAY_MS - VN_OFFSET_MS;
    (next - ms + 999) / 1000
}

/// The period a count covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Period {
    /// A calendar day in Vietnam (daily quotas).
    #[default]
    Day,
    /// A minute (rate limits).
    Minute,
}

impl Period {
    /// The period's number of an instant (unix ms).
    fn of(self, ms: i64) -> i64 {
        match self {
            Period::Day => day_of(ms),
            Period::Minute => ms.div_euclid(60_000),
        }
    }

    /// Its table, and that table's period column.
    fn table(self) -> (&'static str, &'static str) {
        match self {
            Period::Day => ("lgsp_usage", "day"),
            Period::Minute => ("lgsp_rate_usage", "minute"),
        }
    }
}

/// What the counts say about one more call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fits {
    /// It fits, and is counted; this many calls are left in the period after it.
    Yes(i64),
    /// The quota is used up.
    No,
    /// This node does not know the period's total yet: [`Quotas::load`] it first.
    Unknown,
}

/// One client's period (day or minute), as this node knows it.
#[derive(Debug, Clone, Copy, Default)]
struct Day {
    /// The period's number.
    day: i64,
    /// Every node's calls, as the database had them at the last addition or reading.
    known: i64,
    /// This node's calls being added now.
    adding: i64,
    /// This node's calls since.
    new: i64,
}

/// This node's counts: the current period's per client subsystem (its row id), and calls of
/// periods past still to be added.
#[derive(Default)]
pub(crate) struct Quotas {
    period: Period,
    counts: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    days: HashMap<String, Day>,
    past: Vec<(String, i64, i64)>,
    /// The minute whose older rows were last deleted (rate limits only).
    pruned: i64,
}

impl Counts {
    /// Starts `client`'s period `day`, keeping the calls of the one before to be added on
    /// their own. (What is being added right now is the adding round's.)
    fn start(&mut self, client: &str, day: i64) -> &mut Day {
        let d = self.days.entry(client.to_owned()).or_insert(Day { day, ..Day::default() });
        if d.day != day {
            if d.new > 0 {
                self.past.push((client.to_owned(), d.day, d.new));
            }
            *d = Day { day, ..Day::default() };
        }
        d
    }
}

impl Quotas {
    pub(crate) fn new(period: Period) -> Quotas {
        Quotas { period, counts: Mutex::default() }
    }

    /// Whether one more call of `client` fits `limit` in the period of `now_ms`; counts it
    /// when it does.
    pub(crate) fn take(&self, client: &str, limit: i64, now_ms: i64) -> Fits {
        let day = self.period.of(now_ms);
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let Some(d) = c.days.get_mut(client).filter(|d| d.day == day) else {
            return Fits::Unknown;
        };
        if d.known + d.adding + d.new >= limit {
            return Fits::No;
        }
        d.new += 1;
        Fits::Yes(limit - (d.known + d.adding + d.new))
    }

    /// Uncounts a call [`Quotas::take`] counted in the period of `now_ms` that was not made
    /// after all (another limit refused it).
    pub(crate) fn give_back(&self, client: &str, now_ms: i64) {
        let day = self.period.of(now_ms);
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = c.days.get_mut(client).filter(|d| d.day == day && d.new > 0) {
            d.new -= 1;
        }
    }

    /// Reads the day's total of `client` from the database (its first call of the day on
    /// this node).
    pub(crate) async fn load(&self, db: &Db, client: &str, now_ms: i64) -> Result<()> {
        let day = self.period.of(now_ms);
        let total = count(db, self.period, client, day).await?;
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let d = c.start(client, day);
        d.known = d.known.max(total);
        Ok(())
    }

    /// Adds this node's new calls to the database and reads back each client's total.
    pub(crate) async fn sync(&self, db: &Db) -> Result<()> {
        let now = self.period.of(kernel::time::now_ms());
        let (work, past, prune) = {
            let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
            // A period past with nothing being added is forgotten.
            c.days.retain(|_, d| d.day >= now || d.new + d.adding > 0);
            let work: Vec<(String, i64, i64)> = c
                .days
                .iter_mut()
                .map(|(k, d)| {
                    d.adding += d.new;
                    d.new = 0;
                    (k.clone(), d.day, d.adding)
                })
                .collect();
            let prune = self.period == Period::Minute && c.pruned != now;
            c.pruned = now;
            (work, std::mem::take(&mut c.past), prune)
        };
        let mut failed = None;
        if prune {
            // Minutes are only needed while they last: a few are kept for a node running late.
            let (table, column) = self.period.table();
            if let Err(e) = q(format!("DELETE FROM {table} WHERE {column} < $1")).bind(now - 5).execute(db).await {
                failed = Some(e);
            }
        }
        for (client, day, n) in past {
            if let Err(e) = add(db, self.period, &client, day, n).await {
                self.counts.lock().unwrap_or_else(|e| e.into_inner()).past.push((client, day, n));
                failed = Some(e);
            }
        }
        for (client, day, n) in work {
            let total = if n > 0 { add(db, self.period, &client, day, n).await } else { count(db, self.period, &client, day).await };
            let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
            let Some(d) = c.days.get_mut(&client).filter(|d| d.day == day) else { continue };
            match total {
                Ok(t) => {
                    d.known = t;
                    d.adding -= n;
                }
                // Left as being added: the next round adds it again.
                Err(e) => failed = Some(e),
            }
        }
        failed.map_or(Ok(()), Err)
    }
}

/// One client subsystem's calls on one day, against its daily quota.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Usage {
    /// `INSTANCE/CLASS/MEMBER/SUBSYSTEM`.
    pub client: String,
    /// `YYYY-MM-DD`, Vietnam's time.
    pub day: String,
    /// The calls the gateway took, all nodes together (today's as of the last second).
    pub calls: i64,
    /// The client's daily quota now (0: none).
    pub calls_per_day: i64,
}

/// The usage of the last `days` days up to today, newest first, of every client subsystem or
/// of `client` alone.
pub async fn usage(db: &Db, days: i64, client: Option<&crate::model::SubsystemId>) -> Result<Vec<Usage>> {
    let today = day_of(kernel::time::now_ms());
    let mut w = kernel::db::Where::new();
    let x = w.arg(today - days);
    w.and(format!("u.day > {x}"));
    if let Some(c) = client {
        for (column, value) in
            [("m.instance", &c.instance), ("m.member_class", &c.member_class), ("m.code", &c.member), ("s.code", &c.subsystem)]
        {
            let x = w.arg(value.as_str());
            w.and(format!("{column} = {x}"));
        }
    }
    let rows = w
        .query(format!(
            "SELECT u.day, u.calls, s.calls_per_day, s.code, m.instance, m.member_class, m.code AS member_code
               FROM lgsp_usage u JOIN lgsp_subsystems s ON s.id = u.subsystem_id JOIN lgsp_members m ON m.id = s.member_id{}
              ORDER BY u.day DESC, m.instance, m.member_class, m.code, s.code",
            w.sql()
        ))
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|r| {
            // 2440588: the Julian day of 1970-01-01.
            let day = ::time::Date::from_julian_day((r.int("day")? + 2_440_588) as i32)
                .map_err(|e| kernel::Error::Internal(format!("usage day: {e}")))?;
            Ok(Usage {
                client: format!("{}/{}/{}/{}", r.text("instance")?, r.text("member_class")?, r.text("member_code")?, r.text("code")?),
                day: kernel::time::date_text(day),
                calls: r.int("calls")?,
                calls_per_day: r.int("calls_per_day")?,
            })
        })
        .collect()
}

/// The calls `client` made on `day`, all nodes together.
pub async fn used(db: &Db, client: &str, day: i64) -> Result<i64> {
    count(db, Period::Day, client, day).await
}

/// The calls `client` made in period number `n`, all nodes together.
async fn count(db: &Db, period: Period, client: &str, n: i64) -> Result<i64> {
    let (table, column) = period.table();
    let row =
        q(format!("SELECT calls FROM {table} WHERE subsystem_id = $1 AND {column} = $2")).bind(client).bind(n).fetch_optional(db).await?;
    row.map_or(Ok(0), |r| r.int("calls"))
}

/// Adds `calls` to `client`'s count of period number `n`; returns the total.
async fn add(db: &Db, period: Period, client: &str, n: i64, calls: i64) -> Result<i64> {
    let (table, column) = period.table();
    q(format!(
        "INSERT INTO {table} (subsystem_id, {column}, calls) VALUES ($1, $2, $3)
         ON CONFLICT (subsystem_id, {column}) DO UPDATE SET calls = {table}.calls + $3 RETURNING calls"
    ))
    .bind(client)
    .bind(n)
    .bind(calls)
    .fetch_i64(db)
    .await
}

/// What a client's limits stand at after a call: for the minute and the day, the limit and the
/// calls left in it (`None` where the client has no such limit, or it was not looked at).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Left {
    pub minute: Option<(i64, i64)>,
    pub day: Option<(i64, i64)>,
}

impl Left {
    /// The `RateLimit-Policy` and `RateLimit` fields (the IETF httpapi working group's
    /// rate-limit header fields): each limit a named policy with its quota (`q`) and window in
    /// seconds (`w`), and what is left of it (`r`) with the seconds until it starts again
    /// (`t`). `None` for a client without limits.
    pub(crate) fn fields(&self, now_ms: i64) -> Option<(String, String)> {
        use std::fmt::Write;
        let minute_reset = 60 - now_ms.div_euclid(1000).rem_euclid(60);
        let limits = [("minute", 60, self.minute, minute_reset), ("day", 86_400, self.day, seconds_to_next_day(now_ms))];
        let (mut policy, mut state) = (String::new(), String::new());
        for (name, window, limit, reset) in limits {
            let Some((quota, left)) = limit else { continue };
            if !policy.is_empty() {
                policy.push_str(", ");
                state.push_str(", ");
            }
            let _ = write!(policy, "\"{name}\";q={quota};w={window}");
            let _ = write!(state, "\"{name}\";r={};t={reset}", left.max(0));
        }
        (!policy.is_empty()).then_some((policy, state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_turn_at_midnight_in_vietnam() {
        // 2026-11-24 16:59:59.999 UTC is 23:59:59.999 in Vietnam; a millisecond later is the 25th.
        let before = 1_795_539_599_999;
        assert_eq!(day_of(before) + 1, day_of(before + 1));
        assert_eq!(seconds_to_next_day(before), 1);
        assert_eq!(seconds_to_next_day(before + 1), 86_400);
        assert_eq!((day_of(-VN_OFFSET_MS - 1), day_of(-VN_OFFSET_MS)), (-1, 0), "before 1970 in Vietnam");
    }

    #[test]
    fn calls_fit_until_the_quota_and_a_new_day_must_be_read() {
        let q = Quotas::default();
        let now = 1_795_500_000_000;
        assert_eq!(q.take("a", 2, now), Fits::Unknown);
        q.counts.lock().unwrap().days.insert("a".into(), Day { day: day_of(now), ..Day::default() });
        assert_eq!(q.take("a", 2, now), Fits::Yes(1));
        assert_eq!(q.take("a", 2, now), Fits::Yes(0));
        assert_eq!(q.take("a", 2, now), Fits::No);
        assert_eq!(q.take("a", 3, now), Fits::Yes(0), "a raised quota lets more through");
        assert_eq!(q.take("a", 2, now + DAY_MS), Fits::Unknown, "the next day is read from the database first");
    }

    #[test]
    fn a_new_minute_is_read_first_and_the_last_ones_calls_are_kept_to_add() {
        let q = Quotas::new(Period::Minute);
        let now = 1_795_500_000_000; // the start of a minute
        assert_eq!(q.take("a", 2, now), Fits::Unknown, "each minute's total is read first");
        q.counts.lock().unwrap().start("a", now / 60_000);
        assert_eq!(q.take("a", 2, now), Fits::Yes(1));
        assert_eq!(q.take("a", 2, now + 59_999), Fits::Yes(0));
        assert_eq!(q.take("a", 2, now + 30_000), Fits::No);
        q.give_back("a", now);
        assert_eq!(q.take("a", 2, now), Fits::Yes(0), "a call given back frees its place");
        assert_eq!(q.take("a", 2, now + 60_000), Fits::Unknown, "the next minute");
        let mut c = q.counts.lock().unwrap();
        c.start("a", now / 60_000 + 1);
        assert_eq!(c.past, vec![("a".to_owned(), now / 60_000, 2)], "the last minute's calls are still to be added");
    }

    #[test]
    fn the_header_fields_name_each_limit_with_what_is_left_and_when_it_starts_again() {
        let now = 1_795_500_000_000 + 20_500; // 20.5 s into a minute
        assert_eq!(Left::default().fields(now), None, "no limits, no fields");
        let minute = Left { minute: Some((60, 12)), day: None };
        assert_eq!(minute.fields(now), Some(("\"minute\";q=60;w=60".to_owned(), "\"minute\";r=12;t=40".to_owned())));
        let both = Left { minute: Some((60, 0)), day: Some((1000, 998)) };
        let (policy, state) = both.fields(now).unwrap();
        assert_eq!(policy, "\"minute\";q=60;w=60, \"day\";q=1000;w=86400");
        assert_eq!(state, format!("\"minute\";r=0;t=40, \"day\";r=998;t={}", seconds_to_next_day(now)));
    }
}
