//! Product bar: laying out and encoding a receipt takes well under 1 ms.
//! The receipt: a 10-line mixed-rate invoice (standard, reduced and free
//! items, tax included), reprinted, on 80 mm paper.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use easyqr_receipt::{encode, layout, Issuer, Receipt, ReceiptKind, SaleFacts, Width};
use easyqr_tax::{Breakdown, Line, TaxPolicy, TaxRate};

fn receipt() -> Receipt {
    let items = [
        ("コーヒー豆 ブラジル 200g", 2, 1_480, TaxRate::Standard),
        ("サンドイッチ", 1, 398, TaxRate::Reduced),
        ("ｶﾌｪﾗﾃ (M)", 3, 520, TaxRate::Standard),
        ("クロワッサン", 4, 240, TaxRate::Reduced),
        ("ドリップバッグ 10袋入", 1, 1_200, TaxRate::Reduced),
        ("マグカップ ひだまり", 1, 2_800, TaxRate::Standard),
        ("切手", 5, 110, TaxRate::Free),
        (
            "特選ブルーマウンテンブレンド珈琲豆 深煎り",
            1,
            4_800,
            TaxRate::Reduced,
        ),
        ("ペーパーフィルター", 2, 330, TaxRate::Standard),
        ("焼き菓子詰め合わせ", 1, 1_620, TaxRate::Reduced),
    ];
    let lines: Vec<Line> = items
        .iter()
        .map(|&(name, qty, unit_price, rate)| Line {
            name: name.into(),
            qty,
            unit_price,
            rate,
        })
        .collect();
    let breakdown = Breakdown::compute(&TaxPolicy::default(), &lines).expect("valid lines");
    Receipt {
        issuer: Issuer {
            name: "喫茶ひだまり 渋谷店".into(),
            registration_number: Some("T7000012050002".into()),
            address: Some("東京都渋谷区道玄坂1-2-3".into()),
            phone: Some("03-1234-5678".into()),
            header: Some("いつもご利用ありがとうございます".into()),
            footer: Some("またのお越しをお待ちしております".into()),
        },
        sale: SaleFacts {
            at: "2026年12月05日(土) 14:03".into(),
            register: "S01R1".into(),
            cashier: Some("佐藤".into()),
            order_no: "S01R1-000123".into(),
            total: breakdown.total,
            lines,
            breakdown: Some(breakdown),
            wallet: Some("PayPay".into()),
        },
        kind: ReceiptKind::Invoice,
        copy: 2,
    }
}

fn bench(c: &mut Criterion) {
    let r = receipt();
    c.bench_function("layout + encode, 10-line mixed-rate invoice, 80 mm", |b| {
        b.iter(|| encode(&layout(black_box(&r), Width::Mm80)).len())
    });
    c.bench_function("layout + encode, 10-line mixed-rate invoice, 58 mm", |b| {
        b.iter(|| encode(&layout(black_box(&r), Width::Mm58)).len())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
