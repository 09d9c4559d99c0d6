//! Applying a verified webhook event. A webhook is never trusted alone: it
//! only says which codes to read back now; elepay's answer is recorded.

use easyqr_ledger::AttemptState;
use elepay::webhook::Event;

use crate::decision::{self, WebhookOutcome, WebhookTargets};
use crate::engine::Engine;
use crate::error::EngineError;

impl Engine {
    /// Applies a verified webhook event: dedupe by event id, ignore other
    /// stores, then re-fetch the code and record what elepay says. An event
    /// is marked seen only once it was applied, so a redelivery after a
    /// failed re-fetch gets another chance.
    pub async fn apply_webhook(&self, event: &Event) -> Result<WebhookOutcome, EngineError> {
        let ledger = self.ledger();
        if ledger.webhook_seen(&event.id)? {
            return Ok(WebhookOutcome::Duplicate);
        }
        let outcome = self.webhook_inner(event).await?;
        if outcome != WebhookOutcome::NotYetApplied {
            ledger.record_webhook_event(&event.id, event.event_type.as_str(), self.now_ms())?;
        }
        Ok(outcome)
    }

    async fn webhook_inner(&self, event: &Event) -> Result<WebhookOutcome, EngineError> {
        let location = self.config().location_id.clone();
        let paid = match decision::webhook_payment(event, location.as_deref()) {
            Ok(paid) => paid,
            Err(why) => return Ok(WebhookOutcome::Ignored(why)),
        };
        let attempts = self.ledger().attempts_by_order_no(&paid.order_no)?;
        let candidates = match decision::webhook_targets(&attempts, &paid.charge_id) {
            WebhookTargets::AlreadyRecorded => {
                return Ok(WebhookOutcome::Applied(AttemptState::Captured))
            }
            WebhookTargets::NotOurs => {
                return Ok(WebhookOutcome::Ignored("not an order of this register"))
            }
            WebhookTargets::Refetch(candidates) => candidates,
        };
        let mut failed = false;
        let mut states = Vec::with_capacity(candidates.len());
        for a in candidates {
            match self.refresh(a, "webhook").await {
                Ok((after, _)) => states.push(after.state),
                Err(e) => {
                    tracing::warn!(order_no = %paid.order_no, error = %e, "webhook re-fetch failed; polling continues");
                    failed = true;
                }
            }
        }
        Ok(decision::webhook_outcome(&states, failed))
    }
}
