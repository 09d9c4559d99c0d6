//! What a ledger belongs to: its mode (DEMO, test or live), recorded the
//! first time a mode opens it and checked on every later open, so test
//! payments never count in live reports and a live ledger is never polled
//! with a test key.

use rusqlite::OptionalExtension;

use crate::{write_tx, Ledger, LedgerError};

impl Ledger {
    /// The mode this ledger belongs to, once one has opened it.
    pub fn mode(&self) -> Result<Option<String>, LedgerError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT value FROM ledger_meta WHERE key = 'mode'",
                [],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Binds the ledger to `mode` (`demo`, `test` or `live`) if it belongs to
    /// none yet; refuses with `WrongMode` if it belongs to another.
    pub fn bind_mode(&self, mode: &str) -> Result<(), LedgerError> {
        if !matches!(mode, "demo" | "test" | "live") {
            return Err(LedgerError::Invalid {
                field: "mode",
                allowed: "demo, test or live".into(),
            });
        }
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let bound: Option<String> = tx
            .query_row(
                "SELECT value FROM ledger_meta WHERE key = 'mode'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        match bound {
            Some(b) if b == mode => Ok(()),
            Some(b) => Err(LedgerError::WrongMode {
                path: self.path.clone(),
                bound: b,
                wanted: mode.to_owned(),
            }),
            None => {
                tx.execute(
                    "INSERT INTO ledger_meta (key, value) VALUES ('mode', ?1)",
                    [mode],
                )?;
                tx.commit()?;
                Ok(())
            }
        }
    }
}
