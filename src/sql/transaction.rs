//! Transactions that commit only when told to and roll back when dropped, so an early return or a `?` can
//! never leave half of an operation in the database.

use std::ops::Deref;

use super::connection::Connection;
use super::error::SqlResult;

/// An open `BEGIN IMMEDIATE` transaction on a [`Connection`].
pub struct Transaction<'c> {
    conn: &'c Connection,
    finished: bool,
}

impl<'c> Transaction<'c> {
    pub(crate) fn begin(conn: &'c Connection) -> SqlResult<Self> {
        // IMMEDIATE takes the write lock up front: a transaction never fails halfway with SQLITE_BUSY.
        conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(Transaction {
            conn,
            finished: false,
        })
    }

    /// Makes the transaction's writes durable.
    ///
    /// # Errors
    /// The commit fails (I/O error, full storage, a deferred constraint); the transaction is then rolled back.
    pub fn commit(mut self) -> SqlResult<()> {
        self.finished = true;
        let result = self.conn.execute_batch("COMMIT");
        if result.is_err() && !self.conn.is_autocommit() {
            // Best effort: the original error is the one worth reporting.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        result
    }

    /// Discards the transaction's writes.
    ///
    /// # Errors
    /// SQLite refuses the rollback (it has then already rolled back on its own).
    pub fn rollback(mut self) -> SqlResult<()> {
        self.finished = true;
        self.rollback_if_open()
    }

    fn rollback_if_open(&self) -> SqlResult<()> {
        if self.conn.is_autocommit() {
            // SQLite already rolled back (for example after SQLITE_FULL).
            return Ok(());
        }
        self.conn.execute_batch("ROLLBACK")
    }
}

impl Deref for Transaction<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.finished {
            // Nothing to report to from Drop; a failed rollback leaves SQLite to roll back on close.
            let _ = self.rollback_if_open();
        }
    }
}

impl Transaction<'_> {
    /// Opens a savepoint inside the transaction: a part of it that can be undone on its own.
    ///
    /// # Errors
    /// SQLite refuses the savepoint.
    pub fn savepoint(&self) -> SqlResult<Savepoint<'_>> {
        // Cached statements: a catch-up batch opens one savepoint per message.
        self.conn.execute("SAVEPOINT part", &[])?;
        Ok(Savepoint {
            conn: self.conn,
            finished: false,
        })
    }
}

/// A savepoint in an open transaction: [`Savepoint::release`] keeps its writes in the transaction; dropping
/// it (or [`Savepoint::rollback`]) undoes them and leaves the transaction open.
pub struct Savepoint<'t> {
    conn: &'t Connection,
    finished: bool,
}

impl Savepoint<'_> {
    /// Keeps the savepoint's writes as part of the transaction.
    ///
    /// # Errors
    /// SQLite refuses the release.
    pub fn release(mut self) -> SqlResult<()> {
        self.finished = true;
        self.conn.execute("RELEASE part", &[]).map(drop)
    }

    /// Undoes the savepoint's writes; the transaction stays open.
    ///
    /// # Errors
    /// SQLite refuses the rollback, or the transaction is gone (SQLite rolled it back on its own, as after
    /// `SQLITE_FULL`): the caller must give up the whole transaction.
    pub fn rollback(mut self) -> SqlResult<()> {
        self.finished = true;
        self.undo()
    }

    fn undo(&self) -> SqlResult<()> {
        // With the transaction gone, SQLite refuses this ("no such savepoint").
        self.conn.execute_batch("ROLLBACK TO part; RELEASE part")
    }
}

impl Drop for Savepoint<'_> {
    fn drop(&mut self) {
        if !self.finished {
            // Nothing to report to from Drop; the enclosing transaction rolls back when it fails later.
            let _ = self.undo();
        }
    }
}
