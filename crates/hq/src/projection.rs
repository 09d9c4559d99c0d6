//! HQ's copy of what a register's journal says: each acknowledged row, in
//! `seq` order, applied to `shifts`, `sales`, `attempts` and `refunds`
//! (and the tax by rate: `crate::tax`), in chunks after the batch that
//! acknowledged it (`catch_up`), each row checked against the ledger's
//! rules first (`rules`). The typed entries are the ledger's
//! (`easyqr_ledger::JournalEntry`), so the format has one home. The
//! per-shift sums by tax rate follow the attempts' and refunds' states by
//! the triggers of migration 0004 (the ledger's rule, see `crate::tax`).

mod catch_up;
pub mod rules;

pub use catch_up::{catch_up, resume, CHUNK};

use deadpool_postgres::Transaction;
use easyqr_ledger::{business_date, JournalEntry, JournalRow, Transition};
use tokio_postgres::types::ToSql;

use crate::error::HqError;

/// Japan: business days start at midnight JST, as on the registers.
pub const UTC_OFFSET_MINUTES: i32 = 540;

/// Reads `row` and applies it, unchecked (`catch_up` checks first).
pub async fn apply(tx: &Transaction<'_>, register: i64, row: &JournalRow) -> Result<(), HqError> {
    let entry = JournalEntry::parse(&row.kind, &row.payload)
        .map_err(|e| HqError::Invalid(format!("journal row {}: {e}", row.seq)))?;
    apply_entry(tx, register, row, &entry).await
}

/// Applies `row`, read as `entry`.
pub async fn apply_entry(
    tx: &Transaction<'_>,
    register: i64,
    row: &JournalRow,
    entry: &JournalEntry,
) -> Result<(), HqError> {
    let at = row.at;
    match entry {
        JournalEntry::ShiftOpened(o) => {
            let day = business_date(at, UTC_OFFSET_MINUTES);
            exec(
                tx,
                "INSERT INTO shifts (register, shift_id, cashier, opened_at, business_date)
                 VALUES ($1, $2, $3, $4, to_date($5, 'YYYYMMDD')) ON CONFLICT DO NOTHING",
                &[&register, &o.shift_id, &o.cashier, &at, &day],
            )
            .await?;
        }
        JournalEntry::ShiftClosed(c) => {
            let figures = c
                .figures
                .as_ref()
                .map(serde_json::to_value)
                .transpose()
                .map_err(|e| HqError::Invalid(format!("journal row {}: {e}", row.seq)))?;
            exec(
                tx,
                "UPDATE shifts SET closed_at = $3, z_number = $4, z_figures = $5
                 WHERE register = $1 AND shift_id = $2",
                &[&register, &c.shift_id, &c.closed_at, &c.z_number, &figures],
            )
            .await?;
        }
        JournalEntry::SaleCreated(s) => {
            exec(
                tx,
                "INSERT INTO sales (register, sale_id, shift_id, amount, description, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                &[
                    &register,
                    &row.sale_id,
                    &s.shift_id,
                    &s.amount,
                    // PostgreSQL's text holds no NUL; the journal keeps it.
                    &s.description
                        .as_deref()
                        .map(|d| d.replace('\0', "\u{fffd}")),
                    &at,
                ],
            )
            .await?;
        }
        JournalEntry::AttemptReserved(a) => {
            exec(
                tx,
                "INSERT INTO attempts (register, attempt_id, sale_id, shift_id, order_no, amount,
                                       state, updated_at)
                 SELECT $1, $2, $3, s.shift_id, $4, $5, 'reserved', $6
                 FROM sales s WHERE s.register = $1 AND s.sale_id = $3
                 ON CONFLICT DO NOTHING",
                &[
                    &register,
                    &row.attempt_id,
                    &row.sale_id,
                    &a.order_no,
                    &a.amount,
                    &at,
                ],
            )
            .await?;
        }
        JournalEntry::AttemptChanged(c) => {
            let state = c.to.target().as_str();
            let id = &row.attempt_id;
            match &c.to {
                Transition::Pending { code_id, .. } => {
                    exec(
                        tx,
                        "UPDATE attempts SET state = $3, code_id = $4, updated_at = $5
                         WHERE register = $1 AND attempt_id = $2",
                        &[&register, id, &state, code_id, &at],
                    )
                    .await?;
                }
                Transition::Captured {
                    charge_id,
                    payment_method,
                    paid_time,
                    amount,
                    source,
                } => {
                    // Late: its sale's shift had closed (the ledger's rule).
                    exec(
                        tx,
                        "UPDATE attempts a SET state = $3, charge_id = $4, payment_method = $5,
                                paid_time = $6, amount = $7, updated_at = $8, paid_source = $9,
                                late = a.late OR EXISTS (SELECT 1 FROM shifts sh
                                    WHERE sh.register = a.register AND sh.shift_id = a.shift_id
                                      AND sh.closed_at IS NOT NULL)
                         WHERE register = $1 AND attempt_id = $2",
                        &[
                            &register,
                            id,
                            &state,
                            charge_id,
                            payment_method,
                            paid_time,
                            amount,
                            &at,
                            source,
                        ],
                    )
                    .await?;
                }
                _ => {
                    exec(
                        tx,
                        "UPDATE attempts SET state = $3, updated_at = $4
                         WHERE register = $1 AND attempt_id = $2",
                        &[&register, id, &state, &at],
                    )
                    .await?;
                }
            }
        }
        JournalEntry::ChargeFound(f) => {
            exec(
                tx,
                "UPDATE attempts SET charge_id = $3 WHERE register = $1 AND attempt_id = $2",
                &[&register, &row.attempt_id, &f.charge_id],
            )
            .await?;
        }
        JournalEntry::RefundRequested(r) => {
            exec(
                tx,
                "INSERT INTO refunds (register, refund, attempt_id, shift_id, amount, reason,
                                      status, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, 'requested', $7) ON CONFLICT DO NOTHING",
                &[
                    &register,
                    &r.refund,
                    &row.attempt_id,
                    &r.shift_id,
                    &r.amount,
                    &r.reason,
                    &at,
                ],
            )
            .await?;
        }
        JournalEntry::RefundChanged(r) => {
            exec(
                tx,
                "UPDATE refunds SET status = $3, refund_id = coalesce($4, refund_id)
                 WHERE register = $1 AND refund = $2",
                &[&register, &r.refund, &r.status.as_str(), &r.refund_id],
            )
            .await?;
        }
        JournalEntry::SaleTaxed(t) => crate::tax::record_sale(tx, register, row, t).await?,
        JournalEntry::RefundTaxed(t) => crate::tax::record_refund(tx, register, t).await?,
        // A receipt printed changes no money: the journal copy keeps it.
        JournalEntry::ReceiptIssued(_) => {}
    }
    Ok(())
}

/// One statement, prepared once per connection: a batch runs the same few
/// statements hundreds of times.
pub(crate) async fn exec(
    tx: &Transaction<'_>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64, HqError> {
    let stmt = tx.prepare_cached(sql).await?;
    Ok(tx.execute(&stmt, params).await?)
}
