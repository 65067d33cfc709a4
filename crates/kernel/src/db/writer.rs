//! SQLite's writing connection, called directly.
//!
//! sqlx runs each SQLite connection on a thread of its own and hands every statement to it
//! over a channel: two thread wake-ups per statement. Writers already take turns on the
//! process's write gate, so the gate owns one connection of its own and the holder of the turn
//! runs its statements on it in place: a transaction of ten statements costs ten SQLite calls
//! instead of ten round trips between threads (see docs/architecture.md, "Departures").
//! Reads outside transactions run the same way on reading connections ([`super::reader`]).
//!
//! Transactions on the connection commit in groups (see [`Writer`]).
//!
//! The connection never waits inside SQLite for a lock another process holds (its busy timeout
//! is zero, so no runtime thread sleeps in the busy handler); `BEGIN IMMEDIATE` and autocommit
//! statements that find the database busy are retried here with async sleeps, up to the same
//! 15 s as the pool's busy timeout.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags};
use sqlx::error::{DatabaseError, ErrorKind};

use super::Arg;
use crate::{Error, Result};

/// WAL frames (4 KiB pages) past which the writer makes SQLite start the WAL over.
const WAL_RESTART_FRAMES: i64 = 16384;

thread_local! {
    /// The WAL's length in frames after the last COMMIT on this thread (SQLite's WAL hook
    /// runs inside COMMIT, on the committing thread); -1 when none since it was read.
    static WAL_AFTER_COMMIT: std::cell::Cell<i64> = const { std::cell::Cell::new(-1) };
}

fn on_wal_commit(_: &rusqlite::hooks::Wal, frames: std::ffi::c_int) -> rusqlite::Result<()> {
    WAL_AFTER_COMMIT.with(|c| c.set(frames as i64));
    Ok(())
}

/// Starts the thread that copies the WAL's pages into the database file (a passive checkpoint
/// every 50 ms, beside readers and the writer), so that the writing connection's COMMITs only
/// append to the WAL. It reports the WAL's length in frames to `frames`, and stops once `alive`
/// has no strong reference left.
pub(super) fn spawn_checkpointer(
    path: &Path,
    alive: std::sync::Weak<impl Send + Sync + 'static>,
    frames: Arc<std::sync::atomic::AtomicI64>,
) -> Result<()> {
    let conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(lite_error)?;
    conn.busy_timeout(Duration::from_millis(100)).map_err(lite_error)?;
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(50));
                if alive.strong_count() == 0 {
                    return;
                }
                // Its row: busy (0/1), frames in the WAL, frames copied.
                match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1)) {
                    Ok(n) => frames.store(n, std::sync::atomic::Ordering::Relaxed),
                    Err(e) if is_busy(&e) => {}
                    Err(e) => tracing::warn!(error = %e, "SQLite checkpoint failed"),
                }
            }
        })
        .map_err(Error::internal)?;
    Ok(())
}

/// What a logical transaction hears about the COMMIT of the group it joined.
pub(super) type Outcome = tokio::sync::oneshot::Receiver<std::result::Result<(), String>>;

/// A group commits at the latest when it has this many transactions or is this old.
const GROUP_MAX: usize = 64;
const GROUP_AGE: Duration = Duration::from_millis(20);

/// The connection the write gate owns.
///
/// Transactions on it are logical: each is a savepoint inside one SQLite transaction that
/// several of them share (group commit). A transaction that ends well releases its savepoint
/// and waits for the group's COMMIT before its caller hears "committed"; the COMMIT comes when
/// the next turn finds nobody else queued behind it (or the group is full or old), so the WAL
/// gets each page the group changed once instead of once per transaction. One that ends
/// badly rolls back to its savepoint: the others in its group are not touched.
pub struct Writer {
    conn: Connection,
    wait: Duration,
    /// The id of the SQLite transaction open on the connection, if one is.
    open: Option<u64>,
    opened_at: Instant,
    next_id: u64,
    /// Logical transactions released into the open one, waiting for its COMMIT.
    members: Vec<tokio::sync::oneshot::Sender<std::result::Result<(), String>>>,
    /// The WAL's length in frames, as the checkpointer last saw it.
    pub(super) wal_frames: Arc<std::sync::atomic::AtomicI64>,
}

