//! The process's counters for `/metrics` (Prometheus text format, every
//! name prefixed `easyqr_`). Plain atomics: a counter costs one relaxed
//! add on the hot path; the exposition is built on request.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// A monotonically growing count.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.add(1);
    }

    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

#[derive(Debug, Default)]
pub struct Metrics {
    /// Webhook deliveries that reached the handler.
    pub webhooks_received: Counter,
    /// Deliveries stored as a new event.
    pub webhooks_stored: Counter,
    /// Deliveries of an event already stored (elepay's retries).
    pub webhooks_duplicate: Counter,
    /// Deliveries answered non-2xx, by reason.
    webhooks_refused: Mutex<BTreeMap<&'static str, u64>>,
    /// Events handed to a register's stream.
    pub events_fanned_out: Counter,
    /// Streams ended because their buffer was full.
    pub streams_fell_behind: Counter,
    /// Journal rows taken from registers (in batches answered 200).
    pub ingest_rows: Counter,
    /// Failed logins to the view.
    pub login_failures: Counter,
}

impl Metrics {
    pub fn webhook_refused(&self, reason: &'static str) {
        *self
            .webhooks_refused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(reason)
            .or_default() += 1;
    }

    /// Refused deliveries by reason, for the exposition.
    pub fn refused(&self) -> Vec<(&'static str, u64)> {
        self.webhooks_refused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|(k, v)| (*k, *v))
            .collect()
    }
}
