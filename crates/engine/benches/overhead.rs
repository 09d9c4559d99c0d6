//! App overhead from Charge to "show QR", excluding the API round trip
//! (PRODUCT.md §7: p95 ≤ 15 ms). Plain `main` (harness = false).
//!
//! Each iteration, in alternating order:
//!   (a) `engine.charge(..)` wall time (returns once the code is committed
//!       and the customer event is emitted);
//!   (b) a raw `Client::create_code` round trip with a comparable request,
//!       against the same simulator and over the same connection pool;
//! and (c) the time from calling `charge` until a subscriber task receives
//! `CustomerEvent::Payment`. Overhead = (a) − (b).
//!
//! Everything runs on loopback against `elepay-sim`, with the ledger in a
//! temporary file on the same disk the app would use.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use easyqr_engine::{CustomerEvent, Engine, EngineConfig, EngineEvent, SystemClock};
use easyqr_ledger::{Ledger, OrderPrefix};
use elepay::{Amount, Client, ClientConfig, CodeReq, OrderNo, SecretKey};
use tokio::sync::{broadcast, mpsc};

const KEY: &str = "sk_test_benchover0001";
const WARMUP: usize = 20;
const ITERATIONS: usize = 300;

struct Stats {
    mean: Duration,
    p50: Duration,
    p95: Duration,
    max: Duration,
}

fn pick(sorted: &[Duration], q: f64) -> Duration {
    let n = sorted.len();
    sorted[(((n as f64) * q).ceil() as usize).clamp(1, n) - 1]
}

fn stats(samples: &[Duration]) -> Stats {
    let mut s = samples.to_vec();
    s.sort_unstable();
    Stats {
        mean: s.iter().sum::<Duration>() / s.len() as u32,
        p50: pick(&s, 0.50),
        p95: pick(&s, 0.95),
        max: s[s.len() - 1],
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn signed_ms(a: Duration, b: Duration) -> String {
    format!("{:+.3} ms", (a.as_secs_f64() - b.as_secs_f64()) * 1e3)
}

fn line(name: &str, s: &Stats) {
    println!(
        "{name:<46} mean {:>10}  p50 {:>10}  p95 {:>10}  max {:>10}",
        ms(s.mean),
        ms(s.p50),
        ms(s.p95),
        ms(s.max)
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    let sim = elepay_sim::start_frozen(KEY).await.unwrap();
    // One client, cloned into the engine: both series share the connection
    // pool, so neither pays a TCP connect the other does not.
    let client = Client::new(
        SecretKey::parse(KEY).unwrap(),
        ClientConfig {
            timeout: Duration::from_secs(5),
            ..ClientConfig::with_base_url(sim.base_url())
        },
    )
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let ledger = Arc::new(Ledger::open(&dir.path().join("ledger.sqlite3")).unwrap());
    let mut cfg = EngineConfig::new(OrderPrefix::new("S01R1").unwrap(), "R1");
    // Pollers wake once a minute: none fires during the run.
    cfg.poll_interval = Duration::from_secs(60);
    cfg.expiry_minutes = 10;
    cfg.location_id = Some("loc_store1".into());
    cfg.front_url_template = Some("https://shop.example.jp/thanks?order={orderNo}".into());
    let engine = Engine::new(
        ledger.clone(),
        client.clone(),
        Arc::new(SystemClock),
        cfg.clone(),
    )
    .unwrap();
    ledger.open_shift("R1", "bench", engine.now_ms()).unwrap();

    // A customer-display forwarder: stamps each Payment event on arrival.
    let mut rx = engine.subscribe();
    let (stamp_tx, mut stamps) = mpsc::unbounded_channel::<Instant>();
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(EngineEvent::Customer(CustomerEvent::Payment { .. })) => {
                    if stamp_tx.send(Instant::now()).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    eprintln!("subscriber lagged by {n} events");
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    });

    let amount = Amount::new(1200).unwrap();
    let raw_req = |i: usize| {
        let order_no = format!("BENCH-RAW-{i}");
        let mut req = CodeReq::new(amount, OrderNo::new(order_no.clone()).unwrap());
        req.expiry_duration = Some(cfg.expiry_minutes);
        req.front_url = Some(format!("https://shop.example.jp/thanks?order={order_no}"));
        req.location_id = cfg.location_id.clone();
        req.metadata = Some(
            [
                ("register".to_owned(), cfg.register_id.clone()),
                ("saleId".to_owned(), i.to_string()),
            ]
            .into(),
        );
        req
    };

    let (mut a, mut b, mut c, mut diff) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut event_after_return = 0usize;
    for i in 0..WARMUP + ITERATIONS {
        let raw_first = i % 2 == 1;
        let mut raw = Duration::ZERO;
        if raw_first {
            raw = raw_once(&client, &raw_req(i)).await;
        }
        let t0 = Instant::now();
        let checkout = engine.charge(amount, None, None).await.unwrap();
        let charge = t0.elapsed();
        assert!(!checkout.code_url.is_empty());
        let shown = tokio::time::timeout(Duration::from_secs(5), stamps.recv())
            .await
            .unwrap()
            .unwrap();
        let to_event = shown - t0;
        if !raw_first {
            raw = raw_once(&client, &raw_req(i)).await;
        }
        if i >= WARMUP {
            if to_event > charge {
                event_after_return += 1;
            }
            a.push(charge);
            b.push(raw);
            c.push(to_event);
            diff.push((charge.as_secs_f64() - raw.as_secs_f64()) * 1e3);
        }
    }

    let (sa, sb, sc) = (stats(&a), stats(&b), stats(&c));
    diff.sort_unstable_by(f64::total_cmp);
    let dpick = |q: f64| diff[(((diff.len() as f64) * q).ceil() as usize).clamp(1, diff.len()) - 1];
    println!(
        "{ITERATIONS} iterations after {WARMUP} warm-up, (a)/(b) order alternating; \
         ledger in {}",
        dir.path().display()
    );
    line("(a) engine.charge", &sa);
    line("(b) raw Client::create_code", &sb);
    line("(c) charge call -> CustomerEvent::Payment recv", &sc);
    println!(
        "{:<46} p50 {:+.3} ms  p95 {:+.3} ms  max {:+.3} ms",
        "per-iteration (a) - (b) of the same loop pass",
        dpick(0.50),
        dpick(0.95),
        diff[diff.len() - 1]
    );
    println!(
        "overhead (a) - (b): p50 {}  p95 {}   [bar p95 ≤ 15 ms: {}]",
        signed_ms(sa.p50, sb.p50),
        signed_ms(sa.p95, sb.p95),
        if sa.p95.saturating_sub(sb.p95) <= Duration::from_millis(15) {
            "ok"
        } else {
            "OVER"
        }
    );
    println!(
        "event received after charge returned in {event_after_return}/{ITERATIONS} iterations; \
         pollers running: {}",
        engine.watching()
    );
    sim.shutdown().await;
}

async fn raw_once(client: &Client, req: &CodeReq) -> Duration {
    let t = Instant::now();
    let code = client.create_code(req).await.unwrap();
    let d = t.elapsed();
    assert!(code.code_url.is_some());
    d
}
