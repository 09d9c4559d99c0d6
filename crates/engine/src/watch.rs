//! Watching a code until it is final: polling (gently while push is live,
//! fast again the moment it is not), reading a code back and recording
//! what elepay says, and settling the other attempts of a sale that just
//! got paid. `Engine::record` is the one place where an attempt changes
//! state: it commits first, then announces.

use std::time::Duration;

use easyqr_ledger::{Applied, Attempt, AttemptId, AttemptState, Change, LedgerError};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::decision::{self, Push, Sibling};
use crate::engine::Engine;
use crate::events::{CustomerEvent, EngineEvent};

/// What a watcher does next.
#[derive(Debug, Clone, Copy)]
enum Next {
    /// Poll on schedule: the code was `age_ms` old at the last read, which
    /// said `remaining` ms of validity were left.
    Poll { age_ms: i64, remaining: Option<i64> },
    /// Try again after a failed read.
    Retry(Duration),
}

impl Engine {
    /// Starts polling an attempt unless it is already watched.
    pub fn watch(&self, id: AttemptId) {
        if !self.watched().insert(id) {
            return;
        }
        let engine = self.clone();
        tokio::spawn(async move {
            engine.poll_until_final(id).await;
            engine.watched().remove(&id);
        });
    }

    /// Number of attempts being polled right now.
    pub fn watching(&self) -> usize {
        self.watched().len()
    }

    async fn poll_until_final(&self, id: AttemptId) {
        let mut push = self.push_watch();
        let mut next = Next::Poll {
            age_ms: 0,
            remaining: None,
        };
        let mut failures: u32 = 0;
        let mut expiry_check_done = false;
        loop {
            match next {
                Next::Poll { age_ms, remaining } => {
                    let at_expiry = self
                        .until_poll(&mut push, |live| {
                            let interval = decision::poll_interval_at(age_ms, live, &self.config());
                            decision::next_poll_delay(remaining, interval, expiry_check_done)
                        })
                        .await;
                    expiry_check_done |= at_expiry;
                }
                // elepay is failing: its backoff, whatever push does.
                Next::Retry(delay) => tokio::time::sleep(delay).await,
            }
            // elepay throttled the app: every watcher holds off together.
            self.throttle().wait().await;
            let a = match self.ledger().attempt(id) {
                Ok(a) => a,
                Err(e) => {
                    tracing::error!(attempt = id, error = %e, "cannot read attempt; stop watching");
                    return;
                }
            };
            if a.state.is_final() {
                return;
            }
            let read = self.refresh(&a, "poll").await;
            // Settings saved meanwhile apply from this wait on.
            let cfg = self.config();
            match read {
                Ok((a, remaining)) => {
                    if a.state.is_final() {
                        return;
                    }
                    failures = 0;
                    self.throttle().clear();
                    self.emit_cashier(&a, remaining, None);
                    next = Next::Poll {
                        age_ms: self.now_ms() - a.created_at,
                        remaining,
                    };
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    let retry_after = e.api().and_then(|api| api.retry_after);
                    if e.is_throttled() {
                        self.throttle()
                            .hit(cfg.poll_interval, cfg.max_backoff, retry_after);
                    }
                    let delay = decision::next_check_delay(
                        cfg.poll_interval,
                        cfg.max_backoff,
                        failures,
                        retry_after,
                    );
                    next = Next::Retry(delay);
                    tracing::warn!(attempt = id, failures, ?delay, error = %e, "poll failed; backing off");
                }
            }
        }
    }

    /// Sleeps until the next poll is due: `delay(push_live)` after now.
    /// Whether push is live is asked again when it goes up or down and when
    /// its silence limit passes, so a watcher on push's gentle schedule
    /// polls at once (by the fast schedule) when push drops or stops
    /// beating. Answers whether that poll is the check at expiry.
    async fn until_poll(
        &self,
        push: &mut watch::Receiver<Push>,
        delay: impl Fn(bool) -> (Duration, bool),
    ) -> bool {
        let since = Instant::now();
        loop {
            let limit = self.config().push_silence_limit;
            let live_until = decision::push_live_until(*push.borrow_and_update(), limit);
            let live_for = live_until
                .map(|until| until - self.now_ms())
                .filter(|ms| *ms > 0);
            let (d, at_expiry) = delay(live_for.is_some());
            let (due, now) = (since + d, Instant::now());
            if now >= due {
                return at_expiry;
            }
            let wake = live_for.map_or(due, |ms| due.min(now + Duration::from_millis(ms as u64)));
            tokio::select! {
                () = tokio::time::sleep_until(wake) => {}
                changed = push.changed() => {
                    if changed.is_err() {
                        // Cannot happen while `self` holds the sender.
                        tokio::time::sleep_until(due).await;
                        return at_expiry;
                    }
                }
            }
        }
    }

