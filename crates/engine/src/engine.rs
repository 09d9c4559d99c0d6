//! The checkout engine: its state, construction, settings and client
//! swapping, and the event channel. What it does lives one module per use
//! case (`charge`, `watch`, `cancel`, `webhook_apply`, `recovery`, `refund`,
//! `reconcile`); every change of a payment attempt goes through
//! `Engine::record` (in `watch`), which commits to the ledger first and
//! only then tells the windows: a QR is never shown before its code is
//! durable.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use easyqr_ledger::{Attempt, AttemptId, Ledger};
use tokio::sync::{broadcast, watch};

use crate::clock::Clock;
use crate::config::EngineConfig;
use crate::decision::{self, Push};
use crate::error::EngineError;
use crate::events::{CashierEvent, EngineEvent};

#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    ledger: Arc<Ledger>,
    client: RwLock<elepay::Client>,
    clock: Arc<dyn Clock>,
    /// Swapped whole by a settings save; a running operation keeps the
    /// snapshot it started with.
    config: RwLock<Arc<EngineConfig>>,
    events: broadcast::Sender<EngineEvent>,
    /// Attempts being polled, so none is polled twice.
    watching: Mutex<HashSet<AttemptId>>,
    /// One refund request at a time: a refund still waiting for elepay's
    /// answer must never be taken for a lost one by a second request.
    refunding: tokio::sync::Mutex<()>,
    /// Held while deciding whether the customer may see a code's QR, and
    /// while a paid sale's other codes are settled: whichever comes second
    /// sees the other's commit, so a paid sale's QR is never shown.
    customer_turn: Mutex<()>,
    /// elepay's throttling, shared by every watcher (see `throttle.rs`).
    throttle: crate::throttle::Throttle,
    /// Push (HQ's event stream): watchers poll gently while it is live and
    /// wake when it drops (see `Engine::push_beat`).
    push: watch::Sender<Push>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.config())
            .finish_non_exhaustive()
    }
}

impl Engine {
    pub fn new(
        ledger: Arc<Ledger>,
        client: elepay::Client,
        clock: Arc<dyn Clock>,
        config: EngineConfig,
    ) -> Result<Engine, EngineError> {
        config.validate()?;
        let (events, _) = broadcast::channel(1024);
        Ok(Engine {
            inner: Arc::new(Inner {
                ledger,
                client: RwLock::new(client),
                clock,
                config: RwLock::new(Arc::new(config)),
                events,
                watching: Mutex::new(HashSet::new()),
                refunding: tokio::sync::Mutex::new(()),
                customer_turn: Mutex::new(()),
                throttle: Default::default(),
                push: watch::Sender::new(Push::Down),
            }),
        })
    }

    /// See `Inner::throttle`.
    pub(crate) fn throttle(&self) -> &crate::throttle::Throttle {
        &self.inner.throttle
    }

    /// How long every watcher still holds off after elepay throttled the
    /// app (zero when it did not).
    pub fn throttled_for(&self) -> std::time::Duration {
        self.inner.throttle.remaining()
    }

    /// Push is connected and just showed a sign of life (a keep-alive beat
    /// or an event): pending codes are polled on the gentle schedule while
    /// signs keep coming within `push_silence_limit`.
    pub fn push_beat(&self) {
        let now = self.now_ms();
        // Only Down → Up wakes the watchers; a later beat just moves the
        // limit, which a watcher reads again when the old one passes.
        self.inner.push.send_if_modified(|p| {
            let was_down = *p == Push::Down;
            *p = Push::Up { last_sign_ms: now };
            was_down
        });
    }

    /// Push dropped: every watcher returns to the fast schedule at once.
    pub fn push_lost(&self) {
        self.inner.push.send_if_modified(|p| {
            let was_up = *p != Push::Down;
            *p = Push::Down;
            was_up
        });
    }

    /// Whether push is live now: connected, and beating within the limit.
    pub fn push_live(&self) -> bool {
        let push = *self.inner.push.borrow();
        decision::push_live(push, self.now_ms(), self.config().push_silence_limit)
    }

    /// Push as it is now; notified when it goes up or down.
    pub(crate) fn push_watch(&self) -> watch::Receiver<Push> {
        self.inner.push.subscribe()
    }

    /// See `Inner::customer_turn`.
    pub(crate) fn customer_turn(&self) -> MutexGuard<'_, ()> {
        self.inner
            .customer_turn
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.inner.events.subscribe()
    }

    pub fn ledger(&self) -> &Arc<Ledger> {
        &self.inner.ledger
    }

    /// The settings in force now (a snapshot).
    pub fn config(&self) -> Arc<EngineConfig> {
        self.inner
            .config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Applies new settings to the next charge and the next poll. Watchers,
    /// subscribers and the webhook receiver carry on, so nothing is lost and
    /// nothing is polled twice.
    pub fn set_config(&self, config: EngineConfig) -> Result<(), EngineError> {
        config.validate()?;
        *self.inner.config.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(config);
        Ok(())
    }

    /// Switches to another key (rotation). Codes made under the old key stay
    /// readable: elepay keys belong to the app, not to a code.
    pub fn set_client(&self, client: elepay::Client) {
        *self.inner.client.write().unwrap_or_else(|e| e.into_inner()) = client;
    }

    /// The client in use (a cheap clone), e.g. for a connectivity probe or
    /// to derive a rotated-key client from its configuration.
    pub fn client_handle(&self) -> elepay::Client {
        self.inner
            .client
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The engine's notion of now (UTC epoch ms).
    pub fn now_ms(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    /// The set of attempts being polled (see `watch`).
    pub(crate) fn watched(&self) -> MutexGuard<'_, HashSet<AttemptId>> {
        self.inner
            .watching
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) async fn refund_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.inner.refunding.lock().await
    }

    pub(crate) fn emit_cashier(
        &self,
        a: &Attempt,
        remaining_ms: Option<i64>,
        note: Option<String>,
    ) {
        self.send_event(EngineEvent::Cashier(Box::new(CashierEvent {
            state: a.state,
            attempt: a.clone(),
            remaining_ms,
            note,
        })));
    }

    pub(crate) fn send_event(&self, ev: EngineEvent) {
        // No receivers is fine (headless use); the ledger is the record.
        let _ = self.inner.events.send(ev);
    }
}
