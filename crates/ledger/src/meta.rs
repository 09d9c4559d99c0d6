//! What a ledger belongs to: its mode (DEMO, test or live), recorded the
//! first time a mode opens it and checked on every later open, so test
//! payments never count in live reports and a live ledger is never polled
//! with a test key.

use rusqlite::OptionalExtension;

use crate::{write_tx, ChainKey, Ledger, LedgerError};

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

    /// Signs new journal rows with `key` (kept by the caller outside the
    /// ledger), or, given none, with a new key from the next row on; the
    /// key in use is returned for the caller to keep. verify then checks
    /// every row from `key.from` on.
    pub fn use_chain_key(&self, key: Option<ChainKey>) -> Result<ChainKey, LedgerError> {
        let key = match key {
            Some(k) => k,
            None => {
                let next: i64 = self.conn().query_row(
                    "SELECT coalesce(max(seq), 0) + 1 FROM journal",
                    [],
                    |r| r.get(0),
                )?;
                ChainKey::generate(next)
            }
        };
        *self.chain_key.write().unwrap_or_else(|e| e.into_inner()) = Some(key.clone());
        Ok(key)
    }

    /// Stops signing new rows (the key could not be kept).
    pub fn clear_chain_key(&self) {
        *self.chain_key.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// A stable random id of this ledger file (names its journal key in
    /// the secret store), made on first use.
    pub fn ledger_id(&self) -> Result<String, LedgerError> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let id: Option<String> = tx
            .query_row("SELECT value FROM ledger_meta WHERE key = 'id'", [], |r| {
                r.get(0)
            })
            .optional()?;
        let id = match id {
            Some(id) => id,
            None => {
                let id = hex::encode(rand::random::<[u8; 8]>());
                tx.execute(
                    "INSERT INTO ledger_meta (key, value) VALUES ('id', ?1)",
                    [&id],
                )?;
                tx.commit()?;
                id
            }
        };
        Ok(id)
    }
}
