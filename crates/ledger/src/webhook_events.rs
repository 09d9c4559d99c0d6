//! Webhook event ids already applied: elepay delivers an event up to seven
//! times, and each must change the ledger at most once.

use rusqlite::{params, OptionalExtension};

use crate::{Ledger, LedgerError};

impl Ledger {
    /// Whether a webhook event id was already applied.
    pub fn webhook_seen(&self, event_id: &str) -> Result<bool, LedgerError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT 1 FROM webhook_events WHERE event_id = ?1",
                [event_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Records a webhook event id; returns false if it was seen before.
    pub fn record_webhook_event(
        &self,
        event_id: &str,
        event_type: &str,
        now: i64,
    ) -> Result<bool, LedgerError> {
        let n = self.conn().execute(
            "INSERT INTO webhook_events (event_id, event_type, received_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(event_id) DO NOTHING",
            params![event_id, event_type, now],
        )?;
        Ok(n == 1)
    }
}
