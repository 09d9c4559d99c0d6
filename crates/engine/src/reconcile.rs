//! Reconciliation of a shift's ledger with elepay's charges for the shift
//! window. Differences are listed for the shift lead; the one the register
//! can settle itself, a payment elepay has that the ledger does not know
//! (a burned create that became a paid code, a capture missed while the
//! register was off), is recorded once elepay confirms the charge.

use std::collections::HashMap;

use easyqr_ledger::{Attempt, AttemptState, LogFilter, ShiftId};
use elepay::{ChargeDateField, ChargeDto, ListChargesParams, SortOrder};
use serde::Serialize;

use crate::decision;
use crate::engine::Engine;
use crate::error::EngineError;

/// Codes live at most 30 minutes, so a payment rung up in a shift lands at
/// most this long after it closes.
const AFTER_CLOSE_MS: i64 = 31 * 60_000;

/// One thing the ledger and elepay disagree on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Difference {
    /// Paid at elepay, unknown to the ledger. `recorded` when the register
    /// had the attempt and has now recorded the payment.
    PaidOnlyAtElepay {
        charge_id: String,
        order_no: String,
        amount: i64,
        recorded: bool,
    },
    /// Paid in the ledger, but elepay lists no such charge in the window.
    MissingAtElepay {
        order_no: String,
        charge_id: Option<String>,
        amount: i64,
    },
    AmountMismatch {
        order_no: String,
        charge_id: String,
        local: i64,
        elepay: i64,
    },
    /// elepay's refunds differ from ours (e.g. refunded in the dashboard).
    RefundMismatch {
        order_no: String,
        charge_id: String,
        status: String,
        local_refunded: i64,
        elepay_refunded: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reconciliation {
    pub shift_id: ShiftId,
    /// The window asked of elepay (epoch ms).
    pub from: i64,
    pub to: i64,
    /// Charges of this register elepay listed in the window.
    pub elepay_charges: usize,
    /// Paid attempts of the shift in the ledger.
    pub ledger_paid: usize,
    pub differences: Vec<Difference>,
}

/// Whether the ledger (`known`: the attempts with the charge's orderNo)
/// holds this charge as paid in a shift other than `shift_id`.
fn paid_in_another_shift(known: &[Attempt], c: &ChargeDto, shift_id: ShiftId) -> bool {
    known.iter().any(|a| {
        a.state == AttemptState::Captured
            && a.shift_id != Some(shift_id)
            && a.charge_id.as_deref().is_none_or(|id| id == c.id)
    })
}

/// Whether an orderNo is this register's: `{prefix}-{YYYYMMDD}-{seq}`.
/// The whole shape is checked, since prefixes may contain hyphens
/// (`S01` must not claim `S01-R2-20261128-0001`).
fn is_ours(order_no: &str, prefix: &str) -> bool {
    let Some(rest) = order_no
        .strip_prefix(prefix)
        .and_then(|r| r.strip_prefix('-'))
    else {
        return false;
    };
    let Some((date, seq)) = rest.split_once('-') else {
        return false;
    };
    date.len() == 8
        && date.bytes().all(|b| b.is_ascii_digit())
        && !seq.is_empty()
        && seq.bytes().all(|b| b.is_ascii_digit())
}

impl Reconciliation {
    pub fn is_clean(&self) -> bool {
        self.differences.is_empty()
    }
}

impl Engine {
    /// Compares the shift's paid attempts with every page of `GET /charges`
    /// for the shift window, counting only this register's orders (by its
    /// orderNo prefix: one elepay app serves every register and store).
    pub async fn reconcile(&self, shift_id: ShiftId) -> Result<Reconciliation, EngineError> {
        let ledger = self.ledger();
        let shift = ledger.shift(shift_id)?;
        let now = self.now_ms();
        // The shift's paid attempts, by charge id and by orderNo.
        let filter = LogFilter {
            shift_id: Some(shift_id),
            states: vec![AttemptState::Captured],
            ..Default::default()
        };
        let mut local = Vec::new();
        let mut before = None;
        loop {
            let page = ledger.log(&filter, 1000, before)?;
            before = page.last().map(|r| r.attempt.id);
            let done = page.len() < 1000;
            local.extend(page);
            if done {
                break;
            }
        }
        let ledger_paid = local.len();
        // The window: from a minute before the opening (register clocks
        // drift) to 31 minutes after the close or after the shift's latest
        // code, whichever is later (a sale of the shift may be retried
        // after the close).
        let from = shift.opened_at - 60_000;
        let latest = local
            .iter()
            .map(|r| r.attempt.created_at)
            .chain(shift.closed_at)
            .max()
            .unwrap_or(now);
        let to = shift
            .closed_at
            .map_or(now, |_| latest + AFTER_CLOSE_MS)
            .min(now)
            + 1;
        let prefix = self.config().order_prefix.as_str().to_owned();
        let remote: Vec<ChargeDto> = self
            .client_handle()
            .list_all_charges(&ListChargesParams {
                from: Some(from),
                to: Some(to),
                date_field: Some(ChargeDateField::CreateTime),
                // A fixed order, so offset paging cannot skip or repeat.
                sort: Some(ChargeDateField::CreateTime),
                order: Some(SortOrder::Asc),
                ..Default::default()
            })
            .await
            .map_err(|e| EngineError::ReconcileFailed(e.to_string()))?
            .into_iter()
            .filter(|c| c.order_no.as_deref().is_some_and(|o| is_ours(o, &prefix)))
            .collect();
        let mut by_charge: HashMap<&str, usize> = HashMap::new();
        let mut by_order: HashMap<&str, usize> = HashMap::new();
        for (i, r) in local.iter().enumerate() {
            if let Some(c) = r.attempt.charge_id.as_deref() {
                by_charge.insert(c, i);
            }
            by_order.insert(r.attempt.order_no.as_str(), i);
        }
        let mut matched = vec![false; local.len()];
        let mut differences = Vec::new();
        for c in &remote {
            let order_no = c.order_no.clone().unwrap_or_default();
            // By charge id; by orderNo only for a row that has no charge id
            // yet, and each row once: two charges for one orderNo (a late
            // payment of an expired code and of its retry) are two payments.
            let hit = by_charge.get(c.id.as_str()).copied().or_else(|| {
                by_order
                    .get(order_no.as_str())
                    .copied()
                    .filter(|&i| local[i].attempt.charge_id.is_none() && !matched[i])
            });
            let Some(i) = hit else {
                // Windows of neighbouring shifts overlap (a code lives up to
                // 30 minutes): a payment the ledger has in another shift is
                // not a difference of this one.
                let known = match c.order_no.as_deref() {
                    Some(o) => ledger.attempts_by_order_no(o)?,
                    None => Vec::new(),
                };
                if c.status.is_paid() && !paid_in_another_shift(&known, c, shift_id) {
                    let recorded = self.record_missed_payment(c, &known).await?;
                    differences.push(Difference::PaidOnlyAtElepay {
                        charge_id: c.id.clone(),
                        order_no,
                        amount: c.amount,
                        recorded,
                    });
                }
                continue;
            };
            matched[i] = true;
            if local[i].attempt.charge_id.is_none() {
                // Recorded without its charge (a code read that named
                // none): store it, or the payment could never be refunded.
                ledger.set_charge_id(local[i].attempt.id, &c.id, "reconciliation", now)?;
            }
            let row = &local[i];
            if row.attempt.amount != c.amount {
                differences.push(Difference::AmountMismatch {
                    order_no: order_no.clone(),
                    charge_id: c.id.clone(),
                    local: row.attempt.amount,
                    elepay: c.amount,
                });
            }
            let elepay_refunded: i64 = c.refunds.as_ref().map_or(0, |r| {
                r.data.iter().map(|d| d.amount).sum::<i64>().max(r.amount)
            });
            let status = c.status.as_str().to_owned();
            if elepay_refunded != row.refunded || !c.status.is_paid() {
                differences.push(Difference::RefundMismatch {
                    order_no,
                    charge_id: c.id.clone(),
                    status,
                    local_refunded: row.refunded,
                    elepay_refunded,
                });
            }
        }
        for (i, r) in local.iter().enumerate() {
            if !matched[i] {
                differences.push(Difference::MissingAtElepay {
                    order_no: r.attempt.order_no.clone(),
                    charge_id: r.attempt.charge_id.clone(),
                    amount: r.attempt.amount,
                });
            }
        }
        let report = Reconciliation {
            shift_id,
            from,
            to,
            elepay_charges: remote.len(),
            ledger_paid,
            differences,
        };
        if !report.is_clean() {
            tracing::warn!(
                shift = shift_id,
                differences = report.differences.len(),
                "reconciliation found differences"
            );
        }
        Ok(report)
    }

    /// elepay's paid charge for an attempt recorded without its id: the
    /// code read back (it may name it now), else the charges listed around
    /// the attempt's time with its orderNo and amount, not already on
    /// another attempt of ours.
    pub(crate) async fn find_charge(&self, a: &Attempt) -> Result<Option<String>, EngineError> {
        let client = self.client_handle();
        if let Some(code) = &a.code_id {
            match client.retrieve_code(code).await {
                Ok(c) => {
                    if let Some(ch) = c.charge.filter(|ch| ch.status.is_paid()) {
                        return Ok(Some(ch.id));
                    }
                }
                Err(e) => tracing::warn!(order_no = a.order_no, error = %e, "code read failed"),
            }
        }
        let known: Vec<String> = self
            .ledger()
            .attempts_by_order_no(&a.order_no)?
            .into_iter()
            .filter_map(|x| x.charge_id)
            .collect();
        let listed = client
            .list_all_charges(&ListChargesParams {
                from: Some(a.created_at - 60_000),
                to: Some(a.created_at + AFTER_CLOSE_MS),
                date_field: Some(ChargeDateField::CreateTime),
                sort: Some(ChargeDateField::CreateTime),
                order: Some(SortOrder::Asc),
                ..Default::default()
            })
            .await
            .map_err(|e| EngineError::ReconcileFailed(e.to_string()))?;
        Ok(listed
            .into_iter()
            .find(|c| {
                c.status.is_paid()
                    && c.order_no.as_deref() == Some(a.order_no.as_str())
                    && c.amount == a.amount
                    && !known.contains(&c.id)
            })
            .map(|c| c.id))
    }

    /// A charge elepay lists as paid that the ledger has not recorded. If
    /// our attempts carry its orderNo, the code elepay reports paid records
    /// it; failing that, a burned attempt (no code id) records it once
    /// `GET /charges/{id}` confirms. Returns whether it was recorded.
    async fn record_missed_payment(
        &self,
        c: &ChargeDto,
        candidates: &[Attempt],
    ) -> Result<bool, EngineError> {
        let Some(order_no) = c.order_no.as_deref() else {
            return Ok(false);
        };
        let unpaid: Vec<&Attempt> = candidates
            .iter()
            .filter(|a| a.state != AttemptState::Captured && a.amount == c.amount)
            .collect();
        // Read back every code of that orderNo, as the webhook path does:
        // the payment goes on the code elepay says was paid, never on a
        // guess (a retry on screen keeps being watched).
        for a in unpaid.iter().filter(|a| a.code_id.is_some()) {
            let (after, _) = self
                .refresh(a, "reconciliation")
                .await
                .map_err(|e| EngineError::ReconcileFailed(e.to_string()))?;
            if after.state == AttemptState::Captured {
                tracing::warn!(
                    order_no,
                    attempt = a.id,
                    "payment found by reconciliation recorded"
                );
                return Ok(true);
            }
        }
        // No code of ours says paid: the charge can only come from a create
        // whose answer was lost (burned, so no code id was ever recorded).
        let Some(a) = unpaid.iter().rev().find(|a| a.code_id.is_none()) else {
            return Ok(false);
        };
        let confirmed = self
            .client_handle()
            .retrieve_charge(&c.id)
            .await
            .map_err(|e| EngineError::ReconcileFailed(e.to_string()))?;
        if !confirmed.status.is_paid()
            || confirmed.order_no.as_deref() != Some(order_no)
            || confirmed.amount != a.amount
        {
            return Ok(false);
        }
        let change = decision::captured(Some(&confirmed), "reconciliation");
        match self.record(a.id, &change, None) {
            Ok(_) => {
                tracing::warn!(
                    order_no,
                    attempt = a.id,
                    "payment found by reconciliation recorded"
                );
                Ok(true)
            }
            Err(e) => {
                tracing::error!(order_no, error = %e, "payment found by reconciliation not recorded");
                Ok(false)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_this_registers_order_numbers_are_ours() {
        assert!(super::is_ours("S01-20261128-0001", "S01"));
        assert!(super::is_ours("S01-R2-20261128-12345", "S01-R2"));
        for other in [
            "S01-R2-20261128-0001",
            "S010-20261128-0001",
            "S01-2026112-0001",
            "S01-20261128-",
            "S01",
        ] {
            assert!(!super::is_ours(other, "S01"), "{other}");
        }
    }
}
