//! The webhook inbox: a verified event is stored durably before the
//! receiver answers 2xx (elepay retries a delivery only when it fails), then
//! applied from the inbox, retried with the engine's backoff until applied,
//! and resumed after a restart. So an event whose re-fetch failed — a late
//! payment of a closed code, which nothing polls — is never lost.

use elepay::webhook::Event;

use crate::decision::{self, WebhookOutcome};
use crate::engine::Engine;
use crate::error::EngineError;

impl Engine {
    /// Stores a verified event (`body` exactly as signed) and applies it in
    /// the background. `Ok` means durable: only then may the receiver
    /// answer 2xx. A redelivery of a stored event is already being applied
    /// (or was), so it starts nothing new.
    pub fn take_webhook(&self, event: Event, body: &str) -> Result<(), EngineError> {
        if self.ledger().inbox_store(&event.id, body, self.now_ms())? {
            self.apply_from_inbox(event);
        }
        Ok(())
    }

    /// After a restart: applies every event still waiting in the inbox.
    /// Answers how many there were.
    pub fn resume_inbox(&self) -> Result<usize, EngineError> {
        let pending = self.ledger().inbox_pending()?;
        let n = pending.len();
        for e in pending {
            match Event::parse(e.body.as_bytes()) {
                Ok(event) => self.apply_from_inbox(event),
                Err(err) => {
                    // It was verified and parsed when stored; this only
                    // happens to a row edited since. Keep it, do not retry.
                    tracing::error!(event = %e.event_id, error = %err, "stored webhook unreadable; left in the inbox");
                }
            }
        }
        Ok(n)
    }

    fn apply_from_inbox(&self, event: Event) {
        let engine = self.clone();
        tokio::spawn(async move {
            let mut failures = 0u32;
            loop {
                let why = match engine.apply_webhook(&event).await {
                    Ok(WebhookOutcome::NotYetApplied) => "elepay could not be asked".to_owned(),
                    Ok(outcome) => {
                        tracing::info!(event = %event.id, ?outcome, "webhook applied");
                        if let Err(e) = engine.ledger().inbox_applied(&event.id, engine.now_ms()) {
                            tracing::error!(event = %event.id, error = %e, "webhook applied but not marked so; it is applied again (harmlessly) after a restart");
                        }
                        return;
                    }
                    Err(e) => e.to_string(),
                };
                failures = failures.saturating_add(1);
                tracing::warn!(event = %event.id, error = %why, "webhook not applied yet; trying again");
                if let Err(e) = engine.ledger().inbox_retry_later(&event.id, &why) {
                    tracing::warn!(event = %event.id, error = %e, "cannot count a webhook try");
                }
                let cfg = engine.config();
                let pause =
                    decision::next_check_delay(cfg.poll_interval, cfg.max_backoff, failures, None);
                tokio::time::sleep(pause).await;
            }
        });
    }
}
