//! Receipts against their bars (PRODUCT.md §7), not a test:
//! - a payment → the receipt's last byte at the printer, p95 ≤ 300 ms, with
//!   `receipt.autoPrint` = always through the app's own path
//!   (`receipt::print_after_payment` on the engine's "paid" event), a TEST
//!   station, the simulator on loopback and the harness's virtual printer;
//!   timed from the payment recorded, and from the customer's payment at
//!   the simulator with 250 ms polling (the app's fastest poll setting);
//! - a receipt's bytes generated (layout + ESC/POS) ≤ 1 ms.
//!
//! `cargo bench -p easyqr-pos-core --bench receipt` (EASYQR_BENCH_RECEIPTS
//! sets the number of payments, default 200).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use easyqr_app_core::settings::{EnvOverrides, SettingsStore};
use easyqr_engine::EngineEvent;
use easyqr_ledger::AttemptState;
use easyqr_pos_core::receipt::{print_after_payment, AutoPrinted};
use easyqr_pos_core::{ChargeRequest, Item, StartOptions, Station};
use easyqr_test_harness::printer::VirtualPrinter;

const KEY: &str = "sk_test_receiptbench0001";

fn item(name: &str, qty: i64, unit_price: i64, rate: &str) -> Item {
    Item {
        name: name.into(),
        qty,
        unit_price,
        rate: Some(rate.into()),
    }
}

fn stats(name: &str, mut v: Vec<f64>, bar: Option<f64>) {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    let ratio = bar.map_or(String::from("-"), |b| {
        let r = at(0.95) / b;
        format!("{r:.3} {}", if r <= 1.0 { "ok" } else { "OVER" })
    });
    println!(
        "| {name} | p50 {:.2} / p95 {:.2} / max {:.2} ms, n={} | {} | {ratio} |",
        at(0.5),
        at(0.95),
        v[v.len() - 1],
        v.len(),
        bar.map_or("-".into(), |b| format!("p95 ≤ {b} ms"))
    );
}

async fn payments(n: usize) {
    let sim = elepay_sim::start(
        elepay_sim::SimConfig {
            secret_keys: vec![KEY.into()],
            ..Default::default()
        },
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .unwrap();
    let vp = VirtualPrinter::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = SettingsStore::new(dir.path());
    let mut s = store.load().unwrap().settings;
    s.poll_interval_ms = 250;
    s.invoice.registration_number = "T7000012050002".into();
    s.printer.url = vp.url();
    s.receipt.auto_print = "always".into();
    store.save(&s).unwrap();
    let (d, base) = (
        dir.path().to_str().unwrap().to_owned(),
        sim.base_url().to_string(),
    );
    let env = EnvOverrides::from_lookup(|name| match name {
        "EASYQR_DATA_DIR" => Some(d.clone()),
        "EASYQR_API_BASE" => Some(base.clone()),
        "ELEPAY_SECRET_KEY" => Some(KEY.to_owned()),
        _ => None,
    })
    .unwrap();
    let station = Arc::new(
        Station::start(StartOptions {
            env,
            demo_clock_scale: None,
        })
        .await
        .unwrap(),
    );
    station
        .books()
        .open_shift(&station.register_id(), "bench")
        .unwrap();

    // The app's auto-print: on "paid", print_after_payment, off the event loop.
    let recorded: Arc<Mutex<HashMap<i64, Instant>>> = Arc::default();
    let mut rx = station.engine().subscribe();
    let (st, rec) = (station.clone(), recorded.clone());
    tokio::spawn(async move {
        while let Ok(ev) = rx.recv().await {
            let EngineEvent::Cashier(c) = ev else {
                continue;
            };
            if c.state != AttemptState::Captured {
                continue;
            }
            rec.lock().unwrap().insert(c.attempt.id, Instant::now());
            let st = st.clone();
            tokio::spawn(async move {
                let s = st.settings();
                match print_after_payment(st.books(), &s, 540, &c.attempt).await {
                    AutoPrinted::Printed(_) => {}
                    other => panic!("not printed: {other:?}"),
                }
            });
        }
    });

    let req = ChargeRequest {
        items: vec![
            item("コーヒー豆", 2, 480, "standard"),
            item("サンドイッチ", 1, 398, "reduced"),
            item("クッキー", 3, 150, "reduced"),
        ],
        ..ChargeRequest::default()
    };
    let (mut from_recorded, mut from_paid) = (Vec::new(), Vec::new());
    for i in 0..n {
        let shown = station.charge(&req).await.unwrap();
        let paid_at = Instant::now();
        sim.control()
            .pay(shown.attempt.code_id.as_deref().unwrap(), "paypay")
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let done = loop {
            if let Some(t) = vp.job_times().get(i) {
                break *t;
            }
            assert!(Instant::now() < deadline, "receipt {i} never printed");
            tokio::time::sleep(Duration::from_millis(1)).await;
        };
        let rec_at = recorded.lock().unwrap()[&shown.attempt.id];
        from_recorded.push((done - rec_at).as_secs_f64() * 1000.0);
        from_paid.push((done - paid_at).as_secs_f64() * 1000.0);
    }
    assert!(vp.errors().is_empty(), "{:?}", vp.errors());
    stats(
        "payment recorded → receipt's last byte at the printer",
        from_recorded,
        Some(300.0),
    );
    stats(
        "customer pays (250 ms polling) → receipt's last byte",
        from_paid,
        None,
    );
}

fn bytes() {
    use easyqr_receipt::{encode, layout, Issuer, Receipt, ReceiptKind, SaleFacts, Width};
    use easyqr_tax::{Breakdown, Line, TaxPolicy, TaxRate};
    let lines: Vec<Line> = (0..10)
        .map(|i| Line {
            name: format!("商品その{i}"),
            qty: 1 + i % 3,
            unit_price: 120 + 37 * i,
            rate: if i % 2 == 0 {
                TaxRate::Standard
            } else {
                TaxRate::Reduced
            },
        })
        .collect();
    let breakdown = Breakdown::compute(&TaxPolicy::default(), &lines).unwrap();
    let r = Receipt {
        issuer: Issuer {
            name: "喫茶ひだまり 渋谷店".into(),
            registration_number: Some("T7000012050002".into()),
            address: Some("東京都渋谷区道玄坂1-2-3".into()),
            phone: Some("03-1234-5678".into()),
            header: None,
            footer: Some("またのお越しをお待ちしております".into()),
        },
        sale: SaleFacts {
            at: "2026年12月05日(土) 14:03".into(),
            register: "S01R1".into(),
            cashier: Some("佐藤".into()),
            order_no: "S01R1-20261205-0001".into(),
            total: breakdown.total,
            lines,
            breakdown: Some(breakdown),
            wallet: Some("PayPay".into()),
        },
        kind: ReceiptKind::Invoice,
        copy: 1,
    };
    let mut samples = Vec::new();
    for _ in 0..2000 {
        let t = Instant::now();
        let b = encode(&layout(&r, Width::Mm80));
        samples.push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(b);
    }
    stats(
        "a 10-line receipt's bytes (layout + ESC/POS)",
        samples,
        Some(1.0),
    );
}

fn main() {
    let n = std::env::var("EASYQR_BENCH_RECEIPTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    println!("| bar | figure | target | ratio |\n|---|---|---|---|");
    bytes();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(payments(n));
}
