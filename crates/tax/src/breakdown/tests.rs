//! The rule's table: included/excluded × floor/ceil/round5 × single and
//! mixed rates, and refunds of part of a mixed sale.

use super::*;
use Pricing::{Excluded, Included};
use Rounding::{Ceil, Floor, Round5};
use TaxRate::{Free, Reduced, Standard};

fn line(name: &str, qty: i64, unit_price: i64, rate: TaxRate) -> Line {
    Line {
        name: name.into(),
        qty,
        unit_price,
        rate,
    }
}

fn policy(pricing: Pricing, rounding: Rounding) -> TaxPolicy {
    TaxPolicy {
        pricing,
        rounding,
        default_rate: Standard,
    }
}

/// (rate, gross, tax) per rate, and the total.
fn shape(b: &Breakdown) -> (Vec<(TaxRate, i64, i64)>, i64) {
    for r in &b.rates {
        assert_eq!(r.gross, r.net + r.tax, "{r:?}");
    }
    (
        b.rates.iter().map(|r| (r.rate, r.gross, r.tax)).collect(),
        b.total,
    )
}

#[test]
fn three_times_105_excluded_is_rounded_once_never_per_line() {
    // Per line: 105 × 10 % = 10.5 → 10, three times 30. Once: 31.5.
    let lines = [line("ペン", 3, 105, Standard)];
    for (rounding, tax) in [(Floor, 31), (Ceil, 32), (Round5, 32)] {
        let b = Breakdown::compute(&policy(Excluded, rounding), &lines).unwrap();
        assert_eq!(shape(&b), (vec![(Standard, 315 + tax, tax)], 315 + tax));
        assert_ne!(b.tax(), 30);
    }
}

#[test]
fn the_table() {
    let single = vec![line("ランチ", 1, 1280, Standard)];
    let mixed = vec![
        line("コーヒー豆", 2, 480, Standard),
        line("サンドイッチ", 1, 398, Reduced),
    ];
    let with_free = vec![
        line("弁当", 1, 540, Reduced),
        line("切手", 2, 110, Free),
        line("ペン", 3, 105, Standard),
    ];
    type Row = (Pricing, Rounding, Vec<(TaxRate, i64, i64)>, i64);
    let cases: Vec<(&Vec<Line>, Vec<Row>)> = vec![
        (
            &single,
            vec![
                // 1280 × 10 / 110 = 116.36
                (Included, Floor, vec![(Standard, 1280, 116)], 1280),
                (Included, Ceil, vec![(Standard, 1280, 117)], 1280),
                (Included, Round5, vec![(Standard, 1280, 116)], 1280),
                // 1280 × 10 % = 128, exact
                (Excluded, Floor, vec![(Standard, 1408, 128)], 1408),
                (Excluded, Ceil, vec![(Standard, 1408, 128)], 1408),
                (Excluded, Round5, vec![(Standard, 1408, 128)], 1408),
            ],
        ),
        (
            &mixed,
            vec![
                // 960 × 10/110 = 87.27; 398 × 8/108 = 29.48
                (
                    Included,
                    Floor,
                    vec![(Standard, 960, 87), (Reduced, 398, 29)],
                    1358,
                ),
                (
                    Included,
                    Ceil,
                    vec![(Standard, 960, 88), (Reduced, 398, 30)],
                    1358,
                ),
                (
                    Included,
                    Round5,
                    vec![(Standard, 960, 87), (Reduced, 398, 29)],
                    1358,
                ),
                // 960 × 10 % = 96; 398 × 8 % = 31.84
                (
                    Excluded,
                    Floor,
                    vec![(Standard, 1056, 96), (Reduced, 429, 31)],
                    1485,
                ),
                (
                    Excluded,
                    Ceil,
                    vec![(Standard, 1056, 96), (Reduced, 430, 32)],
                    1486,
                ),
                (
                    Excluded,
                    Round5,
                    vec![(Standard, 1056, 96), (Reduced, 430, 32)],
                    1486,
                ),
            ],
        ),
        (
            &with_free,
            vec![
                // 315 × 10/110 = 28.64 (per line 9 × 3 = 27); 540 × 8/108 = 40
                (
                    Included,
                    Floor,
                    vec![(Standard, 315, 28), (Reduced, 540, 40), (Free, 220, 0)],
                    1075,
                ),
                (
                    Included,
                    Ceil,
                    vec![(Standard, 315, 29), (Reduced, 540, 40), (Free, 220, 0)],
                    1075,
                ),
                (
                    Included,
                    Round5,
                    vec![(Standard, 315, 29), (Reduced, 540, 40), (Free, 220, 0)],
                    1075,
                ),
                // 315 × 10 % = 31.5; 540 × 8 % = 43.2
                (
                    Excluded,
                    Floor,
                    vec![(Standard, 346, 31), (Reduced, 583, 43), (Free, 220, 0)],
                    1149,
                ),
                (
                    Excluded,
                    Ceil,
                    vec![(Standard, 347, 32), (Reduced, 584, 44), (Free, 220, 0)],
                    1151,
                ),
                (
                    Excluded,
                    Round5,
                    vec![(Standard, 347, 32), (Reduced, 583, 43), (Free, 220, 0)],
                    1150,
                ),
            ],
        ),
    ];
    for (lines, rows) in cases {
        for (pricing, rounding, rates, total) in rows {
            let b = Breakdown::compute(&policy(pricing, rounding), lines).unwrap();
            assert_eq!(
                shape(&b),
                (rates, total),
                "{pricing:?} {rounding:?} {lines:?}"
            );
            assert_eq!((b.pricing, b.rounding), (pricing, rounding));
        }
    }
}