impl Writer {
    pub(super) fn open(path: &Path, wait: Duration) -> Result<Writer> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(lite_error)?;
        conn.busy_timeout(Duration::ZERO).map_err(lite_error)?;
        // No checkpoint inside COMMIT (it would copy pages and fsync on the thread holding the
        // write turn): the checkpointer thread does it (see [`spawn_checkpointer`]). The only
        // writer's page cache stays valid between transactions (nobody else changes the
        // pages), so it is given room for the hot pages of every table and index: with
        // SQLite's default 2 MB a province's year of dossiers no longer fits and each statement
        // re-reads pages from the file.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = memory;
             PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -65536;",
        )
        .map_err(lite_error)?;
        conn.set_prepared_statement_cache_capacity(256);
        // After `wal_autocheckpoint`, which would replace it.
        conn.wal_hook(Some(on_wal_commit));
        Ok(Writer { conn, wait, open: None, opened_at: Instant::now(), next_id: 0, members: Vec::new(), wal_frames: Default::default() })
    }

    /// The id of the group transaction open now, if any.
    pub(super) fn group(&self) -> Option<u64> {
        self.open
    }

    /// Starts a logical transaction: joins the open group, or opens one (waiting, without
    /// blocking the thread, while another process holds the database's write lock).
    pub(super) async fn begin(&mut self) -> Result<()> {
        self.check_lost();
        if self.open.is_some() && (self.members.len() >= GROUP_MAX || self.opened_at.elapsed() >= GROUP_AGE) {
            self.commit_group().await;
        }
        if self.open.is_none() {
            if !self.conn.is_autocommit() {
                // Left open by a panic between statements: never committed, never acknowledged.
                let _ = self.conn.execute_batch("ROLLBACK");
            }
            self.restart_wal_if_long();
            let mut busy = BusyWait::new(self.wait);
            loop {
                match self.conn.execute_batch("BEGIN IMMEDIATE") {
                    Ok(()) => break,
                    Err(e) if is_busy(&e) && busy.time_left() => busy.pause().await,
                    Err(e) => return Err(lite_error(e)),
                }
            }
            self.next_id += 1;
            self.open = Some(self.next_id);
            self.opened_at = Instant::now();
        }
        if let Err(e) = self.exec_cached("SAVEPOINT tx") {
            self.end_if_alone();
            return Err(lite_error(e));
        }
        Ok(())
    }

    /// A statement run once per transaction (savepoints), prepared once.
    fn exec_cached(&self, sql: &str) -> rusqlite::Result<()> {
        self.conn.prepare_cached(sql)?.execute([]).map(drop)
    }

    /// SQLite starts writing the WAL from its beginning again only in a write transaction
    /// that began when every frame had been copied to the database file. The checkpointer
    /// copies them, but under steady writes a new group always begins before it has caught
    /// up, and the WAL grows without end (2 GB in 24 s of the one-stop benchmark, until the
    /// disk was full). So once the WAL is long, the writer, between two groups, copies what
    /// is left itself (little: the checkpointer did the rest) and the BEGIN that follows
    /// starts the WAL over — unless a reader is still reading an older part of it, in which
    /// case the next group tries again (the WAL's length comes from SQLite's WAL hook at each
    /// COMMIT, and from the checkpointer).
    fn restart_wal_if_long(&mut self) {
        use std::sync::atomic::Ordering::Relaxed;
        if self.wal_frames.load(Relaxed) <= WAL_RESTART_FRAMES {
            return;
        }
        if let Err(e) = self.conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
            && !is_busy(&e)
        {
            tracing::warn!(error = %e, "SQLite checkpoint failed");
        }
    }

    /// Keeps the WAL's length the last COMMIT left (see [`Writer::restart_wal_if_long`]): while
    /// a restart did not happen, the next group tries again.
    fn note_wal_length(&self) {
        let frames = WAL_AFTER_COMMIT.with(|c| c.replace(-1));
        if frames >= 0 {
            self.wal_frames.store(frames, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Ends the logical transaction keeping its changes; they are committed with its group.
    /// Returns the group and where its outcome will arrive.
    pub(super) fn release(&mut self) -> Result<(u64, Outcome)> {
        self.check_lost();
        let Some(id) = self.open else {
            return Err(Error::internal("SQLite rolled the transaction back"));
        };
        if let Err(e) = self.exec_cached("RELEASE tx") {
            self.undo();
            return Err(lite_error(e));
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.members.push(tx);
        Ok((id, rx))
    }

    /// Undoes the logical transaction; the rest of its group goes on.
    pub(super) fn undo(&mut self) {
        self.check_lost();
        if self.open.is_none() {
            return;
        }
        if let Err(e) = self.conn.execute_batch("ROLLBACK TO tx; RELEASE tx") {
            tracing::error!(error = %e, "rolling back to a savepoint failed");
            self.fail_group(&format!("rolling back a transaction of the group failed: {e}"));
            return;
        }
        self.end_if_alone();
    }

    /// With no transaction of the group waiting for it, the SQLite transaction is ended at
    /// once (nothing in it to keep), giving the write lock back to other processes.
    fn end_if_alone(&mut self) {
        if self.open.is_some() && self.members.is_empty() {
            let _ = self.conn.execute_batch("ROLLBACK");
            self.open = None;
        }
    }

    /// Commits the open group and tells each of its transactions.
    pub(super) async fn commit_group(&mut self) {
        self.check_lost();
        if self.open.is_none() {
            return;
        }
        let deadline = Instant::now() + self.wait;
        loop {
            match self.conn.execute_batch("COMMIT") {
                Ok(()) => {
                    self.note_wal_length();
                    break;
                }
                // The transaction stays open after a busy COMMIT; it can be tried again.
                Err(e) if is_busy(&e) && Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(2)).await,
                Err(e) => {
                    tracing::error!(error = %e, transactions = self.members.len(), "a group commit failed");
                    return self.fail_group(&e.to_string());
                }
            }
        }
        self.open = None;
        for m in self.members.drain(..) {
            let _ = m.send(Ok(()));
        }
    }

    /// Some errors (disk full, I/O) make SQLite roll the whole transaction back itself.
    fn check_lost(&mut self) {
        if self.open.is_some() && self.conn.is_autocommit() {
            self.fail_group("SQLite rolled the group's transaction back");
        }
    }

    fn fail_group(&mut self, why: &str) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        self.open = None;
        for m in self.members.drain(..) {
            let _ = m.send(Err(why.to_owned()));
        }
    }

    /// One statement in autocommit mode (outside a transaction), retried while another
    /// process holds the write lock: a busy autocommit statement has changed nothing.
    pub(super) async fn run_alone(&mut self, sql: &str, args: &[Arg], rows: bool) -> Result<(u64, Vec<LiteRow>)> {
        // Not inside a group: it would answer before the group's COMMIT.
        self.commit_group().await;
        let mut busy = BusyWait::new(self.wait);
        loop {
            match self.run_inner(sql, args, rows) {
                Err(e) if is_busy(&e) && busy.time_left() && self.conn.is_autocommit() => busy.pause().await,
                r => {
                    self.note_wal_length();
                    return r.map_err(lite_error);
                }
            }
        }
    }

    /// One statement inside the open transaction: the rows changed, and the rows returned
    /// when `rows` is set.
    pub(super) fn run(&mut self, sql: &str, args: &[Arg], rows: bool) -> Result<(u64, Vec<LiteRow>)> {
        self.run_inner(sql, args, rows).map_err(lite_error)
    }

    fn run_inner(&mut self, sql: &str, args: &[Arg], want_rows: bool) -> rusqlite::Result<(u64, Vec<LiteRow>)> {
        traced(sql, || self.statement(sql, args, want_rows), |(changed, rows)| (*changed, rows.len()))
    }

    fn statement(&mut self, sql: &str, args: &[Arg], want_rows: bool) -> rusqlite::Result<(u64, Vec<LiteRow>)> {
        let mut stmt = match self.conn.prepare_cached(sql) {
            Ok(s) => s,
            // Scripts of several statements (no arguments) run as a batch.
            Err(rusqlite::Error::MultipleStatement) if args.is_empty() => {
                self.conn.execute_batch(sql)?;
                return Ok((self.conn.changes(), Vec::new()));
            }
            Err(e) => return Err(e),
        };
        let readonly = stmt.readonly();
        let out = step(&mut stmt, args, want_rows)?;
        let changed = if readonly { 0 } else { self.conn.changes() };
        Ok((changed, out))
    }
}

/// Runs `f` (one statement), as a `tracing` debug event under `tinhso::sql` with its time and
/// `counts` (rows changed, rows returned) when that target is enabled; sqlx's statements (on
/// PostgreSQL) appear under `sqlx::query`.
pub(super) fn traced<R>(sql: &str, f: impl FnOnce() -> rusqlite::Result<R>, counts: impl Fn(&R) -> (u64, usize)) -> rusqlite::Result<R> {
    let Some(start) = tracing::enabled!(target: "tinhso::sql", tracing::Level::DEBUG).then(Instant::now) else { return f() };
    let r = f();
    match &r {
        Ok(v) => {
            let (changed, returned) = counts(v);
            tracing::debug!(target: "tinhso::sql", sql, rows_affected = changed, rows_returned = returned, elapsed = ?start.elapsed())
        }
        Err(e) => tracing::debug!(target: "tinhso::sql", sql, error = %e, elapsed = ?start.elapsed()),
    }
    r
}

/// Binds `args` to a prepared statement, runs it, and collects its rows when `want_rows`.
pub(super) fn step(stmt: &mut rusqlite::CachedStatement<'_>, args: &[Arg], want_rows: bool) -> rusqlite::Result<Vec<LiteRow>> {
    for i in 1..=stmt.parameter_count() {
        // `$n` names the n-th argument wherever it stands; `?` takes them in order.
        let n = match stmt.parameter_name(i) {
            Some(name) => name[1..].parse::<usize>().map_err(|_| rusqlite::Error::InvalidParameterName(name.to_owned()))?,
            None => i,
        };
        let a = args.get(n.wrapping_sub(1)).ok_or_else(|| rusqlite::Error::InvalidParameterCount(n, args.len()))?;
        stmt.raw_bind_parameter(i, a)?;
    }
    let mut out = Vec::new();
    let names: Option<Arc<[String]>> = want_rows.then(|| stmt.column_names().into_iter().map(str::to_owned).collect());
    let width = stmt.column_count();
    let mut rows = stmt.raw_query();
    while let Some(r) = rows.next()? {
        if let Some(names) = &names {
            let mut vals = Vec::with_capacity(width);
            for i in 0..width {
                vals.push(r.get::<_, Value>(i)?);
            }
            out.push(LiteRow { names: names.clone(), vals });
        }
    }
    Ok(out)
}

impl rusqlite::ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Arg::Int(Some(v)) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Arg::Real(Some(v)) => ToSqlOutput::Borrowed(ValueRef::Real(*v)),
            Arg::Text(Some(v)) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Arg::Bool(Some(v)) => ToSqlOutput::Borrowed(ValueRef::Integer(*v as i64)),
            Arg::Bytes(Some(v)) => ToSqlOutput::Borrowed(ValueRef::Blob(v)),
            Arg::Ints(_) | Arg::Texts(_) | Arg::Blobs(_) => {
                return Err(rusqlite::Error::ToSqlConversionFailure("arrays are bound on PostgreSQL only".into()));
            }
            _ => ToSqlOutput::Borrowed(ValueRef::Null),
        })
    }
}

