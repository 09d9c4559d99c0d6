//! The cashier's operations on a register: charge (with item lines), try
//! again, cancel, refund, reconcile, restart recovery. Each is a call into
//! the engine (where every payment state change happens) plus the input
//! rules every shell shares.

use std::time::Duration;

use easyqr_engine::{CancelOutcome, Checkout, Engine, Reconciliation, RecoveryReport};
use easyqr_ledger::{Attempt, AttemptState, Refund, RefundState, ShiftId};
use serde::{Deserialize, Serialize};

use crate::books::{AttemptRef, Books};
use crate::config::RegisterConfig;
use crate::error::{PosError, Result};

/// One item line of a sale.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub name: String,
    pub qty: i64,
    pub unit_price: i64,
}

/// What the cashier rang up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargeRequest {
    pub amount: i64,
    pub description: Option<String>,
    #[serde(default)]
    pub items: Vec<Item>,
}

impl ChargeRequest {
    /// The amount, and the sale's description: item lines, when given,
    /// must add up to the amount and become the description (what the
    /// receipt and the log show).
    pub fn checked(&self) -> Result<(elepay::Amount, Option<String>)> {
        let amount = elepay::Amount::new(self.amount)?;
        if self.items.is_empty() {
            let d = self.description.clone().filter(|d| !d.trim().is_empty());
            return Ok((amount, d));
        }
        let mut total: i64 = 0;
        let mut lines = Vec::new();
        for (i, it) in self.items.iter().enumerate() {
            if it.name.trim().is_empty() || it.qty < 1 || it.unit_price < 1 {
                return Err(PosError::invalid(
                    format!("items[{i}]"),
                    format!("items[{i}]: a name, a quantity of at least 1 and a unit price of at least ¥1"),
                ));
            }
            total = total.saturating_add(it.qty.saturating_mul(it.unit_price));
            lines.push(format!("{} ×{}", it.name.trim(), it.qty));
        }
        if total != self.amount {
            return Err(PosError::invalid(
                "amount",
                format!("amount: the items add up to ¥{total}, not ¥{}", self.amount),
            ));
        }
        Ok((amount, Some(lines.join(", "))))
    }
}

/// How a cancel ended, as confirmed by reading the code back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CancelResult {
    Cancelled,
    PaidMeanwhile,
    Expired,
}

impl CancelResult {
    pub fn of(outcome: CancelOutcome) -> (CancelResult, Attempt) {
        match outcome {
            CancelOutcome::Cancelled(a) => (CancelResult::Cancelled, a),
            CancelOutcome::PaidMeanwhile(a) => (CancelResult::PaidMeanwhile, a),
            CancelOutcome::Expired(a) => (CancelResult::Expired, a),
        }
    }

    /// In plain words, for the cashier.
    pub fn note(self) -> &'static str {
        match self {
            CancelResult::Cancelled => "cancelled",
            CancelResult::PaidMeanwhile => "the customer paid before the cancel took effect",
            CancelResult::Expired => "the code had already expired",
        }
    }
}

/// A register at work: its books and the engine that talks to elepay.
#[derive(Debug, Clone)]
pub struct Register {
    books: Books,
    engine: Engine,
}

impl Register {
    pub fn new(engine: Engine) -> Register {
        let books = Books::new(engine.ledger().clone());
        Register { books, engine }
    }

    /// The register of a shell that holds the key itself (the CLI): `raw`
    /// is the text of `ELEPAY_SECRET_KEY`, never a flag.
    pub fn with_key(
        books: &Books,
        cfg: &RegisterConfig,
        raw: Option<String>,
        api_base: &url::Url,
    ) -> Result<Register> {
        let raw = raw.filter(|k| !k.trim().is_empty()).ok_or_else(|| {
            PosError::invalid(
                "ELEPAY_SECRET_KEY",
                "ELEPAY_SECRET_KEY: set it to your elepay secret key (sk_test_… or sk_live_…)",
            )
        })?;
        let key = elepay::SecretKey::parse(&raw)?;
        Ok(Register::new(cfg.engine(
            books.ledger().clone(),
            key,
            api_base,
        )?))
    }

    pub fn books(&self) -> &Books {
        &self.books
    }

