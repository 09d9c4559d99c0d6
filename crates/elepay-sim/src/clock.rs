//! Simulated clock: real monotonic time, scaled, plus manual jumps.
//!
//! Everything time-dependent in the simulator (expiry, createTime, refund
//! completion, webhook retries) reads this clock so tests can jump minutes
//! ahead instead of sleeping.

use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::lock;

/// How the simulated clock starts and runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockConfig {
    /// Sim time at start, epoch milliseconds; `None` = the real wall clock now.
    pub start_ms: Option<i64>,
    /// Sim milliseconds per real millisecond (0 freezes the clock; only
    /// `advance_clock` moves it then).
    pub scale: f64,
}

impl Default for ClockConfig {
    fn default() -> Self {
        Self {
            start_ms: None,
            scale: 1.0,
        }
    }
}

#[derive(Debug)]
struct Anchor {
    /// Sim time (ms, fractional so slow scales do not lose time) at `at`.
    sim_ms: f64,
    at: Instant,
    scale: f64,
}

/// Thread-safe simulated clock.
#[derive(Debug)]
pub(crate) struct SimClock {
    anchor: Mutex<Anchor>,
}

pub(crate) fn real_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl SimClock {
    pub(crate) fn new(config: &ClockConfig) -> Self {
        let start = config.start_ms.unwrap_or_else(real_now_ms);
        Self {
            anchor: Mutex::new(Anchor {
                sim_ms: start as f64,
                at: Instant::now(),
                scale: sanitize_scale(config.scale),
            }),
        }
    }

    fn now_f(anchor: &Anchor) -> f64 {
        anchor.sim_ms + anchor.at.elapsed().as_secs_f64() * 1000.0 * anchor.scale
    }

    pub(crate) fn now_ms(&self) -> i64 {
        Self::now_f(&lock(&self.anchor)).floor() as i64
    }

    pub(crate) fn scale(&self) -> f64 {
        lock(&self.anchor).scale
    }

    /// Jumps forward by `ms`; returns the new now.
    pub(crate) fn advance(&self, ms: i64) -> i64 {
        let mut a = lock(&self.anchor);
        // Re-anchor so the jump is exact even at fractional scales.
        a.sim_ms = Self::now_f(&a) + ms as f64;
        a.at = Instant::now();
        a.sim_ms.floor() as i64
    }

    /// Changes the speed from now on without making time jump.
    pub(crate) fn set_scale(&self, scale: f64) {
        let mut a = lock(&self.anchor);
        a.sim_ms = Self::now_f(&a);
        a.at = Instant::now();
        a.scale = sanitize_scale(scale);
    }
}

fn sanitize_scale(scale: f64) -> f64 {
    if scale.is_finite() && scale >= 0.0 {
        scale
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_moves_only_by_advance() {
        let c = SimClock::new(&ClockConfig {
            start_ms: Some(1_000),
            scale: 0.0,
        });
        assert_eq!(c.now_ms(), 1_000);
        assert_eq!(c.advance(60_000), 61_000);
        assert_eq!(c.now_ms(), 61_000);
    }

    #[test]
    fn scale_change_does_not_jump() {
        let c = SimClock::new(&ClockConfig {
            start_ms: Some(5_000),
            scale: 0.0,
        });
        c.set_scale(1000.0);
        let t = c.now_ms();
        assert!((5_000..5_000 + 10_000).contains(&t), "{t}");
        c.set_scale(0.0);
        let frozen = c.now_ms();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(c.now_ms(), frozen);
    }

    #[test]
    fn bad_scale_falls_back_to_real_time() {
        assert_eq!(sanitize_scale(f64::NAN), 1.0);
        assert_eq!(sanitize_scale(-2.0), 1.0);
        assert_eq!(sanitize_scale(60.0), 60.0);
    }
}
