//! Tax by rate at HQ: each sale's and each refund's rates as the register
//! recorded them (`sale.taxed`, `refund.taxed`: `sale_taxes`,
//! `refund_taxes`), and the per-shift sums by side and rate the books read
//! (`shift_rate_totals`).
//!
//! The sums are kept by the triggers of `migrations/0004_tax_by_rate.sql`,
//! which are the ledger's own (`crates/ledger/migrations/0006`), one for
//! one: a payment adds its sale's recorded rates and `amount − Σ recorded
//! gross` as "rate not recorded"; a refund counts as not recorded until its
//! `refund.taxed` moves it to its rates; a refund that becomes failed leaves
//! every rate. They fire on the same state changes as the ledger's (an
//! attempt becoming captured, a refund inserted, becoming failed), so a
//! journal row applied twice changes nothing, like the rest of the
//! projection.

use std::collections::BTreeMap;

use deadpool_postgres::Transaction;
use easyqr_ledger::{ByRate, JournalRow, RateAmount, RefundTaxed, SaleTaxed};
use easyqr_tax::{Breakdown, TaxRate};
use tokio_postgres::Client;

use crate::error::HqError;
use crate::projection::exec;

/// (register, shift id).
pub type ShiftKey = (i64, i64);

/// The rates of a breakdown as three columns (rate, gross, tax).
fn columns(b: &Breakdown) -> (Vec<&'static str>, Vec<i64>, Vec<i64>) {
    (
        b.rates.iter().map(|r| r.rate.as_str()).collect(),
        b.rates.iter().map(|r| r.gross).collect(),
        b.rates.iter().map(|r| r.tax).collect(),
    )
}

/// `sale.taxed`: the sale's policy and its tax by rate. It comes right
/// after its `sale.created` and before any payment of the sale, so the
/// payment finds the rates (as on the register).
pub async fn record_sale(
    tx: &Transaction<'_>,
    register: i64,
    row: &JournalRow,
    t: &SaleTaxed,
) -> Result<(), HqError> {
    let Some(sale) = row.sale_id else {
        // Refused before any SQL ran: the projection waits here.
        return Err(HqError::Invalid(format!(
            "journal row {}: sale.taxed names no sale",
            row.seq
        )));
    };
    let b = &t.breakdown;
    exec(
        tx,
        "UPDATE sales SET tax_pricing = $3, tax_rounding = $4
         WHERE register = $1 AND sale_id = $2",
        &[&register, &sale, &b.pricing.as_str(), &b.rounding.as_str()],
    )
    .await?;
    let (rates, gross, tax) = columns(b);
    exec(
        tx,
        "INSERT INTO sale_taxes (register, sale_id, rate, gross, tax)
         SELECT $1, $2, * FROM unnest($3::text[], $4::bigint[], $5::bigint[])
         ON CONFLICT DO NOTHING",
        &[&register, &sale, &rates, &gross, &tax],
    )
    .await?;
    Ok(())
}

/// `refund.taxed`: the refund's tax by rate, right after its
/// `refund.requested` (the trigger moves it from "not recorded" to its rates).
pub async fn record_refund(
    tx: &Transaction<'_>,
    register: i64,
    t: &RefundTaxed,
) -> Result<(), HqError> {
    let (rates, gross, tax) = columns(&t.breakdown);
    exec(
        tx,
        "INSERT INTO refund_taxes (register, refund, rate, gross, tax)
         SELECT $1, $2, * FROM unnest($3::text[], $4::bigint[], $5::bigint[])
         ON CONFLICT DO NOTHING",
        &[&register, &t.refund, &rates, &gross, &tax],
    )
    .await?;
    Ok(())
}

/// The stored name of a bucket: a rate, or "unrecorded" (`None`).
fn rate_of(name: &str) -> Result<Option<TaxRate>, HqError> {
    match name {
        "unrecorded" => Ok(None),
        other => TaxRate::parse("rate", other)
            .map(Some)
            .map_err(|e| HqError::Invalid(format!("stored rate sums: {e}"))),
    }
}

/// Paid sales and refunds by rate of each given shift (absent: nothing
/// paid or refunded in it). A few rows per shift, read by the primary key.
pub async fn rate_sums(
    c: &Client,
    keys: &[ShiftKey],
) -> Result<BTreeMap<ShiftKey, (ByRate, ByRate)>, HqError> {
    let regs: Vec<i64> = keys.iter().map(|k| k.0).collect();
    let ids: Vec<i64> = keys.iter().map(|k| k.1).collect();
    let rows = c
        .query(
            &format!(
                "SELECT t.register, t.shift_id, t.side, t.rate, {}, {}
                 FROM unnest($1::bigint[], $2::bigint[]) AS sh (register, shift_id)
                 JOIN shift_rate_totals t ON t.register = sh.register AND t.shift_id = sh.shift_id",
                crate::books::saturating_bigint("t.gross"),
                crate::books::saturating_bigint("t.tax")
            ),
            &[&regs, &ids],
        )
        .await?;
    let mut out: BTreeMap<ShiftKey, (ByRate, ByRate)> = BTreeMap::new();
    for r in &rows {
        let sums = out.entry((r.get(0), r.get(1))).or_default();
        let side = match r.get::<_, &str>(2) {
            "sale" => &mut sums.0,
            "refund" => &mut sums.1,
            other => {
                return Err(HqError::Invalid(format!(
                    "stored rate sums: side {other:?}"
                )))
            }
        };
        // One row per (shift, side, rate): this sets the bucket.
        side.add(
            rate_of(r.get(3))?,
            RateAmount {
                gross: r.get(4),
                tax: r.get(5),
            },
        );
    }
    Ok(out)
}
