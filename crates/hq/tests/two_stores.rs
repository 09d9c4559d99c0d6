//! End to end: two stores × two registers, each a real engine on its own
//! ledger file linked to a real HQ, one elepay simulator (one app, one
//! webhook endpoint: HQ's). "Paid" must reach the register through HQ's
//! stream (the registers' polls are an hour apart), the journal must ship,
//! and the head-office view's per-store totals must equal the registers'
//! Z reports, by tax rate too (each sale taxed as the register records it).
//! Then a register whose ledger was replaced is told it
//! diverged, and a revoked register is told so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use easyqr_app_core::secrets::HqToken;
use easyqr_engine::{Engine, EngineConfig, SystemClock};
use easyqr_ledger::{
    AttemptId, AttemptState, ByRate, Ledger, OrderPrefix, RateAmount, SaleTaxed, StateTotal,
    TaxFigures,
};
use easyqr_pos_core::hq::{HqLink, LinkState};
use easyqr_pos_core::HqStatus;
use easyqr_tax::TaxRate;
use easyqr_test_harness::world::{client_for, KEY};
use support::tax::{excluded, included, item, lines, of_amount, returned};
use support::*;
use tokio::sync::watch;

struct Register {
    location: &'static str,
    prefix: &'static str,
    engine: Engine,
    ledger: Arc<Ledger>,
    link: HqLink,
    _dir: tempfile::TempDir,
}

/// A register that only learns of payments through HQ: it polls hourly.
fn engine(
    sim: &elepay_sim::RunningSim,
    location: &str,
    prefix: &str,
) -> (Engine, Arc<Ledger>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Arc::new(Ledger::open(&dir.path().join("ledger.sqlite3")).unwrap());
    let mut cfg = EngineConfig::new(OrderPrefix::new(prefix).unwrap(), "R1");
    cfg.poll_interval = Duration::from_secs(3600);
    cfg.location_id = Some(location.into());
    let engine = Engine::new(ledger.clone(), client_for(sim), Arc::new(SystemClock), cfg).unwrap();
    ledger.open_shift("R1", "山田", engine.now_ms()).unwrap();
    (engine, ledger, dir)
}

fn link(hq: &Hq, engine: &Engine, token: &str) -> HqLink {
    let base = url::Url::parse(&format!("{}/", hq.base)).unwrap();
    HqLink::start(engine.clone(), base, HqToken::parse(token).unwrap()).unwrap()
}

async fn wait_status(link: &HqLink, what: &str, f: impl Fn(&HqStatus) -> bool) -> HqStatus {
    let mut rx: watch::Receiver<HqStatus> = link.watch();
    let got = tokio::time::timeout(Duration::from_secs(20), rx.wait_for(|s| f(s)))
        .await
        .unwrap_or_else(|_| panic!("the link never got {what}: {:?}", link.status()))
        .unwrap()
        .clone();
    got
}

