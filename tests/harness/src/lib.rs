//! The one simulator harness of the workspace's integration tests: a real
//! simulator on 127.0.0.1:0 and, layer by layer, what talks to it.
//!
//! - [`sim`]: starting the simulator (frozen clock or real time);
//! - [`api`]: raw HTTP to it, elepay's error shape, a webhook receiver
//!   (the simulator's own tests);
//! - [`client`]: typed `elepay::Client`s with fast retries and the admin
//!   controls over HTTP (the client's tests);
//! - [`world`]: a ledger file and an engine over both (the engine's tests);
//! - [`pg`]: a throw-away PostgreSQL database (the head office's tests);
//! - [`printer`]: a virtual ESC/POS receipt printer on TCP (the printing tests).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_debug_implementations
)]

pub mod api;
pub mod client;
pub mod pg;
pub mod printer;
pub mod sim;
pub mod world;

/// Polls `cond` every 5 ms for up to 5 s (real time); panics on timeout.
pub async fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if cond() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    panic!("timed out waiting for {what}");
}
