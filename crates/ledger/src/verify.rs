//! [`Ledger::verify`]: the hash chain first (`journal.rs`), then the replay
//! of the journal against the tables (`replay.rs`).

use std::path::Path;

use rusqlite::Connection;

use crate::{journal, replay, JournalReport, Ledger, LedgerError};

impl Ledger {
    /// Checks the journal chain, then replays it against the tables: every
    /// sale, attempt and refund must hold exactly what its journal rows say
    /// (catches edits, deletions and insertions that bypassed the journal),
    /// and the running shift totals must match the attempts.
    pub fn verify(&self) -> Result<JournalReport, LedgerError> {
        let conn = self.conn();
        verify_on(&conn)
    }

    /// [`Ledger::verify`] on a read-only connection of its own, inside one
    /// read transaction: a consistent snapshot, while the app keeps taking
    /// payments on the main connection (WAL lets readers and the writer run
    /// side by side). For the check at start on a large ledger.
    pub fn verify_file(path: &Path) -> Result<JournalReport, LedgerError> {
        let mut conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let tx = conn.transaction()?;
        let report = verify_on(&tx)?;
        tx.finish()?;
        Ok(report)
    }
}

fn verify_on(conn: &Connection) -> Result<JournalReport, LedgerError> {
    let mut report = journal::verify(conn)?;
    if report.is_intact() {
        report.first_bad = replay::check_sales(conn)?
            .or(replay::check_attempts(conn)?)
            .or(replay::check_refunds(conn)?)
            .or(replay::check_shifts(conn)?)
            .or(replay::check_totals(conn)?);
    }
    Ok(report)
}
