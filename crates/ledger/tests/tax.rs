//! Tax by rate recorded with the sale (PRODUCT.md §3.12): the lines and the
//! per-rate breakdown journaled in the sale's transaction, read back as
//! recorded, and counted by rate in X/Z; refunds by item limited to what is
//! left; every receipt issued recorded, the next one a reprint.

#![allow(clippy::unwrap_used)]

use easyqr_ledger::*;
use easyqr_tax::{Breakdown, Line, Pricing, Rounding, TaxPolicy, TaxRate};
use elepay::Amount;

const T0: i64 = 1_795_824_000_000;

fn ledger() -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("ledger.sqlite3")).unwrap();
    (dir, l)
}

fn line(name: &str, qty: i64, unit_price: i64, rate: TaxRate) -> Line {
    Line {
        name: name.into(),
        qty,
        unit_price,
        rate,
    }
}

const POLICY: TaxPolicy = TaxPolicy {
    pricing: Pricing::Included,
    rounding: Rounding::Floor,
    default_rate: TaxRate::Standard,
};

fn mixed() -> SaleTaxed {
    let lines = vec![
        line("コーヒー豆", 2, 480, TaxRate::Standard),
        line("サンドイッチ", 1, 398, TaxRate::Reduced),
    ];
    SaleTaxed {
        breakdown: Breakdown::compute(&POLICY, &lines).unwrap(),
        lines,
    }
}

/// Rings up and pays a sale in the open shift of R1.
fn sell(l: &Ledger, yen: i64, taxed: Option<&SaleTaxed>, n: u32) -> Attempt {
    let prefix = OrderPrefix::new("R1").unwrap();
    let a = l
        .start_sale(
            Amount::new(yen).unwrap(),
            None,
            taxed,
            "R1",
            &prefix,
            "20261128",
            T0,
        )
        .unwrap();
    l.apply(a.id, &Change::Creating, T0).unwrap();
    l.apply(
        a.id,
        &Change::Pending {
            code_url: format!("http://sim/pay/code/c{n}"),
            code_id: format!("c{n}"),
            expiry_time: T0 + 600_000,
            key_last4: "0001".into(),
        },
        T0,
    )
    .unwrap();
    l.apply(
        a.id,
        &Change::Captured {
            charge_id: Some(format!("ch{n}")),
            payment_method: Some("paypay".into()),
            paid_time: Some(T0 + 1000),
            source: "poll".into(),
        },
        T0,
    )
    .unwrap()
    .attempt()
    .clone()
}

fn amount(gross: i64, tax: i64) -> RateAmount {
    RateAmount { gross, tax }
}