/// A row read on the writing connection.
#[derive(Debug, Clone)]
pub struct LiteRow {
    names: Arc<[String]>,
    vals: Vec<Value>,
}

impl LiteRow {
    pub(super) fn by_name(&self, col: &str) -> Result<&Value> {
        self.names
            .iter()
            .position(|n| n == col)
            .map(|i| &self.vals[i])
            .ok_or_else(|| Error::Db(sqlx::Error::ColumnNotFound(col.to_owned())))
    }

    pub(super) fn by_index(&self, idx: usize) -> Result<&Value> {
        self.vals.get(idx).ok_or_else(|| Error::Db(sqlx::Error::ColumnIndexOutOfBounds { index: idx, len: self.vals.len() }))
    }
}

/// A Rust value read from a column of a [`LiteRow`], with SQLite's own conversions between
/// storage classes where sqlx makes them too (integers as reals, 0/1 as booleans).
pub trait FromLite: Sized {
    fn from_lite(v: &Value) -> std::result::Result<Self, String>;
}

fn mismatch(want: &str, v: &Value) -> String {
    format!("expected {want}, found {:?}", v.data_type())
}

impl FromLite for i64 {
    fn from_lite(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Integer(i) => Ok(*i),
            Value::Real(f) if f.fract() == 0.0 => Ok(*f as i64),
            _ => Err(mismatch("an integer", v)),
        }
    }
}

