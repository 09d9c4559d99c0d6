//! The release bench of the real app (not a test): `./scripts/bench`.
//! DEMO mode, the embedded simulator on loopback, under Xvfb. It prints
//! one table: every bar of PRODUCT.md and the release issue, the figure
//! (p50/p95/max, n) and the figure's ratio to the bar.
//!
//! - start: from the app's `exec` (the kernel's start time of the process)
//!   and from `main()` to the cashier's ready mark;
//! - Enter → the QR decoded and drawn on the customer display
//!   (`data-qr-painted`, set after the image decoded and a frame passed),
//!   and the app's share of it (minus the create-code round trip);
//! - paid at elepay → "paid" on both windows, by polling for the first
//!   payments, then with the webhook receiver on and the simulator posting
//!   to it for the rest;
//! - memory of the process tree (PSS, private per process) idle with both
//!   windows open, and every 100 payments of the soak;
//! - elepay requests the register sends per minute while one code is up.
//!
//! Times are taken inside the windows (`Date.now()`), so WebDriver round
//! trips are not counted. `EASYQR_BENCH_PAYMENTS` (default 1000) and
//! `EASYQR_BENCH_CODE_UP_MIN` (default 3) shorten a run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../tests/e2e_harness/mod.rs"]
mod e2e_harness;
mod support;

use std::time::{Duration, Instant};

use e2e_harness::cashier::sim_url;
use e2e_harness::*;
use serde_json::{json, Value};
use support::memory::{self, Tree};
use support::table::{percentile, Table};

const APP: &str = "easyqr-pos";
/// Payments paid by polling before the webhook receiver is turned on.
const BY_POLL: usize = 30;
/// A create answered in this long: elepay over the internet.
const ELEPAY_CREATE_MS: u64 = 100;
const WEBHOOK_SECRET: &str = "whsec_bench_0123456789abcdef";

/// Marks the moment a selector starts to match, per window: a screen still
/// showing the previous sale's state must first stop matching.
const OBSERVE: &str = r#"
    const [sel, key] = arguments;
    window[key] = null;
    let armed = !document.querySelector(sel);
    // One observer per mark, gone once it fired: the bench must not load
    // the page it measures.
    (window.__observers ??= {})[key]?.disconnect();
    const o = new MutationObserver(() => {
        const hit = document.querySelector(sel);
        if (!hit) armed = true;
        else if (armed && window[key] === null) { window[key] = Date.now(); o.disconnect(); }
    });
    window.__observers[key] = o;
    o.observe(document.documentElement, { attributes: true, childList: true, subtree: true });
"#;

/// Marks when the cashier's active sale `order` shows "paid".
const CASHIER_PAID: &str = r#"
    const [order, key] = arguments;
    window[key] = null;
    (window.__observers ??= {})[key]?.disconnect();
    const check = () => {
        const active = document.querySelector('#pay-active');
        if (window[key] === null && active?.dataset.status === 'paid'
            && document.querySelector('#pay-order')?.textContent === order) { window[key] = Date.now(); o.disconnect(); }
    };
    const o = new MutationObserver(check);
    window.__observers[key] = o;
    o.observe(document.documentElement, { attributes: true, childList: true, subtree: true, characterData: true });
    check();
"#;

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as f64
}

