//! What a refund returns and how it is taxed: by item lines for any sale
//! whose lines were recorded (a mixed-rate sale only so), or by amount for
//! a single-rate sale (or an older one, whose rate was not recorded). The
//! tax of the returned lines alone, by the sale's own rule (`easyqr-tax`).

use easyqr_ledger::{RefundTax, ReturnedLine, SaleRecord};
use easyqr_tax::{Breakdown, Line};
use serde::Deserialize;

use crate::error::{PosError, Result};

/// One returned item: the sale's line by number (from 0) or by name.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturnItem {
    #[serde(default)]
    pub line: Option<i64>,
    #[serde(default)]
    pub name: Option<String>,
    pub qty: i64,
}

/// A refund as asked for: items, or an amount.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundRequest {
    #[serde(default)]
    pub amount: Option<i64>,
    #[serde(default)]
    pub items: Vec<ReturnItem>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// The refund to record: its amount and, when the sale's tax was recorded,
/// its returned lines and tax by rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRefund {
    pub amount: elepay::Amount,
    pub tax: Option<RefundTax>,
}

impl RefundRequest {
    /// Plans the refund of a sale as recorded. The ledger still limits the
    /// amount to the refundable remainder and each line to what is left.
    pub fn plan(&self, sale: &SaleRecord) -> Result<PlannedRefund> {
        if self.items.is_empty() {
            return self.by_amount(sale);
        }
        let Some(sold) = sale.breakdown.as_ref().filter(|_| !sale.lines.is_empty()) else {
            return Err(PosError::invalid(
                "items",
                "items: this sale was rung up without item lines; refund it by amount",
            ));
        };
        let mut returned = Vec::new();
        let mut lines = Vec::new();
        for (i, it) in self.items.iter().enumerate() {
            let n = line_of(sale, it, i)?;
            let l = &sale.lines[n];
            if it.qty < 1 || it.qty > sale.returnable(n) {
                return Err(PosError::invalid(
                    format!("items[{i}].qty"),
                    format!(
                        "items[{i}].qty: 1 to {} ({} of {} not yet returned)",
                        sale.returnable(n).max(0),
                        l.name,
                        l.qty
                    ),
                ));
            }
            returned.push(ReturnedLine {
                line: n as i64,
                qty: it.qty,
            });
            lines.push(Line {
                qty: it.qty,
                ..l.clone()
            });
        }
        let breakdown = Breakdown::compute(&sold.policy(), &lines)?;
        if let Some(asked) = self.amount.filter(|a| *a != breakdown.total) {
            return Err(PosError::invalid(
                "amount",
                format!(
                    "amount: the returned items come to ¥{} (tax included), not ¥{asked}",
                    breakdown.total
                ),
            ));
        }
        Ok(PlannedRefund {
            amount: elepay::Amount::new(breakdown.total)?,
            tax: Some(RefundTax {
                lines: returned,
                breakdown,
            }),
        })
    }

    fn by_amount(&self, sale: &SaleRecord) -> Result<PlannedRefund> {
        let yen = self.amount.ok_or_else(|| {
            PosError::invalid(
                "amount",
                "amount: the amount to refund, or the items returned",
            )
        })?;
        let amount =
            elepay::Amount::new(yen).map_err(|e| PosError::invalid("amount", e.to_string()))?;
        let tax = match &sale.breakdown {
            None => None,
            Some(b) => match b.single_rate() {
                Some(rate) => Some(RefundTax {
                    lines: Vec::new(),
                    breakdown: Breakdown::of_amount(&b.policy(), rate, yen),
                }),
                None => {
                    return Err(PosError::invalid(
                        "items",
                        "items: this sale has items at several tax rates; name the items returned (and how many), so the refund's tax is right",
                    ))
                }
            },
        };
        Ok(PlannedRefund { amount, tax })
    }
}

/// The sale's line an item names: by number, or by a name only one line has.
fn line_of(sale: &SaleRecord, it: &ReturnItem, i: usize) -> Result<usize> {
    let field = format!("items[{i}]");
    if let Some(n) = it.line {
        return usize::try_from(n)
            .ok()
            .filter(|n| *n < sale.lines.len())
            .ok_or_else(|| {
                PosError::invalid(
                    field.clone(),
                    format!("{field}: a line of the sale, 0 to {}", sale.lines.len() - 1),
                )
            });
    }
    let name = it.name.as_deref().map(str::trim).unwrap_or_default();
    let found: Vec<usize> = (0..sale.lines.len())
        .filter(|n| sale.lines[*n].name == name)
        .collect();
    match found.as_slice() {
        [n] => Ok(*n),
        _ => {
            let names: Vec<&str> = sale.lines.iter().map(|l| l.name.as_str()).collect();
            let why = if found.is_empty() {
                "one of"
            } else {
                "a name only one line has; the sale has"
            };
            Err(PosError::invalid(
                field.clone(),
                format!("{field}: {why} {}", names.join(", ")),
            ))
        }
    }
}

#[cfg(test)]
mod tests;
