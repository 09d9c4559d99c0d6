//! The link tells the engine when HQ's event stream is up and beating and
//! when it drops (issue 24 point 6), against a real HTTP server on loopback
//! that streams as HQ does and can stop beating (a half-dead connection)
//! or drop the stream. How the engine polls while push is live is tested
//! in crates/engine/tests/push_polling.rs.
#![allow(clippy::unwrap_used)]

#[path = "support/hq_stand_in.rs"]
mod hq_stand_in;

use std::time::Duration;

use easyqr_app_core::secrets::HqToken;
use easyqr_engine::EngineConfig;
use easyqr_pos_core::hq::HqLink;
use easyqr_test_harness::world::{config, world_with, World};
use hq_stand_in::{StandIn, Stream};

const TOKEN: &str = "hqt_R1_push_0123456789abcdef";
/// The stand-in's keep-alive: HQ's 15 s, made short.
const BEAT: Duration = Duration::from_millis(50);

async fn hq() -> StandIn {
    hq_stand_in::start(Stream::Beating, BEAT).await
}

fn silence_limit(limit: Duration) -> EngineConfig {
    let mut c = config();
    c.push_silence_limit = limit;
    c
}

/// Waits (at most 10 s) until push is live, or not.
async fn wait_push(w: &World, live: bool) {
    for _ in 0..1000 {
        if w.engine.push_live() == live {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("push never became {}", if live { "live" } else { "down" });
}

fn link(w: &World, hq: &StandIn) -> HqLink {
    HqLink::start(
        w.engine.clone(),
        hq.base.clone(),
        HqToken::parse(TOKEN).unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn push_is_live_while_hqs_stream_is_up_and_lost_the_moment_it_drops() {
    // Only a drop can end push here: its silence limit is never reached.
    let w = world_with(silence_limit(Duration::from_secs(600))).await;
    assert!(!w.engine.push_live(), "no push before the link");
    let hq = hq().await;
    let link = link(&w, &hq);
    wait_push(&w, true).await;
    hq.set(Stream::Dropped);
    wait_push(&w, false).await;
    link.stop().await;
}

#[tokio::test]
async fn stopping_the_link_ends_push() {
    let w = world_with(silence_limit(Duration::from_secs(600))).await;
    let hq = hq().await;
    let link = link(&w, &hq);
    wait_push(&w, true).await;
    link.stop().await;
    assert!(!w.engine.push_live(), "push lost with the link");
}

#[tokio::test]
async fn a_stream_that_stops_beating_is_not_push() {
    let limit = Duration::from_millis(300);
    let w = world_with(silence_limit(limit)).await;
    let hq = hq().await;
    let link = link(&w, &hq);
    wait_push(&w, true).await;
    // Each keep-alive keeps it live, well past the limit.
    tokio::time::sleep(3 * limit).await;
    assert!(w.engine.push_live(), "a beating stream stays live");
    // Still connected, but silent: push ends once the limit passes, long
    // before the link gives the connection up.
    hq.set(Stream::Silent);
    wait_push(&w, false).await;
    assert!(link.status().last_error.is_none(), "the stream is still up");
    link.stop().await;
}
