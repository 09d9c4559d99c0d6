//! Cancel = close the code, then read it back: a payment that won the race
//! is recorded as paid and reported as such.

use easyqr_ledger::{Attempt, AttemptId, AttemptState};

use crate::decision;
use crate::engine::Engine;
use crate::error::EngineError;

/// How a cancel ended, as confirmed by reading the code back.
#[derive(Debug, Clone)]
pub enum CancelOutcome {
    Cancelled(Attempt),
    /// The customer paid before the close took effect.
    PaidMeanwhile(Attempt),
    Expired(Attempt),
}

impl Engine {
    /// Closes a code being shown and reports how it really ended. Anything
    /// short of a confirmed end leaves the code watched.
    pub async fn cancel(&self, attempt_id: AttemptId) -> Result<CancelOutcome, EngineError> {
        let a = self.ledger().attempt(attempt_id)?;
        let (Some(code_id), true) = (a.code_id.clone(), a.state.allows_cancel()) else {
            return Err(EngineError::NotCancellable {
                order_no: a.order_no,
                state: a.state,
            });
        };
        if let Err(e) = self.client_handle().close_code(&code_id).await {
            if !decision::close_failure_may_have_ended(&e) {
                self.watch(a.id);
                return Err(EngineError::CancelUnconfirmed(e.to_string()));
            }
        }
        let (after, _) = self.refresh(&a, "cancel").await.map_err(|e| {
            self.watch(a.id);
            EngineError::CancelUnconfirmed(e.to_string())
        })?;
        match after.state {
            AttemptState::Captured => Ok(CancelOutcome::PaidMeanwhile(after)),
            AttemptState::Closed => Ok(CancelOutcome::Cancelled(after)),
            AttemptState::Expired => Ok(CancelOutcome::Expired(after)),
            _ => {
                self.watch(a.id);
                Err(EngineError::CancelUnconfirmed(
                    "elepay still reports the code as payable".into(),
                ))
            }
        }
    }
}
