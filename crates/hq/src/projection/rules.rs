//! The ledger's rules, checked on each journal row against HQ's copy as
//! projected so far, before the row counts. A register's ledger never
//! writes a row that breaks them, so one that does was written by
//! something else: the register is flagged and none of its figures count.
//!
//! The rules are the ledger's own: amounts are `elepay::Amount`s
//! (¥1 … ¥99,999,999), state moves are `AttemptState::can_move_to` and
//! `RefundState::can_move_to`, a sale or refund counts in a shift that is
//! open (the ledger puts them in the register's open shift), an attempt's
//! amount is its sale's, refunds never exceed what was paid, and tax
//! breakdowns add up to the amount they split.

use deadpool_postgres::Transaction;
use easyqr_ledger::{AttemptState, JournalEntry, JournalRow, RefundState, Transition};
use easyqr_tax::Breakdown;
use elepay::Amount;

use crate::error::HqError;

/// Largest magnitude of a number in a Z's journaled figures: sums of
/// amounts within elepay's limits reach it only past 90 million payments
/// in one shift, and it leaves any sum of such figures far from overflow.
pub const FIGURE_LIMIT: i64 = 1 << 53;

/// Why a row breaks the rules (`None`: it keeps them).
pub type Verdict = Option<String>;

fn amount(seq: i64, what: &str, yen: i64) -> Verdict {
    Amount::new(yen)
        .err()
        .map(|e| format!("row {seq}: {what} ¥{yen}: {e}"))
}

fn breakdown(seq: i64, what: &str, b: &Breakdown, total: i64) -> Verdict {
    let ok = |v: i64| (0..=Amount::MAX).contains(&v);
    let sum = b.rates.iter().try_fold(0i64, |s, r| s.checked_add(r.gross));
    if b.total != total || sum != Some(total) {
        return Some(format!(
            "row {seq}: {what}'s tax breakdown adds up to ¥{}, not its amount ¥{total}",
            b.total
        ));
    }
    b.rates
        .iter()
        .find(|r| !ok(r.gross) || !ok(r.tax) || r.tax > r.gross)
        .map(|r| {
            format!(
                "row {seq}: {what}'s {} rate: ¥{} with tax ¥{} is not a breakdown of it",
                r.rate.as_str(),
                r.gross,
                r.tax
            )
        })
}

/// The first number in a Z's figures beyond [`FIGURE_LIMIT`].
fn figures_in_bounds(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Number(n) => n
            .as_i64()
            .is_some_and(|n| (-FIGURE_LIMIT..=FIGURE_LIMIT).contains(&n)),
        serde_json::Value::Array(a) => a.iter().all(figures_in_bounds),
        serde_json::Value::Object(o) => o.values().all(figures_in_bounds),
        _ => true,
    }
}

