//! [`Ledger::verify`]: the hash chain first (`journal.rs`), then the replay
//! of the journal against the tables (`replay.rs`).

use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use crate::{journal, replay, BadRow, ChainKey, JournalReport, Ledger, LedgerError};

impl Ledger {
    /// Checks the journal chain, then replays it against the tables: every
    /// sale, attempt and refund must hold exactly what its journal rows say
    /// (catches edits, deletions and insertions that bypassed the journal),
    /// and the running shift totals must match the attempts.
    pub fn verify(&self) -> Result<JournalReport, LedgerError> {
        let key = self.key();
        let conn = self.conn();
        verify_on(&conn, key.as_ref())
    }

    /// [`Ledger::verify`] on a read-only connection of its own, inside one
    /// read transaction: a consistent snapshot, while the app keeps taking
    /// payments on the main connection (WAL lets readers and the writer run
    /// side by side). For the check at start on a large ledger.
    pub fn verify_file(path: &Path, key: Option<&ChainKey>) -> Result<JournalReport, LedgerError> {
        let mut conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let tx = conn.transaction()?;
        let report = verify_on(&tx, key)?;
        tx.finish()?;
        Ok(report)
    }
}

/// Each closed shift's recorded head is its own `shift.closed` row, and its
/// kept Z figures are the ones that row journaled.
fn check_closes(conn: &Connection) -> Result<Option<BadRow>, LedgerError> {
    // Recorded since schema v5; an older file read as is has no such column.
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version < 5 {
        return Ok(None);
    }
    let bad: Option<(i64, i64)> = conn
        .query_row(
            "SELECT s.id, s.journal_rows FROM shifts s LEFT JOIN journal j ON j.seq = s.journal_rows
             WHERE s.journal_rows IS NOT NULL
               AND (j.hash IS NOT s.journal_hash OR j.kind IS NOT 'shift.closed'
                    OR json_extract(j.payload, '$.shiftId') IS NOT s.id
                    OR json(s.z_figures) IS NOT json_extract(j.payload, '$.figures'))
             ORDER BY s.id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(bad.map(|(shift, seq)| BadRow {
        seq,
        reason: format!(
            "shift {shift}'s journal head or Z figures at its close do not match the journal"
        ),
    }))
}

fn verify_on(conn: &Connection, key: Option<&ChainKey>) -> Result<JournalReport, LedgerError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let mut report = journal::verify(conn, key, version >= 5)?;
    if report.is_intact() {
        report.first_bad = replay::check_sales(conn)?
            .or(replay::check_attempts(conn)?)
            .or(replay::check_refunds(conn)?)
            .or(replay::check_shifts(conn)?)
            .or(check_closes(conn)?)
            .or(replay::check_totals(conn)?)
            .or(crate::replay_tax::check_taxes(conn)?)
            .or(crate::replay_tax::check_rate_totals(conn)?);
    }
    Ok(report)
}
