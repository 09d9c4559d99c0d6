//! The input limits a screen presents (the keypad's "up to ¥99,999,999",
//! an item row's hints, the settings form's help lines). Read from the rules' own constants, so a screen
//! never carries a number of its own; the rules themselves stay where they
//! are enforced (`elepay::Amount`, `easyqr_tax::Line`, `Breakdown`).

use easyqr_app_core::settings::Settings;
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
    /// Settings whose range a form's help line states.
    pub store_name_max: usize,
    pub register_id_max: usize,
    pub expiry_minutes_min: u32,
    pub expiry_minutes_max: u32,
    pub poll_interval_ms_min: u64,
    pub poll_interval_ms_max: u64,
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
            store_name_max: Settings::STORE_NAME_MAX,
            register_id_max: easyqr_ledger::OrderPrefix::MAX_LEN,
            expiry_minutes_min: *Settings::EXPIRY_MINUTES.start(),
            expiry_minutes_max: *Settings::EXPIRY_MINUTES.end(),
            poll_interval_ms_min: *Settings::POLL_INTERVAL_MS.start(),
            poll_interval_ms_max: *Settings::POLL_INTERVAL_MS.end(),
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

    /// Each settings range a help line states is exactly where the save is
    /// refused (the register id once said 20 on screen, 24 in Rust).
    #[test]
    fn each_settings_limit_is_where_the_settings_are_refused() {
        let l = InputLimits::current();
        let refused = |change: &dyn Fn(&mut Settings)| {
            let mut s = Settings::default();
            change(&mut s);
            s.validate()
                .err()
                .map(|errs| errs.iter().map(|e| e.field).collect::<Vec<_>>().join(","))
                .unwrap_or_default()
        };
        assert_eq!(
            refused(&|s| s.store_name = "店".repeat(l.store_name_max)),
            ""
        );
        assert_eq!(
            refused(&|s| s.store_name = "店".repeat(l.store_name_max + 1)),
            "storeName"
        );
        assert_eq!(
            refused(&|s| s.register_id = "R".repeat(l.register_id_max)),
            ""
        );
        assert_eq!(
            refused(&|s| s.register_id = "R".repeat(l.register_id_max + 1)),
            "registerId"
        );
        for (minutes, field) in [
            (l.expiry_minutes_min, ""),
            (l.expiry_minutes_max, ""),
            (l.expiry_minutes_min - 1, "expiryMinutes"),
            (l.expiry_minutes_max + 1, "expiryMinutes"),
        ] {
            assert_eq!(refused(&|s| s.expiry_minutes = minutes), field, "{minutes}");
        }
        for (ms, field) in [
            (l.poll_interval_ms_min, ""),
            (l.poll_interval_ms_max, ""),
            (l.poll_interval_ms_min - 1, "pollIntervalMs"),
            (l.poll_interval_ms_max + 1, "pollIntervalMs"),
        ] {
            assert_eq!(refused(&|s| s.poll_interval_ms = ms), field, "{ms}");
        }
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
