//! Sales: the amount the cashier rang up, in a shift. A sale is paid by one
//! of its attempts (a retry after an expiry is a second attempt).

use rusqlite::{params, OptionalExtension, Transaction};

use crate::attempts::insert_attempt;
use crate::entry::SaleCreated;
use crate::order_no::alloc_order_no;
use crate::shifts::open_shift_id;
use crate::ChainKey;
use crate::{
    journal, write_tx, Attempt, JournalEntry, Ledger, LedgerError, OrderPrefix, SaleId, ShiftId,
};

fn insert_sale(
    tx: &Transaction<'_>,
    key: Option<&ChainKey>,
    amount: elepay::Amount,
    description: Option<&str>,
    shift_id: Option<ShiftId>,
    now: i64,
) -> Result<SaleId, LedgerError> {
    tx.execute(
        "INSERT INTO sales (shift_id, amount, description, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![shift_id, amount.yen(), description, now],
    )?;
    let id = tx.last_insert_rowid();
    let entry = JournalEntry::SaleCreated(SaleCreated {
        amount: amount.yen(),
        shift_id,
        description: description.map(str::to_owned),
    });
    journal::append(tx, key, now, Some(id), None, &entry)?;
    Ok(id)
}

/// The amount of a sale, or `NotFound`.
pub(crate) fn sale_amount(tx: &Transaction<'_>, sale_id: SaleId) -> Result<i64, LedgerError> {
    tx.query_row("SELECT amount FROM sales WHERE id = ?1", [sale_id], |r| {
        r.get(0)
    })
    .optional()?
    .ok_or_else(|| LedgerError::NotFound {
        what: "sale",
        id: sale_id.to_string(),
    })
}

impl Ledger {
    /// Records a sale (the amount the cashier rang up) in the given shift,
    /// with no attempt: a building block for imports and tests. Charges go
    /// through [`Ledger::start_sale`], which requires the open shift.
    pub fn create_sale(
        &self,
        amount: elepay::Amount,
        description: Option<&str>,
        shift_id: Option<ShiftId>,
        now: i64,
    ) -> Result<SaleId, LedgerError> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let id = insert_sale(&tx, self.key().as_ref(), amount, description, shift_id, now)?;
        tx.commit()?;
        Ok(id)
    }

    /// Rings up a sale in the register's open shift and reserves its first
    /// attempt under a fresh orderNo, in one transaction: a crash leaves
    /// either nothing or a sale with a reserved attempt that recovery burns
    /// (and that can be tried again). No open shift: `NoOpenShift` (a sale
    /// outside a shift would be in no report). The shift is read inside the
    /// transaction, so a charge racing a close lands before it or is refused.
    pub fn start_sale(
        &self,
        amount: elepay::Amount,
        description: Option<&str>,
        register_id: &str,
        prefix: &OrderPrefix,
        business_date: &str,
        now: i64,
    ) -> Result<Attempt, LedgerError> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let shift_id = open_shift_id(&tx, register_id)?;
        let key = self.key();
        let sale = insert_sale(&tx, key.as_ref(), amount, description, Some(shift_id), now)?;
        let order_no = alloc_order_no(&tx, prefix, business_date)?;
        let attempt = insert_attempt(&tx, key.as_ref(), sale, &order_no, now)?;
        tx.commit()?;
        Ok(attempt)
    }
}
