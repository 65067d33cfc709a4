//! The database handle: one enum over SQLite (the write gate's connection, reading
//! connections, sqlx's pool for migrations) and a PostgreSQL pool.
//!
//! Queries are written once in a portable subset of SQL (TEXT ids, BIGINT unix-ms instants,
//! JSON as TEXT, `$n` placeholders, `ON CONFLICT`, `RETURNING`) and bound with [`Q`]. Where the
//! backends must differ (full-text search, locking), callers branch on [`Db::backend`].
//! sqlx's `Any` driver is avoided on purpose: it hides the native pool, which the SQLite backup
//! and PostgreSQL's `SKIP LOCKED` leases need.

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, Postgres, Row as _};

use crate::{Error, Result};

mod memory;
mod reader;
mod tx;
mod writer;
pub use tx::{LiteTx, Tx};
use writer::Writer;
pub use writer::{FromLite, LiteRow};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqliteDb),
    Postgres(PgPool),
}

/// An SQLite pool with the process's write gate: SQLite has one writer at a time, and writers
/// that wait on the file lock poll it with growing sleeps (up to 100 ms each), leaving the
/// lock idle while they sleep. Writers of one process therefore queue on an async mutex first
/// and take the file lock only when it is theirs. The gate owns the connection they write on
/// ([`writer`]); reads outside transactions run in place on reading connections ([`reader`]).
/// sqlx's pool remains for migrations.
#[derive(Clone)]
pub struct SqliteDb {
    pub pool: SqlitePool,
    gate: Arc<tokio::sync::Mutex<Writer>>,
    readers: Arc<reader::Readers>,
}

impl std::fmt::Debug for SqliteDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.pool.fmt(f)
    }
}

impl std::ops::Deref for SqliteDb {
    type Target = SqlitePool;
    fn deref(&self) -> &SqlitePool {
        &self.pool
    }
}

impl SqliteDb {
    /// Waits for this process's turn to write, as long as SQLite's own busy timeout.
    /// Runs a read in place on a reading connection, or a statement that writes on the
    /// writer (in autocommit mode).
    async fn read(&self, q: Q) -> Result<Vec<LiteRow>> {
        let rows = if q.long {
            let (readers, sql, args) = (self.readers.clone(), q.sql.clone(), q.args.clone());
            tokio::task::spawn_blocking(move || readers.read(&sql, &args)).await.map_err(Error::internal)??
        } else {
            self.readers.read(&q.sql, &q.args)?
        };
        match rows {
            Some(rows) => Ok(rows),
            None => Ok(self.write_turn().await?.run_alone(&q.sql, &q.args, true).await?.1),
        }
    }

    async fn write_turn(&self) -> Result<tokio::sync::OwnedMutexGuard<Writer>> {
        tokio::time::timeout(WRITE_WAIT, self.gate.clone().lock_owned())
            .await
            .map_err(|_| Error::internal("the database stayed busy: no write turn within 15 s"))
    }
}

const WRITE_WAIT: Duration = Duration::from_secs(15);

/// SQLite's process-wide settings, before its first connection: the process's allocator
/// ([`memory`]), and no memory statistics. With
/// them on (SQLite's default) every allocation and free inside SQLite takes one global mutex,
/// which every connection (the writer holding the write turn and the readers beside it)
/// contends for; nothing here reads those statistics. Too late once SQLite is initialised
/// (another component opened a connection first): SQLite then refuses and keeps its defaults.
fn configure_sqlite() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: `sqlite3_config` is called before any connection of this process exists
        // (or is refused with SQLITE_MISUSE if one does); the option takes one int.
        let rc = unsafe { rusqlite::ffi::sqlite3_config(rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS, 0 as std::ffi::c_int) };
        if rc != rusqlite::ffi::SQLITE_OK {
            tracing::debug!(rc, "SQLite was initialised already; memory statistics stay on");
        }
        let rc = memory::install();
        if rc != rusqlite::ffi::SQLITE_OK {
            tracing::debug!(rc, "SQLite was initialised already; it keeps the C library's allocator");
        }
    });
}