#[test]
fn a_sale_keeps_its_lines_and_rates_journaled_in_its_transaction() {
    let (_d, l) = ledger();
    let shift = l.open_shift("R1", "佐藤", T0).unwrap();
    let a = sell(&l, 1358, Some(&mixed()), 1);
    let rec = l.sale_record(a.sale_id).unwrap();
    assert_eq!(rec.lines, mixed().lines);
    assert_eq!(rec.breakdown, Some(mixed().breakdown));
    // Journaled as a typed entry right after sale.created.
    let kinds: Vec<String> = l
        .sale_timeline(a.sale_id)
        .unwrap()
        .into_iter()
        .map(|t| t.entry.kind().to_owned())
        .collect();
    assert_eq!(&kinds[..2], ["sale.created", "sale.taxed"], "{kinds:?}");
    // A breakdown that is not the amount is refused, and nothing is kept.
    let prefix = OrderPrefix::new("R1").unwrap();
    let before = l.journal_rows_after(0, 10_000).unwrap().len();
    let e = l
        .start_sale(
            Amount::new(1000).unwrap(),
            None,
            Some(&mixed()),
            "R1",
            &prefix,
            "20261128",
            T0,
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            LedgerError::Invalid {
                field: "amount",
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(l.journal_rows_after(0, 10_000).unwrap().len(), before);
    // Recorded rows cannot be changed behind the journal's back.
    let edit = l.with_connection(|c| c.execute("UPDATE sale_taxes SET tax = 0", []));
    assert!(edit.is_err());
    assert!(l.verify().unwrap().is_intact(), "{:?}", l.verify().unwrap());
    let _ = shift;
}

#[test]
fn x_and_z_count_by_rate_with_older_sales_as_not_recorded() {
    let (_d, l) = ledger();
    let shift = l.open_shift("R1", "佐藤", T0).unwrap();
    let mixed_sale = sell(&l, 1358, Some(&mixed()), 1);
    let free = vec![line("切手", 2, 110, TaxRate::Free)];
    let free = SaleTaxed {
        breakdown: Breakdown::compute(&POLICY, &free).unwrap(),
        lines: free,
    };
    sell(&l, 220, Some(&free), 2);
    let amount_only = SaleTaxed {
        lines: vec![],
        breakdown: Breakdown::of_amount(&POLICY, TaxRate::Reduced, 1080),
    };
    sell(&l, 1080, Some(&amount_only), 3);
    sell(&l, 500, None, 4); // as an older build recorded it
                            // A sale not paid counts nowhere.
    let prefix = OrderPrefix::new("R1").unwrap();
    l.start_sale(
        Amount::new(1358).unwrap(),
        None,
        Some(&mixed()),
        "R1",
        &prefix,
        "20261128",
        T0,
    )
    .unwrap();

    // Refund one bag of beans by item, by the sale's rule: 480, tax 43.
    let back = vec![line("コーヒー豆", 1, 480, TaxRate::Standard)];
    let tax = RefundTax {
        lines: vec![ReturnedLine { line: 0, qty: 1 }],
        breakdown: Breakdown::compute(&POLICY, &back).unwrap(),
    };
    let r = l
        .request_refund(
            mixed_sale.id,
            Amount::new(480).unwrap(),
            None,
            Some(&tax),
            "R1",
            T0,
        )
        .unwrap();
    // And a refund that elepay then refuses leaves every rate.
    let failed = l
        .request_refund(
            mixed_sale.id,
            Amount::new(480).unwrap(),
            None,
            Some(&tax),
            "R1",
            T0,
        )
        .unwrap();
    l.update_refund(failed.id, None, RefundState::Failed, T0)
        .unwrap();
    l.update_refund(r.id, Some("rf1"), RefundState::Refunded, T0)
        .unwrap();

    let x = l.shift_report(shift, T0).unwrap();
    let t = x.by_rate.unwrap();
    assert_eq!(t.sales.standard, amount(960, 87));
    assert_eq!(t.sales.reduced, amount(398 + 1080, 29 + 80));
    assert_eq!(t.sales.free, amount(220, 0));
    assert_eq!(t.sales.unrecorded, amount(500, 0));
    assert_eq!(t.refunds.standard, amount(480, 43));
    assert_eq!(t.refunds.unrecorded, amount(0, 0));
    assert_eq!(t.net.standard, amount(480, 44));
    assert_eq!((t.gross_sales, t.refunded, t.net_sales), (3158, 480, 2678));
    assert_eq!((t.customers, t.average_sale), (4, 789));
    assert_eq!(t.gross_sales, x.paid.amount);
    assert_eq!(t.net_sales, x.net_sales);

    // The log's CSV: each sale's rates as recorded, older ones not recorded.
    let mut csv = Vec::new();
    l.export_log_csv(&LogFilter::default(), 540, &mut csv)
        .unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.contains(
            ",sales_10_jpy,tax_10_jpy,sales_8_jpy,tax_8_jpy,sales_0_jpy,rate_not_recorded_jpy\r\n"
        ),
        "{csv}"
    );
    assert!(csv.contains(",960,87,398,29,0,0\r\n"), "{csv}");
    assert!(csv.contains(",0,0,1080,80,0,0\r\n"), "{csv}");
    assert!(csv.contains(",,,,,,500\r\n"), "{csv}");
    let mut z_csv = Vec::new();
    report_csv(&x, 540, &mut z_csv).unwrap();
    let z_csv = String::from_utf8(z_csv).unwrap();
    for want in [
        "sales_8_jpy,,1478\r\n",
        "sales_tax_8_jpy,,109\r\n",
        "refunds_10_jpy,,480\r\n",
        "net_tax_10_jpy,,44\r\n",
        "customers,4,\r\n",
    ] {
        assert!(z_csv.contains(want), "{want:?} missing from {z_csv}");
    }

    // The Z keeps them as closed; the journal holds them with the close.
    let z = l.close_shift("R1", T0 + 1).unwrap();
    let z = l.shift_report(z.id, T0 + 2).unwrap();
    assert_eq!(z.by_rate, Some(t));
    assert!(z.since_close.is_none());
    // The same refund line cannot come back more often than it was sold.
    l.open_shift("R1", "佐藤", T0 + 3).unwrap();
    let twice = RefundTax {
        lines: vec![ReturnedLine { line: 1, qty: 2 }],
        breakdown: Breakdown::compute(&POLICY, &[line("サンドイッチ", 2, 398, TaxRate::Reduced)])
            .unwrap(),
    };
    let e = l
        .request_refund(
            mixed_sale.id,
            Amount::new(796).unwrap(),
            None,
            Some(&twice),
            "R1",
            T0,
        )
        .unwrap_err();
    assert!(
        matches!(e, LedgerError::Invalid { field: "items", .. }),
        "{e}"
    );
    let rec = l.sale_record(mixed_sale.sale_id).unwrap();
    assert_eq!((rec.returnable(0), rec.returnable(1)), (1, 1));
    assert!(l.verify().unwrap().is_intact());
}

#[test]
fn receipts_are_recorded_and_the_next_of_a_kind_is_a_reprint() {
    let (_d, l) = ledger();
    l.open_shift("R1", "佐藤", T0).unwrap();
    let a = sell(&l, 1358, Some(&mixed()), 1);
    let req = |kind, target| ReceiptRequest {
        sale: a.sale_id,
        kind,
        refund: None,
        addressee: None,
        purpose: None,
        target,
    };
    let first = l
        .record_receipt(&req(ReceiptKind::Invoice, "printer"), T0)
        .unwrap();
    assert_eq!((first.copy, first.is_reprint()), (1, false));
    let again = l
        .record_receipt(&req(ReceiptKind::Invoice, "stdout"), T0)
        .unwrap();
    assert_eq!((again.copy, again.is_reprint()), (2, true));
    // A 領収書 is its own document: its first issue is no reprint.
    let ryo = l
        .record_receipt(&req(ReceiptKind::Ryoshusho, "printer"), T0)
        .unwrap();
    assert_eq!(ryo.copy, 1);
    assert_eq!(l.receipts_issued(a.sale_id).unwrap(), 3);
    let issued: Vec<_> = l
        .journal_rows_after(0, 1000)
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == "receipt.issued")
        .collect();
    assert_eq!(issued.len(), 3);
    assert!(
        issued[1].payload.contains("\"copy\":2"),
        "{}",
        issued[1].payload
    );
    // A refund slip needs a refund of that sale.
    let e = l
        .record_receipt(
            &ReceiptRequest {
                refund: Some(99),
                ..req(ReceiptKind::Refund, "printer")
            },
            T0,
        )
        .unwrap_err();
    assert!(matches!(e, LedgerError::NotFound { .. }), "{e}");
}

