//! Sales: the amount the cashier rang up, in a shift. A sale is paid by one
//! of its attempts (a retry after an expiry is a second attempt).

use rusqlite::{params, OptionalExtension, Transaction};

use crate::attempts::insert_attempt;
use crate::entry::{SaleCreated, SaleTaxed};
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

/// Records a sale's lines and tax by rate, and journals them, in the
/// sale's own transaction. The breakdown must be the amount charged.
fn insert_sale_tax(
    tx: &Transaction<'_>,
    key: Option<&ChainKey>,
    sale: SaleId,
    amount: elepay::Amount,
    taxed: &SaleTaxed,
    now: i64,
) -> Result<(), LedgerError> {
    let b = &taxed.breakdown;
    if b.total != amount.yen() {
        return Err(LedgerError::Invalid {
            field: "amount",
            allowed: format!("the items' total ¥{}, not ¥{}", b.total, amount.yen()),
        });
    }
    tx.execute(
        "UPDATE sales SET tax_pricing = ?1, tax_rounding = ?2 WHERE id = ?3",
        params![b.pricing.as_str(), b.rounding.as_str(), sale],
    )?;
    let mut line = tx.prepare_cached(
        "INSERT INTO sale_lines (sale_id, line_no, name, qty, unit_price, rate)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (i, l) in taxed.lines.iter().enumerate() {
        line.execute(params![
            sale,
            i as i64,
            l.name,
            l.qty,
            l.unit_price,
            l.rate.as_str()
        ])?;
    }
    let mut rate = tx.prepare_cached(
        "INSERT INTO sale_taxes (sale_id, rate, gross, tax) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for r in &b.rates {
        rate.execute(params![sale, r.rate.as_str(), r.gross, r.tax])?;
    }
    journal::append(
        tx,
        key,
        now,
        Some(sale),
        None,
        &JournalEntry::SaleTaxed(taxed.clone()),
    )?;
    Ok(())
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
    /// `taxed`: the sale's lines and tax by rate, recorded with it (`None`
    /// only for callers that predate tax: imports and tests).
    #[allow(clippy::too_many_arguments)]
    pub fn start_sale(
        &self,
        amount: elepay::Amount,
        description: Option<&str>,
        taxed: Option<&SaleTaxed>,
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
        if let Some(taxed) = taxed {
            insert_sale_tax(&tx, key.as_ref(), sale, amount, taxed, now)?;
        }
        let order_no = alloc_order_no(&tx, prefix, business_date)?;
        let attempt = insert_attempt(&tx, key.as_ref(), sale, &order_no, now)?;
        tx.commit()?;
        Ok(attempt)
    }
}
