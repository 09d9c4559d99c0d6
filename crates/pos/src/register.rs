//! The cashier's operations on a register: charge (with item lines), try
//! again, cancel, refund, reconcile, restart recovery. Each is a call into
//! the engine (where every payment state change happens) plus the input
//! rules every shell shares.

use std::time::Duration;

use easyqr_engine::{CancelOutcome, Checkout, Engine, Reconciliation, RecoveryReport};
use easyqr_ledger::{Attempt, AttemptState, Refund, RefundState, SaleTaxed, ShiftId};
use easyqr_tax::{Breakdown, Line, TaxPolicy, TaxRate};
use serde::{Deserialize, Serialize};

use crate::books::{AttemptRef, Books};
use crate::config::RegisterConfig;
use crate::error::{PosError, Result};
use crate::refund::RefundRequest;

/// One item line of a sale, as a shell sends it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub name: String,
    pub qty: i64,
    pub unit_price: i64,
    /// `standard`, `reduced` or `free`; none: the store's default rate.
    #[serde(default)]
    pub rate: Option<String>,
}

/// What the cashier rang up: item lines, or an amount at one rate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargeRequest {
    /// Tax included. With items: optional, and refused when it is not
    /// their computed total.
    #[serde(default)]
    pub amount: Option<i64>,
    pub description: Option<String>,
    #[serde(default)]
    pub items: Vec<Item>,
    /// The rate of an amount-only sale; none: the store's default rate.
    #[serde(default)]
    pub rate: Option<String>,
}

/// A charge as it will be recorded: the amount, the description the log
/// shows, and the lines with their tax by rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedCharge {
    pub amount: elepay::Amount,
    pub description: Option<String>,
    pub taxed: SaleTaxed,
}

impl ChargeRequest {
    /// Checks the request and computes its tax under `policy` (the store's
    /// `tax.*` now): the amount charged is the items' computed total.
    pub fn checked(&self, policy: &TaxPolicy) -> Result<CheckedCharge> {
        if self.items.is_empty() {
            let yen = self.amount.ok_or_else(|| {
                PosError::invalid("amount", "amount: the amount to charge, or item lines")
            })?;
            let amount = elepay::Amount::new(yen)?;
            let rate = rate_or(policy, self.rate.as_deref(), "rate")?;
            let d = self.description.clone().filter(|d| !d.trim().is_empty());
            // elepay's rule, before anything is journaled: a description it
            // would refuse is never kept (nor shipped to HQ).
            if let Some(d) = &d {
                elepay::check_description(d)?;
            }
            return Ok(CheckedCharge {
                amount,
                description: d,
                taxed: SaleTaxed {
                    lines: Vec::new(),
                    breakdown: Breakdown::of_amount(policy, rate, yen),
                },
            });
        }
        if self.rate.is_some() {
            return Err(PosError::invalid(
                "rate",
                "rate: only for an amount without items; give each item its rate instead",
            ));
        }
        let lines = self
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| {
                Ok(Line {
                    name: it.name.trim().to_owned(),
                    qty: it.qty,
                    unit_price: it.unit_price,
                    rate: rate_or(policy, it.rate.as_deref(), &format!("items[{i}].rate"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let breakdown = Breakdown::compute(policy, &lines)?;
        if let Some(asked) = self.amount.filter(|a| *a != breakdown.total) {
            return Err(PosError::invalid(
                "amount",
                format!(
                    "amount: the items come to ¥{} (tax included), not ¥{asked}",
                    breakdown.total
                ),
            ));
        }
        let amount = elepay::Amount::new(breakdown.total)?;
        Ok(CheckedCharge {
            amount,
            description: Some(summary(&lines)),
            taxed: SaleTaxed { lines, breakdown },
        })
    }
}

/// The description of a sale rung up by items (`Coffee ×2, Cake ×1`),
/// cut to what elepay takes: many lines must not make a valid sale fail.
/// The lines themselves are recorded whole with the sale.
fn summary(lines: &[Line]) -> String {
    let full = lines
        .iter()
        .map(|l| format!("{} ×{}", l.name, l.qty))
        .collect::<Vec<_>>()
        .join(", ");
    if full.chars().count() <= elepay::DESCRIPTION_MAX {
        return full;
    }
    let mut cut: String = full.chars().take(elepay::DESCRIPTION_MAX - 1).collect();
    cut.push('…');
    cut
}

/// A rate by name, or the policy's default.
fn rate_or(policy: &TaxPolicy, name: Option<&str>, field: &str) -> Result<TaxRate> {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Ok(TaxRate::parse(field, n)?),
        None => Ok(policy.default_rate),
    }
}

/// A refund as it would be recorded: the amount and, when the sale's tax
/// was recorded, the tax by rate returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundPlan {
    pub amount: i64,
    pub breakdown: Option<Breakdown>,
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

    /// Rings up `req` under the store's tax `policy` and creates its code.
    pub async fn charge(&self, req: &ChargeRequest, policy: &TaxPolicy) -> Result<Checkout> {
        let c = req.checked(policy)?;
        Ok(self
            .engine
            .charge(c.amount, c.description.as_deref(), Some(&c.taxed))
            .await?)
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

    /// Refunds a paid attempt: the items returned (taxed by the sale's own
    /// rule) or an amount (a single-rate or older sale), at most what is left.
    pub async fn refund(&self, attempt_id: i64, req: &RefundRequest) -> Result<Refund> {
        let paid = self.books.ledger().attempt(attempt_id)?;
        let sale = self.books.ledger().sale_record(paid.sale_id)?;
        let plan = req.plan(&sale)?;
        let reason = req
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        Ok(self
            .engine
            .refund(attempt_id, plan.amount, reason, plan.tax.as_ref())
            .await?)
    }

    /// What a refund would be, without asking elepay: its amount and tax by
    /// rate, or the refusal the refund itself would get (the dialog's
    /// confirmation names them).
    pub fn refund_plan(&self, attempt_id: i64, req: &RefundRequest) -> Result<RefundPlan> {
        let paid = self.books.ledger().attempt(attempt_id)?;
        let sale = self.books.ledger().sale_record(paid.sale_id)?;
        let plan = req.plan(&sale)?;
        Ok(RefundPlan {
            amount: plan.amount.yen(),
            breakdown: plan.tax.map(|t| t.breakdown),
        })
    }

    /// Refunds the paid payment of an order (or attempt).
    pub async fn refund_of(&self, which: &AttemptRef, req: &RefundRequest) -> Result<Refund> {
        let paid = self.books.attempt_in(which, AttemptState::Captured)?;
        self.refund(paid.id, req).await
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
mod tests;