#[test]
fn a_refund_confirmed_after_it_was_recorded_failed_counts_in_its_rate_again() {
    let (_d, l) = ledger();
    let shift = l.open_shift("R1", "佐藤", T0).unwrap();
    let sale = sell(&l, 1358, Some(&mixed()), 1);
    let back = [line("コーヒー豆", 1, 480, TaxRate::Standard)];
    let tax = RefundTax {
        lines: vec![ReturnedLine { line: 0, qty: 1 }],
        breakdown: Breakdown::compute(&POLICY, &back).unwrap(),
    };
    let r = l
        .request_refund(
            sale.id,
            Amount::new(480).unwrap(),
            None,
            Some(&tax),
            "R1",
            T0,
        )
        .unwrap();
    l.update_refund(r.id, None, RefundState::Failed, T0)
        .unwrap();
    let t = l.shift_report(shift, T0).unwrap().by_rate.unwrap();
    assert_eq!((t.refunds.standard, t.refunded), (amount(0, 0), 0));
    l.update_refund(r.id, Some("rf1"), RefundState::Refunded, T0)
        .unwrap();
    let t = l.shift_report(shift, T0).unwrap().by_rate.unwrap();
    assert_eq!((t.refunds.standard, t.refunded), (amount(480, 43), 480));
    assert_eq!(t.refunds.unrecorded, amount(0, 0));
}

#[test]
fn recorded_tax_edited_behind_the_journal_is_found() {
    let edits = [
        "DROP TRIGGER sale_taxes_frozen; UPDATE sale_taxes SET tax = tax - 1 WHERE rate = 'reduced'",
        "DROP TRIGGER sale_lines_kept; DELETE FROM sale_lines WHERE line_no = 1",
        "UPDATE sales SET tax_pricing = 'excluded'",
        "DROP TRIGGER refund_taxes_frozen; UPDATE refund_taxes SET gross = 400",
        "INSERT INTO sale_taxes (sale_id, rate, gross, tax) VALUES (2, 'free', 1, 0)",
        "UPDATE shift_rate_totals SET tax = tax + 1 WHERE side = 'sale' AND rate = 'standard'",
    ];
    for edit in edits {
        let (_d, l) = ledger();
        l.open_shift("R1", "佐藤", T0).unwrap();
        let a = sell(&l, 1358, Some(&mixed()), 1);
        sell(&l, 500, None, 2);
        let back = [line("コーヒー豆", 1, 480, TaxRate::Standard)];
        let tax = RefundTax {
            lines: vec![ReturnedLine { line: 0, qty: 1 }],
            breakdown: Breakdown::compute(&POLICY, &back).unwrap(),
        };
        l.request_refund(a.id, Amount::new(480).unwrap(), None, Some(&tax), "R1", T0)
            .unwrap();
        assert!(l.verify().unwrap().is_intact(), "before: {edit}");
        l.with_connection(|c| c.execute_batch(edit)).unwrap();
        let report = l.verify().unwrap();
        assert!(!report.is_intact(), "not found: {edit}");
    }
}