impl Db {
    /// Connects to `sqlite://path` (created when missing) or `postgres://...`.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url).map_err(|e| Error::internal(format!("bad database URL: {e}")))?;
            let pool = PgPoolOptions::new()
                .max_connections(max_connections.max(2))
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Db::Postgres(pool))
        } else if url.starts_with("sqlite:") {
            configure_sqlite();
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|e| Error::internal(format!("bad database URL: {e}")))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(WRITE_WAIT)
                .pragma("temp_store", "memory");
            let path = opts.get_filename().to_owned();
            if path.as_os_str() == ":memory:" {
                return Err(Error::internal("an in-memory SQLite database cannot be shared by connections: give a file path"));
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections.max(2))
                .acquire_timeout(Duration::from_secs(15))
                .connect_with(opts)
                .await?;
            // The pool has created the file and set WAL; the writer opens the same file.
            let writer = Writer::open(&path, WRITE_WAIT)?;
            let writer_frames = writer.wal_frames.clone();
            let gate = Arc::new(tokio::sync::Mutex::new(writer));
            writer::spawn_checkpointer(&path, Arc::downgrade(&gate), writer_frames)?;
            let readers = Arc::new(reader::Readers::new(&path, WRITE_WAIT));
            Ok(Db::Sqlite(SqliteDb { pool, gate, readers }))
        } else {
            Err(Error::internal(format!(
                "unsupported database URL «{}»: use sqlite://PATH or postgres://USER:PASS@HOST/DB",
                redact_url(url)
            )))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), so two writers queue instead of failing when one upgrades its read lock.
    pub async fn begin(&self) -> Result<Tx> {
        let mut tx = self.begin_optimistic();
        tx.hold().await?;
        Ok(tx)
    }

    /// Starts a transaction whose reads before its first write may see the database as it was
    /// a moment ago. On SQLite it takes the write turn only at its first write: what it reads
    /// until then comes from a reading connection, beside the writer, so the turn is held for
    /// the writes alone. The caller must make its writes check what it relied on (`UPDATE ...
    /// WHERE version = $n`, then treat no row changed as a conflict). On PostgreSQL it is an
    /// ordinary transaction (`FOR UPDATE` reads lock as usual).
    pub fn begin_optimistic(&self) -> Tx {
        match self {
            Db::Sqlite(p) => Tx::Sqlite(LiteTx::optimistic(p.clone())),
            Db::Postgres(p) => Tx::PostgresLazy(p.clone()),
        }
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        q("SELECT 1").execute(self).await.map(|_| ())
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p) => {
                if let Ok(mut w) = p.write_turn().await {
                    w.commit_group().await;
                }
                p.close().await
            }
            Db::Postgres(p) => p.close().await,
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Where a query runs: the pool or an open transaction.
pub enum Ex<'a> {
    Db(&'a Db),
    Tx(&'a mut Tx),
}

impl<'a> From<&'a Db> for Ex<'a> {
    fn from(d: &'a Db) -> Self {
        Ex::Db(d)
    }
}

impl<'a> From<&'a mut Tx> for Ex<'a> {
    fn from(t: &'a mut Tx) -> Self {
        Ex::Tx(t)
    }
}

impl Ex<'_> {
    /// A shorter-lived handle to the same pool or transaction, to run several queries.
    pub fn reborrow(&mut self) -> Ex<'_> {
        match self {
            Ex::Db(d) => Ex::Db(d),
            Ex::Tx(t) => Ex::Tx(t),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Ex::Db(d) => d.backend(),
            Ex::Tx(t) => t.backend(),
        }
    }
}

/// A bound argument, typed so that NULLs reach PostgreSQL with the right type.
#[derive(Debug, Clone)]
pub enum Arg {
    Int(Option<i64>),
    Real(Option<f64>),
    Text(Option<String>),
    Bool(Option<bool>),
    Bytes(Option<Vec<u8>>),
    /// Arrays, for PostgreSQL only (`UNNEST($1::bigint[], ...)` writes many rows in one
    /// statement); SQLite refuses them.
    Ints(Vec<Option<i64>>),
    Texts(Vec<Option<String>>),
    Blobs(Vec<Option<Vec<u8>>>),
}

macro_rules! arg_from {
    ($variant:ident, $t:ty, $conv:expr) => {
        impl From<$t> for Arg {
            fn from(v: $t) -> Arg {
                Arg::$variant(Some($conv(v)))
            }
        }
        impl From<Option<$t>> for Arg {
            fn from(v: Option<$t>) -> Arg {
                Arg::$variant(v.map($conv))
            }
        }
    };
}
arg_from!(Int, i64, |v| v);
arg_from!(Int, i32, |v: i32| v as i64);
arg_from!(Int, u32, |v: u32| v as i64);
arg_from!(Real, f64, |v| v);
arg_from!(Text, String, |v| v);
arg_from!(Text, &str, |v: &str| v.to_owned());
arg_from!(Text, &String, |v: &String| v.clone());
arg_from!(Bool, bool, |v| v);
arg_from!(Bytes, Vec<u8>, |v| v);