impl FromLite for i32 {
    fn from_lite(v: &Value) -> std::result::Result<Self, String> {
        i32::try_from(i64::from_lite(v)?).map_err(|e| e.to_string())
    }
}

impl FromLite for f64 {
    fn from_lite(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Real(f) => Ok(*f),
            Value::Integer(i) => Ok(*i as f64),
            _ => Err(mismatch("a number", v)),
        }
    }
}

impl FromLite for bool {
    fn from_lite(v: &Value) -> std::result::Result<Self, String> {
        Ok(i64::from_lite(v)? != 0)
    }
}

impl FromLite for String {
    fn from_lite(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Text(s) => Ok(s.clone()),
            Value::Integer(i) => Ok(i.to_string()),
            Value::Real(f) => Ok(f.to_string()),
            Value::Blob(b) => String::from_utf8(b.clone()).map_err(|e| e.to_string()),
            Value::Null => Err(mismatch("text", v)),
        }
    }
}

impl FromLite for Vec<u8> {
    fn from_lite(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Blob(b) => Ok(b.clone()),
            Value::Text(s) => Ok(s.as_bytes().to_vec()),
            _ => Err(mismatch("bytes", v)),
        }
    }
}

impl<T: FromLite> FromLite for Option<T> {
    fn from_lite(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            v => T::from_lite(v).map(Some),
        }
    }
}

