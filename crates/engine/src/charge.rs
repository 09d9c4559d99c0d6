//! Charge and retry: reserve an attempt, send its create, and commit what
//! elepay answered before anything is shown (invariants 2 and 3).

use easyqr_ledger::{business_date, Attempt, AttemptState, Change, LedgerError, SaleId, SaleTaxed};
use elepay::{Amount, CodeReq, OrderNo};

use crate::config::EngineConfig;
use crate::decision::{self, Asked, BurnCause, CreateVerdict};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::events::{CustomerEvent, EngineEvent};

/// A code that is durable and may be shown.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub attempt: Attempt,
    pub code_url: String,
    /// Server-reported validity left, for the countdown.
    pub remaining_ms: i64,
}

impl Engine {
    /// Rings up `amount` in the register's open shift and creates its first
    /// EasyQR code. No open shift: `NoOpenShift`, before anything is sent.
    /// `taxed`: the sale's lines and tax by rate, recorded with it.
    pub async fn charge(
        &self,
        amount: Amount,
        description: Option<&str>,
        taxed: Option<&SaleTaxed>,
    ) -> Result<Checkout, EngineError> {
        let cfg = self.config();
        let now = self.now_ms();
        let date = business_date(now, cfg.utc_offset_minutes);
        let reserved = self.ledger().start_sale(
            amount,
            description,
            taxed,
            &cfg.register_id,
            &cfg.order_prefix,
            &date,
            now,
        )?;
        self.create(reserved).await
    }

    /// Tries a sale again after its last code was closed, expired, refused or
    /// burned. The FAQ allows the same orderNo after close/expiry; after an
    /// unknown outcome a fresh one is used (invariant 3). The ledger refuses
    /// a paid sale or one with a code still live, even under racing calls.
    pub async fn retry(&self, sale_id: SaleId) -> Result<Checkout, EngineError> {
        let attempts = self.ledger().attempts_of_sale(sale_id)?;
        let order_no = match attempts.last() {
            Some(last) if last.state.frees_order_no() => OrderNo::new(last.order_no.clone())?,
            _ => self.fresh_order_no()?,
        };
        let reserved = self
            .ledger()
            .reserve_attempt(sale_id, &order_no, self.now_ms())
            .map_err(|e| match e {
                LedgerError::SalePaid { sale_id, .. } => EngineError::AlreadyPaid { sale_id },
                LedgerError::SaleBusy { sale_id, order_no } => {
                    EngineError::SaleBusy { sale_id, order_no }
                }
                other => other.into(),
            })?;
        self.create(reserved).await
    }

    fn fresh_order_no(&self) -> Result<OrderNo, EngineError> {
        let cfg = self.config();
        let date = business_date(self.now_ms(), cfg.utc_offset_minutes);
        Ok(self.ledger().next_order_no(&cfg.order_prefix, &date)?)
    }

    /// Sends the create for a reserved attempt and commits the answer.
    async fn create(&self, reserved: Attempt) -> Result<Checkout, EngineError> {
        let cfg = self.config();
        let order_no = OrderNo::new(reserved.order_no.clone())?;
        self.emit_cashier(&reserved, None, None);
        let req = code_request(&cfg, &reserved, order_no.clone())?;
        if let Err(e) = req.validate() {
            self.record(
                reserved.id,
                &Change::Rejected {
                    error_code: "invalid_request".into(),
                    message: e.to_string(),
                },
                None,
            )?;
            return Err(e.into());
        }
        // Committed before the request leaves: after a crash from here on,
        // recovery knows a code may exist and burns the orderNo.
        self.record(reserved.id, &Change::Creating, None)?;
        let client = self.client_handle();
        let answer = client.create_code(&req).await;
        let asked = Asked {
            order_no: order_no.as_str(),
            amount: reserved.amount,
            validity_ms: i64::from(cfg.expiry_minutes) * 60_000,
            now: self.now_ms(),
            key_last4: client.key_last4(),
        };
        match decision::classify_create(&answer, &asked) {
            CreateVerdict::Show {
                change,
                remaining_ms,
            } => self.show(reserved, &change, remaining_ms),
            CreateVerdict::Burn { reason, cause } => {
                let applied = self.record(
                    reserved.id,
                    &Change::Burned {
                        reason: reason.clone(),
                    },
                    None,
                )?;
                let attempt = Box::new(applied.attempt().clone());
                Err(match cause {
                    BurnCause::Mismatch { code_id } => {
                        // Take it off the table so nobody can pay it.
                        if let Err(e) = client.close_code(&code_id).await {
                            tracing::warn!(code_id = %code_id, error = %e, "could not close a mismatched code; it will expire");
                        }
                        EngineError::OutcomeUnknown {
                            attempt,
                            reason: "mismatched code in the answer".into(),
                        }
                    }
                    BurnCause::OrderNoInUse => {
                        tracing::error!(order_no = %order_no, "elepay reports the orderNo in use; retired");
                        EngineError::OrderNoInUse {
                            attempt,
                            order_no: order_no.to_string(),
                        }
                    }
                    BurnCause::OutcomeUnknown => {
                        let code = answer.as_ref().err().map_or("", elepay::Error::code);
                        tracing::warn!(order_no = %order_no, error_code = code, "create outcome unknown; attempt burned");
                        EngineError::OutcomeUnknown { attempt, reason }
                    }
                })
            }
            CreateVerdict::Reject {
                error_code,
                message,
            } => {
                let applied = self.record(
                    reserved.id,
                    &Change::Rejected {
                        error_code: error_code.clone(),
                        message: message.clone(),
                    },
                    None,
                )?;
                Err(EngineError::Rejected {
                    attempt: Box::new(applied.attempt().clone()),
                    code: error_code,
                    message,
                })
            }
        }
    }

