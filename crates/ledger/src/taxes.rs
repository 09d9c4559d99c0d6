//! What a sale and its refunds were taxed, as recorded with them (schema
//! v6): the item lines, the returned lines, and the tax by rate. Computed
//! once by `easyqr-tax` before the sale is recorded; read back here by
//! receipts, refunds and exports, never recomputed.

use easyqr_tax::{Breakdown, Line, Pricing, RateTotal, Rounding, TaxRate};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;

use crate::{Ledger, LedgerError, ReturnedLine, SaleId, ShiftId};

/// A refund's returned lines and tax by rate, as the use case computed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundTax {
    pub lines: Vec<ReturnedLine>,
    pub breakdown: Breakdown,
}

/// A sale as recorded: what was rung up and how it was taxed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SaleRecord {
    pub sale_id: SaleId,
    pub amount: i64,
    pub description: Option<String>,
    pub shift_id: Option<ShiftId>,
    pub created_at: i64,
    /// Empty for an amount-only sale or an older one.
    pub lines: Vec<Line>,
    /// `None`: an older sale whose rate was not recorded.
    pub breakdown: Option<Breakdown>,
    /// Per line, how many came back in refunds not failed.
    pub returned: Vec<ReturnedLine>,
}

impl SaleRecord {
    /// How many of line `line` may still be returned.
    pub fn returnable(&self, line: usize) -> i64 {
        let sold = self.lines.get(line).map_or(0, |l| l.qty);
        let back: i64 = self
            .returned
            .iter()
            .filter(|r| r.line == line as i64)
            .map(|r| r.qty)
            .sum();
        sold - back
    }
}

fn parse_rate(text: &str) -> Result<TaxRate, LedgerError> {
    TaxRate::parse("rate", text).map_err(|e| LedgerError::Corrupt(e.to_string()))
}

/// The rates stored for a sale or refund, with the sale's policy.
fn breakdown(
    conn: &Connection,
    table: &str,
    key: &str,
    id: i64,
    pricing: Pricing,
    rounding: Rounding,
) -> Result<Breakdown, LedgerError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT rate, gross, tax FROM {table} WHERE {key} = ?1"
    ))?;
    let mut rates = Vec::new();
    let mut rows = stmt.query([id])?;
    while let Some(r) = rows.next()? {
        let (gross, tax): (i64, i64) = (r.get(1)?, r.get(2)?);
        rates.push(RateTotal {
            rate: parse_rate(&r.get::<_, String>(0)?)?,
            gross,
            tax,
            net: gross - tax,
        });
    }
    rates.sort_by_key(|r| r.rate);
    Ok(Breakdown {
        pricing,
        rounding,
        total: rates.iter().map(|r| r.gross).sum(),
        rates,
    })
}

