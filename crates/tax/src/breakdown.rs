use serde::{Deserialize, Serialize};

use crate::{InputError, Line, Pricing, Rounding, TaxPolicy, TaxRate, LINES_MAX};

/// One rate's share of a receipt: `gross` = `net` + `tax`, in yen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateTotal {
    pub rate: TaxRate,
    /// The amount paid for that rate's items, tax included (10%対象 ¥960).
    pub gross: i64,
    /// The tax in it (内消費税 ¥87).
    pub tax: i64,
    /// `gross - tax`.
    pub net: i64,
}

/// A receipt's tax: one [`RateTotal`] per rate that occurs, in
/// [`TaxRate::ALL`] order, and the total charged. Recorded with the sale
/// (or refund) and never recomputed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Breakdown {
    pub pricing: Pricing,
    pub rounding: Rounding,
    pub rates: Vec<RateTotal>,
    /// Σ gross: the amount charged (or refunded).
    pub total: i64,
}

impl RateTotal {
    /// One rate's tax over `amount`, the sum of its lines' amounts (tax
    /// included or not, as `pricing` says).
    fn of(rate: TaxRate, amount: i64, pricing: Pricing, rounding: Rounding) -> RateTotal {
        let r = i128::from(rate.percent());
        let a = i128::from(amount);
        match pricing {
            // tax = round(total × r / (100 + r))
            Pricing::Included => {
                let tax = rounding.divide(a * r, 100 + r);
                RateTotal {
                    rate,
                    gross: amount,
                    tax,
                    net: amount - tax,
                }
            }
            // tax = round(net × r / 100), total = net + tax
            Pricing::Excluded => {
                let tax = rounding.divide(a * r, 100);
                RateTotal {
                    rate,
                    gross: amount + tax,
                    tax,
                    net: amount,
                }
            }
        }
    }
}

impl Breakdown {
    /// The tax of a receipt's item lines: each line checked, the lines'
    /// amounts summed per rate, and the tax computed once per rate.
    pub fn compute(policy: &TaxPolicy, lines: &[Line]) -> Result<Breakdown, InputError> {
        if lines.is_empty() || lines.len() > LINES_MAX {
            return Err(InputError::new(
                "items",
                format!("1 to {LINES_MAX} item lines, not {}", lines.len()),
            ));
        }
        for (i, l) in lines.iter().enumerate() {
            l.check(&format!("items[{i}]"))?;
        }
        let rates = TaxRate::ALL
            .iter()
            .filter_map(|&rate| {
                let mut of_rate = lines.iter().filter(|l| l.rate == rate).peekable();
                of_rate.peek()?;
                let amount = of_rate.map(Line::amount).sum();
                Some(RateTotal::of(rate, amount, policy.pricing, policy.rounding))
            })
            .collect();
        Ok(Breakdown::from_rates(
            policy.pricing,
            policy.rounding,
            rates,
        ))
    }

    /// An amount-only sale (or a refund by amount) at one rate. The amount
    /// is what the customer pays, tax included, whatever the pricing.
    pub fn of_amount(policy: &TaxPolicy, rate: TaxRate, amount: i64) -> Breakdown {
        let total = RateTotal::of(rate, amount, Pricing::Included, policy.rounding);
        Breakdown::from_rates(policy.pricing, policy.rounding, vec![total])
    }

    /// The policy this breakdown was computed under (with `default_rate`
    /// its first rate), for a refund computed "by the same rule".
    pub fn policy(&self) -> TaxPolicy {
        TaxPolicy {
            pricing: self.pricing,
            rounding: self.rounding,
            default_rate: self.rates.first().map_or(TaxRate::Standard, |r| r.rate),
        }
    }

    /// The share of one rate, if the receipt has it.
    pub fn rate(&self, rate: TaxRate) -> Option<&RateTotal> {
        self.rates.iter().find(|r| r.rate == rate)
    }

    /// The one rate of a single-rate receipt.
    pub fn single_rate(&self) -> Option<TaxRate> {
        match self.rates.as_slice() {
            [only] => Some(only.rate),
            _ => None,
        }
    }

    /// Σ tax.
    pub fn tax(&self) -> i64 {
        self.rates.iter().map(|r| r.tax).sum()
    }

    fn from_rates(pricing: Pricing, rounding: Rounding, rates: Vec<RateTotal>) -> Breakdown {
        Breakdown {
            pricing,
            rounding,
            total: rates.iter().map(|r| r.gross).sum(),
            rates,
        }
    }
}

#[cfg(test)]
mod tests;
