//! Each kind's required lines, at both widths, from the worked example:
//! コーヒー豆 2 × ¥480 (10%) and サンドイッチ 1 × ¥398 (8%), tax included,
//! rounded down: 10%対象 ¥960 内消費税 ¥87, 8%対象 ¥398 内消費税 ¥29, ¥1,358.

use easyqr_tax::{Pricing, Rounding, TaxPolicy, TaxRate};

use super::*;

const WIDTHS: [Width; 2] = [Width::Mm58, Width::Mm80];

fn line(name: &str, qty: i64, unit_price: i64, rate: TaxRate) -> Line {
    Line {
        name: name.into(),
        qty,
        unit_price,
        rate,
    }
}

fn mixed() -> Vec<Line> {
    vec![
        line("コーヒー豆", 2, 480, TaxRate::Standard),
        line("サンドイッチ", 1, 398, TaxRate::Reduced),
    ]
}

fn breakdown(pricing: Pricing, lines: &[Line]) -> Breakdown {
    let policy = TaxPolicy {
        pricing,
        rounding: Rounding::Floor,
        default_rate: TaxRate::Standard,
    };
    Breakdown::compute(&policy, lines).unwrap()
}

fn issuer(registered: bool) -> Issuer {
    Issuer {
        name: "喫茶ひだまり 渋谷店".into(),
        registration_number: registered.then(|| "T7000012050002".into()),
        address: Some("東京都渋谷区道玄坂1-2-3".into()),
        phone: Some("03-1234-5678".into()),
        header: Some("いつもご利用ありがとうございます".into()),
        footer: Some("またのお越しをお待ちしております".into()),
    }
}

fn sale(lines: Vec<Line>, breakdown: Option<Breakdown>) -> SaleFacts {
    let total = breakdown.as_ref().map_or(1358, |b| b.total);
    SaleFacts {
        at: "2026年12月05日(土) 14:03".into(),
        register: "S01R1".into(),
        cashier: Some("佐藤".into()),
        order_no: "S01R1-000123".into(),
        lines,
        breakdown,
        total,
        wallet: Some("PayPay".into()),
    }
}

fn invoice(registered: bool) -> Receipt {
    let lines = mixed();
    let b = breakdown(Pricing::Included, &lines);
    Receipt {
        issuer: issuer(registered),
        sale: sale(lines, Some(b)),
        kind: ReceiptKind::Invoice,
        copy: 1,
    }
}

fn refund(lines: Vec<Line>, amount: i64) -> RefundFacts {
    let policy = TaxPolicy::default();
    let breakdown = if lines.is_empty() {
        Breakdown::of_amount(&policy, TaxRate::Standard, amount)
    } else {
        Breakdown::compute(&policy, &lines).unwrap()
    };
    RefundFacts {
        refund_no: 3,
        at: "2026年12月06日(日) 10:15".into(),
        lines,
        amount: breakdown.total,
        breakdown: Some(breakdown),
        sale_net_after: 1358 - amount,
    }
}