    /// Commits a usable code (pending), starts watching it and hands it out
    /// to be shown.
    fn show(
        &self,
        reserved: Attempt,
        change: &Change,
        remaining_ms: i64,
    ) -> Result<Checkout, EngineError> {
        let applied = match self.record(reserved.id, change, Some(remaining_ms)) {
            Ok(applied) => applied,
            Err(e) => return Err(self.unrecorded_code(&reserved, change, e)),
        };
        let attempt = applied.attempt().clone();
        {
            let _turn = self.customer_turn();
            // A late capture of an earlier code may have landed while this
            // one was being created: then its QR is never shown.
            let paid_elsewhere = self
                .ledger()
                .attempts_of_sale(reserved.sale_id)?
                .iter()
                .any(|s| s.id != attempt.id && s.state == AttemptState::Captured);
            if paid_elsewhere {
                self.send_event(EngineEvent::Customer(CustomerEvent::SalePaid {
                    amount: attempt.amount,
                }));
                self.emit_cashier(&attempt, Some(remaining_ms), None);
                self.watch(attempt.id);
                self.close_in_background(attempt.id);
                return Err(EngineError::AlreadyPaid {
                    sale_id: reserved.sale_id,
                });
            }
            // The customer first: the QR is drawn for their display, and
            // the cashier's thumbnail reuses that drawing.
            if let Some(c) = CustomerEvent::for_attempt(&attempt, Some(remaining_ms)) {
                self.send_event(EngineEvent::Customer(c));
            }
            self.emit_cashier(&attempt, Some(remaining_ms), None);
        }
        // Watched once both windows were told, so no later news overtakes
        // the "pending" they start from.
        self.watch(attempt.id);
        Ok(Checkout {
            code_url: attempt.code_url.clone().unwrap_or_default(),
            attempt,
            remaining_ms,
        })
    }
}

impl Engine {
    /// elepay made the code but the ledger could not record it: it is never
    /// shown. Burning the attempt frees the sale for a retry at once (a
    /// creating attempt would block it until a restart), and the code is
    /// closed so nobody can pay it.
    fn unrecorded_code(&self, reserved: &Attempt, change: &Change, e: LedgerError) -> EngineError {
        tracing::error!(order_no = %reserved.order_no, error = %e, "elepay's code could not be recorded; never shown");
        let burn = Change::Burned {
            reason: format!("the code could not be recorded ({e}); never shown"),
        };
        if let Err(again) = self.record(reserved.id, &burn, None) {
            tracing::error!(order_no = %reserved.order_no, error = %again, "attempt not burned either; recovery burns it at the next start");
        }
        if let Change::Pending { code_id, .. } = change {
            let (client, code_id) = (self.client_handle(), code_id.clone());
            tokio::spawn(async move {
                if let Err(e) = client.close_code(&code_id).await {
                    tracing::warn!(%code_id, error = %e, "could not close an unrecorded code; it expires unseen");
                }
            });
        }
        e.into()
    }
}

/// The create request for a reserved attempt, as the store configured it.
fn code_request(
    cfg: &EngineConfig,
    reserved: &Attempt,
    order_no: OrderNo,
) -> Result<CodeReq, EngineError> {
    let mut req = CodeReq::new(Amount::new(reserved.amount)?, order_no);
    req.expiry_duration = Some(cfg.expiry_minutes);
    req.front_url = cfg.front_url(req.order_no.as_str());
    req.location_id = cfg.location_id.clone();
    req.metadata = Some(
        [
            ("register".to_owned(), cfg.register_id.clone()),
            ("saleId".to_owned(), reserved.sale_id.to_string()),
        ]
        .into(),
    );
    Ok(req)
}