#[test]
fn a_refund_of_part_of_a_mixed_sale_is_taxed_on_the_returned_lines_alone() {
    let sale = [
        line("コーヒー豆", 2, 480, Standard),
        line("サンドイッチ", 1, 398, Reduced),
    ];
    let sold = Breakdown::compute(&policy(Included, Floor), &sale).unwrap();
    // One bag of beans back: 480 × 10/110 = 43.6 → 43, by the sale's rule.
    let back = Breakdown::compute(&sold.policy(), &[line("コーヒー豆", 1, 480, Standard)]).unwrap();
    assert_eq!(shape(&back), (vec![(Standard, 480, 43)], 480));
    // The sandwich back under tax-excluded round5: 398 × 8 % = 31.84 → 32.
    let sold = Breakdown::compute(&policy(Excluded, Round5), &sale).unwrap();
    let back = Breakdown::compute(&sold.policy(), &[sale[1].clone()]).unwrap();
    assert_eq!(shape(&back), (vec![(Reduced, 430, 32)], 430));
    // Both lines, one bean bag: 480 × 10 % = 48; 31.84 → 32.
    let back = Breakdown::compute(
        &sold.policy(),
        &[line("コーヒー豆", 1, 480, Standard), sale[1].clone()],
    )
    .unwrap();
    assert_eq!(
        shape(&back),
        (vec![(Standard, 528, 48), (Reduced, 430, 32)], 958)
    );
}

#[test]
fn an_amount_is_tax_included_whatever_the_pricing() {
    for pricing in [Included, Excluded] {
        let b = Breakdown::of_amount(&policy(pricing, Floor), Reduced, 1080);
        assert_eq!(shape(&b), (vec![(Reduced, 1080, 80)], 1080));
        assert_eq!(b.single_rate(), Some(Reduced));
        assert_eq!(b.pricing, pricing);
    }
    let b = Breakdown::of_amount(&policy(Included, Ceil), Standard, 100);
    assert_eq!(shape(&b), (vec![(Standard, 100, 10)], 100)); // 9.09 → 10
    let b = Breakdown::of_amount(&policy(Included, Floor), Free, 500);
    assert_eq!(shape(&b), (vec![(Free, 500, 0)], 500));
}

#[test]
fn lines_are_checked_before_anything_is_computed() {
    let p = policy(Included, Floor);
    assert_eq!(Breakdown::compute(&p, &[]).unwrap_err().field, "items");
    let too_many = vec![line("a", 1, 1, Standard); LINES_MAX + 1];
    assert_eq!(
        Breakdown::compute(&p, &too_many).unwrap_err().field,
        "items"
    );
    let bad = [line("a", 1, 1, Standard), line("b", 0, 1, Reduced)];
    assert_eq!(
        Breakdown::compute(&p, &bad).unwrap_err().field,
        "items[1].qty"
    );
}

#[test]
fn the_largest_receipt_does_not_overflow() {
    let lines = vec![line("a", 999, 99_999_999, Reduced); LINES_MAX];
    let b = Breakdown::compute(&policy(Excluded, Ceil), &lines).unwrap();
    let net = 100 * 999 * 99_999_999_i64;
    assert_eq!(b.rates[0].net, net);
    assert_eq!(b.rates[0].tax, (net * 8 + 99) / 100);
}

#[test]
fn it_reads_back_as_recorded() {
    let b = Breakdown::compute(
        &policy(Excluded, Round5),
        &[
            line("ペン", 3, 105, Standard),
            line("パン", 1, 200, Reduced),
        ],
    )
    .unwrap();
    let text = serde_json::to_string(&b).unwrap();
    assert_eq!(
        text,
        r#"{"pricing":"excluded","rounding":"round5","rates":[{"rate":"standard","gross":347,"tax":32,"net":315},{"rate":"reduced","gross":216,"tax":16,"net":200}],"total":563}"#
    );
    assert_eq!(serde_json::from_str::<Breakdown>(&text).unwrap(), b);
}