/// The lines as printed, each trimmed with runs of spaces made one.
fn printed(r: &Receipt, width: Width) -> Vec<String> {
    let doc = layout(r, width);
    for l in &doc.lines {
        assert!(l.columns() <= width.cols(), "too wide at {width:?}: {l:?}");
    }
    doc.plain_text()
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// Where `want` is printed as a line of its own.
fn at(lines: &[String], want: &str) -> usize {
    lines
        .iter()
        .position(|l| l == want)
        .unwrap_or_else(|| panic!("no line {want:?} in\n{}", lines.join("\n")))
}

/// Where the store's name starts: on one double-size line at 48 columns,
/// broken at its space at 32 (16 double-size columns).
fn store_name_at(lines: &[String], width: Width) -> usize {
    if width == Width::Mm80 {
        return at(lines, "喫茶ひだまり 渋谷店");
    }
    let name = at(lines, "喫茶ひだまり");
    assert_eq!(at(lines, "渋谷店"), name + 1);
    name
}

fn has_text(lines: &[String], part: &str) -> bool {
    lines.iter().any(|l| l.contains(part))
}

#[test]
fn a_registered_stores_receipt_is_a_qualified_simplified_invoice() {
    for width in WIDTHS {
        let p = printed(&invoice(true), width);
        let name = store_name_at(&p, width);
        let title = at(&p, "レシート");
        assert!(name < at(&p, "登録番号 T7000012050002") && name < title);
        assert_eq!(at(&p, "適格簡易請求書"), title + 1);
        at(&p, "いつもご利用ありがとうございます");
        at(&p, "東京都渋谷区道玄坂1-2-3");
        at(&p, "TEL 03-1234-5678");
        at(&p, "2026年12月05日(土) 14:03");
        at(&p, "レジ S01R1 担当 佐藤");
        at(&p, "注文番号 S01R1-000123");
        let beans = at(&p, "コーヒー豆");
        assert_eq!(at(&p, "2 × ¥480 ¥960"), beans + 1);
        at(&p, "サンドイッチ※ ¥398");
        let total = at(&p, "合計 ¥1,358");
        let standard = at(&p, "10%対象 ¥960 内消費税 ¥87");
        let reduced = at(&p, "8%対象 ¥398 内消費税 ¥29");
        assert!(total < standard && standard < reduced);
        assert!(reduced < at(&p, "※は軽減税率対象"));
        at(&p, "お支払い PayPay ¥1,358");
        at(&p, "またのお越しをお待ちしております");
        for absent in [NOT_AN_INVOICE, "再発行", "小計", "非課税", "記録なし"] {
            assert!(!has_text(&p, absent), "{absent} in {p:#?}");
        }
    }
    let doc = layout(&invoice(true), Width::Mm80);
    let total = doc
        .lines
        .iter()
        .find(|l| l.text.starts_with("合計"))
        .unwrap();
    assert!(total.bold && total.size != Size::Normal);
}

#[test]
fn without_a_registration_number_it_says_it_is_not_an_invoice() {
    for width in WIDTHS {
        let p = printed(&invoice(false), width);
        assert_eq!(at(&p, NOT_AN_INVOICE), at(&p, "レシート") + 1);
        assert!(!has_text(&p, "適格簡易請求書"));
        assert!(!has_text(&p, "登録番号"));
        // The tax per rate is still shown.
        at(&p, "10%対象 ¥960 内消費税 ¥87");
    }
}

#[test]
fn a_reprint_says_so_near_the_top_on_every_kind() {
    let kinds = [
        ReceiptKind::Invoice,
        ReceiptKind::Ryoshusho {
            addressee: None,
            purpose: "お品代".into(),
        },
        ReceiptKind::Refund(refund(vec![], 500)),
    ];
    for kind in kinds {
        let mut r = invoice(true);
        r.kind = kind;
        assert!(!has_text(&printed(&r, Width::Mm58), "再発行"));
        r.copy = 2;
        for width in WIDTHS {
            let p = printed(&r, width);
            assert!(at(&p, "＊＊ 再発行 ＊＊") < store_name_at(&p, width));
        }
    }
}

#[test]
fn a_sale_whose_rates_were_not_recorded_shows_no_tax_figures() {
    let mut r = invoice(true);
    r.sale.breakdown = None;
    for width in WIDTHS {
        let p = printed(&r, width);
        assert!(at(&p, "合計 ¥1,358") < at(&p, "税率区分の記録なし"));
        at(&p, "サンドイッチ ¥398");
        for absent in ["消費税", "対象", "※", "非課税"] {
            assert!(!has_text(&p, absent), "{absent} in {p:#?}");
        }
    }
    // Amount-only, too.
    r.sale.lines.clear();
    let p = printed(&r, Width::Mm80);
    at(&p, "お品代 ¥1,358");
    at(&p, "税率区分の記録なし");
}

#[test]
fn tax_excluded_prices_show_the_subtotal_then_the_tax_added() {
    let lines = mixed();
    let b = breakdown(Pricing::Excluded, &lines);
    let mut r = invoice(true);
    r.sale = sale(lines, Some(b));
    for width in WIDTHS {
        let p = printed(&r, width);
        // 960 × 10 % = 96; 398 × 8 % = 31.84 → 31.
        let subtotal = at(&p, "小計 ¥1,358");
        let standard = at(&p, "10%対象 ¥1,056 消費税 ¥96");
        let reduced = at(&p, "8%対象 ¥429 消費税 ¥31");
        let total = at(&p, "合計 ¥1,485");
        assert!(subtotal < standard && standard < reduced && reduced < total);
        at(&p, "2 × ¥480 ¥960");
        assert!(!has_text(&p, "内消費税"));
    }
}

#[test]
fn an_amount_only_sale_is_one_line_of_goods() {
    let policy = TaxPolicy {
        pricing: Pricing::Excluded,
        ..TaxPolicy::default()
    };
    let b = Breakdown::of_amount(&policy, TaxRate::Reduced, 1080);
    let mut r = invoice(true);
    r.sale = sale(vec![], Some(b));
    for width in WIDTHS {
        let p = printed(&r, width);
        at(&p, "お品代※ ¥1,080");
        // The amount includes the tax whatever the pricing: no 小計.
        at(&p, "8%対象 ¥1,080 内消費税 ¥80");
        at(&p, "※は軽減税率対象");
        assert!(!has_text(&p, "小計"));
    }
}

#[test]
fn free_items_are_listed_as_non_taxable() {
    let lines = vec![
        line("弁当", 1, 540, TaxRate::Reduced),
        line("切手", 2, 110, TaxRate::Free),
        line("ペン", 3, 105, TaxRate::Standard),
    ];
    let b = breakdown(Pricing::Included, &lines);
    let mut r = invoice(true);
    r.sale = sale(lines, Some(b));
    let p = printed(&r, Width::Mm58);
    let standard = at(&p, "10%対象 ¥315 内消費税 ¥28");
    let reduced = at(&p, "8%対象 ¥540 内消費税 ¥40");
    let free = at(&p, "非課税 ¥220");
    assert!(standard < reduced && reduced < free);
    at(&p, "切手");
    at(&p, "弁当※ ¥540");
}

#[test]
fn a_ryoshusho_names_the_addressee_amount_and_purpose() {
    let mut r = invoice(true);
    r.kind = ReceiptKind::Ryoshusho {
        addressee: Some("山田商事".into()),
        purpose: "お品代".into(),
    };
    for width in WIDTHS {
        let p = printed(&r, width);
        let title = at(&p, "領収書");
        assert!(title < at(&p, "山田商事 様"));
        at(&p, "¥1,358-");
        let purpose = at(&p, "但し お品代として");
        assert_eq!(at(&p, "上記正に領収いたしました"), purpose + 1);
        at(&p, "登録番号 T7000012050002");
        at(&p, "10%対象 ¥960 内消費税 ¥87");
        at(&p, "8%対象 ¥398 内消費税 ¥29");
        at(&p, "注文番号 S01R1-000123");
        // 取引内容: the items, the reduced one marked, and the legend.
        at(&p, "コーヒー豆");
        at(&p, "サンドイッチ※ ¥398");
        at(&p, "※は軽減税率対象");
        assert!(!has_text(&p, NOT_AN_INVOICE));
        assert!(!has_text(&p, "レシート"));
    }
    let big = layout(&r, Width::Mm58);
    let amount = big.lines.iter().find(|l| l.text == "¥1,358-").unwrap();
    assert_eq!(amount.size, Size::Double);

    // No addressee: a blank to write in; no registration number: said so.
    let mut r = invoice(false);
    r.kind = ReceiptKind::Ryoshusho {
        addressee: None,
        purpose: "飲食代".into(),
    };
    let p = printed(&r, Width::Mm58);
    let blank = format!("{}様", "\u{3000}".repeat(10));
    let doc = layout(&r, Width::Mm58);
    assert!(doc.lines.iter().any(|l| l.text == blank), "{doc:#?}");
    at(&p, "但し 飲食代として");
    // Given with its として (the register's default 「お品代として」), not twice.
    let mut with_suffix = r.clone();
    with_suffix.kind = ReceiptKind::Ryoshusho {
        addressee: None,
        purpose: "お品代として".into(),
    };
    let text = layout(&with_suffix, Width::Mm80).plain_text();
    assert!(
        text.contains("但し お品代として") && !text.contains("としてとして"),
        "{text}"
    );
    assert_eq!(at(&p, NOT_AN_INVOICE), at(&p, "領収書") + 1);
}

#[test]
fn a_refund_slip_shows_what_was_returned_and_what_remains() {
    let mut r = invoice(true);
    r.kind = ReceiptKind::Refund(refund(
        vec![line("コーヒー豆", 1, 480, TaxRate::Standard)],
        480,
    ));
    for width in WIDTHS {
        let p = printed(&r, width);
        assert!(at(&p, "返金明細") < at(&p, "元の注文番号 S01R1-000123"));
        at(&p, "返金番号 3");
        at(&p, "2026年12月06日(日) 10:15");
        if width == Width::Mm80 {
            at(&p, "元のお取引 2026年12月05日(土) 14:03");
        } else {
            let label = at(&p, "元のお取引");
            assert_eq!(at(&p, "2026年12月05日(土) 14:03"), label + 1);
        }
        at(&p, "コーヒー豆 ¥480");
        let amount = at(&p, "返金額 ¥480");
        assert!(amount < at(&p, "10%対象 ¥480 内消費税 ¥43"));
        at(&p, "返金先 PayPay");
        at(&p, "返金後のお取引金額 ¥878");
        assert!(!has_text(&p, "サンドイッチ"));
        assert!(!has_text(&p, "8%対象"));
    }
    // By amount, without a registration number.
    let mut r = invoice(false);
    r.kind = ReceiptKind::Refund(refund(vec![], 500));
    let p = printed(&r, Width::Mm58);
    at(&p, "お品代 ¥500");
    at(&p, "10%対象 ¥500 内消費税 ¥45");
    at(&p, "返金後のお取引金額 ¥858");
    at(&p, NOT_AN_INVOICE);
}

#[test]
fn long_names_and_eight_digit_amounts_fit_both_widths() {
    let long = "特選ブルーマウンテンNo.1ブレンド珈琲豆 深煎り200g袋";
    let lines = vec![
        line(long, 999, 99_999, TaxRate::Standard),
        line(long, 1, 99_999_999, TaxRate::Reduced),
        line("ｺｰﾋｰ ﾎｯﾄ ﾚｷﾞｭﾗｰ ｻｲｽﾞ ﾃｲｸｱｳﾄ ﾀﾝﾌﾞﾗｰ", 2, 1, TaxRate::Free),
    ];
    let mut issuer = issuer(true);
    issuer.name = "株式会社ひだまりコーヒーロースターズ 渋谷道玄坂本店".into();
    issuer.address = Some("東京都渋谷区道玄坂一丁目二番三号 ひだまりビル 一階・二階".into());
    for pricing in [Pricing::Included, Pricing::Excluded] {
        let b = breakdown(pricing, &lines);
        let kinds = [
            ReceiptKind::Invoice,
            ReceiptKind::Ryoshusho {
                addressee: Some("株式会社とても長い名前の取引先ホールディングス".into()),
                purpose: "会議用飲食代および贈答用珈琲豆".into(),
            },
            ReceiptKind::Refund(RefundFacts {
                refund_no: 12_345_678,
                at: "2026年12月06日(日) 10:15".into(),
                lines: lines.clone(),
                breakdown: Some(b.clone()),
                amount: b.total,
                sale_net_after: 99_999_999,
            }),
        ];
        for kind in kinds {
            let r = Receipt {
                issuer: issuer.clone(),
                sale: sale(lines.clone(), Some(b.clone())),
                kind,
                copy: 2,
            };
            for width in WIDTHS {
                // printed() asserts that every line fits.
                let p = printed(&r, width);
                assert!(has_text(&p, &yen(b.total)), "{p:#?}");
            }
        }
    }
}

#[test]
fn yen_has_thousands_separators() {
    assert_eq!(yen(0), "¥0");
    assert_eq!(yen(960), "¥960");
    assert_eq!(yen(1358), "¥1,358");
    assert_eq!(yen(99_999_999), "¥99,999,999");
    assert_eq!(yen(-500), "-¥500");
}

#[test]
fn receipts_are_camel_case_json() {
    let mut r = invoice(true);
    r.kind = ReceiptKind::Refund(refund(vec![], 500));
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["issuer"]["registrationNumber"], "T7000012050002");
    assert_eq!(json["sale"]["orderNo"], "S01R1-000123");
    assert_eq!(json["sale"]["lines"][0]["unitPrice"], 480);
    assert_eq!(json["kind"]["type"], "refund");
    assert_eq!(json["kind"]["saleNetAfter"], 858);
    let back: Receipt = serde_json::from_value(json).unwrap();
    assert_eq!(back, r);
    let ryoshusho: ReceiptKind =
        serde_json::from_str(r#"{"type":"ryoshusho","addressee":null,"purpose":"お品代"}"#)
            .unwrap();
    assert!(matches!(
        ryoshusho,
        ReceiptKind::Ryoshusho {
            addressee: None,
            ..
        }
    ));
}

#[test]
fn the_worked_example_at_32_columns() {
    // Double-size lines show as normal text; 合計 is double height and bold.
    let want = "          喫茶ひだまり
             渋谷店
いつもご利用ありがとうございます
    東京都渋谷区道玄坂1-2-3
        TEL 03-1234-5678
    登録番号 T7000012050002

            レシート
         適格簡易請求書

2026年12月05日(土) 14:03
レジ S01R1  担当 佐藤
注文番号 S01R1-000123
--------------------------------
コーヒー豆
  2 × ¥480                 ¥960
サンドイッチ※              ¥398
--------------------------------
合計                      ¥1,358
10%対象 ¥960        内消費税 ¥87
 8%対象 ¥398        内消費税 ¥29
※は軽減税率対象
お支払い PayPay           ¥1,358

またのお越しをお待ちしております
";
    assert_eq!(layout(&invoice(true), Width::Mm58).plain_text(), want);
}
