//! Release-build measurements of the real app (not a test): launch to
//! interactive, Charge → QR visible on the customer display, paid →
//! "paid" on both windows, and the process tree's RSS. Needs what the
//! end-to-end tests need: `xvfb-run -a cargo bench -p easyqr-pos`.
//!
//! Times are taken inside the windows (`Date.now()` when the screen
//! changes), so WebDriver round trips are not counted in the latencies.
//! Startup runs from the app's `run` (first line of main; exec and dynamic
//! linking before it are not counted) to the cashier window's ready mark. Memory is given as RSS (shared libraries counted
//! once per process) and PSS (shared pages split between processes).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../tests/e2e_harness/mod.rs"]
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
    let bar = if !bar_ms.is_finite() {
        String::new()
    } else if p95 <= bar_ms {
        format!("  [bar p95 ≤ {bar_ms} ms: ok]")
    } else {
        format!("  [bar p95 ≤ {bar_ms} ms: OVER]")
    };
    println!(
        "{name:<44} n={:<3} p50 {p50:>7.1} ms  p95 {p95:>7.1} ms  max {:>7.1} ms{bar}",
        v.len(),
        v[v.len() - 1]
    );
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

/// Memory of the app and every process it started (WebKit's web and
/// network processes): (RSS, PSS) in MB, plus one line per process.
fn tree_memory_mb(root_name: &str) -> (f64, f64, Vec<String>) {
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
        let kb = |v: Option<String>| -> f64 {
            v.and_then(|r| r.trim_end_matches(" kB").trim().parse().ok())
                .unwrap_or(0.0)
        };
        let rss_kb = kb(field("VmRSS:"));
        let pss_kb = kb(std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("Pss:").map(str::to_owned))
            }));
        procs.push((pid, ppid, name, rss_kb, pss_kb));
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
    let mine: Vec<_> = procs.iter().filter(|p| tree.contains(&p.0)).collect();
    let rss = mine.iter().map(|p| p.3).sum::<f64>() / 1024.0;
    let pss = mine.iter().map(|p| p.4).sum::<f64>() / 1024.0;
    let lines = mine
        .iter()
        .map(|p| {
            format!(
                "  {:<16} RSS {:>5.0} MB  PSS {:>5.0} MB",
                p.2,
                p.3 / 1024.0,
                p.4 / 1024.0
            )
        })
        .collect();
    (rss, pss, lines)
}

/// Round trip of one create-code request to the embedded simulator, made
/// directly (the part of Enter → QR that is not the app's own work).
async fn create_round_trips(sim: &url::Url) -> Vec<f64> {
    let http = reqwest::Client::new();
    let key = "sk_test_benchmarkroundtrip0001";
    http.post(sim.join("/_sim/keys").unwrap())
        .json(&json!({ "secretKey": key }))
        .send()
        .await
        .unwrap();
    let mut v = Vec::new();
    for i in 0..RUNS {
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

#[tokio::main]
async fn main() {
    if !enabled() {
        return;
    }
    let mut startup = Vec::new();
    for _ in 0..5 {
        let app = App::start("bench-start", &[]).await;
        let mut marks = Vec::new();
        for name in ["data-ready-at", "data-launched-at"] {
            let v = app.attr("body", name).await;
            marks.push(
                v.expect("the cashier's startup marks")
                    .parse::<f64>()
                    .unwrap(),
            );
        }
        let (ready, launched) = (marks[0], marks[1]);
        startup.push(ready - launched);
        drop(app.close().await);
    }
    let mut app = App::start("bench", &[]).await;
    // Every sale is rung up in a shift.
    app.in_cashier().await;
    app.invoke("open_shift", json!({ "cashier": "bench" }))
        .await
        .unwrap();
    let mut to_qr = Vec::new();
    let mut paid_customer = Vec::new();
    let mut paid_cashier = Vec::new();
    let mut sim_base = None;
    let (idle_rss, idle_pss, _) = tree_memory_mb("easyqr-pos");
    for _ in 0..RUNS {
        app.in_customer().await;
        app.client
            .execute(
                OBSERVE,
                // Decoded and drawn (customer.js marks it after a frame).
                vec![json!("body[data-qr-painted]"), json!("__qr")],
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
        sim_base.get_or_insert_with(|| sim.clone());
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
    let (rss, pss, breakdown) = tree_memory_mb("easyqr-pos");
    let mut rtt = create_round_trips(&sim_base.unwrap()).await;
    drop(app.close().await);
    let build = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "\nEasyQR POS app, {build} build, DEMO mode (embedded simulator, poll interval 1000 ms)"
    );
    report("main() → cashier interactive", &mut startup, 1500.0);
    let rtt_p50 = pct(&mut rtt, 0.5);
    report(
        "create-code round trip alone (simulator)",
        &mut rtt,
        f64::INFINITY,
    );
    // App overhead = Enter → QR minus the API round trip (its median).
    let mut overhead: Vec<f64> = to_qr.iter().map(|t| (t - rtt_p50).max(0.0)).collect();
    report(
        "Enter → QR painted on customer display",
        &mut to_qr,
        f64::INFINITY,
    );
    report(
        "  of which app overhead (minus round trip)",
        &mut overhead,
        15.0,
    );
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
    println!("process tree memory: idle RSS {idle_rss:.0} MB / PSS {idle_pss:.0} MB");
    println!(
        "process tree memory after {RUNS} payments: RSS {rss:.0} MB [bar ≤ 200 MB: {}], PSS {pss:.0} MB [{}]",
        if rss <= 200.0 { "ok" } else { "OVER" },
        if pss <= 200.0 { "ok" } else { "OVER" }
    );
    for l in breakdown {
        println!("{l}");
    }
}
