use easyqr_ledger::SaleRecord;
use easyqr_tax::{Pricing, Rounding, TaxPolicy, TaxRate};

use super::*;

fn sale(lines: Vec<Line>, pricing: Pricing) -> SaleRecord {
    let policy = TaxPolicy {
        pricing,
        rounding: Rounding::Floor,
        default_rate: TaxRate::Standard,
    };
    let breakdown = Breakdown::compute(&policy, &lines).unwrap();
    SaleRecord {
        sale_id: 1,
        amount: breakdown.total,
        description: None,
        shift_id: Some(1),
        created_at: 0,
        lines,
        breakdown: Some(breakdown),
        returned: Vec::new(),
    }
}

fn line(name: &str, qty: i64, unit_price: i64, rate: TaxRate) -> Line {
    Line {
        name: name.into(),
        qty,
        unit_price,
        rate,
    }
}

fn mixed() -> SaleRecord {
    sale(
        vec![
            line("コーヒー豆", 2, 480, TaxRate::Standard),
            line("サンドイッチ", 1, 398, TaxRate::Reduced),
        ],
        Pricing::Included,
    )
}

fn back(name: &str, qty: i64) -> ReturnItem {
    ReturnItem {
        line: None,
        name: Some(name.into()),
        qty,
    }
}

#[test]
fn returned_items_are_taxed_alone_by_the_sale_rule() {
    let req = RefundRequest {
        items: vec![back("コーヒー豆", 1)],
        ..RefundRequest::default()
    };
    let p = req.plan(&mixed()).unwrap();
    assert_eq!(p.amount.yen(), 480);
    let tax = p.tax.unwrap();
    assert_eq!(tax.lines, [ReturnedLine { line: 0, qty: 1 }]);
    let rates: Vec<_> = tax
        .breakdown
        .rates
        .iter()
        .map(|r| (r.rate, r.gross, r.tax))
        .collect();
    assert_eq!(rates, [(TaxRate::Standard, 480, 43)]);
    // By line number, under the sale's tax-excluded pricing.
    let excl = sale(mixed().lines, Pricing::Excluded);
    let req = RefundRequest {
        items: vec![ReturnItem {
            line: Some(1),
            name: None,
            qty: 1,
        }],
        ..RefundRequest::default()
    };
    let p = req.plan(&excl).unwrap();
    assert_eq!(p.amount.yen(), 429); // 398 + 31
}

#[test]
fn a_mixed_sale_is_refunded_by_items_a_single_rate_one_by_amount_too() {
    let by_amount = RefundRequest {
        amount: Some(100),
        ..RefundRequest::default()
    };
    let e = by_amount.plan(&mixed()).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("items"));
    let single = sale(
        vec![line("弁当", 2, 540, TaxRate::Reduced)],
        Pricing::Included,
    );
    let p = by_amount.plan(&single).unwrap();
    let t = p.tax.unwrap();
    assert!(t.lines.is_empty());
    assert_eq!(
        (t.breakdown.rates[0].rate, t.breakdown.rates[0].tax),
        (TaxRate::Reduced, 7)
    );
    // An older sale: by amount, its rate not recorded.
    let older = SaleRecord {
        breakdown: None,
        lines: Vec::new(),
        ..single
    };
    assert_eq!(by_amount.plan(&older).unwrap().tax, None);
    let items = RefundRequest {
        items: vec![back("弁当", 1)],
        ..RefundRequest::default()
    };
    assert_eq!(
        items.plan(&older).unwrap_err().field.as_deref(),
        Some("items")
    );
}

#[test]
fn quantities_names_and_amounts_are_checked() {
    let mut s = mixed();
    s.returned = vec![ReturnedLine { line: 0, qty: 1 }];
    let cases = [
        (vec![back("コーヒー豆", 2)], None, "items[0].qty"),
        (vec![back("コーヒー豆", 0)], None, "items[0].qty"),
        (vec![back("紅茶", 1)], None, "items[0]"),
        (
            vec![ReturnItem {
                line: Some(5),
                name: None,
                qty: 1,
            }],
            None,
            "items[0]",
        ),
        (vec![back("サンドイッチ", 1)], Some(400), "amount"),
    ];
    for (items, amount, field) in cases {
        let req = RefundRequest {
            items,
            amount,
            reason: None,
        };
        let e = req.plan(&s).unwrap_err();
        assert_eq!(e.field.as_deref(), Some(field), "{req:?}: {}", e.message);
    }
    assert!(RefundRequest {
        items: vec![back("コーヒー豆", 1)],
        ..RefundRequest::default()
    }
    .plan(&s)
    .is_ok());
}
