//! Taxed sales for the HQ tests, computed by `easyqr-tax` as the register's
//! use cases do: item lines (one rate or several), or an amount at a rate.

use easyqr_ledger::{RefundTax, ReturnedLine, SaleTaxed};
use easyqr_tax::{Breakdown, Line, Pricing, Rounding, TaxPolicy, TaxRate};

/// The store's default policy: prices include the tax, rounded down.
pub fn included() -> TaxPolicy {
    TaxPolicy::default()
}

/// Prices without the tax, the tax rounded up.
pub fn excluded() -> TaxPolicy {
    TaxPolicy {
        pricing: Pricing::Excluded,
        rounding: Rounding::Ceil,
        default_rate: TaxRate::Standard,
    }
}

pub fn item(name: &str, qty: i64, unit_price: i64, rate: TaxRate) -> Line {
    Line {
        name: name.into(),
        qty,
        unit_price,
        rate,
    }
}

/// A sale of item lines: its tax computed once per rate.
pub fn lines(policy: &TaxPolicy, lines: Vec<Line>) -> SaleTaxed {
    let breakdown = Breakdown::compute(policy, &lines).unwrap();
    SaleTaxed { lines, breakdown }
}

/// An amount-only sale at one rate.
pub fn of_amount(rate: TaxRate, yen: i64) -> SaleTaxed {
    SaleTaxed {
        lines: Vec::new(),
        breakdown: Breakdown::of_amount(&included(), rate, yen),
    }
}

/// The refund of `qty` of line `line` of `sale`, by the sale's own rule.
pub fn returned(sale: &SaleTaxed, line: usize, qty: i64) -> RefundTax {
    let back = Line {
        qty,
        ..sale.lines[line].clone()
    };
    RefundTax {
        lines: vec![ReturnedLine {
            line: line as i64,
            qty,
        }],
        breakdown: Breakdown::compute(&sale.breakdown.policy(), &[back]).unwrap(),
    }
}

/// A refund by amount of a single-rate sale.
pub fn refund_of_amount(sale: &SaleTaxed, yen: i64) -> RefundTax {
    let rate = sale.breakdown.single_rate().unwrap();
    RefundTax {
        lines: Vec::new(),
        breakdown: Breakdown::of_amount(&sale.breakdown.policy(), rate, yen),
    }
}