/// Growing pauses (1 ms doubling up to 20 ms) between tries while another process holds the
/// database's write lock, for as long as the writer waits.
struct BusyWait {
    deadline: Instant,
    next: Duration,
}

impl BusyWait {
    fn new(wait: Duration) -> BusyWait {
        BusyWait { deadline: Instant::now() + wait, next: Duration::from_millis(1) }
    }

    fn time_left(&self) -> bool {
        Instant::now() < self.deadline
    }

    async fn pause(&mut self) {
        tokio::time::sleep(self.next).await;
        self.next = (self.next * 2).min(Duration::from_millis(20));
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}

/// An error SQLite returned, in the shape sqlx gives its own, so callers tell a duplicate
/// key the same way on every path.
#[derive(Debug)]
struct LiteError {
    message: String,
    code: i32,
}

impl std::fmt::Display for LiteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LiteError {}

impl DatabaseError for LiteError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Owned(self.code.to_string()))
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> ErrorKind {
        use rusqlite::ffi;
        match self.code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => ErrorKind::UniqueViolation,
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ErrorKind::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => ErrorKind::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

pub(super) fn lite_error(e: rusqlite::Error) -> Error {
    match e {
        rusqlite::Error::SqliteFailure(f, msg) => {
            Error::Db(sqlx::Error::Database(Box::new(LiteError { message: msg.unwrap_or_else(|| f.to_string()), code: f.extended_code })))
        }
        other => Error::internal(format!("SQLite: {other}")),
    }
}