/// A query with its arguments, runnable on either backend.
#[derive(Debug, Clone)]
pub struct Q {
    sql: Cow<'static, str>,
    args: Vec<Arg>,
    /// May run long (see [`Q::long`]).
    long: bool,
}

/// Starts a query. Placeholders are `$1`, `$2`... on both backends.
pub fn q(sql: impl Into<Cow<'static, str>>) -> Q {
    Q { sql: sql.into(), args: Vec::new(), long: false }
}

macro_rules! bound {
    ($db:ty, $q:expr) => {{
        let mut query = sqlx::query::<$db>(AssertSqlSafe($q.sql));
        for a in $q.args {
            query = match a {
                Arg::Int(v) => query.bind(v),
                Arg::Real(v) => query.bind(v),
                Arg::Text(v) => query.bind(v),
                Arg::Bool(v) => query.bind(v),
                Arg::Bytes(v) => query.bind(v),
                Arg::Ints(v) => query.bind(v),
                Arg::Texts(v) => query.bind(v),
                Arg::Blobs(v) => query.bind(v),
            };
        }
        query
    }};
}

/// Builds a `WHERE` clause with numbered placeholders, so optional filters stay bound
/// parameters: `let p = w.arg(x); w.and(format!("a = {p}"));`.
#[derive(Debug, Default)]
pub struct Where {
    clauses: Vec<String>,
    args: Vec<Arg>,
}

impl Where {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers an argument and returns its placeholder (`$n`).
    pub fn arg(&mut self, v: impl Into<Arg>) -> String {
        self.args.push(v.into());
        format!("${}", self.args.len())
    }

    pub fn and(&mut self, clause: impl Into<String>) {
        self.clauses.push(clause.into());
    }

    /// ` WHERE a AND b`, or nothing.
    pub fn sql(&self) -> String {
        if self.clauses.is_empty() { String::new() } else { format!(" WHERE {}", self.clauses.join(" AND ")) }
    }

    /// A query of `sql` with this clause's arguments bound, in order.
    pub fn query(&self, sql: String) -> Q {
        Q { sql: sql.into(), args: self.args.clone(), long: false }
    }
}

impl Q {
    pub fn bind(mut self, v: impl Into<Arg>) -> Self {
        self.args.push(v.into());
        self
    }

    /// Makes room for `n` more arguments at once (a statement of many rows binds hundreds,
    /// and growing the list one push at a time copies it over and over).
    pub fn reserve(mut self, n: usize) -> Self {
        self.args.reserve(n);
        self
    }

    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// Marks a read that may take long (a report over a year of rows): on SQLite it runs on
    /// a blocking thread instead of in place on the runtime's.
    pub fn long(mut self) -> Self {
        self.long = true;
        self
    }

    /// Runs a statement; returns the number of rows affected.
    pub async fn execute<'e>(self, ex: impl Into<Ex<'e>>) -> Result<u64> {
        Ok(match ex.into() {
            Ex::Db(Db::Sqlite(p)) => p.write_turn().await?.run_alone(&self.sql, &self.args, false).await?.0,
            Ex::Db(Db::Postgres(p)) => bound!(Postgres, self).execute(p).await?.rows_affected(),
            Ex::Tx(Tx::Sqlite(t)) => t.writer().await?.run(&self.sql, &self.args, false)?.0,
            Ex::Tx(t) => bound!(Postgres, self).execute(&mut **t.pg().await?).await?.rows_affected(),
        })
    }

    pub async fn fetch_all<'e>(self, ex: impl Into<Ex<'e>>) -> Result<Vec<Row>> {
        Ok(match ex.into() {
            Ex::Db(Db::Sqlite(p)) => p.read(self).await?.into_iter().map(Row::Lite).collect(),
            Ex::Db(Db::Postgres(p)) => bound!(Postgres, self).fetch_all(p).await?.into_iter().map(Row::Postgres).collect(),
            Ex::Tx(Tx::Sqlite(t)) => t.rows(&self).await?.into_iter().map(Row::Lite).collect(),
            Ex::Tx(t) => bound!(Postgres, self).fetch_all(&mut **t.pg().await?).await?.into_iter().map(Row::Postgres).collect(),
        })
    }

    pub async fn fetch_optional<'e>(self, ex: impl Into<Ex<'e>>) -> Result<Option<Row>> {
        Ok(match ex.into() {
            Ex::Db(Db::Sqlite(p)) => p.read(self).await?.into_iter().next().map(Row::Lite),
            Ex::Db(Db::Postgres(p)) => bound!(Postgres, self).fetch_optional(p).await?.map(Row::Postgres),
            Ex::Tx(Tx::Sqlite(t)) => t.rows(&self).await?.into_iter().next().map(Row::Lite),
            Ex::Tx(t) => bound!(Postgres, self).fetch_optional(&mut **t.pg().await?).await?.map(Row::Postgres),
        })
    }

    pub async fn fetch_one<'e>(self, ex: impl Into<Ex<'e>>) -> Result<Row> {
        self.fetch_optional(ex).await?.ok_or_else(|| Error::Db(sqlx::Error::RowNotFound))
    }

    /// The first column of the first row as an integer (`SELECT COUNT(*) ...`).
    pub async fn fetch_i64<'e>(self, ex: impl Into<Ex<'e>>) -> Result<i64> {
        self.fetch_one(ex).await?.get_idx(0)
    }
}