async fn wait_captured(ledger: &Ledger, id: AttemptId) {
    for _ in 0..1000 {
        if ledger.attempt(id).unwrap().state == AttemptState::Captured {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("attempt {id} never captured: the stream did not bring the payment");
}

/// Rings up `yen` (taxed as `taxed` says), has the customer pay with
/// `method`, and waits until the register knows (through HQ's stream: it
/// polls hourly).
async fn sell(
    control: &elepay_sim::SimControl,
    engine: &Engine,
    ledger: &Ledger,
    yen: i64,
    method: &str,
    taxed: Option<&SaleTaxed>,
) -> AttemptId {
    let co = engine
        .charge(elepay::Amount::new(yen).unwrap(), None, taxed)
        .await
        .unwrap();
    control
        .pay(co.attempt.code_id.as_deref().unwrap(), method)
        .unwrap();
    wait_captured(ledger, co.attempt.id).await;
    co.attempt.id
}

/// How the captured move of `id` was learnt ("webhook", "poll", …).
fn capture_source(ledger: &Ledger, id: AttemptId) -> String {
    ledger.with_connection(|c| {
        c.query_row(
            "SELECT json_extract(payload, '$.source') FROM journal \
             WHERE attempt_id = ?1 AND json_extract(payload, '$.to') = 'captured'",
            [id],
            |r| r.get(0),
        )
        .unwrap()
    })
}

/// The orderNo of every webhook event a register's inbox holds.
fn inbox_orders(ledger: &Ledger) -> Vec<String> {
    ledger.with_connection(|c| {
        let mut st = c
            .prepare("SELECT body FROM webhook_inbox ORDER BY event_id")
            .unwrap();
        st.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(|b| {
                let v: serde_json::Value = serde_json::from_str(&b.unwrap()).unwrap();
                v["data"]["object"]["orderNo"].as_str().unwrap().to_owned()
            })
            .collect()
    })
}

/// What register `i` sells: coffee beans (10 %) and a sandwich (8 %) at
/// tax-included prices; an amount at 10 %; a notebook (10 %) and stamps
/// (tax-free) at tax-excluded prices; and a sale whose rate is not recorded.
fn sales(i: i64) -> [Option<SaleTaxed>; 4] {
    [
        Some(lines(
            &included(),
            vec![
                item("コーヒー豆", 2, 480 + 10 * i, TaxRate::Standard),
                item("サンドイッチ", 1, 398, TaxRate::Reduced),
            ],
        )),
        Some(of_amount(TaxRate::Standard, 1000 * (i + 1))),
        Some(lines(
            &excluded(),
            vec![
                item("ノート", 1, 215 + i, TaxRate::Standard),
                item("切手", 2, 84, TaxRate::Free),
            ],
        )),
        None,
    ]
}

/// Figures by rate summed as a report sums them: per rate, then the
/// ledger's rule for the rest.
fn sum(figures: &[&TaxFigures]) -> TaxFigures {
    let (mut sales, mut refunds) = (ByRate::default(), ByRate::default());
    let (mut paid, mut refunded) = (StateTotal::default(), 0);
    for f in figures {
        for (_, rate, a) in f.sales.buckets() {
            sales.add(rate, a);
        }
        for (_, rate, a) in f.refunds.buckets() {
            refunds.add(rate, a);
        }
        paid.count += f.customers;
        paid.amount += f.gross_sales;
        refunded += f.refunded;
    }
    TaxFigures::assemble(sales, refunds, paid, refunded)
}

/// Each store's figures by rate at HQ (books and page) are the sum of its
/// registers' Z figures by rate; the brand's, the sum over the stores.
async fn by_rate_is_the_registers_z(hq: &Hq, html: &str, regs: &[Register], z: &[TaxFigures]) {
    let c = hq.db.get().await.unwrap();
    let day = easyqr_ledger::business_date(regs[0].engine.now_ms(), 540);
    let o = easyqr_hq::books::overview(&c, &day).await.unwrap();
    let mut stores = Vec::new();
    for location in ["loc_store1", "loc_store2"] {
        let registers: Vec<&TaxFigures> = regs
            .iter()
            .zip(z)
            .filter(|(r, _)| r.location == location)
            .map(|(_, f)| f)
            .collect();
        let store = &o.stores.iter().find(|s| s.location_id == location).unwrap();
        let want = sum(&registers);
        assert_eq!(store.day.by_rate, want, "{location}");
        // Every rate occurs, the unrecorded sale too; refunds by item.
        for (key, _, a) in want.sales.buckets() {
            assert!(a.gross > 0, "{location}: no {key} sales");
        }
        assert!(want.sales.standard.tax > 0 && want.sales.reduced.tax > 0);
        assert_eq!(want.refunds.unrecorded, RateAmount::default());
        assert!(want.refunds.standard.gross > 0, "{location}");
        let row = &html[html
            .find(&format!("<tr data-location=\"{location}\">"))
            .unwrap_or_else(|| panic!("no by-rate row for {location}"))..];
        assert_eq!(
            cell(row, "standard-tax"),
            want.sales.standard.tax,
            "{location}"
        );
        assert_eq!(cell(row, "reduced-sales"), want.sales.reduced.gross);
        assert_eq!(cell(row, "customers"), want.customers);
        stores.push(want);
    }
    let brand = sum(&stores.iter().collect::<Vec<_>>());
    assert_eq!(o.brand.by_rate, brand);
    let row = &html[html.find("<tr class=\"brand\"").unwrap()..];
    assert_eq!(cell(row, "free-sales"), brand.sales.free.gross);
    assert_eq!(cell(row, "net-sales"), brand.net_sales);
    assert_eq!(cell(row, "average-sale"), brand.average_sale);
}

/// The `data-v` of the first cell `data-k="{key}"` in `html`.
fn cell(html: &str, key: &str) -> i64 {
    let pat = format!("data-k=\"{key}\" data-v=\"");
    let at = html.find(&pat).unwrap() + pat.len();
    html[at..at + html[at..].find('"').unwrap()]
        .parse()
        .unwrap()
}

/// The view's per-store figure for today: `data-net` of the store's card.
fn store_net(html: &str, location: &str) -> i64 {
    let card = &html[html
        .find(&format!("data-location=\"{location}\""))
        .unwrap_or_else(|| panic!("no card for {location}"))..];
    let at = card.find("data-net=\"").unwrap() + "data-net=\"".len();
    card[at..at + card[at..].find('"').unwrap()]
        .parse()
        .unwrap()
}

async fn view_overview(hq: &Hq) -> String {
    let http = support::view::http();
    let session = support::view::login(&http, &hq.base, "admin", VIEW_PASSWORD).await;
    let (status, page) = support::view::get(&http, &hq.base, "/", &session).await;
    assert_eq!(status, 200);
    page
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_two_registers_through_the_head_office() {
    let Some(db) = fresh_db().await else { return };
    let hq = Hq::on(&db, easyqr_hq::system_clock()).await;
    hq.store("loc_store1", "渋谷店").await;
    hq.store("loc_store2", "新宿店").await;
    let sim = elepay_sim::start_frozen(KEY).await.unwrap();
    let control = sim.control();
    control.add_webhook_endpoint(
        format!("{}/elepay/webhook", hq.base).parse().unwrap(),
        SECRET,
    );

    let mut regs = Vec::new();
    for (location, prefix) in [
        ("loc_store1", "S01R1"),
        ("loc_store1", "S01R2"),
        ("loc_store2", "S02R1"),
        ("loc_store2", "S02R2"),
    ] {
        let token = hq.enrol(location, prefix).await;
        let (engine, ledger, dir) = engine(&sim, location, prefix);
        let link = link(&hq, &engine, &token);
        wait_status(&link, "online", |s| s.state == LinkState::Online).await;
        regs.push(Register {
            location,
            prefix,
            engine,
            ledger,
            link,
            _dir: dir,
        });
    }

    // Each register sells; the customers pay on their phones; each payment
    // reaches its register through HQ's stream.
    for (i, r) in regs.iter().enumerate() {
        let mut paid = Vec::new();
        for (k, taxed) in sales(i as i64).iter().enumerate() {
            let yen = taxed.as_ref().map_or(500 + i as i64, |t| t.breakdown.total);
            let method = if k % 2 == 0 { "paypay" } else { "linepay" };
            let id = sell(&control, &r.engine, &r.ledger, yen, method, taxed.as_ref()).await;
            assert_eq!(capture_source(&r.ledger, id), "webhook", "{}", r.prefix);
            paid.push((id, taxed.clone()));
        }
        // One bag of coffee beans of the mixed sale comes back.
        let (id, Some(mixed)) = &paid[0] else {
            unreachable!()
        };
        let back = returned(mixed, 0, 1);
        let amount = elepay::Amount::new(back.breakdown.total).unwrap();
        r.engine
            .refund(*id, amount, Some("返品"), Some(&back))
            .await
            .unwrap();
    }
    // A store's events reach that store's registers only (orderNo starts
    // with the register id).
    for r in &regs {
        let inbox = inbox_orders(&r.ledger);
        for other in &regs {
            let theirs = inbox.iter().any(|o| o.starts_with(other.prefix));
            assert_eq!(
                theirs,
                other.location == r.location,
                "{} holds events of {}: {inbox:?}",
                r.prefix,
                other.prefix
            );
        }
    }

    // Shifts close; every journal ships (no backlog).
    let mut z_net = Vec::new();
    let mut z_rates = Vec::new();
    for r in &regs {
        let shift = r.ledger.current_shift("R1").unwrap().unwrap();
        r.ledger.close_shift("R1", r.engine.now_ms()).unwrap();
        let report = r.ledger.shift_report(shift, r.engine.now_ms()).unwrap();
        z_net.push(report.figures.net_sales);
        z_rates.push(report.figures.by_rate.expect("figures by rate"));
        r.link.ship_now();
        let head = r.ledger.journal_head_seq().unwrap();
        let s = wait_status(&r.link, "the journal shipped", |s| s.acked == head).await;
        assert_eq!((s.backlog, s.state), (0, LinkState::Online), "{}", r.prefix);
    }
    let html = view_overview(&hq).await;
    for location in ["loc_store1", "loc_store2"] {
        let registers: i64 = regs
            .iter()
            .zip(&z_net)
            .filter(|(r, _)| r.location == location)
            .map(|(_, n)| n)
            .sum();
        assert!(registers > 0);
        assert_eq!(store_net(&html, location), registers, "{location}");
    }
    by_rate_is_the_registers_z(&hq, &html, &regs, &z_rates).await;
    let c = hq.db.get().await.unwrap();
    for location in ["loc_store1", "loc_store2"] {
        let z = easyqr_hq::books::z_reports(&c, Some(location), None, 10)
            .await
            .unwrap();
        assert_eq!(z.len(), 2, "{location}");
        for (r, net) in regs
            .iter()
            .zip(&z_net)
            .filter(|(r, _)| r.location == location)
        {
            let mine: Vec<_> = z.iter().filter(|z| z.register_id == r.prefix).collect();
            assert_eq!(mine.len(), 1, "{}", r.prefix);
            assert_eq!(
                mine[0].at_close.as_ref().unwrap().net_sales,
                *net,
                "{}",
                r.prefix
            );
            assert_eq!(mine[0].now.net_sales, *net, "{}", r.prefix);
        }
    }
    for (r, rates) in regs.iter().zip(&z_rates) {
        let z = easyqr_hq::books::z_reports(&c, Some(r.location), None, 10)
            .await
            .unwrap();
        let mine = z.iter().find(|z| z.register_id == r.prefix).unwrap();
        let at_close = mine.at_close.as_ref().unwrap().by_rate;
        assert_eq!(at_close.as_ref(), Some(rates), "{}", r.prefix);
        assert_eq!(mine.now.by_rate.as_ref(), Some(rates), "{}", r.prefix);
    }

    // A fifth register's ledger file is replaced by another one (the
    // wrong copy restored) and linked with the same token: a different
    // history from row 1 on. HQ flags it, the register is told.
    let token = hq.enrol("loc_store1", "S01R3").await;
    let (engine_a, ledger_a, _a) = engine(&sim, "loc_store1", "S01R3");
    let first = link(&hq, &engine_a, &token);
    sell(&control, &engine_a, &ledger_a, 500, "paypay", None).await;
    let head = ledger_a.journal_head_seq().unwrap();
    first.ship_now();
    wait_status(&first, "the journal shipped", |s| s.acked == head).await;
    first.stop().await;
    let (engine_b, ledger_b, _b) = engine(&sim, "loc_store1", "S01R4");
    let co = engine_b
        .charge(elepay::Amount::new(900).unwrap(), None, None)
        .await
        .unwrap();
    control
        .pay(co.attempt.code_id.as_deref().unwrap(), "creditcard")
        .unwrap();
    // Linked only now: the payment comes through the link's stream.
    let second = link(&hq, &engine_b, &token);
    wait_captured(&ledger_b, co.attempt.id).await;
    // Its first batch, at the link's start, repeats rows HQ holds.
    let s = wait_status(&second, "diverged", |s| s.state == LinkState::Diverged).await;
    assert!(s.diverged.is_some(), "{s:?}");
    let flagged = hq
        .query_i64("SELECT count(*) FROM registers WHERE register_id = 'S01R3' AND diverged_seq IS NOT NULL")
        .await;
    assert_eq!(flagged, 1);
    // HQ stores nothing more of it, so the register stops sending its
    // rows at every sale (it asks again every few minutes, or when told).
    let told = "SELECT head_seq FROM registers WHERE register_id = 'S01R3'";
    let before = hq.query_i64(told).await;
    sell(&control, &engine_b, &ledger_b, 700, "paypay", None).await;
    // Past the shipper's debounce: a shipment would have gone by now.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(hq.query_i64(told).await, before, "rows sent again");
    second.ship_now();
    let now_head = ledger_b.journal_head_seq().unwrap();
    for _ in 0..200 {
        if hq.query_i64(told).await == now_head {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(hq.query_i64(told).await, now_head, "asked again when told");

    // A revoked register is told and its link stops.
    easyqr_hq::enrol::revoke(&hq.db, "S02R2").await.unwrap();
    let r = &regs[3];
    wait_status(&r.link, "revoked", |s| s.state == LinkState::Revoked).await;
    for _ in 0..200 {
        if r.link.is_stopped() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(r.link.is_stopped());
    // The other registers stay online.
    for r in &regs[..3] {
        assert_eq!(r.link.status().state, LinkState::Online, "{}", r.prefix);
    }
}
