//! Receipts with real parts: a TEST station on a real data folder, the
//! elepay simulator on loopback, and the harness's virtual printer (TCP,
//! DLE EOT, the ESC/POS stream decoded back into lines). A mixed-rate sale
//! is charged, paid, printed, printed again (再発行), refunded by item and
//! its slip printed; a printer out of paper refuses before anything is
//! recorded; the X/Z report prints by rate.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use easyqr_app_core::settings::{EnvOverrides, SettingsStore};
use easyqr_ledger::AttemptState;
use easyqr_pos_core::receipt::{self, Destination, ReceiptOrder};
use easyqr_pos_core::report_doc::report_doc;
use easyqr_pos_core::{
    AttemptRef, ChargeRequest, ErrorCode, Item, RefundRequest, ReturnItem, StartOptions, Station,
};
use easyqr_receipt::{PrinterUrl, Width};
use easyqr_test_harness::printer::{PrinterStatus, VirtualPrinter};

const KEY: &str = "sk_test_receipts00000001";

async fn station(dir: &std::path::Path, sim: &elepay_sim::RunningSim) -> Station {
    let mut s = SettingsStore::new(dir).load().unwrap().settings;
    s.register_id = "S01R1".into();
    s.invoice.issuer_name = "喫茶ひだまり 渋谷店".into();
    s.invoice.registration_number = "T7000012050002".into();
    s.invoice.phone = "03-1234-5678".into();
    SettingsStore::new(dir).save(&s).unwrap();
    let (d, base) = (dir.to_str().unwrap().to_owned(), sim.base_url().to_string());
    let env = EnvOverrides::from_lookup(|name| match name {
        "EASYQR_DATA_DIR" => Some(d.clone()),
        "EASYQR_API_BASE" => Some(base.clone()),
        "ELEPAY_SECRET_KEY" => Some(KEY.to_owned()),
        _ => None,
    })
    .unwrap();
    Station::start(StartOptions {
        env,
        demo_clock_scale: None,
    })
    .await
    .unwrap()
}

fn item(name: &str, qty: i64, unit_price: i64, rate: &str) -> Item {
    Item {
        name: name.into(),
        qty,
        unit_price,
        rate: Some(rate.into()),
    }
}