    /// Reads the code from elepay and records what it says. Used by polling,
    /// webhooks (which are never trusted alone), cancel and recovery.
    pub(crate) async fn refresh(
        &self,
        a: &Attempt,
        source: &str,
    ) -> Result<(Attempt, Option<i64>), elepay::Error> {
        let Some(code_id) = a.code_id.as_deref() else {
            return Ok((a.clone(), None));
        };
        let code = self.client_handle().retrieve_code(code_id).await?;
        let read = decision::read_code(&code, source);
        let remaining = read.remaining_ms;
        let Some(change) = read.change else {
            return Ok((a.clone(), remaining));
        };
        match self.record(a.id, &change, remaining) {
            Ok(applied) => Ok((applied.attempt().clone(), remaining)),
            Err(e) => {
                // Only an illegal move lands here (e.g. closed after we already
                // recorded captured); the ledger keeps the earlier truth.
                tracing::error!(attempt = a.id, error = %e, "server state not recorded");
                let current = self.ledger().attempt(a.id).map_err(|_| {
                    elepay::Error::Invalid(elepay::ValidationError::new(
                        "attempt",
                        "an attempt in the ledger",
                    ))
                })?;
                Ok((current, remaining))
            }
        }
    }

    /// Commits a change, then announces it: the customer display first
    /// (what it shows: the code URL once it is durable, then the outcome;
    /// the customer is the one waiting), then the cashier, who sees every
    /// change.
    pub(crate) fn record(
        &self,
        id: AttemptId,
        change: &Change,
        remaining_ms: Option<i64>,
    ) -> Result<Applied, LedgerError> {
        let applied = self.ledger().apply(id, change, self.now_ms())?;
        if applied.changed() {
            let note = match change {
                Change::Burned { reason } => Some(reason.clone()),
                Change::Rejected { message, .. } => Some(message.clone()),
                _ => None,
            };
            let a = applied.attempt();
            // A new code goes to both windows from `show`, once it is known
            // that its sale is not paid already.
            if a.state != AttemptState::Pending {
                if let Some(c) = CustomerEvent::for_attempt(a, remaining_ms) {
                    self.send_event(EngineEvent::Customer(c));
                }
                self.emit_cashier(a, remaining_ms, note);
            }
            if a.state == AttemptState::Captured {
                self.settle_siblings(a);
            }
        }
        Ok(applied)
    }

    /// A sale just got paid through `paid`. A late capture (a code recorded
    /// as closed or expired that elepay then reports paid) can land while a
    /// retry of the same sale is on screen: that code is closed so the
    /// customer cannot pay twice, and the display shows the sale as paid.
    /// Two captures of one sale are reported loudly: one must be refunded.
    fn settle_siblings(&self, paid: &Attempt) {
        let _turn = self.customer_turn();
        let siblings = match self.ledger().attempts_of_sale(paid.sale_id) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(sale = paid.sale_id, error = %e, "cannot read the sale's other attempts");
                return;
            }
        };
        for s in siblings.into_iter().filter(|s| s.id != paid.id) {
            match decision::sibling_of_paid(&s) {
                Sibling::PaidTwice => {
                    let note = format!(
                        "Sale {} was paid twice (orders {} and {}). Refund one of the two payments.",
                        paid.sale_id, s.order_no, paid.order_no
                    );
                    tracing::error!(sale = paid.sale_id, first = %s.order_no, second = %paid.order_no, "SALE PAID TWICE; refund one");
                    self.emit_cashier(paid, None, Some(note));
                }
                Sibling::Close => {
                    tracing::warn!(sale = paid.sale_id, paid = %paid.order_no, open = %s.order_no, "sale paid through an earlier code; closing its open retry");
                    self.send_event(EngineEvent::Customer(CustomerEvent::Paid {
                        code_id: s.code_id.clone().unwrap_or_default(),
                        amount: s.amount,
                        wallet: paid.payment_method.clone(),
                    }));
                    self.close_in_background(s.id);
                }
                Sibling::Leave => {}
            }
        }
    }

    /// Closes a code nobody should pay any more; the outcome (closed, or
    /// paid after all) is recorded by `cancel` itself.
    pub(crate) fn close_in_background(&self, id: AttemptId) {
        let engine = self.clone();
        tokio::spawn(async move {
            if let Err(e) = engine.cancel(id).await {
                tracing::warn!(attempt = id, error = %e, "could not close the code of a sale paid elsewhere; still watched");
            }
        });
    }
}
