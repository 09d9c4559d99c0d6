//! Start-up: verify the journal, burn attempts whose create may have been
//! interrupted, resume watching pending codes and record payments that
//! happened while the app was down.

use easyqr_ledger::{AttemptState, Change, JournalReport};

use crate::engine::Engine;
use crate::error::EngineError;
use crate::events::{CustomerEvent, EngineEvent};

#[derive(Debug, Clone, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryReport {
    pub journal: Option<JournalReport>,
    pub burned: Vec<String>,
    pub resumed: Vec<String>,
    pub captured: Vec<String>,
    /// Codes of sales paid through another code, closed and confirmed (the
    /// app had stopped before it could close them).
    pub closed: Vec<String>,
    /// Webhook events found in the inbox not yet applied; applied now.
    pub webhooks: usize,
}

impl Engine {
    /// Run once at start: the journal check, then [`Engine::resume`].
    pub async fn recover(&self) -> Result<RecoveryReport, EngineError> {
        let journal = self.ledger().verify()?;
        if let Some(bad) = &journal.first_bad {
            tracing::error!(seq = bad.seq, reason = %bad.reason, "JOURNAL CHAIN BROKEN: the ledger was changed outside EasyQR POS");
        }
        let mut report = self.resume().await?;
        report.journal = Some(journal);
        Ok(report)
    }

    /// [`Engine::recover`] without the journal check, for a caller that
    /// verifies on its own snapshot in the background
    /// ([`easyqr_ledger::Ledger::verify_file`]).
    pub async fn resume(&self) -> Result<RecoveryReport, EngineError> {
        let mut report = RecoveryReport::default();
        for a in self.ledger().unresolved_attempts()? {
            match a.state {
                AttemptState::Reserved | AttemptState::Creating => {
                    self.record(a.id, &Change::Burned {
                        reason: "interrupted before elepay's answer was recorded (restart); never shown".into(),
                    }, None)?;
                    report.burned.push(a.order_no);
                }
                AttemptState::Pending if self.sale_paid_elsewhere(&a)? => {
                    // Close-then-read-back, like a cancel: a payment that
                    // won the race is recorded (and reported as paid twice).
                    match self.cancel(a.id).await {
                        Ok(_) => report.closed.push(a.order_no.clone()),
                        Err(e) => {
                            tracing::warn!(order_no = %a.order_no, error = %e, "could not close the code of a sale paid elsewhere; watching it");
                            report.resumed.push(a.order_no.clone());
                        }
                    }
                }
                AttemptState::Pending => match self.refresh(&a, "recovery").await {
                    Ok((after, _)) if after.state == AttemptState::Captured => {
                        report.captured.push(a.order_no.clone())
                    }
                    Ok((after, _)) if after.state.is_final() => {}
                    read => {
                        report.resumed.push(a.order_no.clone());
                        self.show_again(&a, read.ok().and_then(|(_, r)| r));
                        self.watch(a.id);
                    }
                },
                _ => {}
            }
        }
        report.webhooks = self.resume_inbox()?;
        Ok(report)
    }

    /// A code still open after a restart goes back up on the customer
    /// display: the customer may still be at the counter, phone in hand, and
    /// the register refuses a new sale while it is open (pos `counter`).
    /// `remaining`: elepay's figure when it answered, else the recorded
    /// expiry's.
    fn show_again(&self, a: &easyqr_ledger::Attempt, remaining: Option<i64>) {
        let remaining = remaining.or_else(|| a.expiry_time.map(|e| e - self.now_ms()));
        if remaining.is_some_and(|r| r > 0) {
            let _turn = self.customer_turn();
            if let Some(c) = CustomerEvent::for_attempt(a, remaining) {
                self.send_event(EngineEvent::Customer(c));
            }
        }
    }

    /// Whether another attempt of `a`'s sale is paid.
    fn sale_paid_elsewhere(&self, a: &easyqr_ledger::Attempt) -> Result<bool, EngineError> {
        Ok(self
            .ledger()
            .attempts_of_sale(a.sale_id)?
            .iter()
            .any(|s| s.id != a.id && s.state == AttemptState::Captured))
    }

    /// Records every pending code as expired without asking elepay, through
    /// the normal record path (journalled, announced). Only for a backend
    /// that lost every code (DEMO's in-memory simulator forgets its codes on
    /// restart): against elepay, a pending code may still be paid, so call
    /// [`Engine::resume`] instead. Run it before `resume`. Returns the
    /// orderNos retired; one that cannot be recorded is logged and skipped.
    pub fn retire_lost_codes(&self) -> Result<Vec<String>, EngineError> {
        let mut retired = Vec::new();
        for a in self.ledger().unresolved_attempts()? {
            if a.state != AttemptState::Pending {
                continue;
            }
            match self.record(a.id, &Change::Expired, None) {
                Ok(_) => {
                    tracing::info!(order_no = %a.order_no, "code from before the restart recorded as expired (its backend lost it)");
                    retired.push(a.order_no);
                }
                Err(e) => {
                    tracing::warn!(order_no = %a.order_no, error = %e, "could not retire a lost code")
                }
            }
        }
        Ok(retired)
    }
}
