//! Refunds of paid attempts: recorded before they are sent (so a crash
//! mid-request leaves a trace), limited to what was paid, then moved by
//! elepay's answers under the rules of [`RefundState::can_move_to`]. A
//! refund counts in the shift it was made in.

use rusqlite::{params, Connection, Row};
use serde::Serialize;

use crate::attempts::load_attempt;
use crate::entry::{RefundChanged, RefundRequested, RefundTaxed};
use crate::shifts::open_shift_id;
use crate::taxes::{insert_refund_tax, RefundTax};
use crate::{
    journal, load_one, write_tx, AttemptId, AttemptState, JournalEntry, Ledger, LedgerError,
    RefundState, ShiftId, StateTotal,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    pub id: i64,
    pub attempt_id: AttemptId,
    pub refund_id: Option<String>,
    pub amount: i64,
    pub reason: Option<String>,
    pub status: RefundState,
    /// The shift the refund was made in (it counts in that shift's reports).
    pub shift_id: Option<ShiftId>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Refunds made in a shift, by how far elepay got with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundTotals {
    /// Confirmed by elepay.
    pub refunded: StateTotal,
    /// Asked for, not yet confirmed (requested or pending at elepay).
    pub in_progress: StateTotal,
    /// Refused by elepay; not deducted.
    pub failed: StateTotal,
}

const REFUND_COLS: &str =
    "id, attempt_id, refund_id, amount, reason, status, shift_id, created_at, updated_at";

fn refund_from_row(r: &Row<'_>) -> rusqlite::Result<Refund> {
    let status: String = r.get(5)?;
    Ok(Refund {
        id: r.get(0)?,
        attempt_id: r.get(1)?,
        refund_id: r.get(2)?,
        amount: r.get(3)?,
        reason: r.get(4)?,
        status: status.parse().map_err(|e: String| {
            rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, e.into())
        })?,
        shift_id: r.get(6)?,
        created_at: r.get(7)?,
        updated_at: r.get(8)?,
    })
}

fn load_refund(conn: &Connection, id: i64) -> Result<Refund, LedgerError> {
    let sql = format!("SELECT {REFUND_COLS} FROM refunds WHERE id = ?1");
    load_one(conn, &sql, id, "refund", refund_from_row)
}

/// A shift's refunds by status, for its X/Z report (`None`: the refunds
/// stored with no shift).
pub(crate) fn refund_totals(
    conn: &Connection,
    shift_id: Option<ShiftId>,
) -> Result<RefundTotals, LedgerError> {
    let mut refunds = RefundTotals::default();
    let mut stmt = conn.prepare_cached(
        "SELECT status, count(*), sum(amount) FROM refunds WHERE shift_id IS ?1 GROUP BY status",
    )?;
    let mut rows = stmt.query([shift_id])?;
    while let Some(r) = rows.next()? {
        let status: String = r.get(0)?;
        let t = StateTotal {
            count: r.get(1)?,
            amount: r.get(2)?,
        };
        let status: RefundState = status.parse().map_err(LedgerError::Corrupt)?;
        refunds.add(status, t);
    }
    Ok(refunds)
}

impl RefundTotals {
    /// Counts refunds of one status: what is not refunded or failed is in
    /// progress (and already deducted from net sales).
    pub fn add(&mut self, status: RefundState, t: StateTotal) {
        let slot = match status {
            RefundState::Refunded => &mut self.refunded,
            RefundState::Failed => &mut self.failed,
            RefundState::Requested | RefundState::Pending => &mut self.in_progress,
        };
        // Saturating: HQ adds up what registers sent it.
        slot.count = slot.count.saturating_add(t.count);
        slot.amount = slot.amount.saturating_add(t.amount);
    }

    /// What comes off net sales: refunds confirmed and in progress.
    pub fn deducted(&self) -> i64 {
        self.refunded.amount.saturating_add(self.in_progress.amount)
    }
}