/// The sale's pricing and rounding, when its tax was recorded.
fn sale_policy(
    conn: &Connection,
    sale: SaleId,
) -> Result<Option<(Pricing, Rounding)>, LedgerError> {
    let row: Option<(Option<String>, Option<String>)> = conn
        .query_row(
            "SELECT tax_pricing, tax_rounding FROM sales WHERE id = ?1",
            [sale],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((Some(p), Some(r))) = row else {
        return Ok(None);
    };
    let corrupt = |e: easyqr_tax::InputError| LedgerError::Corrupt(e.to_string());
    Ok(Some((
        Pricing::parse("tax_pricing", &p).map_err(corrupt)?,
        Rounding::parse("tax_rounding", &r).map_err(corrupt)?,
    )))
}

pub(crate) fn sale_record(conn: &Connection, sale: SaleId) -> Result<SaleRecord, LedgerError> {
    let (amount, description, shift_id, created_at) = crate::load_one(
        conn,
        "SELECT amount, description, shift_id, created_at FROM sales WHERE id = ?1",
        sale,
        "sale",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let mut stmt = conn.prepare_cached(
        "SELECT name, qty, unit_price, rate FROM sale_lines WHERE sale_id = ?1 ORDER BY line_no",
    )?;
    let mut lines = Vec::new();
    let mut rows = stmt.query([sale])?;
    while let Some(r) = rows.next()? {
        lines.push(Line {
            name: r.get(0)?,
            qty: r.get(1)?,
            unit_price: r.get(2)?,
            rate: parse_rate(&r.get::<_, String>(3)?)?,
        });
    }
    let breakdown = match sale_policy(conn, sale)? {
        Some((p, r)) => Some(breakdown(conn, "sale_taxes", "sale_id", sale, p, r)?),
        None => None,
    };
    let mut stmt = conn.prepare_cached(
        "SELECT l.line_no, sum(l.qty) FROM refund_lines l
         JOIN refunds f ON f.id = l.refund_id
         JOIN attempts a ON a.id = f.attempt_id
         WHERE a.sale_id = ?1 AND f.status != 'failed'
         GROUP BY l.line_no ORDER BY l.line_no",
    )?;
    let returned = stmt
        .query_map([sale], |r| {
            Ok(ReturnedLine {
                line: r.get(0)?,
                qty: r.get(1)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(SaleRecord {
        sale_id: sale,
        amount,
        description,
        shift_id,
        created_at,
        lines,
        breakdown,
        returned,
    })
}

/// Records a refund's returned lines and tax by rate, in its transaction:
/// the breakdown must be the refunded amount, and each line at most what
/// was sold and not yet returned.
pub(crate) fn insert_refund_tax(
    tx: &Transaction<'_>,
    sale: SaleId,
    refund: i64,
    amount: i64,
    t: &RefundTax,
) -> Result<(), LedgerError> {
    if t.breakdown.total != amount {
        return Err(LedgerError::Invalid {
            field: "amount",
            allowed: format!(
                "the returned items' total ¥{}, not ¥{amount}",
                t.breakdown.total
            ),
        });
    }
    let record = sale_record(tx, sale)?;
    for (i, back) in t.lines.iter().enumerate() {
        let left = usize::try_from(back.line).map_or(0, |l| record.returnable(l));
        let earlier: i64 = t.lines[..i]
            .iter()
            .filter(|o| o.line == back.line)
            .map(|o| o.qty)
            .sum();
        if back.qty < 1 || back.qty > left - earlier {
            return Err(LedgerError::Invalid {
                field: "items",
                allowed: format!(
                    "line {} of the sale: at most {} more to return",
                    back.line,
                    (left - earlier).max(0)
                ),
            });
        }
    }
    let mut line = tx.prepare_cached(
        "INSERT INTO refund_lines (refund_id, line_no, qty) VALUES (?1, ?2, ?3)
         ON CONFLICT (refund_id, line_no) DO NOTHING",
    )?;
    for back in &t.lines {
        if line.execute(params![refund, back.line, back.qty])? == 0 {
            return Err(LedgerError::Invalid {
                field: "items",
                allowed: format!("each of the sale's lines once; line {} twice", back.line),
            });
        }
    }
    let mut rate = tx.prepare_cached(
        "INSERT INTO refund_taxes (refund_id, rate, gross, tax) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for r in &t.breakdown.rates {
        rate.execute(params![refund, r.rate.as_str(), r.gross, r.tax])?;
    }
    Ok(())
}

impl Ledger {
    /// A sale with its lines, its tax by rate and what came back so far.
    pub fn sale_record(&self, sale: SaleId) -> Result<SaleRecord, LedgerError> {
        sale_record(&self.conn(), sale)
    }

    /// A refund's returned lines and tax by rate, when they were recorded.
    pub fn refund_tax(&self, refund: i64) -> Result<Option<RefundTax>, LedgerError> {
        let conn = self.conn();
        let sale: SaleId = crate::load_one(
            &conn,
            "SELECT a.sale_id FROM refunds f JOIN attempts a ON a.id = f.attempt_id WHERE f.id = ?1",
            refund,
            "refund",
            |r| r.get(0),
        )?;
        let recorded: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM refund_taxes WHERE refund_id = ?1)",
            [refund],
            |r| r.get(0),
        )?;
        let Some((p, r)) = sale_policy(&conn, sale)?.filter(|_| recorded) else {
            return Ok(None);
        };
        let breakdown = breakdown(&conn, "refund_taxes", "refund_id", refund, p, r)?;
        let mut stmt = conn.prepare_cached(
            "SELECT line_no, qty FROM refund_lines WHERE refund_id = ?1 ORDER BY line_no",
        )?;
        let lines = stmt
            .query_map([refund], |r| {
                Ok(ReturnedLine {
                    line: r.get(0)?,
                    qty: r.get(1)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(Some(RefundTax { lines, breakdown }))
    }
}
