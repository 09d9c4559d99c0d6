use serde::{Deserialize, Serialize};

use crate::{InputError, TaxRate};

/// Most item lines on one receipt.
pub const LINES_MAX: usize = 100;
/// Most of one item on one line.
pub const QTY_MAX: i64 = 999;
/// Highest unit price, in yen (elepay's highest amount).
pub const UNIT_PRICE_MAX: i64 = 99_999_999;
/// Longest item name, in characters.
pub const NAME_MAX: usize = 40;

/// One item line as rung up: `unit_price` is tax-included or tax-excluded
/// as the sale's [`crate::Pricing`] says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Line {
    pub name: String,
    pub qty: i64,
    pub unit_price: i64,
    pub rate: TaxRate,
}

impl Line {
    /// `qty × unit_price`, the line's amount before any tax is added.
    pub fn amount(&self) -> i64 {
        self.qty.saturating_mul(self.unit_price)
    }

    /// Checks the line's fields; `at` names it (`items[2]`).
    pub fn check(&self, at: &str) -> Result<(), InputError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > NAME_MAX || name.chars().any(char::is_control)
        {
            return Err(InputError::new(
                format!("{at}.name"),
                format!("a name of 1 to {NAME_MAX} characters, no control characters"),
            ));
        }
        if !(1..=QTY_MAX).contains(&self.qty) {
            return Err(InputError::new(
                format!("{at}.qty"),
                format!("a quantity from 1 to {QTY_MAX}, not {}", self.qty),
            ));
        }
        if !(1..=UNIT_PRICE_MAX).contains(&self.unit_price) {
            return Err(InputError::new(
                format!("{at}.unitPrice"),
                format!(
                    "a unit price from ¥1 to ¥{}, not {}",
                    group(UNIT_PRICE_MAX),
                    self.unit_price
                ),
            ));
        }
        Ok(())
    }
}

/// 99999999 → "99,999,999".
pub(crate) fn group(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(name: &str, qty: i64, unit_price: i64) -> Line {
        Line {
            name: name.into(),
            qty,
            unit_price,
            rate: TaxRate::Standard,
        }
    }

    #[test]
    fn each_field_is_checked_by_name() {
        assert!(line("コーヒー", 2, 480).check("items[0]").is_ok());
        let cases = [
            (line(" ", 1, 1), "items[3].name"),
            (line(&"あ".repeat(41), 1, 1), "items[3].name"),
            (line("a\u{7}", 1, 1), "items[3].name"),
            (line("a", 0, 1), "items[3].qty"),
            (line("a", 1000, 1), "items[3].qty"),
            (line("a", 1, 0), "items[3].unitPrice"),
            (line("a", 1, 100_000_000), "items[3].unitPrice"),
        ];
        for (l, field) in cases {
            assert_eq!(l.check("items[3]").unwrap_err().field, field, "{l:?}");
        }
        assert_eq!(group(99_999_999), "99,999,999");
        assert_eq!(group(960), "960");
        assert_eq!(group(-1234), "-1,234");
    }
}
