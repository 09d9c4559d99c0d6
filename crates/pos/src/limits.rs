//! The input limits a screen presents (the keypad's "up to ¥99,999,999",
//! an item row's hints). Read from the rules' own constants, so a screen
//! never carries a number of its own; the rules themselves stay where they
//! are enforced (`elepay::Amount`, `easyqr_tax::Line`, `Breakdown`).

use serde::Serialize;

/// What a charge may hold, as the rules that refuse it say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InputLimits {
    /// Smallest amount or unit price, in yen.
    pub amount_min: i64,
    /// Largest amount charged, in yen ([`elepay::Amount::MAX`]).
    pub amount_max: i64,
    /// Longest item name, in characters.
    pub item_name_max: usize,
    /// Most of one item on one line.
    pub qty_max: i64,
    /// Highest unit price, in yen.
    pub unit_price_max: i64,
    /// Most item lines in one sale.
    pub lines_max: usize,
}

impl InputLimits {
    pub const fn current() -> InputLimits {
        InputLimits {
            amount_min: 1,
            amount_max: elepay::Amount::MAX,
            item_name_max: easyqr_tax::NAME_MAX,
            qty_max: easyqr_tax::QTY_MAX,
            unit_price_max: easyqr_tax::UNIT_PRICE_MAX,
            lines_max: easyqr_tax::LINES_MAX,
        }
    }
}

#[cfg(test)]
mod tests {
    use easyqr_tax::{Pricing, Rounding, TaxPolicy, TaxRate};

    use super::*;
    use crate::{ChargeRequest, Item};

    fn policy() -> TaxPolicy {
        TaxPolicy {
            pricing: Pricing::Included,
            rounding: Rounding::Floor,
            default_rate: TaxRate::Standard,
        }
    }

    fn amount(yen: i64) -> ChargeRequest {
        ChargeRequest {
            amount: Some(yen),
            ..ChargeRequest::default()
        }
    }

    fn items(n: usize, name: &str, qty: i64, unit_price: i64) -> ChargeRequest {
        let item = Item {
            name: name.into(),
            qty,
            unit_price,
            rate: None,
        };
        ChargeRequest {
            items: vec![item; n],
            ..ChargeRequest::default()
        }
    }

    /// The field a refusal names, or "" when accepted.
    fn refused(req: ChargeRequest) -> String {
        req.checked(&policy())
            .err()
            .and_then(|e| e.field)
            .unwrap_or_default()
    }

    #[test]
    fn the_limits_are_the_rule_constants() {
        let l = InputLimits::current();
        assert_eq!(l.amount_max, elepay::Amount::MAX);
        assert_eq!(l.amount_max, 99_999_999);
        assert_eq!(l.item_name_max, easyqr_tax::NAME_MAX);
        assert_eq!(l.qty_max, easyqr_tax::QTY_MAX);
        assert_eq!(l.unit_price_max, easyqr_tax::UNIT_PRICE_MAX);
        assert_eq!(l.lines_max, easyqr_tax::LINES_MAX);
        let json = serde_json::to_value(l).unwrap();
        assert_eq!(json["amountMax"], 99_999_999);
        assert_eq!(json["itemNameMax"], easyqr_tax::NAME_MAX);
    }

    /// Each limit a screen presents is exactly where the charge is refused.
    #[test]
    fn each_limit_is_where_the_charge_is_refused() {
        let l = InputLimits::current();
        assert_eq!(refused(amount(l.amount_max)), "");
        assert_eq!(refused(amount(l.amount_max + 1)), "amount");
        assert_eq!(refused(amount(l.amount_min)), "");
        assert_eq!(refused(amount(l.amount_min - 1)), "amount");

        let name = "あ".repeat(l.item_name_max);
        assert_eq!(refused(items(1, &name, 1, 100)), "");
        let long = "あ".repeat(l.item_name_max + 1);
        assert_eq!(refused(items(1, &long, 1, 100)), "items[0].name");
        assert_eq!(refused(items(1, "茶", l.qty_max, 100)), "");
        assert_eq!(refused(items(1, "茶", l.qty_max + 1, 100)), "items[0].qty");
        assert_eq!(refused(items(1, "茶", 1, l.unit_price_max)), "");
        assert_eq!(
            refused(items(1, "茶", 1, l.unit_price_max + 1)),
            "items[0].unitPrice"
        );
        assert_eq!(
            refused(items(1, "茶", 1, l.amount_min - 1)),
            "items[0].unitPrice",
            "a ¥0 unit price is refused"
        );
        assert_eq!(refused(items(l.lines_max, "茶", 1, 100)), "");
        assert_eq!(refused(items(l.lines_max + 1, "茶", 1, 100)), "items");
    }
}