async fn wait_mark(app: &App, key: &str) -> f64 {
    for _ in 0..1000 {
        let v = app
            .client
            .execute(&format!("return window['{key}'];"), vec![])
            .await
            .unwrap();
        if let Some(t) = v.as_f64() {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("{key} never happened");
}

async fn observe(app: &App, selector: &str, key: &str) {
    app.client
        .execute(OBSERVE, vec![json!(selector), json!(key)])
        .await
        .unwrap();
}

/// Five cold starts: (from exec, from main()) to the cashier's ready mark.
async fn startups() -> (Vec<f64>, Vec<f64>) {
    let (mut from_exec, mut from_main) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let app = App::start("bench-start", &[]).await;
        let exec = memory::exec_time_ms(APP).expect("the app's start time");
        let mark = |v: Option<String>| v.expect("a startup mark").parse::<f64>().unwrap();
        let ready = mark(app.attr("body", "data-ready-at").await);
        let launched = mark(app.attr("body", "data-launched-at").await);
        from_exec.push(ready - exec);
        from_main.push(ready - launched);
        drop(app.close().await);
    }
    (from_exec, from_main)
}

#[derive(Default)]
struct Samples {
    to_screen: Vec<f64>,
    to_qr: Vec<f64>,
    paid_customer: Vec<f64>,
    paid_cashier: Vec<f64>,
}

/// One sale: Enter → QR on the customer display, paid at the simulator →
/// "paid" on both windows, then back to a fresh sale.
async fn one_payment(app: &mut App, sim: &url::Url, s: &mut Samples) {
    app.in_customer().await;
    observe(app, "body[data-screen='payment']", "__screen").await;
    observe(app, "body[data-qr-painted]", "__qr").await;
    app.in_cashier().await;
    app.keys("1280").await;
    // Enter from inside the page, so the start time is the keypress itself.
    let t0 = app
        .client
        .execute(
            "const t = Date.now(); document.activeElement.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true })); return t;",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    app.in_customer().await;
    s.to_qr.push(wait_mark(app, "__qr").await - t0);
    s.to_screen.push(wait_mark(app, "__screen").await - t0);
    // The payment screen is up: "paid" can only be this sale's.
    observe(app, "body[data-screen='paid']", "__paid").await;
    app.in_cashier().await;
    let a = app
        .invoke("recent_attempts", json!({ "limit": 1 }))
        .await
        .unwrap();
    let code = a[0]["codeId"].as_str().unwrap().to_owned();
    app.client
        .execute(CASHIER_PAID, vec![a[0]["orderNo"].clone(), json!("__paid")])
        .await
        .unwrap();
    let paid_at = now_ms();
    let res = reqwest::Client::new()
        .post(sim.join(&format!("/_sim/codes/{code}/pay")).unwrap())
        .json(&json!({ "paymentMethod": "paypay" }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    s.paid_cashier
        .push(wait_mark(app, "__paid").await - paid_at);
    app.in_customer().await;
    s.paid_customer
        .push(wait_mark(app, "__paid").await - paid_at);
    app.in_cashier().await;
    app.client
        .execute("document.querySelector('#pay-new')?.click();", vec![])
        .await
        .unwrap();
}

/// Turns the app's webhook receiver on and has the simulator post to it.
async fn webhooks_on(app: &mut App, sim: &url::Url) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut settings = app.invoke("get_settings", json!({})).await.unwrap();
    settings["webhook"] = json!({
        "enabled": true,
        "address": format!("127.0.0.1:{port}"),
        "secrets": [WEBHOOK_SECRET],
    });
    app.invoke("save_settings", json!({ "settings": settings }))
        .await
        .unwrap();
    let res = reqwest::Client::new()
        .post(sim.join("/_sim/webhooks/endpoints").unwrap())
        .json(&json!({
            "url": format!("http://127.0.0.1:{port}/elepay/webhook"),
            "secret": WEBHOOK_SECRET,
        }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
}

/// elepay answering creates in `ms` (a simulator fault for the next
/// `count` creates), as it does over the internet.
async fn slow_creates(sim: &url::Url, ms: u64, count: usize) {
    let res = reqwest::Client::new()
        .post(sim.join("/_sim/faults").unwrap())
        .json(&json!({ "endpoint": "createCode", "kind": "latency", "latencyMs": ms, "count": count }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
}

async fn sim_get(sim: &url::Url, path: &str) -> Value {
    reqwest::get(sim.join(path).unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Leaves one code up and counts the elepay requests per minute.
async fn requests_while_up(app: &mut App, sim: &url::Url, minutes: usize) -> Vec<f64> {
    app.keys("500\u{E007}").await;
    app.wait_for("#pay-active[data-status='pending']", "a code up")
        .await;
    let mut per_minute = Vec::new();
    let mut before = sim_get(sim, "/_sim/requests").await["total"]
        .as_f64()
        .unwrap();
    for _ in 0..minutes {
        tokio::time::sleep(Duration::from_secs(60)).await;
        let now = sim_get(sim, "/_sim/requests").await["total"]
            .as_f64()
            .unwrap();
        per_minute.push(now - before);
        before = now;
    }
    let a = app
        .invoke("recent_attempts", json!({ "limit": 1 }))
        .await
        .unwrap();
    app.invoke("cancel", json!({ "attemptId": a[0]["id"] }))
        .await
        .unwrap();
    per_minute
}

/// Create-code round trips to the embedded simulator, made directly: the
/// part of Enter → QR that is not the app's own work.
async fn create_round_trips(sim: &url::Url) -> Vec<f64> {
    let http = reqwest::Client::new();
    let key = "sk_test_benchmarkroundtrip0001";
    http.post(sim.join("/_sim/keys").unwrap())
        .json(&json!({ "secretKey": key }))
        .send()
        .await
        .unwrap();
    let mut v = Vec::new();
    for i in 0..BY_POLL {
        let t = Instant::now();
        let res = http
            .post(sim.join("/codes").unwrap())
            .bearer_auth(key)
            .json(&json!({ "orderNo": format!("BENCH-RTT-{i}"), "amount": 1280 }))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{}", res.status());
        v.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    v
}

/// MB per 100 payments, least squares over the checkpoints after warm-up.
fn trend(points: &[(usize, f64)]) -> f64 {
    let pts: Vec<_> = points.iter().filter(|p| p.0 >= 200).collect();
    if pts.len() < 2 {
        return f64::NAN;
    }
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0 as f64).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = pts.iter().map(|p| (p.0 as f64 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 as f64 - mx).powi(2)).sum();
    sxy / sxx * 100.0
}

/// The app's share of each Enter → QR time: minus what elepay took.
fn app_share(to_qr: &[f64], elepay_ms: f64) -> Vec<f64> {
    to_qr.iter().map(|t| (t - elepay_ms).max(0.0)).collect()
}

async fn settle_and_measure() -> Tree {
    tokio::time::sleep(Duration::from_secs(3)).await;
    memory::tree(APP)
}

#[tokio::main]
async fn main() {
    if !enabled() {
        return;
    }
    let payments = env_count("EASYQR_BENCH_PAYMENTS", 1000).max(BY_POLL + 1);
    let code_up_min = env_count("EASYQR_BENCH_CODE_UP_MIN", 3);
    let (from_exec, from_main) = startups().await;

    let mut app = App::start("bench", &[]).await;
    app.in_cashier().await;
    app.invoke("open_shift", json!({ "cashier": "bench" }))
        .await
        .unwrap();
    let sim = sim_url(&mut app).await;
    let idle = settle_and_measure().await;
    let (mut by_poll, mut by_hook) = (Samples::default(), Samples::default());
    let mut checkpoints = Vec::new();
    for i in 0..payments {
        if i == BY_POLL {
            webhooks_on(&mut app, &sim).await;
        }
        let s = if i < BY_POLL {
            &mut by_poll
        } else {
            &mut by_hook
        };
        one_payment(&mut app, &sim, s).await;
        if (i + 1) % 100 == 0 {
            let t = memory::tree(APP);
            println!("after {:>4} payments: tree PSS {:.0} MB", i + 1, t.pss());
            checkpoints.push((i + 1, t.pss()));
        }
    }
    let after = settle_and_measure().await;
    let mut slow = Samples::default();
    slow_creates(&sim, ELEPAY_CREATE_MS, BY_POLL).await;
    for _ in 0..BY_POLL {
        one_payment(&mut app, &sim, &mut slow).await;
    }
    let per_minute = requests_while_up(&mut app, &sim, code_up_min).await;
    let rtt = create_round_trips(&sim).await;
    drop(app.close().await);

    let rtt_p50 = percentile(&rtt, 0.5);
    let all = |f: fn(&Samples) -> &Vec<f64>| -> Vec<f64> {
        f(&by_poll).iter().chain(f(&by_hook)).copied().collect()
    };
    let (to_screen, to_qr) = (all(|s| &s.to_screen), all(|s| &s.to_qr));
    let overhead = app_share(&to_qr, rtt_p50);
    let mut t = Table::default();
    t.latency(
        "start: exec → cashier interactive",
        &from_exec,
        Some(1500.0),
    );
    t.latency("start: main() → cashier interactive", &from_main, None);
    t.latency("create-code round trip (simulator)", &rtt, None);
    t.latency("Enter → customer payment screen (DOM)", &to_screen, None);
    t.latency("Enter → QR painted on customer display", &to_qr, None);
    t.latency(
        "  app overhead (minus round trip p50)",
        &overhead,
        Some(15.0),
    );
    let slow_overhead = app_share(&slow.to_qr, ELEPAY_CREATE_MS as f64 + rtt_p50);
    t.latency(
        &format!("  same, elepay answering in {ELEPAY_CREATE_MS} ms"),
        &slow_overhead,
        Some(15.0),
    );
    t.latency(
        "paid → customer \"paid\" (poll)",
        &by_poll.paid_customer,
        Some(1500.0),
    );
    t.latency(
        "paid → cashier \"paid\" (poll)",
        &by_poll.paid_cashier,
        Some(1500.0),
    );
    t.latency(
        "paid → customer \"paid\" (webhook)",
        &by_hook.paid_customer,
        Some(150.0),
    );
    t.latency(
        "paid → cashier \"paid\" (webhook)",
        &by_hook.paid_cashier,
        Some(150.0),
    );
    t.value("tree PSS idle, both windows", idle.pss(), "MB", Some(200.0));
    t.value(
        &format!("tree PSS after {payments} payments"),
        after.pss(),
        "MB",
        Some(220.0),
    );
    t.value(
        "PSS trend after 200 payments",
        trend(&checkpoints),
        "MB/100",
        Some(1.0),
    );
    for (m, n) in per_minute.iter().enumerate() {
        t.value(
            &format!("elepay requests, minute {} of a code", m + 1),
            *n,
            "/min",
            None,
        );
    }
    let build = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    t.print(&format!(
        "EasyQR POS, {build} build, DEMO (embedded simulator, poll interval 1000 ms)"
    ));
    println!("\nidle: tree RSS {:.0} MB", idle.rss());
    idle.lines().iter().for_each(|l| println!("{l}"));
    println!("after {payments} payments: tree RSS {:.0} MB", after.rss());
    after.lines().iter().for_each(|l| println!("{l}"));
    println!("PSS every 100 payments: {checkpoints:?}");
}
