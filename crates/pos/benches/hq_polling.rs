//! elepay requests per minute per register while one code is up, with HQ
//! online and offline (issue 24 point 6); not a test: `./scripts/bench`, or
//! `cargo bench -p easyqr-pos-core --bench hq_polling`. Plain `main`.
//!
//! Real time, the product's schedule (`EngineConfig::new`'s defaults):
//! `REGISTERS` registers with HQ online (each running the real `HqLink` to
//! a stand-in whose event stream beats every 15 s, as HQ's does) and as
//! many with HQ offline (a link to an address where nothing listens) run
//! side by side, each with its own simulator, so each simulator's count is
//! one register's. `EASYQR_BENCH_CODE_UP_MIN` (default 3) sets how many
//! minutes the code stays up.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/hq_stand_in.rs"]
#[allow(dead_code)]
mod hq_stand_in;

use std::time::Duration;

use easyqr_app_core::secrets::HqToken;
use easyqr_engine::EngineConfig;
use easyqr_ledger::OrderPrefix;
use easyqr_pos_core::hq::HqLink;
use easyqr_test_harness::world::{amount, world_with, World};
use hq_stand_in::Stream;
use serde_json::Value;
use url::Url;

/// Registers per side: a store's four.
const REGISTERS: usize = 4;
/// HQ's keep-alive (docs/HQ-PROTOCOL.md).
const KEEP_ALIVE: Duration = Duration::from_secs(15);
const TOKEN: &str = "hqt_R1_bench_0123456789abcdef";

/// Everything the register asked its simulator so far.
async fn requests(w: &World) -> f64 {
    let url = w.sim.base_url().join("/_sim/requests").unwrap();
    let v: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    v["total"].as_f64().unwrap()
}

/// An address where nothing listens: the port was just free.
fn nobody_home() -> Url {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap()
}

/// `REGISTERS` registers linked to `hq`.
async fn registers(hq: &Url) -> Vec<(World, HqLink)> {
    let mut v = Vec::new();
    for _ in 0..REGISTERS {
        let cfg = EngineConfig::new(OrderPrefix::new("S01R1").unwrap(), "R1");
        let w = world_with(cfg).await;
        let token = HqToken::parse(TOKEN).unwrap();
        let link = HqLink::start(w.engine.clone(), hq.clone(), token).unwrap();
        v.push((w, link));
    }
    v
}

async fn all_requests(side: &[(World, HqLink)]) -> Vec<f64> {
    let mut v = Vec::new();
    for (w, _) in side {
        v.push(requests(w).await);
    }
    v
}

/// Mean, min and max of one side's requests in a minute, per register.
fn spread(before: &[f64], after: &[f64]) -> String {
    let d: Vec<f64> = before.iter().zip(after).map(|(b, a)| a - b).collect();
    let mean = d.iter().sum::<f64>() / d.len() as f64;
    let min = d.iter().copied().fold(f64::INFINITY, f64::min);
    let max = d.iter().copied().fold(0.0, f64::max);
    format!("{mean:.1} (min {min:.0}, max {max:.0})")
}

#[tokio::main]
async fn main() {
    let minutes: usize = std::env::var("EASYQR_BENCH_CODE_UP_MIN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let hq = hq_stand_in::start(Stream::Beating, KEEP_ALIVE).await;
    let online = registers(&hq.base).await;
    let offline = registers(&nobody_home()).await;
    for _ in 0..1000 {
        if online.iter().all(|(w, _)| w.engine.push_live()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        online.iter().all(|(w, _)| w.engine.push_live()),
        "HQ online"
    );
    assert!(
        offline.iter().all(|(w, _)| !w.engine.push_live()),
        "HQ offline"
    );
    for (w, _) in online.iter().chain(&offline) {
        w.engine.charge(amount(1280), None, None).await.unwrap();
    }
    let (mut on, mut off) = (all_requests(&online).await, all_requests(&offline).await);
    println!("| minute of a code | HQ online, requests/min/register | HQ offline |");
    println!("|---|---|---|");
    for m in 0..minutes {
        tokio::time::sleep(Duration::from_secs(60)).await;
        let (on2, off2) = (all_requests(&online).await, all_requests(&offline).await);
        println!(
            "| {} | {} | {} |",
            m + 1,
            spread(&on, &on2),
            spread(&off, &off2)
        );
        (on, off) = (on2, off2);
    }
    println!(
        "\n{REGISTERS} registers a side, one code each, counted once it is up; the \
         product's schedule; HQ's stream beating every {} s.",
        KEEP_ALIVE.as_secs()
    );
}
