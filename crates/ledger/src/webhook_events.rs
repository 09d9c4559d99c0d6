//! Webhook events: the inbox of verified events not yet applied (stored
//! before the receiver answers 2xx), and the ids already applied (elepay
//! delivers an event up to seven times; each changes the ledger once).

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

/// A verified webhook event waiting in the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxEvent {
    pub event_id: String,
    /// The body exactly as elepay signed it.
    pub body: String,
    pub tries: i64,
}

impl Ledger {
    /// Stores a verified event durably; answers false when it was stored
    /// before (a redelivery).
    pub fn inbox_store(&self, event_id: &str, body: &str, now: i64) -> Result<bool, LedgerError> {
        let n = self.conn().execute(
            "INSERT INTO webhook_inbox (event_id, body, received_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(event_id) DO NOTHING",
            params![event_id, body, now],
        )?;
        Ok(n == 1)
    }

    /// Events stored but not yet applied, oldest first.
    pub fn inbox_pending(&self) -> Result<Vec<InboxEvent>, LedgerError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT event_id, body, tries FROM webhook_inbox WHERE applied_at IS NULL
             ORDER BY received_at, event_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(InboxEvent {
                event_id: r.get(0)?,
                body: r.get(1)?,
                tries: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Marks an event applied (or known to need nothing).
    pub fn inbox_applied(&self, event_id: &str, now: i64) -> Result<(), LedgerError> {
        self.conn().execute(
            "UPDATE webhook_inbox SET applied_at = ?2, tries = tries + 1, last_error = NULL
             WHERE event_id = ?1",
            params![event_id, now],
        )?;
        Ok(())
    }

    /// Counts a try that could not apply the event, and why.
    pub fn inbox_retry_later(&self, event_id: &str, error: &str) -> Result<(), LedgerError> {
        self.conn().execute(
            "UPDATE webhook_inbox SET tries = tries + 1, last_error = ?2 WHERE event_id = ?1",
            params![event_id, error],
        )?;
        Ok(())
    }
}
