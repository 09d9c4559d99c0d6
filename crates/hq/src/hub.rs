//! The process's fan-out: each new inbox row is read once (by
//! [`crate::relay`]) and handed in memory to the open streams of its
//! `locationId`; a row for a store with no stream here goes to none. Each
//! stream has a bounded buffer: a stream that falls behind is dropped from
//! the hub, ends once it has sent what it holds, and its register resumes
//! from its cursor, so one slow register never holds up the others.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::mpsc;

use crate::metrics::Metrics;

/// Events a stream may hold unsent before it counts as fallen behind.
pub const STREAM_BUFFER: usize = 256;

/// An inbox row on its way to the streams (shared, not copied, by them).
#[derive(Debug)]
pub struct Item {
    pub seq: i64,
    /// The event as an SSE `data` field may carry it.
    pub data: String,
}

impl Item {
    pub fn new(seq: i64, body: &str) -> Arc<Item> {
        // A raw CR can only be JSON whitespace (strings escape it), and SSE
        // lines may not carry it: done once here, not once per stream.
        let data = body.replace("\r\n", "\n").replace('\r', "\n");
        Arc::new(Item { seq, data })
    }
}

#[derive(Debug)]
pub struct Hub {
    inner: Mutex<Inner>,
    next_id: AtomicU64,
    metrics: Arc<Metrics>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The highest seq handed out (rows up to it are read).
    seen: i64,
    by_location: HashMap<String, HashMap<u64, mpsc::Sender<Arc<Item>>>>,
    /// Set while the process drains: no new subscriptions.
    closed: bool,
}

/// A stream's place in the hub; dropping it leaves.
#[derive(Debug)]
pub struct Subscription {
    hub: Weak<Hub>,
    location: String,
    id: u64,
    /// Closes when the stream fell behind or the process drains.
    pub rx: mpsc::Receiver<Arc<Item>>,
    /// Rows up to this seq were handed out before this subscription, so
    /// the stream reads them from the table; later ones arrive on `rx`.
    pub seen: i64,
}

impl Hub {
    /// A hub whose rows up to `seen` are already in the table for every
    /// stream to read (the newest seq at start).
    pub fn new(seen: i64, metrics: Arc<Metrics>) -> Arc<Hub> {
        Arc::new(Hub {
            inner: Mutex::new(Inner {
                seen,
                ..Inner::default()
            }),
            next_id: AtomicU64::new(1),
            metrics,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Each step under the lock is one insert, remove or send: a panic
        // cannot leave the map half-changed, so a poisoned lock is usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The highest seq handed out: the fan-out reads after it.
    pub fn seen(&self) -> i64 {
        self.lock().seen
    }

    pub fn subscribe(self: &Arc<Self>, location: &str) -> Subscription {
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut inner = self.lock();
        if !inner.closed {
            inner
                .by_location
                .entry(location.to_owned())
                .or_default()
                .insert(id, tx);
        }
        Subscription {
            hub: Arc::downgrade(self),
            location: location.to_owned(),
            id,
            rx,
            seen: inner.seen,
        }
    }

    /// Hands rows (in seq order, `location_id` optional) to their
    /// stores' streams; rows already handed out are skipped.
    pub fn dispatch(&self, rows: impl IntoIterator<Item = (i64, Option<String>, String)>) {
        let mut inner = self.lock();
        let mut sent = 0u64;
        let mut behind = 0u64;
        for (seq, location, body) in rows {
            if seq <= inner.seen {
                continue;
            }
            inner.seen = seq;
            let Some(location) = location else { continue };
            let Some(subs) = inner.by_location.get_mut(&location) else {
                continue;
            };
            let item = Item::new(seq, &body);
            subs.retain(|_, tx| match tx.try_send(item.clone()) {
                Ok(()) => {
                    sent += 1;
                    true
                }
                // Full: fallen behind. Dropping its sender ends the stream
                // after what it holds; the register resumes from there.
                Err(mpsc::error::TrySendError::Full(_)) => {
                    behind += 1;
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            });
            if subs.is_empty() {
                inner.by_location.remove(&location);
            }
        }
        drop(inner);
        self.metrics.events_fanned_out.add(sent);
        if behind > 0 {
            self.metrics.streams_fell_behind.add(behind);
            tracing::info!(
                streams = behind,
                "event streams fell behind and end; their registers resume from their cursors"
            );
        }
    }

    /// Drains: every stream ends once it has sent what it holds, and no
    /// new one joins.
    pub fn close(&self) {
        let mut inner = self.lock();
        inner.closed = true;
        inner.by_location.clear();
    }

    /// How many streams are subscribed.
    pub fn len(&self) -> usize {
        self.lock().by_location.values().map(HashMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.upgrade() {
            let mut inner = hub.lock();
            if let Some(subs) = inner.by_location.get_mut(&self.location) {
                subs.remove(&self.id);
                if subs.is_empty() {
                    inner.by_location.remove(&self.location);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: i64, loc: &str) -> (i64, Option<String>, String) {
        (seq, Some(loc.to_owned()), format!("{{\"seq\":{seq}}}"))
    }

    #[test]
    fn an_items_data_carries_no_raw_cr_for_sse() {
        let i = Item::new(1, "{\r\n\"a\":1,\r\"b\":\"x\\ry\"}");
        assert_eq!(i.data, "{\n\"a\":1,\n\"b\":\"x\\ry\"}");
    }

    #[test]
    fn a_row_reaches_its_stores_streams_only_once() {
        let hub = Hub::new(10, Arc::default());
        let mut a1 = hub.subscribe("A");
        let mut a2 = hub.subscribe("A");
        let mut b = hub.subscribe("B");
        assert_eq!(a1.seen, 10);
        hub.dispatch([row(11, "A"), row(12, "C"), (13, None, "{}".into())]);
        hub.dispatch([row(11, "A")]);
        for s in [&mut a1, &mut a2] {
            assert_eq!(s.rx.try_recv().map(|i| i.seq).ok(), Some(11));
            assert!(s.rx.try_recv().is_err(), "once, and not another store's");
        }
        assert!(b.rx.try_recv().is_err());
        assert_eq!(hub.seen(), 13);
        assert_eq!(hub.subscribe("A").seen, 13);
    }

    #[test]
    fn a_stream_that_falls_behind_ends_after_what_it_holds_and_others_go_on() {
        let hub = Hub::new(0, Arc::default());
        let mut slow = hub.subscribe("A");
        let mut quick = hub.subscribe("A");
        for seq in 1..=(STREAM_BUFFER as i64 + 1) {
            hub.dispatch([row(seq, "A")]);
            assert_eq!(quick.rx.try_recv().map(|i| i.seq).ok(), Some(seq));
        }
        let mut held = 0;
        while let Ok(i) = slow.rx.try_recv() {
            held += 1;
            assert_eq!(i.seq, held);
        }
        assert_eq!(held, STREAM_BUFFER as i64);
        assert!(matches!(
            slow.rx.try_recv(),
            Err(mpsc::error::TryRecvError::Disconnected)
        ));
        assert_eq!(hub.len(), 1);
    }

    #[test]
    fn closing_ends_every_stream_and_a_dropped_one_leaves() {
        let hub = Hub::new(0, Arc::default());
        let gone = hub.subscribe("A");
        let mut kept = hub.subscribe("B");
        drop(gone);
        assert_eq!(hub.len(), 1);
        hub.close();
        assert!(matches!(
            kept.rx.try_recv(),
            Err(mpsc::error::TryRecvError::Disconnected)
        ));
        let mut late = hub.subscribe("B");
        assert!(late.rx.try_recv().is_err() && hub.is_empty());
    }
}