/// A value that decodes from a column on both backends.
pub trait Col: for<'r> sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres> + FromLite {}
impl<T> Col for T where T: for<'r> sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres> + FromLite {}

/// A result row from either backend.
pub enum Row {
    /// Read on SQLite, in place (a reading connection, or the writing one in a transaction).
    Lite(LiteRow),
    Postgres(PgRow),
}

impl Row {
    pub fn get<T: Col>(&self, col: &str) -> Result<T> {
        Ok(match self {
            Row::Lite(r) => T::from_lite(r.by_name(col)?).map_err(|e| decode_error(col, e))?,
            Row::Postgres(r) => r.try_get(col)?,
        })
    }

    pub fn get_idx<T: Col>(&self, idx: usize) -> Result<T> {
        Ok(match self {
            Row::Lite(r) => T::from_lite(r.by_index(idx)?).map_err(|e| decode_error(&idx.to_string(), e))?,
            Row::Postgres(r) => r.try_get(idx)?,
        })
    }

    pub fn text(&self, col: &str) -> Result<String> {
        self.get(col)
    }

    pub fn opt_text(&self, col: &str) -> Result<Option<String>> {
        self.get(col)
    }

    pub fn int(&self, col: &str) -> Result<i64> {
        self.get(col)
    }

    pub fn opt_int(&self, col: &str) -> Result<Option<i64>> {
        self.get(col)
    }

    pub fn bool(&self, col: &str) -> Result<bool> {
        self.get(col)
    }

    /// A JSON column stored as TEXT, decoded into `T`.
    pub fn json<T: serde::de::DeserializeOwned>(&self, col: &str) -> Result<T> {
        let text: String = self.get(col)?;
        serde_json::from_str(&text).map_err(|e| Error::internal(format!("column {col} holds bad JSON: {e}")))
    }

    /// A date column stored as `YYYY-MM-DD` text.
    pub fn date(&self, col: &str) -> Result<::time::Date> {
        let text: String = self.get(col)?;
        crate::time::parse_date(&text).ok_or_else(|| Error::internal(format!("column {col} holds a bad date «{text}»")))
    }

    pub fn opt_date(&self, col: &str) -> Result<Option<::time::Date>> {
        let text: Option<String> = self.get(col)?;
        match text {
            None => Ok(None),
            Some(t) => crate::time::parse_date(&t).map(Some).ok_or_else(|| Error::internal(format!("column {col} holds a bad date «{t}»"))),
        }
    }
}

fn decode_error(col: &str, e: String) -> Error {
    Error::Db(sqlx::Error::ColumnDecode { index: col.to_owned(), source: e.into() })
}

/// Allocates the next value of a named counter inside `tx` (dossier codes, document numbers).
/// The counter row is created at 1 or incremented atomically, so concurrent transactions on
/// several server processes never get the same value and a rolled-back one gives its value back.
pub async fn next_counter(tx: &mut Tx, scope: &str, key: &str) -> Result<i64> {
    q("INSERT INTO counters (scope, key, value) VALUES ($1, $2, 1)
       ON CONFLICT (scope, key) DO UPDATE SET value = counters.value + 1
       RETURNING value")
    .bind(scope)
    .bind(key)
    .fetch_i64(tx)
    .await
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_hidden_in_urls() {
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("sqlite://./x.db"), "sqlite://./x.db");
    }
}
