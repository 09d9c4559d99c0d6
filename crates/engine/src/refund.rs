//! Refunds of paid attempts: recorded before the request leaves, sent once
//! (a repeated refund would pay the customer twice), then followed until
//! elepay says `refunded`. A refund whose request got no answer is matched
//! by the id we put in its metadata, never sent again blindly.

use std::time::Duration;

use easyqr_ledger::{AttemptId, LedgerError, Refund, RefundState, RefundTax};
use elepay::{Amount, RefundDto, RefundReq, RefundStatus};

use crate::decision;
use crate::engine::Engine;
use crate::error::{api_message, EngineError};
use crate::events::EngineEvent;

/// Metadata key carrying our refund row id, for matching after a lost answer.
const REFUND_KEY: &str = "easyqrRefund";

impl Engine {
    /// Refunds `amount` of a paid attempt, counted in the register's open
    /// shift (refused when there is none: it would count in no report). The
    /// ledger refuses more than the refundable remainder (refunds still in
    /// progress count against it).
    /// `taxed`: the returned lines and the refund's tax by rate, recorded
    /// with the request.
    pub async fn refund(
        &self,
        attempt_id: AttemptId,
        amount: Amount,
        reason: Option<&str>,
        taxed: Option<&RefundTax>,
    ) -> Result<Refund, EngineError> {
        let _turn = self.refund_turn().await;
        let ledger = self.ledger();
        let cfg = self.config();
        self.open_shift(&cfg.register_id)?;
        let a = ledger.attempt(attempt_id)?;
        let charge_id = self.charge_id_of(&a, "refund").await?;
        if let Some(reason) = reason {
            if reason.chars().count() > 200 || reason.chars().any(char::is_control) {
                return Err(EngineError::Ledger(LedgerError::Invalid {
                    field: "reason",
                    allowed: "at most 200 characters, no control characters".into(),
                }));
            }
        }
        // A refund with no answer yet must be settled before another is
        // sent, or the remainder could be paid out twice.
        for r in ledger.refunds_of(attempt_id)? {
            if r.status == RefundState::Requested {
                let now = self.settle_refund(&r, &charge_id).await?;
                if now.status == RefundState::Requested {
                    return Err(EngineError::RefundUnknown {
                        refund: Box::new(now),
                        reason: "an earlier refund of this payment is still being checked".into(),
                    });
                }
            }
        }
        // The ledger reads the open shift as it records the request (it may
        // have been closed while an earlier refund was being checked).
        let r = ledger.request_refund(
            attempt_id,
            amount,
            reason,
            taxed,
            &cfg.register_id,
            self.now_ms(),
        )?;
        self.emit_refund(&r);
        let req = RefundReq {
            amount,
            currency: Some("JPY".into()),
            metadata: Some(
                [
                    (REFUND_KEY.to_owned(), r.id.to_string()),
                    ("register".to_owned(), cfg.register_id.clone()),
                ]
                .into(),
            ),
            reason: reason.map(str::to_owned),
        };
        match self.client_handle().create_refund(&charge_id, &req).await {
            Ok(dto) => {
                let r = self.record_refund(r.id, &dto)?;
                if r.status == RefundState::Pending {
                    self.watch_refund(r.id, charge_id);
                }
                Ok(r)
            }
            Err(e) if e.write_may_have_happened() => {
                tracing::warn!(refund = r.id, error = %e, "refund outcome unknown; checking with elepay");
                self.watch_refund(r.id, charge_id);
                Err(EngineError::RefundUnknown {
                    refund: Box::new(r),
                    reason: e.to_string(),
                })
            }
            Err(e) => {
                let failed =
                    ledger.update_refund(r.id, None, RefundState::Failed, self.now_ms())?;
                self.emit_refund(&failed);
                Err(EngineError::RefundRefused {
                    code: e.code().to_owned(),
                    message: api_message(&e),
                })
            }
        }
    }

    /// Refuses early (before anything is looked up at elepay) when the
    /// register has no open shift; the ledger checks again as it records.
    fn open_shift(&self, register: &str) -> Result<(), EngineError> {
        match self.ledger().current_shift(register)? {
            Some(_) => Ok(()),
            None => Err(LedgerError::NoOpenShift {
                register: register.to_owned(),
            }
            .into()),
        }
    }

    /// Follows every refund a restart left unfinished.
    pub fn resume_refunds(&self) -> Result<usize, EngineError> {
        let ledger = self.ledger();
        let open = ledger.unsettled_refunds()?;
        let n = open.len();
        for r in open {
            match ledger.attempt(r.attempt_id)?.charge_id {
                Some(charge) => self.watch_refund(r.id, charge),
                None => tracing::error!(refund = r.id, "refund of a payment without a charge id"),
            }
        }
        Ok(n)
    }

