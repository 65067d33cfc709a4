//! Transactions: on SQLite, a turn on the process's writing connection (eager, or taken at
//! the first write of an optimistic transaction) committed with its group; on PostgreSQL,
//! sqlx's transaction.

use std::sync::Arc;

use sqlx::Postgres;
use sqlx::postgres::PgPool;

use super::writer::{self, LiteRow, Writer};
use super::{Backend, Q, SqliteDb, WRITE_WAIT};
use crate::{Error, Result};

/// A transaction on either backend; dropped without [`Tx::commit`] it rolls back.
pub enum Tx {
    Sqlite(LiteTx),
    Postgres(sqlx::Transaction<'static, Postgres>),
    /// An optimistic transaction on PostgreSQL before its first statement.
    PostgresLazy(PgPool),
}

/// A transaction on this process's SQLite writing connection: holding it is holding the
/// write turn, given back when it ends. An optimistic one ([`Db::begin_optimistic`]) takes the
/// turn at its first write and reads on a reading connection until then.
pub struct LiteTx {
    w: Option<tokio::sync::OwnedMutexGuard<Writer>>,
    db: SqliteDb,
}

impl LiteTx {
    /// A transaction that has not taken the write turn yet.
    pub(super) fn optimistic(db: SqliteDb) -> LiteTx {
        LiteTx { w: None, db }
    }

    /// The writing connection, in this transaction: takes the write turn and opens the
    /// transaction on the first call.
    pub(super) async fn writer(&mut self) -> Result<&mut Writer> {
        if self.w.is_none() {
            let mut w = self.db.write_turn().await?;
            w.begin().await?;
            self.w = Some(w);
        }
        Ok(self.w.as_mut().expect("taken above"))
    }

    /// A statement's rows: on the reading connections while the transaction has not written
    /// (nor taken the turn), else on the writer.
    pub(super) async fn rows(&mut self, q: &Q) -> Result<Vec<LiteRow>> {
        if self.w.is_none()
            && let Some(rows) = self.db.readers.read(&q.sql, &q.args)?
        {
            return Ok(rows);
        }
        Ok(self.writer().await?.run(&q.sql, &q.args, true)?.1)
    }
}

impl Drop for LiteTx {
    fn drop(&mut self) {
        if let Some(w) = &mut self.w {
            w.undo();
        }
    }
}

/// Waits for the COMMIT of the group a transaction joined. The transaction queues for the
/// write turn meanwhile: a turn that comes while its group is still open commits the group
/// (nobody was queued behind it), so a group never waits for a transaction that is not coming.
async fn group_outcome(gate: Arc<tokio::sync::Mutex<Writer>>, id: u64, mut rx: writer::Outcome) -> Result<()> {
    let mut guard = CommitIfCancelled { gate: Some(gate.clone()), id };
    let out = tokio::select! {
        biased;
        r = &mut rx => r,
        w = tokio::time::timeout(WRITE_WAIT, gate.lock_owned()) => {
            match w {
                Ok(mut w) => {
                    if w.group() == Some(id) {
                        w.commit_group().await;
                    }
                    drop(w);
                    rx.await
                }
                Err(_) => {
                    guard.gate = None;
                    return Err(Error::internal("the database stayed busy: the transaction's commit did not come within 15 s"));
                }
            }
        }
    };
    guard.gate = None;
    match out {
        Ok(Ok(())) => Ok(()),
        Ok(Err(why)) => Err(Error::internal(format!("the database could not commit the transaction: {why}"))),
        Err(_) => Err(Error::internal("the transaction's group ended without a commit")),
    }
}

/// A caller that stops waiting for its group's commit (its request was cancelled) still sees
/// that the group gets committed, by a task of its own.
struct CommitIfCancelled {
    gate: Option<Arc<tokio::sync::Mutex<Writer>>>,
    id: u64,
}

impl Drop for CommitIfCancelled {
    fn drop(&mut self) {
        if let (Some(gate), Ok(rt)) = (self.gate.take(), tokio::runtime::Handle::try_current()) {
            let id = self.id;
            rt.spawn(async move {
                let mut w = gate.lock_owned().await;
                if w.group() == Some(id) {
                    w.commit_group().await;
                }
            });
        }
    }
}

impl Tx {
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(..) => Backend::Sqlite,
            Tx::Postgres(_) | Tx::PostgresLazy(_) => Backend::Postgres,
        }
    }

    /// Takes the write turn now (an optimistic transaction's reads from here on see the
    /// database as its writes will find it); on PostgreSQL, begins the transaction.
    pub async fn hold(&mut self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => drop(t.writer().await?),
            t => drop(t.pg().await?),
        }
        Ok(())
    }

    /// The PostgreSQL transaction, begun now if it was waiting for its first statement.
    pub(super) async fn pg(&mut self) -> Result<&mut sqlx::Transaction<'static, Postgres>> {
        if let Tx::PostgresLazy(pool) = self {
            *self = Tx::Postgres(pool.begin().await?);
        }
        match self {
            Tx::Postgres(t) => Ok(t),
            _ => Err(Error::internal("not a PostgreSQL transaction")),
        }
    }

    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(mut t) => {
                // Nothing written: nothing to commit.
                let Some(mut w) = t.w.take() else { return Ok(()) };
                let released = w.release();
                let gate = tokio::sync::OwnedMutexGuard::mutex(&w).clone();
                // Gives the write turn back: the next transaction may join the group.
                drop(w);
                let (id, rx) = released?;
                group_outcome(gate, id, rx).await?;
            }
            Tx::Postgres(t) => t.commit().await?,
            Tx::PostgresLazy(_) => {}
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<()> {
        match self {
            Tx::Sqlite(mut t) => {
                if let Some(mut w) = t.w.take() {
                    w.undo();
                }
            }
            Tx::Postgres(t) => t.rollback().await?,
            Tx::PostgresLazy(_) => {}
        }
        Ok(())
    }
}
