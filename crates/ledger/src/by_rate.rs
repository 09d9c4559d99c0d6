//! X/Z figures by tax rate (税率別): sales, refunds and net per rate, read
//! from the running `shift_rate_totals` (kept by triggers from the rates
//! recorded with each sale and refund), and the report's headline figures
//! 総売上 / 返金 / 純売上, 客数 and 客単価. One rule for the register's reports
//! and the head office's copy ([`TaxFigures::assemble`]).

use easyqr_tax::TaxRate;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::{LedgerError, ShiftId, StateTotal};

/// Yen and the tax in them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RateAmount {
    pub gross: i64,
    pub tax: i64,
}

impl RateAmount {
    fn minus(self, o: RateAmount) -> RateAmount {
        RateAmount {
            gross: self.gross.saturating_sub(o.gross),
            tax: self.tax.saturating_sub(o.tax),
        }
    }
}

/// One amount per rate, and what no rate was recorded for (older sales).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ByRate {
    pub standard: RateAmount,
    pub reduced: RateAmount,
    pub free: RateAmount,
    /// Rate not recorded: never guessed, never taxed.
    pub unrecorded: RateAmount,
}

impl ByRate {
    /// The amount of a rate; `None` is "rate not recorded".
    pub fn get(&self, rate: Option<TaxRate>) -> RateAmount {
        match rate {
            Some(TaxRate::Standard) => self.standard,
            Some(TaxRate::Reduced) => self.reduced,
            Some(TaxRate::Free) => self.free,
            None => self.unrecorded,
        }
    }

    fn slot(&mut self, rate: Option<TaxRate>) -> &mut RateAmount {
        match rate {
            Some(TaxRate::Standard) => &mut self.standard,
            Some(TaxRate::Reduced) => &mut self.reduced,
            Some(TaxRate::Free) => &mut self.free,
            None => &mut self.unrecorded,
        }
    }

    /// Adds yen and tax to a rate (`None`: not recorded).
    pub fn add(&mut self, rate: Option<TaxRate>, a: RateAmount) {
        let s = self.slot(rate);
        // Saturating throughout: HQ sums figures registers sent it.
        s.gross = s.gross.saturating_add(a.gross);
        s.tax = s.tax.saturating_add(a.tax);
    }

    /// The four buckets in report order, with their keys.
    pub fn buckets(&self) -> [(&'static str, Option<TaxRate>, RateAmount); 4] {
        [
            ("standard", Some(TaxRate::Standard), self.standard),
            ("reduced", Some(TaxRate::Reduced), self.reduced),
            ("free", Some(TaxRate::Free), self.free),
            ("unrecorded", None, self.unrecorded),
        ]
    }

    pub fn minus(&self, o: &ByRate) -> ByRate {
        ByRate {
            standard: self.standard.minus(o.standard),
            reduced: self.reduced.minus(o.reduced),
            free: self.free.minus(o.free),
            unrecorded: self.unrecorded.minus(o.unrecorded),
        }
    }

    /// Σ tax of the recorded rates.
    pub fn tax(&self) -> i64 {
        self.standard
            .tax
            .saturating_add(self.reduced.tax)
            .saturating_add(self.free.tax)
    }
}

/// A report's figures by rate and its headline figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxFigures {
    /// Paid sales per rate (税率別 売上) and their tax (消費税額).
    pub sales: ByRate,
    /// Refunds confirmed or in progress, per rate.
    pub refunds: ByRate,
    /// `sales - refunds`, per rate.
    pub net: ByRate,
    /// 総売上: every payment.
    pub gross_sales: i64,
    /// 返金: refunds confirmed or in progress.
    pub refunded: i64,
    /// 純売上: 総売上 - 返金.
    pub net_sales: i64,
    /// 客数: payments.
    pub customers: i64,
    /// 客単価: 総売上 / 客数, rounded down (0 with no payment).
    pub average_sale: i64,
}

impl TaxFigures {
    /// The one rule: sales and refunds per rate (as kept for a shift), the
    /// paid total and what refunds deduct.
    pub fn assemble(sales: ByRate, refunds: ByRate, paid: StateTotal, deducted: i64) -> TaxFigures {
        TaxFigures {
            net: sales.minus(&refunds),
            sales,
            refunds,
            gross_sales: paid.amount,
            refunded: deducted,
            net_sales: paid.amount.saturating_sub(deducted),
            customers: paid.count,
            average_sale: if paid.count > 0 {
                paid.amount / paid.count
            } else {
                0
            },
        }
    }

    /// Figures of a Z closed before rates were recorded: everything it
    /// counted is "rate not recorded".
    pub fn unrecorded(paid: StateTotal, deducted: i64) -> TaxFigures {
        let sales = ByRate {
            unrecorded: RateAmount {
                gross: paid.amount,
                tax: 0,
            },
            ..ByRate::default()
        };
        let refunds = ByRate {
            unrecorded: RateAmount {
                gross: deducted,
                tax: 0,
            },
            ..ByRate::default()
        };
        TaxFigures::assemble(sales, refunds, paid, deducted)
    }

    /// `self - before` (for a Z's "since the close").
    pub fn since(&self, before: &TaxFigures) -> TaxFigures {
        let paid = StateTotal {
            count: self.customers.saturating_sub(before.customers),
            amount: self.gross_sales.saturating_sub(before.gross_sales),
        };
        let mut d = TaxFigures::assemble(
            self.sales.minus(&before.sales),
            self.refunds.minus(&before.refunds),
            paid,
            self.refunded.saturating_sub(before.refunded),
        );
        // An average of the difference means nothing.
        d.average_sale = 0;
        d
    }
}

/// A sale's rates as the log reads them ("standard:960:87,reduced:398:29").
pub(crate) fn parse_rates(text: &str) -> Result<ByRate, String> {
    let mut out = ByRate::default();
    for part in text.split(',') {
        let mut f = part.split(':');
        let (Some(rate), Some(gross), Some(tax)) = (f.next(), f.next(), f.next()) else {
            return Err(format!("sale rates {text:?}"));
        };
        let rate = TaxRate::parse("rate", rate).map_err(|e| e.to_string())?;
        let n = |v: &str| {
            v.parse::<i64>()
                .map_err(|e| format!("sale rates {text:?}: {e}"))
        };
        out.add(
            Some(rate),
            RateAmount {
                gross: n(gross)?,
                tax: n(tax)?,
            },
        );
    }
    Ok(out)
}

/// Sales and refunds per rate of a shift, in the caller's transaction.
pub(crate) fn rate_sums(
    conn: &Connection,
    shift: ShiftId,
) -> Result<(ByRate, ByRate), LedgerError> {
    let mut stmt = conn.prepare_cached(
        "SELECT side, rate, gross, tax FROM shift_rate_totals WHERE shift_id = ?1",
    )?;
    let (mut sales, mut refunds) = (ByRate::default(), ByRate::default());
    let mut rows = stmt.query([shift])?;
    while let Some(r) = rows.next()? {
        let (side, rate): (String, String) = (r.get(0)?, r.get(1)?);
        let rate = match rate.as_str() {
            "unrecorded" => None,
            other => Some(
                TaxRate::parse("rate", other).map_err(|e| LedgerError::Corrupt(e.to_string()))?,
            ),
        };
        let a = RateAmount {
            gross: r.get(2)?,
            tax: r.get(3)?,
        };
        match side.as_str() {
            "sale" => sales.add(rate, a),
            "refund" => refunds.add(rate, a),
            other => {
                return Err(LedgerError::Corrupt(format!(
                    "shift_rate_totals side {other:?}"
                )))
            }
        }
    }
    Ok((sales, refunds))
}
