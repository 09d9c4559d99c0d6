//! What a ledger belongs to: its mode (DEMO, test or live), recorded the
//! first time a mode opens it and checked on every later open, so test
//! payments never count in live reports and a live ledger is never polled
//! with a test key.

use rusqlite::{Connection, OptionalExtension};

use crate::{write_tx, ChainKey, Ledger, LedgerError};

/// One `ledger_meta` value.
fn meta(conn: &Connection, key: &str) -> Result<Option<String>, LedgerError> {
    Ok(conn
        .query_row("SELECT value FROM ledger_meta WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?)
}

impl Ledger {
    /// The mode this ledger belongs to, once one has opened it.
    pub fn mode(&self) -> Result<Option<String>, LedgerError> {
        meta(&self.conn(), "mode")
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
        let wrong = |bound: String| LedgerError::WrongMode {
            path: self.path.clone(),
            bound,
            wanted: mode.to_owned(),
        };
        // Read first: opening a bound ledger takes no write lock.
        match meta(&self.conn(), "mode")? {
            Some(b) if b == mode => return Ok(()),
            Some(b) => return Err(wrong(b)),
            None => {}
        }
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let bound = meta(&tx, "mode")?;
        match bound {
            Some(b) if b == mode => Ok(()),
            Some(b) => Err(wrong(b)),
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
        // Read first: a reader beside the app must not wait for the writer.
        if let Some(id) = meta(&self.conn(), "id")? {
            return Ok(id);
        }
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        if let Some(id) = meta(&tx, "id")? {
            return Ok(id);
        }
        let id = hex::encode(rand::random::<[u8; 8]>());
        tx.execute(
            "INSERT INTO ledger_meta (key, value) VALUES ('id', ?1)",
            [&id],
        )?;
        tx.commit()?;
        Ok(id)
    }
}