/// Charges a mixed-rate sale and pays it as the customer would.
async fn paid_mixed_sale(
    station: &Station,
    sim: &elepay_sim::RunningSim,
) -> easyqr_ledger::Attempt {
    let req = ChargeRequest {
        items: vec![
            item("コーヒー豆", 2, 480, "standard"),
            item("サンドイッチ", 1, 398, "reduced"),
        ],
        ..ChargeRequest::default()
    };
    let shown = station.charge(&req).await.unwrap();
    assert_eq!(shown.attempt.amount, 1358, "the items' computed total");
    sim.control()
        .pay(shown.attempt.code_id.as_deref().unwrap(), "paypay")
        .unwrap();
    for _ in 0..200 {
        let a = station.books().ledger().attempt(shown.attempt.id).unwrap();
        if a.state == AttemptState::Captured {
            return a;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the payment was not recorded");
}

fn printer(p: &VirtualPrinter) -> Destination {
    Destination::Printer(PrinterUrl::parse("printer", &p.url()).unwrap())
}

fn has(lines: &[String], want: &str) -> bool {
    lines.iter().any(|l| l.contains(want))
}

#[tokio::test]
async fn a_mixed_rate_sale_prints_an_invoice_a_reprint_and_a_refund_slip() {
    let sim = elepay_sim::start_frozen(KEY).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let station = station(dir.path(), &sim).await;
    let books = station.books();
    books.open_shift("S01R1", "佐藤").unwrap();
    let paid = paid_mixed_sale(&station, &sim).await;
    let vp = VirtualPrinter::start().await;
    let settings = station.settings();
    let which = AttemptRef::OrderNo(paid.order_no.clone());
    let order = ReceiptOrder::default();

    let first = receipt::issue(books, &settings, 540, &which, &order, printer(&vp))
        .await
        .unwrap();
    assert_eq!((first.copy, first.reprint), (1, false));
    let job = &vp.wait_jobs(1).await[0];
    let lines = job.text();
    assert!(job.cut);
    for want in [
        "喫茶ひだまり",
        "登録番号 T7000012050002",
        "適格簡易請求書",
        "レジ S01R1",
        "担当 佐藤",
        &paid.order_no,
        "サンドイッチ※",
        "10%対象 ¥960",
        "内消費税 ¥87",
        "8%対象 ¥398",
        "内消費税 ¥29",
        "¥1,358",
        "※は軽減税率対象",
        "PayPay",
    ] {
        assert!(has(&lines, want), "{want:?} missing from {lines:#?}");
    }
    assert!(!has(&lines, "再発行"));
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e-artifacts");
    std::fs::create_dir_all(&out).unwrap();
    job.render_png(&out.join("receipt-invoice-mixed.png"))
        .unwrap();

    // The same receipt again: a reprint, and says so.
    let again = receipt::issue(books, &settings, 540, &which, &order, printer(&vp))
        .await
        .unwrap();
    assert!(again.reprint);
    let job = &vp.wait_jobs(2).await[1];
    assert!(has(&job.text(), "再発行"), "{:#?}", job.text());
    job.render_png(&out.join("receipt-reprint.png")).unwrap();

    // A 領収書 to stdout (text), with 宛名 and the default 但し書き.
    let ryo = ReceiptOrder {
        kind: Some("ryoshusho".into()),
        to: Some("山田商事".into()),
        ..ReceiptOrder::default()
    };
    let text = receipt::issue(books, &settings, 540, &which, &ryo, Destination::Text)
        .await
        .unwrap();
    assert!(
        text.text.contains("山田商事 様")
            && text.text.contains("但し お品代として")
            && !text.text.contains("としてとして"),
        "{}",
        text.text
    );

    // One bag of beans back, by item: its tax by the sale's rule.
    let refund = station
        .register()
        .refund(
            paid.id,
            &RefundRequest {
                items: vec![ReturnItem {
                    line: None,
                    name: Some("コーヒー豆".into()),
                    qty: 1,
                }],
                ..RefundRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(refund.amount, 480);
    let slip = ReceiptOrder {
        kind: Some("refund".into()),
        ..ReceiptOrder::default()
    };
    receipt::issue(books, &settings, 540, &which, &slip, printer(&vp))
        .await
        .unwrap();
    let job = &vp.wait_jobs(3).await[2];
    let lines = job.text();
    for want in ["返金明細", "10%対象 ¥480", "内消費税 ¥43", "¥878"] {
        assert!(has(&lines, want), "{want:?} missing from {lines:#?}");
    }
    job.render_png(&out.join("receipt-refund-slip.png"))
        .unwrap();

    // A printer out of paper: refused, named, and nothing recorded.
    let before = books.ledger().receipts_issued(paid.sale_id).unwrap();
    vp.set_status(PrinterStatus::PaperOut);
    let e = receipt::issue(books, &settings, 540, &which, &order, printer(&vp))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::PrinterUnavailable, Some("printer.url"))
    );
    assert!(e.message.contains("paper"), "{}", e.message);
    assert_eq!(e.cause, Some("printer_paper_out"));
    assert_eq!(
        books.ledger().receipts_issued(paid.sale_id).unwrap(),
        before
    );
    vp.set_status(PrinterStatus::Ready);
    assert_eq!(vp.jobs().len(), 3, "nothing printed while out of paper");
    assert!(vp.errors().is_empty(), "{:?}", vp.errors());

    // The Z by rate, printed.
    let z = books.close_shift("S01R1").unwrap();
    let t = z.by_rate.unwrap();
    assert_eq!((t.sales.standard.gross, t.sales.standard.tax), (960, 87));
    assert_eq!((t.sales.reduced.gross, t.sales.reduced.tax), (398, 29));
    assert_eq!(
        (t.refunds.standard.gross, t.refunds.standard.tax),
        (480, 43)
    );
    let doc = report_doc(&z, "喫茶ひだまり 渋谷店", Width::Mm80, 540);
    receipt::send(&PrinterUrl::parse("printer", &vp.url()).unwrap(), &doc)
        .await
        .unwrap();
    let job = &vp.wait_jobs(4).await[3];
    let lines = job.text();
    for want in [
        "Zレポート No.1",
        "10%対象 ¥960",
        "税 ¥87",
        "8%対象 ¥398",
        "純売上",
        "¥878",
        "客数",
    ] {
        assert!(has(&lines, want), "{want:?} missing from {lines:#?}");
    }
    job.render_png(&out.join("receipt-z-report.png")).unwrap();
    assert!(vp.errors().is_empty(), "{:?}", vp.errors());
}

#[tokio::test]
async fn bad_input_is_refused_before_elepay_or_a_printer_is_asked() {
    let sim = elepay_sim::start_frozen(KEY).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let station = station(dir.path(), &sim).await;
    station.books().open_shift("S01R1", "佐藤").unwrap();
    let codes_before = sim.control().codes().len();
    for (req, field) in [
        (
            ChargeRequest {
                items: vec![item("a", 1, 100, "exempt")],
                ..ChargeRequest::default()
            },
            "items[0].rate",
        ),
        (
            ChargeRequest {
                amount: Some(999),
                items: vec![item("a", 1, 100, "standard")],
                ..ChargeRequest::default()
            },
            "amount",
        ),
        (
            ChargeRequest {
                items: vec![item("a", 0, 100, "standard")],
                ..ChargeRequest::default()
            },
            "items[0].qty",
        ),
    ] {
        let e = station.charge(&req).await.unwrap_err();
        assert_eq!(e.field.as_deref(), Some(field), "{}", e.message);
    }
    assert_eq!(
        sim.control().codes().len(),
        codes_before,
        "nothing sent to elepay"
    );
    assert!(station
        .books()
        .log(&Default::default(), 10, None)
        .unwrap()
        .is_empty());

    // A mixed-rate sale refunded by amount is refused before elepay hears.
    let paid = paid_mixed_sale(&station, &sim).await;
    let e = station
        .register()
        .refund(
            paid.id,
            &RefundRequest {
                amount: Some(100),
                ..RefundRequest::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("items"));
    assert!(station
        .books()
        .ledger()
        .refunds_of(paid.id)
        .unwrap()
        .is_empty());

    // An unreachable printer.
    let nobody = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("tcp://{}", nobody.local_addr().unwrap());
    drop(nobody);
    let e = receipt::issue(
        station.books(),
        &station.settings(),
        540,
        &AttemptRef::Id(paid.id),
        &ReceiptOrder::default(),
        Destination::Printer(PrinterUrl::parse("printer", &url).unwrap()),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::PrinterUnavailable);
    assert_eq!(
        station
            .books()
            .ledger()
            .receipts_issued(paid.sale_id)
            .unwrap(),
        0
    );
}