async fn one<T>(
    tx: &Transaction<'_>,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Option<T>, HqError>
where
    T: for<'a> tokio_postgres::types::FromSql<'a>,
{
    let stmt = tx.prepare_cached(sql).await?;
    Ok(tx.query_opt(&stmt, params).await?.map(|r| r.get(0)))
}

/// Whether shift `id` of the register is open (`None`: never opened).
async fn shift_open(tx: &Transaction<'_>, register: i64, id: i64) -> Result<Option<bool>, HqError> {
    one(
        tx,
        "SELECT closed_at IS NULL FROM shifts WHERE register = $1 AND shift_id = $2",
        &[&register, &id],
    )
    .await
}

/// A sale or refund counts in a shift that is open, or in none.
async fn member(
    tx: &Transaction<'_>,
    register: i64,
    seq: i64,
    what: &str,
    shift: Option<i64>,
) -> Result<Verdict, HqError> {
    let Some(id) = shift else { return Ok(None) };
    Ok(match shift_open(tx, register, id).await? {
        Some(true) => None,
        Some(false) => Some(format!(
            "row {seq}: {what} counts in shift {id}, which was closed"
        )),
        None => Some(format!(
            "row {seq}: {what} counts in shift {id}, which was never opened"
        )),
    })
}

/// (state, amount) of an attempt.
async fn attempt(
    tx: &Transaction<'_>,
    register: i64,
    id: Option<i64>,
) -> Result<Option<(AttemptState, i64)>, HqError> {
    let Some(id) = id else { return Ok(None) };
    let stmt = tx
        .prepare_cached(
            "SELECT state, amount FROM attempts WHERE register = $1 AND attempt_id = $2",
        )
        .await?;
    let Some(r) = tx.query_opt(&stmt, &[&register, &id]).await? else {
        return Ok(None);
    };
    let state = r.get::<_, String>(0).parse().map_err(HqError::Invalid)?;
    Ok(Some((state, r.get(1))))
}

async fn sale_amount(
    tx: &Transaction<'_>,
    register: i64,
    id: Option<i64>,
) -> Result<Option<i64>, HqError> {
    let Some(id) = id else { return Ok(None) };
    one(
        tx,
        "SELECT amount FROM sales WHERE register = $1 AND sale_id = $2",
        &[&register, &id],
    )
    .await
}

/// (status, amount) of a refund.
async fn refund(
    tx: &Transaction<'_>,
    register: i64,
    id: i64,
) -> Result<Option<(RefundState, i64)>, HqError> {
    let stmt = tx
        .prepare_cached("SELECT status, amount FROM refunds WHERE register = $1 AND refund = $2")
        .await?;
    let Some(r) = tx.query_opt(&stmt, &[&register, &id]).await? else {
        return Ok(None);
    };
    let status = r.get::<_, String>(0).parse().map_err(HqError::Invalid)?;
    Ok(Some((status, r.get(1))))
}

/// Checks `row` (read as `entry`) against the register's copy as projected
/// up to the row before it.
pub async fn check(
    tx: &Transaction<'_>,
    register: i64,
    row: &JournalRow,
    entry: &JournalEntry,
) -> Result<Verdict, HqError> {
    let seq = row.seq;
    let no = |what: String| Ok(Some(format!("row {seq}: {what}")));
    match entry {
        JournalEntry::ShiftOpened(o) => {
            if shift_open(tx, register, o.shift_id).await?.is_some() {
                return no(format!("shift {} opened twice", o.shift_id));
            }
        }
        JournalEntry::ShiftClosed(c) => {
            if shift_open(tx, register, c.shift_id).await? != Some(true) {
                return no(format!("closes shift {}, which is not open", c.shift_id));
            }
            let figures = c.figures.as_ref().map(serde_json::to_value).transpose();
            if !figures.is_ok_and(|f| f.as_ref().is_none_or(figures_in_bounds)) {
                return no(format!(
                    "the Z of shift {} has a figure beyond ±{FIGURE_LIMIT}",
                    c.shift_id
                ));
            }
        }
        JournalEntry::SaleCreated(s) => {
            if let Some(v) = amount(seq, "the sale's amount", s.amount) {
                return Ok(Some(v));
            }
            let Some(sale) = row.sale_id else {
                return no("a sale with no sale id".into());
            };
            if sale_amount(tx, register, Some(sale)).await?.is_some() {
                return no(format!("sale {sale} created twice"));
            }
            return member(tx, register, seq, "the sale", s.shift_id).await;
        }
        JournalEntry::SaleTaxed(t) => {
            let Some(total) = sale_amount(tx, register, row.sale_id).await? else {
                return no("taxes a sale that does not exist".into());
            };
            return Ok(breakdown(seq, "the sale", &t.breakdown, total));
        }
        JournalEntry::AttemptReserved(a) => {
            if let Some(v) = amount(seq, "the attempt's amount", a.amount) {
                return Ok(Some(v));
            }
            let Some(total) = sale_amount(tx, register, row.sale_id).await? else {
                return no("an attempt for a sale that does not exist".into());
            };
            if row.attempt_id.is_none() || attempt(tx, register, row.attempt_id).await?.is_some() {
                return no("an attempt reserved twice, or with no attempt id".into());
            }
            if a.to != AttemptState::Reserved || a.amount != total {
                return no(format!(
                    "a new attempt is reserved at its sale's amount ¥{total} (got {} ¥{})",
                    a.to, a.amount
                ));
            }
        }
        JournalEntry::AttemptChanged(c) => {
            let Some((state, _)) = attempt(tx, register, row.attempt_id).await? else {
                return no("changes an attempt that does not exist".into());
            };
            let to = c.to.target();
            if state != c.from || !state.can_move_to(to) {
                return no(format!(
                    "attempt {} is {state}; it cannot move from {} to {to}",
                    c.order_no, c.from
                ));
            }
            if let Transition::Captured { amount: a, .. } = &c.to {
                return Ok(amount(seq, "the payment's amount", *a));
            }
        }
        JournalEntry::ChargeFound(_) => {
            if attempt(tx, register, row.attempt_id).await?.is_none() {
                return no("a charge found for an attempt that does not exist".into());
            }
        }
        JournalEntry::RefundRequested(r) => {
            if let Some(v) = amount(seq, "the refund's amount", r.amount) {
                return Ok(Some(v));
            }
            let Some((AttemptState::Captured, paid)) =
                attempt(tx, register, row.attempt_id).await?
            else {
                return no("a refund of an attempt that is not paid".into());
            };
            if refund(tx, register, r.refund).await?.is_some() {
                return no(format!("refund {} requested twice", r.refund));
            }
            let already: i64 = one(
                tx,
                "SELECT coalesce(sum(amount), 0)::bigint FROM refunds
                 WHERE register = $1 AND attempt_id = $2 AND status <> 'failed'",
                &[&register, &row.attempt_id],
            )
            .await?
            .unwrap_or(0);
            if already.saturating_add(r.amount) > paid {
                return no(format!(
                    "refunds ¥{} of a payment of ¥{paid} (¥{already} refunded already)",
                    r.amount
                ));
            }
            return member(tx, register, seq, "the refund", r.shift_id).await;
        }
        JournalEntry::RefundChanged(r) => {
            let Some((status, _)) = refund(tx, register, r.refund).await? else {
                return no(format!("changes refund {}, which does not exist", r.refund));
            };
            if !status.can_move_to(r.status) {
                return no(format!(
                    "refund {} is {status}; it cannot become {}",
                    r.refund, r.status
                ));
            }
        }
        JournalEntry::RefundTaxed(t) => {
            let Some((_, total)) = refund(tx, register, t.refund).await? else {
                return no(format!("taxes refund {}, which does not exist", t.refund));
            };
            return Ok(breakdown(seq, "the refund", &t.breakdown, total));
        }
        JournalEntry::ReceiptIssued(_) => {}
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_elepays_and_z_figures_are_bounded() {
        assert_eq!(amount(1, "x", 1), None);
        assert_eq!(amount(1, "x", Amount::MAX), None);
        for bad in [0, -5, Amount::MAX + 1, 1 << 62] {
            let why = amount(7, "the sale's amount", bad).expect("refused");
            assert!(why.contains("row 7") && why.contains("99999999"), "{why}");
        }
        let ok = serde_json::json!({"paid": {"count": 3, "amount": 1500}, "net": -200});
        assert!(figures_in_bounds(&ok));
        let big = serde_json::json!({"paid": {"count": 1, "amount": 1_i64 << 62}});
        assert!(!figures_in_bounds(&big));
    }
}
