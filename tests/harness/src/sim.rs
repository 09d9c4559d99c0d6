//! Starting the simulator on loopback.

use elepay_sim::{ClockConfig, RunningSim, SimConfig};

/// Fixed start of a frozen simulator clock, so time assertions are exact.
pub const T0: i64 = 1_700_000_000_000;

/// A simulator accepting `key`, on real time.
pub fn live_config(key: &str) -> SimConfig {
    SimConfig {
        secret_keys: vec![key.to_owned()],
        ..Default::default()
    }
}

/// A simulator accepting `key`, its clock frozen at [`T0`] (tests move it).
pub fn frozen_config(key: &str) -> SimConfig {
    SimConfig {
        clock: ClockConfig {
            start_ms: Some(T0),
            scale: 0.0,
        },
        ..live_config(key)
    }
}

pub async fn start(config: SimConfig) -> RunningSim {
    elepay_sim::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("simulator starts")
}
