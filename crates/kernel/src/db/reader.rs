//! SQLite's reading connections, called directly.
//!
//! A read through sqlx's pool is handed to the connection's own thread and back: two thread
//! wake-ups per query, and on a machine with few cores the woken threads take the core from
//! whoever holds the write turn. Reads outside transactions instead take an idle connection
//! from this set and run in place on the calling thread (WAL lets them run beside the writer).
//! A statement that would write is not run here: the caller sends it to the writer.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::Arg;
use super::writer::{LiteRow, lite_error, step, traced};
use crate::Result;

/// Idle connections kept for reuse; more are opened when all are in use and closed after.
const KEEP: usize = 8;

pub(super) struct Readers {
    path: PathBuf,
    wait: Duration,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    pub(super) fn new(path: &Path, wait: Duration) -> Readers {
        Readers { path: path.to_owned(), wait, idle: Mutex::new(Vec::new()) }
    }

    fn open(&self) -> Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags).map_err(lite_error)?;
        conn.busy_timeout(self.wait).map_err(lite_error)?;
        conn.execute_batch("PRAGMA temp_store = memory; PRAGMA query_only = ON;").map_err(lite_error)?;
        conn.set_prepared_statement_cache_capacity(128);
        Ok(conn)
    }

    /// Runs a read-only statement: its rows, or None when the statement would change the
    /// database.
    pub(super) fn read(&self, sql: &str, args: &[Arg]) -> Result<Option<Vec<LiteRow>>> {
        let taken = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match taken {
            Some(c) => c,
            None => self.open()?,
        };
        let out = match conn.prepare_cached(sql) {
            Ok(mut stmt) if stmt.readonly() => traced(sql, || step(&mut stmt, args, true), |rows| (0, rows.len())).map(Some),
            Ok(_) | Err(rusqlite::Error::MultipleStatement) => Ok(None),
            Err(e) => Err(e),
        };
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < KEEP {
            idle.push(conn);
        }
        drop(idle);
        out.map_err(lite_error)
    }
}
