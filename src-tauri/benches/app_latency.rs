//! Release-build measurements of the real app (not a test): launch to
//! interactive, Charge → QR visible on the customer display, paid →
//! "paid" on both windows, and the process tree's RSS. Needs what the
//! end-to-end tests need: `xvfb-run -a cargo bench -p easyqr-pos`.
//!
//! Times are taken inside the windows (`Date.now()` when the screen
//! changes), so WebDriver round trips are not counted in the latencies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/e2e_harness/mod.rs"]
mod e2e_harness;

use std::time::{Duration, Instant};

use e2e_harness::*;
use serde_json::json;

const RUNS: usize = 30;

/// Marks the moment a selector first matches, per window.
const OBSERVE: &str = r#"
    const [sel, key] = arguments;
    window[key] = null;
    const check = () => { if (window[key] === null && document.querySelector(sel)) window[key] = Date.now(); };
    new MutationObserver(check).observe(document.documentElement, { attributes: true, childList: true, subtree: true });
    check();
"#;

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

fn report(name: &str, v: &mut [f64], bar_ms: f64) {
    let (p50, p95) = (pct(v, 0.5), pct(v, 0.95));
    let verdict = if p95 <= bar_ms { "ok" } else { "OVER" };
    println!("{name:<44} n={:<3} p50 {p50:>7.1} ms  p95 {p95:>7.1} ms  max {:>7.1} ms  [bar p95 ≤ {bar_ms} ms: {verdict}]", v.len(), v[v.len() - 1]);
}

async fn wait_mark(app: &App, key: &str) -> f64 {
    for _ in 0..400 {
        let v = app
            .client
            .execute(&format!("return window['{key}'];"), vec![])
            .await
            .unwrap();
        if let Some(t) = v.as_f64() {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{key} never happened");
}

/// Resident memory of the app and every process it started (WebKit's web
/// and network processes), in MB.
fn tree_rss_mb(root_name: &str) -> f64 {
    let mut procs = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            continue;
        };
        let field = |k: &str| {
            status
                .lines()
                .find(|l| l.starts_with(k))
                .map(|l| l[k.len()..].trim().to_owned())
        };
        let name = field("Name:").unwrap_or_default();
        let ppid: u32 = field("PPid:").and_then(|p| p.parse().ok()).unwrap_or(0);
        let rss_kb: f64 = field("VmRSS:")
            .and_then(|r| r.trim_end_matches(" kB").trim().parse().ok())
            .unwrap_or(0.0);
        procs.push((pid, ppid, name, rss_kb));
    }
    let mut tree: Vec<u32> = procs
        .iter()
        .filter(|p| p.2.starts_with(root_name))
        .map(|p| p.0)
        .collect();
    let mut grew = true;
    while grew {
        grew = false;
        for p in &procs {
            if tree.contains(&p.1) && !tree.contains(&p.0) {
                tree.push(p.0);
                grew = true;
            }
        }
    }
    procs
        .iter()
        .filter(|p| tree.contains(&p.0))
        .map(|p| p.3)
        .sum::<f64>()
        / 1024.0
}

#[tokio::main]
async fn main() {
    if !enabled() {
        return;
    }
    let mut startup = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let app = App::start("bench-start", &[]).await;
        startup.push(t.elapsed().as_secs_f64() * 1000.0);
        drop(app.close().await);
    }
    let mut app = App::start("bench", &[]).await;
    let mut to_qr = Vec::new();
    let mut paid_customer = Vec::new();
    let mut paid_cashier = Vec::new();
    for _ in 0..RUNS {
        app.in_customer().await;
        app.client
            .execute(
                OBSERVE,
                vec![json!("body[data-screen='payment']"), json!("__qr")],
            )
            .await
            .unwrap();
        app.client
            .execute(
                OBSERVE,
                vec![json!("body[data-screen='paid']"), json!("__paid")],
            )
            .await
            .unwrap();
        app.in_cashier().await;
        app.client
            .execute(
                OBSERVE,
                vec![json!("#pay-active[data-status='paid']"), json!("__paid")],
            )
            .await
            .unwrap();
        // Type the amount, then press Enter from inside the page so the
        // start time is the keypress itself.
        app.keys("1280").await;
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
        let shown = wait_mark(&app, "__qr").await;
        to_qr.push(shown - t0);
        app.in_cashier().await;
        let a = app
            .invoke("recent_attempts", json!({ "limit": 1 }))
            .await
            .unwrap();
        let url = a[0]["codeUrl"].as_str().unwrap().to_owned();
        let sim = url::Url::parse(&url).unwrap();
        let code = a[0]["codeId"].as_str().unwrap();
        let paid_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as f64;
        let res = reqwest::Client::new()
            .post(sim.join(&format!("/_sim/codes/{code}/pay")).unwrap())
            .json(&json!({ "paymentMethod": "paypay" }))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
        paid_cashier.push(wait_mark(&app, "__paid").await - paid_at);
        app.in_customer().await;
        paid_customer.push(wait_mark(&app, "__paid").await - paid_at);
        app.in_cashier().await;
        // Back to a fresh sale.
        app.client
            .execute("document.querySelector('#pay-new')?.click();", vec![])
            .await
            .unwrap();
    }
    let rss = tree_rss_mb("easyqr-pos");
    drop(app.close().await);
    println!(
        "\nEasyQR POS app, release build, DEMO mode (embedded simulator, poll interval 1000 ms)"
    );
    report(
        "launch → cashier interactive (incl. driver)",
        &mut startup,
        1500.0,
    );
    report("Enter → QR visible on customer display", &mut to_qr, 1500.0);
    report(
        "paid → \"paid\" on customer display (poll)",
        &mut paid_customer,
        1500.0,
    );
    report(
        "paid → \"paid\" on cashier (poll)",
        &mut paid_cashier,
        1500.0,
    );
    println!(
        "process tree RSS after {RUNS} payments: {rss:.0} MB [bar ≤ 200 MB: {}]",
        if rss <= 200.0 { "ok" } else { "OVER" }
    );
}
