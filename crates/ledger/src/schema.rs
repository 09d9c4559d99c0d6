//! Connection settings and migrations. `PRAGMA user_version` records the
//! schema version; a newer one than this build knows is refused rather than
//! guessed at.

use rusqlite::Connection;

use crate::LedgerError;

/// Migration n (1-based) brings the schema from version n-1 to n.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_sale_rules_and_totals.sql"),
    include_str!("../migrations/0003_shift_close_and_reports.sql"),
    include_str!("../migrations/0004_webhook_inbox.sql"),
    include_str!("../migrations/0005_ledger_meta.sql"),
    include_str!("../migrations/0006_tax_by_rate.sql"),
];

pub(crate) fn prepare(conn: &Connection, path: &str) -> Result<(), LedgerError> {
    // WAL: readers never block the writer. FULL: a committed payment survives
    // power loss. Foreign keys are off by default in SQLite.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;

    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(LedgerError::TooNew {
            path: path.to_owned(),
            found: version,
            known,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// Schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;
