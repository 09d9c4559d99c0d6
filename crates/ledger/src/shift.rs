//! Shifts: opening, closing with a Z number, and the X/Z report.
//!
//! A payment belongs to the shift its sale was rung up in, even when elepay
//! confirms it after that shift closed (the report then counts it as late);
//! a refund counts in the shift it was made in.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;
use serde_json::json;

use crate::{journal, load_one, write_tx, AttemptState, Ledger, LedgerError, ShiftId, StateTotal};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Shift {
    pub id: ShiftId,
    pub register_id: String,
    pub cashier: String,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    /// Sequential per register, given at close; never repeats or skips.
    pub z_number: Option<i64>,
}

/// Refunds made in a shift, by how far elepay got with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundTotals {
    /// Confirmed by elepay.
    pub refunded: StateTotal,
    /// Asked for, not yet confirmed (requested or pending at elepay).
    pub in_progress: StateTotal,
    /// Refused by elepay; not deducted.
    pub failed: StateTotal,
}

/// An X report (shift still open) or a Z report (shift closed). Counts are
/// attempts, i.e. EasyQR codes; one sale can have several (a retry after an
/// expiry is a second code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShiftReport {
    pub shift: Shift,
    /// When the report was made.
    pub at: i64,
    pub paid: StateTotal,
    pub cancelled: StateTotal,
    pub expired: StateTotal,
    /// Create requests whose outcome was unknown (never shown, never payable).
    pub burned: StateTotal,
    /// Create requests elepay refused.
    pub rejected: StateTotal,
    /// Codes not final yet (still on screen or being resolved).
    pub unresolved: StateTotal,
    /// Paid attempts per wallet, sorted by wallet name.
    pub paid_by_wallet: Vec<(String, StateTotal)>,
    pub refunds: RefundTotals,
    /// Paid minus refunds that are confirmed or in progress.
    pub net_sales: i64,
    /// Paid after the shift closed (included in `paid`).
    pub late: StateTotal,
    /// orderNo of the shift's first sale and of its last sale (latest attempt).
    pub first_order_no: Option<String>,
    pub last_order_no: Option<String>,
}

impl ShiftReport {
    /// "Z" once the shift is closed, "X" before.
    pub fn kind(&self) -> &'static str {
        if self.shift.closed_at.is_some() {
            "Z"
        } else {
            "X"
        }
    }
}

const SHIFT_COLS: &str = "id, register_id, cashier, opened_at, closed_at, z_number";

fn shift_from_row(r: &Row<'_>) -> rusqlite::Result<Shift> {
    Ok(Shift {
        id: r.get(0)?,
        register_id: r.get(1)?,
        cashier: r.get(2)?,
        opened_at: r.get(3)?,
        closed_at: r.get(4)?,
        z_number: r.get(5)?,
    })
}

fn load_shift(conn: &Connection, id: ShiftId) -> Result<Shift, LedgerError> {
    let sql = format!("SELECT {SHIFT_COLS} FROM shifts WHERE id = ?1");
    load_one(conn, &sql, id, "shift", shift_from_row)
}

fn open_shift_of(conn: &Connection, register_id: &str) -> Result<Option<Shift>, LedgerError> {
    let sql =
        format!("SELECT {SHIFT_COLS} FROM shifts WHERE register_id = ?1 AND closed_at IS NULL");
    Ok(conn
        .query_row(&sql, [register_id], shift_from_row)
        .optional()?)
}

fn check_name(field: &'static str, v: &str) -> Result<(), LedgerError> {
    let n = v.chars().count();
    if v.trim().is_empty() || n > 64 || v.chars().any(char::is_control) {
        return Err(LedgerError::Invalid {
            field,
            allowed: "1 to 64 characters, not blank, no control characters".into(),
        });
    }
    Ok(())
}

impl Ledger {
    /// Opens a shift on a register. Only one may be open per register.
    pub fn open_shift(
        &self,
        register_id: &str,
        cashier: &str,
        now: i64,
    ) -> Result<ShiftId, LedgerError> {
        check_name("register", register_id)?;
        check_name("cashier", cashier)?;
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        if let Some(open) = open_shift_of(&tx, register_id)? {
            return Err(LedgerError::Invalid {
                field: "shift",
                allowed: format!(
                    "one open shift per register; shift {} ({}) is still open on {register_id}",
                    open.id, open.cashier
                ),
            });
        }
        tx.execute(
            "INSERT INTO shifts (register_id, cashier, opened_at) VALUES (?1, ?2, ?3)",
            params![register_id, cashier, now],
        )?;
        let id = tx.last_insert_rowid();
        journal::append(
            &tx,
            journal::Entry {
                at: now,
                kind: "shift.opened",
                sale_id: None,
                attempt_id: None,
                payload: json!({ "shiftId": id, "registerId": register_id, "cashier": cashier }),
            },
        )?;
        tx.commit()?;
        Ok(id)
    }

    /// The register's open shift, if any.
    pub fn current_shift(&self, register_id: &str) -> Result<Option<ShiftId>, LedgerError> {
        Ok(open_shift_of(&self.conn(), register_id)?.map(|s| s.id))
    }

