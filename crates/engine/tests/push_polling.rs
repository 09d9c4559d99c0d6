//! Polling while push is live (issue 24 point 6): the real simulator
//! counts the elepay requests the engine sends. Nothing here asserts a
//! time; waits are bounded and the schedules are far apart, so a slow
//! machine only makes the fast side slower.
//!
//! The schedule test runs the register's time 50 times faster than real
//! time: every interval of the engine (and the code's age, read from the
//! engine's clock in real milliseconds) is divided by [`SCALE`], so three
//! minutes of a code take 3.6 s.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use easyqr_engine::{
    EngineConfig, PUSH_POLL_INTERVAL, PUSH_SILENCE_LIMIT, PUSH_SLOW_POLL_INTERVAL,
};
use easyqr_test_harness::world::*;
use serde_json::Value;

/// Register milliseconds per real millisecond in the schedule test.
const SCALE: u32 = 50;
/// HQ's keep-alive (docs/HQ-PROTOCOL.md).
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Longer than any test runs: a poll on this schedule never comes.
const NEVER: Duration = Duration::from_secs(600);

/// The product's schedule, `SCALE` times faster.
fn scaled_config() -> EngineConfig {
    let s = |d: Duration| d / SCALE;
    let mut c = config();
    c.poll_interval = s(Duration::from_secs(1));
    c.slow_poll_interval = s(Duration::from_secs(3));
    c.fast_poll_window = s(Duration::from_secs(120));
    c.push_poll_interval = s(PUSH_POLL_INTERVAL);
    c.push_slow_poll_interval = s(PUSH_SLOW_POLL_INTERVAL);
    c.push_silence_limit = s(PUSH_SILENCE_LIMIT);
    c
}

/// Fast polling (20 ms) without push; with push, no poll within a test.
fn gentle_never(silence_limit: Duration) -> EngineConfig {
    let mut c = config();
    c.push_poll_interval = NEVER;
    c.push_slow_poll_interval = NEVER;
    c.push_silence_limit = silence_limit;
    c
}

/// The code reads (`GET /codes/{id}`) the simulator has answered.
async fn polls(w: &World) -> u64 {
    let url = w.sim.base_url().join("/_sim/requests").unwrap();
    let v: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    v["requests"]["retrieveCode"].as_u64().unwrap_or(0)
}

/// Waits (at most 5 s) until the simulator has answered `n` code reads.
async fn wait_polls(w: &World, n: u64, what: &str) {
    for _ in 0..500 {
        if polls(w).await >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{what}: {} code reads, not {n}", polls(w).await);
}

/// Beats like HQ's stream every `every` until dropped.
fn beating(w: &World, every: Duration) -> tokio::task::JoinHandle<()> {
    let engine = w.engine.clone();
    tokio::spawn(async move {
        loop {
            engine.push_beat();
            tokio::time::sleep(every).await;
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_hq_is_live_a_code_is_polled_every_5_s_then_every_15_s() {
    let (live, down) = (
        world_with(scaled_config()).await,
        world_with(scaled_config()).await,
    );
    let beats = beating(&live, KEEP_ALIVE / SCALE);
    let minute = Duration::from_secs(60) / SCALE;
    live.engine.charge(amount(1280), None, None).await.unwrap();
    down.engine.charge(amount(1280), None, None).await.unwrap();
    assert!(live.engine.push_live() && !down.engine.push_live());
    tokio::time::sleep(2 * minute).await;
    let first = (polls(&live).await, polls(&down).await);
    tokio::time::sleep(minute).await;
    let third = (polls(&live).await - first.0, polls(&down).await - first.1);
    beats.abort();
    eprintln!("code reads, first two minutes and third minute: live {first:?} {third:?}");
    // Live: one read every 5 s for two minutes (24), then every 15 s (4);
    // one more for where the window falls between two reads.
    assert!(first.0 <= 25, "live, first two minutes: {}", first.0);
    assert!(third.0 <= 5, "live, third minute: {}", third.0);
    // Down: every second (120), then every 3 s (20).
    assert!(first.1 >= 2 * 25, "down, first two minutes: {}", first.1);
    assert!(third.1 > third.0, "down, third minute: {}", third.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_goes_gentle_when_push_comes_and_fast_the_moment_it_drops() {
    let w = world_with(gentle_never(NEVER)).await;
    w.engine.charge(amount(1280), None, None).await.unwrap();
    wait_polls(&w, 3, "fast polling without push").await;
    w.engine.push_beat();
    // The read under way, if any, then none while push is live.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = polls(&w).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(polls(&w).await, before, "no read while push is live");
    // The watcher sleeps until the gentle poll, ten minutes away: only the
    // drop itself can wake it.
    w.engine.push_lost();
    assert!(!w.engine.push_live());
    wait_polls(&w, before + 3, "fast polling once push dropped").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_that_stops_beating_counts_as_down() {
    let w = world_with(gentle_never(Duration::from_millis(300))).await;
    let beats = beating(&w, Duration::from_millis(50));
    w.engine.charge(amount(1280), None, None).await.unwrap();
    // Beating within the limit: live, and no read for a second, more than
    // three times the limit.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(w.engine.push_live());
    assert_eq!(polls(&w).await, 0, "no read while push beats");
    // Connected but silent (a half-dead connection): nobody calls
    // `push_lost`, yet once the limit passes the code is polled fast.
    beats.abort();
    wait_polls(&w, 3, "fast polling once push went silent").await;
    assert!(!w.engine.push_live());
}
