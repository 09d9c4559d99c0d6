use easyqr_tax::{Pricing, Rounding};

use super::*;

fn item(name: &str, qty: i64, unit_price: i64, rate: Option<&str>) -> Item {
    Item {
        name: name.into(),
        qty,
        unit_price,
        rate: rate.map(str::to_owned),
    }
}

fn policy(pricing: Pricing) -> TaxPolicy {
    TaxPolicy {
        pricing,
        rounding: Rounding::Floor,
        default_rate: TaxRate::Standard,
    }
}

#[test]
fn items_are_taxed_once_per_rate_and_charged_their_total() {
    let req = ChargeRequest {
        items: vec![
            item("コーヒー豆", 2, 480, None),
            item(" サンドイッチ ", 1, 398, Some("reduced")),
        ],
        ..ChargeRequest::default()
    };
    let c = req.checked(&policy(Pricing::Included)).unwrap();
    assert_eq!(c.amount.yen(), 1358);
    assert_eq!(
        c.description.as_deref(),
        Some("コーヒー豆 ×2, サンドイッチ ×1")
    );
    assert_eq!(c.taxed.lines[1].name, "サンドイッチ");
    let rates: Vec<_> = c
        .taxed
        .breakdown
        .rates
        .iter()
        .map(|r| (r.rate, r.gross, r.tax))
        .collect();
    assert_eq!(
        rates,
        [(TaxRate::Standard, 960, 87), (TaxRate::Reduced, 398, 29)]
    );
    // Tax-excluded prices: the charge is the total with tax added.
    let c = req.checked(&policy(Pricing::Excluded)).unwrap();
    assert_eq!(c.amount.yen(), 1056 + 429);
    // An amount that agrees is accepted; one that does not is refused.
    let agreeing = ChargeRequest {
        amount: Some(1358),
        ..req.clone()
    };
    assert!(agreeing.checked(&policy(Pricing::Included)).is_ok());
    let wrong = ChargeRequest {
        amount: Some(1000),
        ..req.clone()
    };
    let e = wrong.checked(&policy(Pricing::Included)).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("amount"));
    assert!(e.message.contains("¥1358"), "{}", e.message);
}

#[test]
fn an_amount_takes_the_default_rate_or_the_one_picked() {
    let req = ChargeRequest {
        amount: Some(1080),
        ..ChargeRequest::default()
    };
    let c = req.checked(&policy(Pricing::Included)).unwrap();
    assert_eq!(c.taxed.breakdown.single_rate(), Some(TaxRate::Standard));
    assert_eq!(c.taxed.breakdown.rates[0].tax, 98);
    assert!(c.taxed.lines.is_empty());
    let reduced = ChargeRequest {
        rate: Some("reduced".into()),
        ..req.clone()
    };
    // Tax-excluded pricing: an amount is still the total with tax.
    let c = reduced.checked(&policy(Pricing::Excluded)).unwrap();
    assert_eq!((c.amount.yen(), c.taxed.breakdown.rates[0].tax), (1080, 80));
    let store_default = TaxPolicy {
        default_rate: TaxRate::Reduced,
        ..policy(Pricing::Included)
    };
    assert_eq!(
        req.checked(&store_default)
            .unwrap()
            .taxed
            .breakdown
            .single_rate(),
        Some(TaxRate::Reduced)
    );
}

#[test]
fn bad_input_names_its_field() {
    let p = policy(Pricing::Included);
    let cases = [
        (
            ChargeRequest {
                items: vec![item("a", 1, 100, Some("exempt"))],
                ..ChargeRequest::default()
            },
            "items[0].rate",
        ),
        (
            ChargeRequest {
                items: vec![item("a", 1, 100, None), item("b", 1000, 1, None)],
                ..ChargeRequest::default()
            },
            "items[1].qty",
        ),
        (
            ChargeRequest {
                items: vec![item("a", 1, 0, None)],
                ..ChargeRequest::default()
            },
            "items[0].unitPrice",
        ),
        (
            ChargeRequest {
                items: vec![item(" ", 1, 100, None)],
                ..ChargeRequest::default()
            },
            "items[0].name",
        ),
        (
            ChargeRequest {
                amount: Some(100),
                rate: Some("10%".into()),
                ..ChargeRequest::default()
            },
            "rate",
        ),
        (
            ChargeRequest {
                items: vec![item("a", 1, 100, None)],
                rate: Some("reduced".into()),
                ..ChargeRequest::default()
            },
            "rate",
        ),
        (ChargeRequest::default(), "amount"),
        (
            ChargeRequest {
                amount: Some(0),
                ..ChargeRequest::default()
            },
            "amount",
        ),
        (
            ChargeRequest {
                items: vec![item("a", 999, 99_999_999, None)],
                ..ChargeRequest::default()
            },
            "amount",
        ),
    ];
    for (req, field) in cases {
        let e = req.checked(&p).unwrap_err();
        assert_eq!(e.field.as_deref(), Some(field), "{req:?}: {}", e.message);
    }
}

/// Issue 22 point 3: elepay's description rule and the tax crate's item
/// name rule apply before a sale is recorded (and journaled).
#[test]
fn descriptions_and_item_names_are_checked_by_length() {
    let p = policy(Pricing::Included);
    let longest = ChargeRequest {
        amount: Some(100),
        description: Some("あ".repeat(elepay::DESCRIPTION_MAX)),
        ..ChargeRequest::default()
    };
    assert!(longest.checked(&p).is_ok());
    let over = ChargeRequest {
        description: Some("あ".repeat(elepay::DESCRIPTION_MAX + 1)),
        ..longest.clone()
    };
    let e = over.checked(&p).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("description"), "{}", e.message);
    assert!(e.message.contains("255"), "{}", e.message);
    let long_name = ChargeRequest {
        items: vec![
            item("a", 1, 100, None),
            item(&"x".repeat(easyqr_tax::NAME_MAX + 1), 1, 100, None),
        ],
        ..ChargeRequest::default()
    };
    let e = long_name.checked(&p).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("items[1].name"), "{}", e.message);
}

#[test]
fn many_items_make_a_description_elepay_takes() {
    let names: Vec<String> = (0..easyqr_tax::LINES_MAX)
        .map(|i| format!("{i:02}{}", "商".repeat(easyqr_tax::NAME_MAX - 2)))
        .collect();
    let req = ChargeRequest {
        items: names.iter().map(|n| item(n, 999, 1, None)).collect(),
        ..ChargeRequest::default()
    };
    let c = req.checked(&policy(Pricing::Included)).unwrap();
    let d = c.description.unwrap();
    assert_eq!(d.chars().count(), elepay::DESCRIPTION_MAX);
    assert!(d.starts_with("00商") && d.ends_with('…'), "{d}");
    assert!(elepay::check_description(&d).is_ok());
    assert_eq!(
        c.taxed.lines.len(),
        easyqr_tax::LINES_MAX,
        "lines kept whole"
    );
}
