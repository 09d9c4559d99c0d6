//! Engine settings, validated once at start.

use std::time::Duration;

use easyqr_ledger::OrderPrefix;

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