impl Ledger {
    /// Records a refund request for a captured attempt before it is sent, so
    /// a crash mid-request leaves a trace. It counts in the register's open
    /// shift (read in the same transaction; none: `NoOpenShift`). The
    /// cumulative amount of refunds not failed may not exceed what was paid.
    /// `taxed`: the returned lines and the refund's tax by rate, recorded
    /// with it (their quantities limited to what was sold and not yet
    /// returned); `None` for a sale whose rate was not recorded.
    #[allow(clippy::too_many_arguments)]
    pub fn request_refund(
        &self,
        attempt_id: AttemptId,
        amount: elepay::Amount,
        reason: Option<&str>,
        taxed: Option<&RefundTax>,
        register_id: &str,
        now: i64,
    ) -> Result<Refund, LedgerError> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let shift_id = open_shift_id(&tx, register_id)?;
        let a = load_attempt(&tx, attempt_id)?;
        if a.state != AttemptState::Captured {
            return Err(LedgerError::Invalid {
                field: "attempt",
                allowed: format!("a paid order; {} is {}", a.order_no, a.state),
            });
        }
        let already: i64 = tx.query_row(
            "SELECT coalesce(sum(amount), 0) FROM refunds WHERE attempt_id = ?1 AND status != 'failed'",
            [attempt_id],
            |r| r.get(0),
        )?;
        let left = a.amount - already;
        if amount.yen() > left {
            return Err(LedgerError::Invalid {
                field: "amount",
                allowed: format!("at most the refundable remainder ¥{left}"),
            });
        }
        tx.execute(
            "INSERT INTO refunds (attempt_id, amount, reason, status, shift_id, created_at, updated_at)
             VALUES (?1, ?2, ?3, 'requested', ?4, ?5, ?5)",
            params![attempt_id, amount.yen(), reason, shift_id, now],
        )?;
        let id = tx.last_insert_rowid();
        let entry = JournalEntry::RefundRequested(RefundRequested {
            refund: id,
            amount: amount.yen(),
            reason: reason.map(str::to_owned),
            shift_id: Some(shift_id),
        });
        let key = self.key();
        let write = |entry: &JournalEntry| {
            journal::append(
                &tx,
                key.as_ref(),
                now,
                Some(a.sale_id),
                Some(attempt_id),
                entry,
            )
        };
        write(&entry)?;
        if let Some(t) = taxed {
            insert_refund_tax(&tx, a.sale_id, id, amount.yen(), t)?;
            write(&JournalEntry::RefundTaxed(RefundTaxed {
                refund: id,
                lines: t.lines.clone(),
                breakdown: t.breakdown.clone(),
            }))?;
        }
        let r = load_refund(&tx, id)?;
        tx.commit()?;
        Ok(r)
    }

    /// Records elepay's answer about a refund (its id and status). The same
    /// answer twice changes nothing; a move [`RefundState::can_move_to`]
    /// refuses is an `Invalid` error naming `status`.
    pub fn update_refund(
        &self,
        id: i64,
        refund_id: Option<&str>,
        status: RefundState,
        now: i64,
    ) -> Result<Refund, LedgerError> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let before = load_refund(&tx, id)?;
        if before.status == status
            && (refund_id.is_none() || before.refund_id.as_deref() == refund_id)
        {
            return Ok(before);
        }
        if !before.status.can_move_to(status) {
            return Err(LedgerError::Invalid {
                field: "status",
                allowed: format!(
                    "refund {id} is {}; it cannot become {}",
                    before.status.as_str(),
                    status.as_str()
                ),
            });
        }
        tx.execute(
            "UPDATE refunds SET refund_id = coalesce(?1, refund_id), status = ?2, updated_at = ?3 WHERE id = ?4",
            params![refund_id, status.as_str(), now, id],
        )?;
        let sale_id = load_attempt(&tx, before.attempt_id)?.sale_id;
        let entry = JournalEntry::RefundChanged(RefundChanged {
            refund: id,
            refund_id: refund_id.map(str::to_owned),
            status,
        });
        journal::append(
            &tx,
            self.key().as_ref(),
            now,
            Some(sale_id),
            Some(before.attempt_id),
            &entry,
        )?;
        let r = load_refund(&tx, id)?;
        tx.commit()?;
        Ok(r)
    }

    /// Refunds elepay has not finished (requested with no answer yet, or
    /// pending), oldest first: what a restart must follow up.
    pub fn unsettled_refunds(&self) -> Result<Vec<Refund>, LedgerError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {REFUND_COLS} FROM refunds WHERE status IN ('requested', 'pending') ORDER BY id"
        ))?;
        let rows = stmt.query_map([], refund_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn refund(&self, id: i64) -> Result<Refund, LedgerError> {
        load_refund(&self.conn(), id)
    }

    pub fn refunds_of(&self, attempt_id: AttemptId) -> Result<Vec<Refund>, LedgerError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {REFUND_COLS} FROM refunds WHERE attempt_id = ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([attempt_id], refund_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
