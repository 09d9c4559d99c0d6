//! Shifts: opening one per register, closing it with the register's next Z
//! number. (Their X/Z reports are in `reports.rs`.)

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

use crate::entry::{ShiftClosed, ShiftOpened};
use crate::heads::{self, JournalHead};
use crate::{journal, load_one, write_tx, JournalEntry, Ledger, LedgerError, ShiftId};

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
    /// The journal's head at the close, printed on the Z report.
    pub journal_head: Option<JournalHead>,
}

const SHIFT_COLS: &str =
    "id, register_id, cashier, opened_at, closed_at, z_number, journal_rows, journal_hash";

fn shift_from_row(r: &Row<'_>) -> rusqlite::Result<Shift> {
    Ok(Shift {
        id: r.get(0)?,
        register_id: r.get(1)?,
        cashier: r.get(2)?,
        opened_at: r.get(3)?,
        closed_at: r.get(4)?,
        z_number: r.get(5)?,
        journal_head: match (r.get(6)?, r.get(7)?) {
            (Some(rows), Some(hash)) => Some(JournalHead::new(rows, hash)),
            _ => None,
        },
    })
}

pub(crate) fn load_shift(conn: &Connection, id: ShiftId) -> Result<Shift, LedgerError> {
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

/// The register's open shift, read in the caller's transaction, or
/// `NoOpenShift`: what a sale or refund counts in.
pub(crate) fn open_shift_id(conn: &Connection, register_id: &str) -> Result<ShiftId, LedgerError> {
    open_shift_of(conn, register_id)?
        .map(|s| s.id)
        .ok_or_else(|| LedgerError::NoOpenShift {
            register: register_id.to_owned(),
        })
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
        let entry = JournalEntry::ShiftOpened(ShiftOpened {
            shift_id: id,
            register_id: register_id.to_owned(),
            cashier: cashier.to_owned(),
        });
        journal::append(&tx, self.key().as_ref(), now, None, None, &entry)?;
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
        // The Z's figures as they are now, kept with the close.
        let figures = crate::reports::figures(&tx, open.id)?;
        let figures_text = serde_json::to_value(&figures)
            .map_err(|e| LedgerError::Corrupt(format!("closing figures: {e}")))?
            .to_string();
        let entry = JournalEntry::ShiftClosed(ShiftClosed {
            shift_id: open.id,
            closed_at,
            z_number: z,
            figures: Some(figures),
        });
        journal::append(&tx, self.key().as_ref(), now, None, None, &entry)?;
        // The head is the close's own row; a closed shift never changes
        // again, so it is written with the close.
        let head = heads::current(&tx)?
            .ok_or_else(|| LedgerError::Corrupt("no journal head after a close".into()))?;
        tx.execute(
            "UPDATE shifts SET closed_at = ?1, z_number = ?2, journal_rows = ?3, journal_hash = ?4,
             z_figures = ?5 WHERE id = ?6",
            params![closed_at, z, head.rows, head.hash, figures_text, open.id],
        )?;
        let shift = load_shift(&tx, open.id)?;
        tx.commit()?;
        drop(conn);
        self.record_head(&head, closed_at);
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
}