    fn record_refund(&self, id: i64, dto: &RefundDto) -> Result<Refund, EngineError> {
        let status = match dto.status {
            RefundStatus::Refunded => RefundState::Refunded,
            // Pending, and anything newer elepay may add: keep following.
            _ => RefundState::Pending,
        };
        let r = self
            .ledger()
            .update_refund(id, Some(&dto.id), status, self.now_ms())?;
        self.emit_refund(&r);
        Ok(r)
    }

    /// One look at elepay for a refund: its status if we know its id, or a
    /// search of the charge's refunds by our metadata if the create's answer
    /// was lost. Not listed is no proof it was not made (elepay may commit
    /// it later), so it stays requested, its amount reserved, unless the
    /// refunds elepay lists leave no room for it: then it can never exist.
    async fn settle_refund(&self, r: &Refund, charge_id: &str) -> Result<Refund, EngineError> {
        let client = self.client_handle();
        let unknown = |e: elepay::Error| EngineError::RefundUnknown {
            refund: Box::new(r.clone()),
            reason: e.to_string(),
        };
        if let Some(rid) = &r.refund_id {
            let dto = client
                .retrieve_refund(charge_id, rid)
                .await
                .map_err(unknown)?;
            return self.record_refund(r.id, &dto);
        }
        let list = client.list_refunds(charge_id).await.map_err(unknown)?;
        let ours = |d: &RefundDto| {
            d.metadata
                .as_ref()
                .and_then(|m| m.get(REFUND_KEY))
                .is_some_and(|v| *v == r.id.to_string())
        };
        if let Some(dto) = list.refunds.iter().find(|d| ours(d)) {
            return self.record_refund(r.id, dto);
        }
        let paid = self.ledger().attempt(r.attempt_id)?.amount;
        let listed: i64 = list.refunds.iter().map(|d| d.amount).sum();
        // A list shorter than its total proves nothing about what is missing.
        let complete = list.refunds.len() as i64 >= list.total;
        if complete && !decision::refund_may_exist(paid, listed, r.amount) {
            tracing::warn!(
                refund = r.id,
                "elepay's refunds leave no room for it; it was not made"
            );
            let failed =
                self.ledger()
                    .update_refund(r.id, None, RefundState::Failed, self.now_ms())?;
            self.emit_refund(&failed);
            return Ok(failed);
        }
        Ok(r.clone())
    }

    /// elepay's charge id of a paid attempt. One recorded without it (a
    /// code read that carried no charge) is looked up and stored.
    pub(crate) async fn charge_id_of(
        &self,
        a: &easyqr_ledger::Attempt,
        source: &str,
    ) -> Result<String, EngineError> {
        if let Some(id) = &a.charge_id {
            return Ok(id.clone());
        }
        let not_found = || {
            EngineError::Ledger(LedgerError::Invalid {
                field: "attempt",
                allowed: format!(
                    "a payment whose elepay charge is known; elepay did not name the charge of {} (try again later)",
                    a.order_no
                ),
            })
        };
        if a.state != easyqr_ledger::AttemptState::Captured {
            return Err(EngineError::Ledger(LedgerError::Invalid {
                field: "attempt",
                allowed: format!("a paid order; {} is {}", a.order_no, a.state),
            }));
        }
        let found = self.find_charge(a).await?.ok_or_else(not_found)?;
        let a = self
            .ledger()
            .set_charge_id(a.id, &found, source, self.now_ms())?;
        tracing::info!(
            order_no = a.order_no,
            "charge id of a paid order found and stored"
        );
        Ok(found)
    }

    /// Polls a refund until elepay reports it refunded (or, for one whose
    /// create got no answer, until it is found or known not to exist).
    fn watch_refund(&self, id: i64, charge_id: String) {
        let engine = self.clone();
        tokio::spawn(async move {
            // Failed looks and looks that found nothing yet both back off.
            let mut failures: u32 = 0;
            loop {
                let cfg = engine.config();
                let delay =
                    decision::next_check_delay(cfg.poll_interval, cfg.max_backoff, failures, None);
                tokio::time::sleep(delay.max(Duration::from_millis(1))).await;
                engine.throttle().wait().await;
                let r = match engine.ledger().refund(id) {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::error!(refund = id, error = %e, "cannot read refund; stop following");
                        return;
                    }
                };
                if matches!(r.status, RefundState::Refunded | RefundState::Failed) {
                    return;
                }
                match engine.settle_refund(&r, &charge_id).await {
                    Ok(r) if matches!(r.status, RefundState::Refunded | RefundState::Failed) => {
                        return
                    }
                    Ok(r) if r.status == RefundState::Requested => {
                        failures = failures.saturating_add(1)
                    }
                    Ok(_) => failures = 0,
                    Err(e) => {
                        failures = failures.saturating_add(1);
                        tracing::warn!(refund = id, failures, error = %e, "refund check failed; backing off");
                    }
                }
            }
        });
    }

    fn emit_refund(&self, r: &Refund) {
        self.send_event(EngineEvent::Refund(r.clone()));
    }
}