    /// Closes the register's open shift and gives it the register's next Z
    /// number, in one transaction: a crash leaves it open or closed with its
    /// number, never numbered twice. Codes still on screen keep their shift;
    /// if they are paid later, its report counts them as late.
    pub fn close_shift(&self, register_id: &str, now: i64) -> Result<Shift, LedgerError> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let Some(open) = open_shift_of(&tx, register_id)? else {
            return Err(LedgerError::Invalid {
                field: "shift",
                allowed: format!("an open shift; register {register_id} has none"),
            });
        };
        let z: i64 = tx.query_row(
            "SELECT coalesce(max(z_number), 0) + 1 FROM shifts WHERE register_id = ?1",
            [register_id],
            |r| r.get(0),
        )?;
        // A wrong register clock must not close a shift before it opened.
        let closed_at = now.max(open.opened_at);
        tx.execute(
            "UPDATE shifts SET closed_at = ?1, z_number = ?2 WHERE id = ?3",
            params![closed_at, z, open.id],
        )?;
        journal::append(
            &tx,
            journal::Entry {
                at: now,
                kind: "shift.closed",
                sale_id: None,
                attempt_id: None,
                payload: json!({ "shiftId": open.id, "closedAt": closed_at, "zNumber": z }),
            },
        )?;
        let shift = load_shift(&tx, open.id)?;
        tx.commit()?;
        Ok(shift)
    }

    pub fn shift(&self, id: ShiftId) -> Result<Shift, LedgerError> {
        load_shift(&self.conn(), id)
    }

    /// Shifts of a register, newest first (for "past shifts").
    pub fn shifts(
        &self,
        register_id: &str,
        limit: u32,
        before_id: Option<ShiftId>,
    ) -> Result<Vec<Shift>, LedgerError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {SHIFT_COLS} FROM shifts WHERE register_id = ?1 AND id < ?2
             ORDER BY id DESC LIMIT ?3"
        ))?;
        let rows = stmt.query_map(
            params![register_id, before_id.unwrap_or(i64::MAX), limit],
            shift_from_row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The X report of an open shift or the Z report of a closed one. Reads
    /// running totals and a few indexed rows, so it costs the same for a
    /// shift of ten payments or of a million.
    pub fn shift_report(&self, id: ShiftId, now: i64) -> Result<ShiftReport, LedgerError> {
        let totals = self.shift_totals(id)?;
        let conn = self.conn();
        let shift = load_shift(&conn, id)?;
        let sum = |states: &[AttemptState]| {
            states.iter().fold(StateTotal::default(), |acc, s| {
                let t = totals.get(*s);
                StateTotal {
                    count: acc.count + t.count,
                    amount: acc.amount + t.amount,
                }
            })
        };
        let mut refunds = RefundTotals::default();
        let mut stmt = conn.prepare_cached(
            "SELECT status, count(*), sum(amount) FROM refunds WHERE shift_id = ?1 GROUP BY status",
        )?;
        let mut rows = stmt.query([id])?;
        while let Some(r) = rows.next()? {
            let status: String = r.get(0)?;
            let t = StateTotal {
                count: r.get(1)?,
                amount: r.get(2)?,
            };
            let slot = match status.as_str() {
                "refunded" => &mut refunds.refunded,
                "failed" => &mut refunds.failed,
                _ => &mut refunds.in_progress,
            };
            slot.count += t.count;
            slot.amount += t.amount;
        }
        let late = conn.query_row(
            "SELECT count(*), coalesce(sum(amount), 0) FROM late_captures WHERE shift_id = ?1",
            [id],
            |r| {
                Ok(StateTotal {
                    count: r.get(0)?,
                    amount: r.get(1)?,
                })
            },
        )?;
        let order_no = |which: &str, order: &str| -> Result<Option<String>, LedgerError> {
            // min/max over the sales_shift index, then that sale's attempts.
            let sql = format!(
                "SELECT order_no FROM attempts WHERE sale_id =
                   (SELECT {which}(id) FROM sales WHERE shift_id = ?1)
                 ORDER BY id {order} LIMIT 1"
            );
            Ok(conn.query_row(&sql, [id], |r| r.get(0)).optional()?)
        };
        let paid = totals.get(AttemptState::Captured);
        Ok(ShiftReport {
            at: now,
            paid,
            cancelled: totals.get(AttemptState::Closed),
            expired: totals.get(AttemptState::Expired),
            burned: totals.get(AttemptState::Burned),
            rejected: totals.get(AttemptState::Rejected),
            unresolved: sum(&[
                AttemptState::Reserved,
                AttemptState::Creating,
                AttemptState::Pending,
            ]),
            paid_by_wallet: totals.paid_by_wallet,
            net_sales: paid.amount - refunds.refunded.amount - refunds.in_progress.amount,
            refunds,
            late,
            first_order_no: order_no("min", "ASC")?,
            last_order_no: order_no("max", "DESC")?,
            shift,
        })
    }
}
