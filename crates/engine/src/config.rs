//! Engine settings, validated once at start.

use std::time::Duration;

use easyqr_ledger::OrderPrefix;

/// A pending code's poll interval in its first two minutes while HQ's
/// stream is live: "paid" arrives by push within milliseconds, so polling
/// only catches a push that got lost. 5 s bounds how late such a payment
/// shows, at a fifth of the fast schedule's requests (one key serves every
/// register of a brand).
pub const PUSH_POLL_INTERVAL: Duration = Duration::from_secs(5);
/// Past the first two minutes, when few payments still happen: 15 s, a
/// fifth of the slow schedule's requests.
pub const PUSH_SLOW_POLL_INTERVAL: Duration = Duration::from_secs(15);
/// HQ's stream beats every 15 s (docs/HQ-PROTOCOL.md): one late beat is
/// not a lost stream, two missed are. Two beats plus 5 s for a slow
/// network; the stream itself is given up after three (`crates/pos`).
pub const PUSH_SILENCE_LIMIT: Duration = Duration::from_secs(35);

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Store/register prefix of every orderNo, e.g. `S01R2`.
    pub order_prefix: OrderPrefix,
    /// Register id used for shifts.
    pub register_id: String,
    /// Offset of the business day from UTC (Japan: +540).
    pub utc_offset_minutes: i32,
    /// Code validity, 3–30 minutes.
    pub expiry_minutes: u32,
    /// How often a pending code is polled in its first `fast_poll_window`,
    /// when nearly all payments happen.
    pub poll_interval: Duration,
    /// How long a new code is polled at `poll_interval`.
    pub fast_poll_window: Duration,
    /// How often an older code is polled (PayPay's guidance for its own
    /// API is every 2–3 s; every register of a brand polls with one key).
    pub slow_poll_interval: Duration,
    /// How often a pending code is polled in its first `fast_poll_window`
    /// while push is live (`Engine::push_beat`): "paid" then arrives by
    /// push, and polling is only the safety net. Never faster than
    /// `poll_interval`.
    pub push_poll_interval: Duration,
    /// Likewise for an older code (never faster than `slow_poll_interval`).
    pub push_slow_poll_interval: Duration,
    /// How long push stays live after its last sign of life (a beat or an
    /// event); past it the fast schedule applies again, as if it dropped.
    pub push_silence_limit: Duration,
    /// Longest wait between polls while the API keeps failing.
    pub max_backoff: Duration,
    /// Store's elepay location; webhooks for other locations are ignored.
    pub location_id: Option<String>,
    /// Where the customer's phone goes after paying; `{orderNo}` is replaced.
    pub front_url_template: Option<String>,
}

impl EngineConfig {
    pub fn new(order_prefix: OrderPrefix, register_id: impl Into<String>) -> Self {
        EngineConfig {
            order_prefix,
            register_id: register_id.into(),
            utc_offset_minutes: 9 * 60,
            expiry_minutes: 10,
            poll_interval: Duration::from_secs(1),
            fast_poll_window: Duration::from_secs(120),
            slow_poll_interval: Duration::from_secs(3),
            push_poll_interval: PUSH_POLL_INTERVAL,
            push_slow_poll_interval: PUSH_SLOW_POLL_INTERVAL,
            push_silence_limit: PUSH_SILENCE_LIMIT,
            max_backoff: Duration::from_secs(15),
            location_id: None,
            front_url_template: None,
        }
    }

    /// Checks what can be checked without a sale, naming the setting.
    pub fn validate(&self) -> Result<(), elepay::ValidationError> {
        if !(3..=30).contains(&self.expiry_minutes) {
            return Err(elepay::ValidationError::new(
                "expiryMinutes",
                "whole minutes from 3 to 30",
            ));
        }
        if self.poll_interval < Duration::from_millis(10) {
            return Err(elepay::ValidationError::new(
                "pollInterval",
                "at least 10 ms",
            ));
        }
        if let Some(t) = &self.front_url_template {
            if !elepay::is_elepay_url(&t.replace("{orderNo}", "S1-20260101-0001")) {
                return Err(elepay::ValidationError::new(
                    "frontUrl",
                    "an http(s) URL of letters, digits and -+&@#/%?=~_|!:,.; ({orderNo} is replaced by the order number)",
                ));
            }
        }
        Ok(())
    }

    pub(crate) fn front_url(&self, order_no: &str) -> Option<String> {
        self.front_url_template
            .as_ref()
            .map(|t| t.replace("{orderNo}", order_no))
    }
}