    /// Refuses a key of another elepay app than the ledger's (see
    /// [`crate::config::check_same_app`]).
    pub async fn check_same_app(&self) -> Result<()> {
        crate::config::check_same_app(self.books.ledger(), &self.engine.client_handle()).await
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The register id in force (shifts are per register).
    pub fn register_id(&self) -> String {
        self.engine.config().register_id.clone()
    }

    pub async fn charge(&self, req: &ChargeRequest) -> Result<Checkout> {
        let (amount, description) = req.checked()?;
        Ok(self.engine.charge(amount, description.as_deref()).await?)
    }

    pub async fn retry(&self, sale_id: i64) -> Result<Checkout> {
        Ok(self.engine.retry(sale_id).await?)
    }

    pub async fn cancel(&self, attempt_id: i64) -> Result<(CancelResult, Attempt)> {
        Ok(CancelResult::of(self.engine.cancel(attempt_id).await?))
    }

    /// Cancels the code being shown for an order (or attempt).
    pub async fn cancel_code_of(&self, which: &AttemptRef) -> Result<(CancelResult, Attempt)> {
        let pending = self.books.attempt_in(which, AttemptState::Pending)?;
        self.cancel(pending.id).await
    }

    /// Refunds `amount` yen of a paid attempt (at most what is left).
    pub async fn refund(
        &self,
        attempt_id: i64,
        amount: i64,
        reason: Option<&str>,
    ) -> Result<Refund> {
        let amount =
            elepay::Amount::new(amount).map_err(|e| PosError::invalid("amount", e.to_string()))?;
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        Ok(self.engine.refund(attempt_id, amount, reason).await?)
    }

    /// Refunds the paid payment of an order (or attempt).
    pub async fn refund_of(
        &self,
        which: &AttemptRef,
        amount: i64,
        reason: Option<&str>,
    ) -> Result<Refund> {
        let paid = self.books.attempt_in(which, AttemptState::Captured)?;
        self.refund(paid.id, amount, reason).await
    }

    /// Waits until elepay confirms the refund (or refuses it), at most
    /// `max`; `on_change` sees every new state. Answers the last state.
    pub async fn wait_refund(
        &self,
        mut r: Refund,
        max: Duration,
        mut on_change: impl FnMut(&Refund),
    ) -> Result<Refund> {
        let deadline = tokio::time::Instant::now() + max;
        while r.status == RefundState::Pending || r.status == RefundState::Requested {
            if tokio::time::Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(self.check_pause()).await;
            let now = self.books.ledger().refund(r.id)?;
            if now != r {
                r = now;
                on_change(&r);
            }
        }
        Ok(r)
    }

    /// Compares a shift (default: the open one) with elepay's charges.
    pub async fn reconcile(&self, shift: Option<ShiftId>) -> Result<Reconciliation> {
        let id = self.books.shift_or_current(&self.register_id(), shift)?;
        Ok(self.engine.reconcile(id).await?)
    }

    /// Restart recovery with the journal check: burns interrupted creates,
    /// re-reads every pending code and resumes watching it, follows every
    /// unfinished refund.
    pub async fn recover(&self) -> Result<RecoveryReport> {
        let report = self.engine.recover().await?;
        self.engine.resume_refunds()?;
        Ok(report)
    }

    /// Waits until no attempt is unresolved. Every code expires within 30
    /// minutes of its creation; past the longest validity plus a margin only
    /// an unreachable elepay keeps one open. Answers what is still open.
    pub async fn wait_resolved(&self) -> Result<Vec<Attempt>> {
        let longest = u64::from(self.engine.config().expiry_minutes.max(30)) * 60 + 60;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(longest);
        loop {
            let left = self.books.ledger().unresolved_attempts()?;
            if left.is_empty() || tokio::time::Instant::now() >= deadline {
                return Ok(left);
            }
            tokio::time::sleep(self.check_pause()).await;
        }
    }

    fn check_pause(&self) -> Duration {
        self.engine
            .config()
            .poll_interval
            .min(Duration::from_millis(200))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str, qty: i64, unit_price: i64) -> Item {
        Item {
            name: name.into(),
            qty,
            unit_price,
        }
    }

    #[test]
    fn item_lines_must_add_up_and_become_the_description() {
        let req = ChargeRequest {
            amount: 1280,
            description: Some("ignored".into()),
            items: vec![item("Coffee", 2, 480), item(" Cake ", 1, 320)],
        };
        let (amount, d) = req.checked().unwrap();
        assert_eq!(amount.yen(), 1280);
        assert_eq!(d.as_deref(), Some("Coffee ×2, Cake ×1"));
        let wrong = ChargeRequest {
            amount: 1000,
            ..req.clone()
        };
        let e = wrong.checked().unwrap_err();
        assert_eq!(e.field.as_deref(), Some("amount"));
        assert!(e.message.contains("¥1280"), "{}", e.message);
        let empty_name = ChargeRequest {
            items: vec![item(" ", 1, 1280)],
            ..req
        };
        assert_eq!(
            empty_name.checked().unwrap_err().field.as_deref(),
            Some("items[0]")
        );
    }

    #[test]
    fn a_blank_description_is_none_and_the_amount_is_checked() {
        let req = ChargeRequest {
            amount: 500,
            description: Some("  ".into()),
            items: vec![],
        };
        assert_eq!(req.checked().unwrap().1, None);
        let zero = ChargeRequest { amount: 0, ..req };
        assert_eq!(zero.checked().unwrap_err().field.as_deref(), Some("amount"));
    }
}
