//! The checkout engine. Every change of a payment attempt goes through
//! [`Engine::record`], which commits to the ledger first and only then tells
//! the windows: a QR is never shown before its code is durable.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use easyqr_ledger::{
    business_date, Applied, Attempt, AttemptId, AttemptState, Change, JournalReport, Ledger,
    LedgerError, Refund, SaleId,
};
use elepay::webhook::Event;
use elepay::{Amount, CodeReq, CodeStatus, OrderNo};
use tokio::sync::broadcast;

use crate::clock::Clock;
use crate::config::EngineConfig;
use crate::events::{CashierEvent, CustomerEvent, EngineEvent};

/// Everything that can stop a checkout operation, with a stable code for UIs.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("{0}")]
    Invalid(#[from] elepay::ValidationError),
    /// elepay said no; nothing exists remotely (or, for M002007, something
    /// does and the orderNo is retired).
    #[error("elepay refused the payment request ({code}): {message}")]
    Rejected {
        attempt: Box<Attempt>,
        code: String,
        message: String,
    },
    /// The create may or may not have happened. Its code is never shown;
    /// trying again uses a new order number.
    #[error("no answer from elepay ({reason}); this QR will not be shown. Try again: a new order number will be used")]
    OutcomeUnknown {
        attempt: Box<Attempt>,
        reason: String,
    },
    /// elepay answered M002007: another code with this orderNo is paid or
    /// still valid (usually two registers configured with the same prefix).
    #[error("elepay says order number {order_no} is already paid or still in use (M002007), so this QR will not be shown. Check that every register has its own order prefix; trying again uses a new order number")]
    OrderNoInUse {
        attempt: Box<Attempt>,
        order_no: String,
    },
    #[error("sale {sale_id} is already paid")]
    AlreadyPaid { sale_id: SaleId },
    #[error("sale {sale_id} still has a payment in progress (order {order_no})")]
    SaleBusy { sale_id: SaleId, order_no: String },
    #[error("order {order_no} is {state}; only a code being shown can be cancelled")]
    NotCancellable {
        order_no: String,
        state: AttemptState,
    },
    #[error("could not confirm the cancel with elepay ({0}); the code is still being watched")]
    CancelUnconfirmed(String),
    #[error(
        "could not read elepay's charges for reconciliation ({0}); nothing was changed, try again"
    )]
    ReconcileFailed(String),
    #[error("elepay refused the refund ({code}): {message}")]
    RefundRefused { code: String, message: String },
    /// The refund request got no answer. It is never re-sent blindly: it is
    /// looked up at elepay until found (then followed) or known not made.
    #[error("no answer from elepay about the refund ({reason}); it is being checked, do not refund again until it shows refunded or failed")]
    RefundUnknown { refund: Box<Refund>, reason: String },
}

impl EngineError {
    /// Stable identifier for UIs and exit codes.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::Ledger(_) => "ledger_error",
            EngineError::Invalid(_) => "invalid_input",
            EngineError::Rejected { .. } => "rejected",
            EngineError::OutcomeUnknown { .. } => "outcome_unknown",
            EngineError::OrderNoInUse { .. } => "order_no_in_use",
            EngineError::AlreadyPaid { .. } => "already_paid",
            EngineError::SaleBusy { .. } => "sale_busy",
            EngineError::NotCancellable { .. } => "not_cancellable",
            EngineError::CancelUnconfirmed(_) => "cancel_unconfirmed",
            EngineError::ReconcileFailed(_) => "reconcile_failed",
            EngineError::RefundRefused { .. } => "refund_refused",
            EngineError::RefundUnknown { .. } => "refund_unknown",
        }
    }
}

/// A code that is durable and may be shown.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub attempt: Attempt,
    pub code_url: String,
    /// Server-reported validity left, for the countdown.
    pub remaining_ms: i64,
}

/// How a cancel ended, as confirmed by reading the code back.
#[derive(Debug, Clone)]
pub enum CancelOutcome {
    Cancelled(Attempt),
    /// The customer paid before the close took effect.
    PaidMeanwhile(Attempt),
    Expired(Attempt),
}

/// Result of one webhook event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// Re-fetched and recorded; the state the attempt is in now.
    Applied(AttemptState),
    Duplicate,
    Ignored(&'static str),
    /// elepay could not be asked; the event is not marked seen.
    NotYetApplied,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryReport {
    pub journal: Option<JournalReport>,
    pub burned: Vec<String>,
    pub resumed: Vec<String>,
    pub captured: Vec<String>,
}

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
    watching: Mutex<HashSet<AttemptId>>,
    /// One refund request at a time: a refund still waiting for elepay's
    /// answer must never be taken for a lost one by a second request.
    pub(crate) refunding: tokio::sync::Mutex<()>,
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
            }),
        })
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
        self.client()
    }

    fn client(&self) -> elepay::Client {
        self.inner
            .client
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn now(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    /// The engine's notion of now (UTC epoch ms).
    pub fn now_ms(&self) -> i64 {
        self.now()
    }

    /// Rings up `amount` and creates its first EasyQR code.
    pub async fn charge(
        &self,
        amount: Amount,
        description: Option<&str>,
    ) -> Result<Checkout, EngineError> {
        let cfg = self.config();
        let ledger = &self.inner.ledger;
        let shift = ledger.current_shift(&cfg.register_id)?;
        let now = self.now();
        let date = business_date(now, cfg.utc_offset_minutes);
        let reserved =
            ledger.start_sale(amount, description, shift, &cfg.order_prefix, &date, now)?;
        self.create(reserved).await
    }

    /// Tries a sale again after its last code was closed, expired, refused or
    /// burned. The FAQ allows the same orderNo after close/expiry; after an
    /// unknown outcome a fresh one is used (invariant 3). The ledger refuses
    /// a paid sale or one with a code still live, even under racing calls.
    pub async fn retry(&self, sale_id: SaleId) -> Result<Checkout, EngineError> {
        let attempts = self.inner.ledger.attempts_of_sale(sale_id)?;
        let order_no = match attempts.last() {
            Some(last) if last.state.frees_order_no() => OrderNo::new(last.order_no.clone())?,
            _ => self.fresh_order_no()?,
        };
        let reserved = self
            .inner
            .ledger
            .reserve_attempt(sale_id, &order_no, self.now())
            .map_err(|e| match e {
                LedgerError::SalePaid { sale_id, .. } => EngineError::AlreadyPaid { sale_id },
                LedgerError::SaleBusy { sale_id, order_no } => {
                    EngineError::SaleBusy { sale_id, order_no }
                }
                other => other.into(),
            })?;
        self.create(reserved).await
    }

    fn fresh_order_no(&self) -> Result<OrderNo, EngineError> {
        let cfg = self.config();
        let date = business_date(self.now(), cfg.utc_offset_minutes);
        Ok(self.inner.ledger.next_order_no(&cfg.order_prefix, &date)?)
    }

    /// Sends the create for a reserved attempt and commits the answer.
    async fn create(&self, reserved: Attempt) -> Result<Checkout, EngineError> {
        let cfg = self.config();
        let sale_id = reserved.sale_id;
        let order_no = OrderNo::new(reserved.order_no.clone())?;
        self.emit_cashier(&reserved, None, None);
        let mut req = CodeReq::new(Amount::new(reserved.amount)?, order_no.clone());
        req.expiry_duration = Some(cfg.expiry_minutes);
        req.front_url = cfg.front_url(order_no.as_str());
        req.location_id = cfg.location_id.clone();
        req.metadata = Some(
            [
                ("register".to_owned(), cfg.register_id.clone()),
                ("saleId".to_owned(), sale_id.to_string()),
            ]
            .into(),
        );
        if let Err(e) = req.validate() {
            self.record(
                reserved.id,
                &Change::Rejected {
                    error_code: "invalid_request".into(),
                    message: e.to_string(),
                },
                None,
            )?;
            return Err(e.into());
        }
        // Committed before the request leaves: after a crash from here on,
        // recovery knows a code may exist and burns the orderNo.
        self.record(reserved.id, &Change::Creating, None)?;
        let client = self.client();
        match client.create_code(&req).await {
            Ok(code) => {
                let usable = code.order_no.as_deref() == Some(order_no.as_str())
                    && code.amount == reserved.amount
                    && code.code_url.as_deref().is_some_and(|u| !u.is_empty());
                if !usable {
                    // Never show a code whose content we did not ask for, and
                    // take it off the table so nobody can pay it.
                    let attempt = self.record(
                        reserved.id,
                        &Change::Burned {
                            reason: format!(
                                "elepay returned code {} that does not match the request",
                                code.id
                            ),
                        },
                        None,
                    )?;
                    if let Err(e) = client.close_code(&code.id).await {
                        tracing::warn!(code_id = %code.id, error = %e, "could not close a mismatched code; it will expire");
                    }
                    return Err(EngineError::OutcomeUnknown {
                        attempt: Box::new(attempt.attempt().clone()),
                        reason: "mismatched code in the answer".into(),
                    });
                }
                let remaining = code
                    .expiry_period
                    .unwrap_or(i64::from(cfg.expiry_minutes) * 60_000);
                let change = Change::Pending {
                    code_id: code.id.clone(),
                    code_url: code.code_url.clone().unwrap_or_default(),
                    expiry_time: code.expiry_time.unwrap_or_else(|| self.now() + remaining),
                    key_last4: client.key_last4().to_owned(),
                };
                let applied = self.record(reserved.id, &change, Some(remaining))?;
                let attempt = applied.attempt().clone();
                self.watch(attempt.id);
                // A late capture of an earlier code may have landed while
                // this one was being created.
                let paid_elsewhere = self
                    .inner
                    .ledger
                    .attempts_of_sale(sale_id)?
                    .iter()
                    .any(|s| s.id != attempt.id && s.state == AttemptState::Captured);
                if paid_elsewhere {
                    self.close_in_background(attempt.id);
                    return Err(EngineError::AlreadyPaid { sale_id });
                }
                Ok(Checkout {
                    code_url: attempt.code_url.clone().unwrap_or_default(),
                    attempt,
                    remaining_ms: remaining,
                })
            }
            Err(e) if e.write_may_have_happened() || e.is_order_no_in_use() => {
                // M002007 lands here too: elepay knows this orderNo as paid or
                // valid, so it is retired for good.
                let reason = e.to_string();
                let applied = self.record(
                    reserved.id,
                    &Change::Burned {
                        reason: reason.clone(),
                    },
                    None,
                )?;
                let attempt = Box::new(applied.attempt().clone());
                if e.is_order_no_in_use() {
                    tracing::error!(order_no = %order_no, "elepay reports the orderNo in use; retired");
                    return Err(EngineError::OrderNoInUse {
                        attempt,
                        order_no: order_no.to_string(),
                    });
                }
                tracing::warn!(order_no = %order_no, error_code = e.code(), "create outcome unknown; attempt burned");
                Err(EngineError::OutcomeUnknown { attempt, reason })
            }
            Err(e) => {
                let message = api_message(&e);
                let applied = self.record(
                    reserved.id,
                    &Change::Rejected {
                        error_code: e.code().to_owned(),
                        message: message.clone(),
                    },
                    None,
                )?;
                Err(EngineError::Rejected {
                    attempt: Box::new(applied.attempt().clone()),
                    code: e.code().to_owned(),
                    message,
                })
            }
        }
    }

    /// Cancel = close, then read back. A payment that won the race is
    /// recorded as paid and reported as such.
    pub async fn cancel(&self, attempt_id: AttemptId) -> Result<CancelOutcome, EngineError> {
        let a = self.inner.ledger.attempt(attempt_id)?;
        let (Some(code_id), AttemptState::Pending) = (a.code_id.clone(), a.state) else {
            return Err(EngineError::NotCancellable {
                order_no: a.order_no,
                state: a.state,
            });
        };
        let client = self.client();
        if let Err(e) = client.close_code(&code_id).await {
            let known_end = e
                .api()
                .is_some_and(|api| api.is_code_paid_or_cancelled() || api.is_code_expired());
            if !known_end && !e.write_may_have_happened() {
                self.watch(a.id);
                return Err(EngineError::CancelUnconfirmed(e.to_string()));
            }
        }
        let (after, _) = self.refresh(&a, "cancel").await.map_err(|e| {
            self.watch(a.id);
            EngineError::CancelUnconfirmed(e.to_string())
        })?;
        match after.state {
            AttemptState::Captured => Ok(CancelOutcome::PaidMeanwhile(after)),
            AttemptState::Closed => Ok(CancelOutcome::Cancelled(after)),
            AttemptState::Expired => Ok(CancelOutcome::Expired(after)),
            _ => {
                self.watch(a.id);
                Err(EngineError::CancelUnconfirmed(
                    "elepay still reports the code as payable".into(),
                ))
            }
        }
    }

    /// Reads the code from elepay and records what it says. Used by polling,
    /// webhooks (which are never trusted alone), cancel and recovery.
    async fn refresh(
        &self,
        a: &Attempt,
        source: &str,
    ) -> Result<(Attempt, Option<i64>), elepay::Error> {
        let Some(code_id) = a.code_id.as_deref() else {
            return Ok((a.clone(), None));
        };
        let code = self.client().retrieve_code(code_id).await?;
        let change = match &code.status {
            CodeStatus::Captured => Some(Change::Captured {
                charge_id: code.charge.as_ref().map(|c| c.id.clone()),
                payment_method: code
                    .charge
                    .as_ref()
                    .and_then(|c| c.payment_method.as_ref())
                    .map(|m| m.as_str().to_owned()),
                paid_time: code.charge.as_ref().and_then(|c| c.paid_time),
                source: source.to_owned(),
            }),
            CodeStatus::Closed if code.expired => Some(Change::Expired),
            CodeStatus::Closed => Some(Change::Closed),
            // pending, completed (payment in progress) and unknown statuses:
            // keep watching; silence is never failure.
            _ => None,
        };
        let remaining = code.expiry_period;
        let Some(change) = change else {
            return Ok((a.clone(), remaining));
        };
        match self.record(a.id, &change, remaining) {
            Ok(applied) => Ok((applied.attempt().clone(), remaining)),
            Err(e) => {
                // Only an illegal move lands here (e.g. closed after we already
                // recorded captured); the ledger keeps the earlier truth.
                tracing::error!(attempt = a.id, error = %e, "server state not recorded");
                let current = self.inner.ledger.attempt(a.id).map_err(|_| {
                    elepay::Error::Invalid(elepay::ValidationError::new(
                        "attempt",
                        "an attempt in the ledger",
                    ))
                })?;
                Ok((current, remaining))
            }
        }
    }

    /// Commits a change, then announces it.
    pub(crate) fn record(
        &self,
        id: AttemptId,
        change: &Change,
        remaining_ms: Option<i64>,
    ) -> Result<Applied, LedgerError> {
        let applied = self.inner.ledger.apply(id, change, self.now())?;
        if applied.changed() {
            let note = match change {
                Change::Burned { reason } => Some(reason.clone()),
                Change::Rejected { message, .. } => Some(message.clone()),
                _ => None,
            };
            let a = applied.attempt();
            self.emit_cashier(a, remaining_ms, note);
            let customer = match a.state {
                AttemptState::Pending => {
                    let code_url = a.code_url.clone().unwrap_or_default();
                    match easyqr_qr::QrCode::encode(&code_url) {
                        Ok(qr) => Some(CustomerEvent::Payment {
                            code_id: a.code_id.clone().unwrap_or_default(),
                            amount: a.amount,
                            qr_svg: qr.to_svg(),
                            code_url,
                            remaining_ms: remaining_ms.unwrap_or(0),
                        }),
                        // elepay's codeUrl is at most 255 characters, far below
                        // the QR limit; if it ever fails, the cashier sees why.
                        Err(e) => {
                            tracing::error!(error = %e, "cannot draw the QR");
                            self.emit_cashier(
                                a,
                                remaining_ms,
                                Some(format!("QR cannot be drawn: {e}")),
                            );
                            None
                        }
                    }
                }
                AttemptState::Captured => Some(CustomerEvent::Paid {
                    code_id: a.code_id.clone().unwrap_or_default(),
                    amount: a.amount,
                }),
                AttemptState::Expired => Some(CustomerEvent::Expired {
                    code_id: a.code_id.clone().unwrap_or_default(),
                    amount: a.amount,
                }),
                AttemptState::Closed => Some(CustomerEvent::Cancelled {
                    code_id: a.code_id.clone().unwrap_or_default(),
                    amount: a.amount,
                }),
                _ => None,
            };
            if let Some(c) = customer {
                let _ = self.inner.events.send(EngineEvent::Customer(c));
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
        let siblings = match self.inner.ledger.attempts_of_sale(paid.sale_id) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(sale = paid.sale_id, error = %e, "cannot read the sale's other attempts");
                return;
            }
        };
        for s in siblings.into_iter().filter(|s| s.id != paid.id) {
            match s.state {
                AttemptState::Captured => {
                    let note = format!(
                        "Sale {} was paid twice (orders {} and {}). Refund one of the two payments.",
                        paid.sale_id, s.order_no, paid.order_no
                    );
                    tracing::error!(sale = paid.sale_id, first = %s.order_no, second = %paid.order_no, "SALE PAID TWICE; refund one");
                    self.emit_cashier(paid, None, Some(note));
                }
                AttemptState::Pending => {
                    tracing::warn!(sale = paid.sale_id, paid = %paid.order_no, open = %s.order_no, "sale paid through an earlier code; closing its open retry");
                    let _ = self
                        .inner
                        .events
                        .send(EngineEvent::Customer(CustomerEvent::Paid {
                            code_id: s.code_id.clone().unwrap_or_default(),
                            amount: s.amount,
                        }));
                    self.close_in_background(s.id);
                }
                _ => {}
            }
        }
    }

    /// Closes a code nobody should pay any more; the outcome (closed, or
    /// paid after all) is recorded by `cancel` itself.
    fn close_in_background(&self, id: AttemptId) {
        let engine = self.clone();
        tokio::spawn(async move {
            if let Err(e) = engine.cancel(id).await {
                tracing::warn!(attempt = id, error = %e, "could not close the code of a sale paid elsewhere; still watched");
            }
        });
    }

    fn emit_cashier(&self, a: &Attempt, remaining_ms: Option<i64>, note: Option<String>) {
        self.send_event(EngineEvent::Cashier(Box::new(CashierEvent {
            state: a.state,
            attempt: a.clone(),
            remaining_ms,
            note,
        })));
    }

    pub(crate) async fn refund_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.inner.refunding.lock().await
    }

    pub(crate) fn send_event(&self, ev: EngineEvent) {
        // No receivers is fine (headless use); the ledger is the record.
        let _ = self.inner.events.send(ev);
    }

    /// Starts polling an attempt unless it is already watched.
    pub fn watch(&self, id: AttemptId) {
        {
            let mut w = self
                .inner
                .watching
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if !w.insert(id) {
                return;
            }
        }
        let engine = self.clone();
        tokio::spawn(async move {
            engine.poll_until_final(id).await;
            engine
                .inner
                .watching
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
        });
    }

    /// Number of attempts being polled right now.
    pub fn watching(&self) -> usize {
        self.inner
            .watching
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    async fn poll_until_final(&self, id: AttemptId) {
        let mut delay = self.config().poll_interval;
        let mut failures: u32 = 0;
        let mut expiry_check_done = false;
        loop {
            tokio::time::sleep(delay).await;
            let a = match self.inner.ledger.attempt(id) {
                Ok(a) => a,
                Err(e) => {
                    tracing::error!(attempt = id, error = %e, "cannot read attempt; stop watching");
                    return;
                }
            };
            if a.state.is_final() {
                return;
            }
            match self.refresh(&a, "poll").await {
                Ok((a, remaining)) => {
                    if a.state.is_final() {
                        return;
                    }
                    failures = 0;
                    self.emit_cashier(&a, remaining, None);
                    let interval = self.config().poll_interval;
                    delay = next_poll_delay(remaining, interval, &mut expiry_check_done);
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    let retry_after = e.api().and_then(|api| api.retry_after);
                    let cfg = self.config();
                    delay = backoff(cfg.poll_interval, cfg.max_backoff, failures, retry_after);
                    tracing::warn!(attempt = id, failures, ?delay, error = %e, "poll failed; backing off");
                }
            }
        }
    }

    /// Applies a verified webhook event: dedupe by event id, ignore other
    /// stores, then re-fetch the code and record what elepay says. An event
    /// is marked seen only once it was applied, so a redelivery after a
    /// failed re-fetch gets another chance.
    pub async fn apply_webhook(&self, event: &Event) -> Result<WebhookOutcome, EngineError> {
        let ledger = &self.inner.ledger;
        if ledger.webhook_seen(&event.id)? {
            return Ok(WebhookOutcome::Duplicate);
        }
        let outcome = self.webhook_inner(event).await?;
        if outcome != WebhookOutcome::NotYetApplied {
            ledger.record_webhook_event(&event.id, event.event_type.as_str(), self.now())?;
        }
        Ok(outcome)
    }

    async fn webhook_inner(&self, event: &Event) -> Result<WebhookOutcome, EngineError> {
        if !event.event_type.is_payment_success() {
            return Ok(WebhookOutcome::Ignored("not a payment event"));
        }
        if let Some(ours) = &self.config().location_id {
            if event.location_id() != Some(ours.as_str()) {
                return Ok(WebhookOutcome::Ignored("another store's payment"));
            }
        }
        let Some(charge) = event.charge() else {
            return Ok(WebhookOutcome::Ignored("no charge in the event"));
        };
        let Some(order_no) = charge.order_no.as_deref() else {
            return Ok(WebhookOutcome::Ignored("charge without orderNo"));
        };
        // An orderNo may have had several codes (retries after close or
        // expiry). The charge does not say which code it paid, so every code
        // of that orderNo not yet known as paid is read back; elepay decides.
        let attempts = self.inner.ledger.attempts_by_order_no(order_no)?;
        if attempts
            .iter()
            .any(|a| a.charge_id.as_deref() == Some(charge.id.as_str()))
        {
            return Ok(WebhookOutcome::Applied(AttemptState::Captured));
        }
        let candidates: Vec<&Attempt> = attempts
            .iter()
            .filter(|a| {
                a.code_id.is_some()
                    && matches!(
                        a.state,
                        AttemptState::Pending | AttemptState::Closed | AttemptState::Expired
                    )
            })
            .collect();
        if candidates.is_empty() {
            return Ok(WebhookOutcome::Ignored("not an order of this register"));
        }
        let mut failed = false;
        let mut best = None;
        for a in candidates {
            match self.refresh(a, "webhook").await {
                Ok((after, _)) => {
                    if best != Some(AttemptState::Captured) {
                        best = Some(after.state);
                    }
                }
                Err(e) => {
                    tracing::warn!(order_no, error = %e, "webhook re-fetch failed; polling continues");
                    failed = true;
                }
            }
        }
        match best {
            Some(AttemptState::Captured) => Ok(WebhookOutcome::Applied(AttemptState::Captured)),
            // Polling and recovery will also pick it up; a redelivery may too.
            _ if failed => Ok(WebhookOutcome::NotYetApplied),
            Some(state) => Ok(WebhookOutcome::Applied(state)),
            None => Ok(WebhookOutcome::NotYetApplied),
        }
    }

    /// Run once at start: verify the journal, burn attempts whose create may
    /// have been interrupted, resume watching pending codes and record
    /// payments that happened while the app was down.
    pub async fn recover(&self) -> Result<RecoveryReport, EngineError> {
        let journal = self.inner.ledger.verify()?;
        if let Some(bad) = &journal.first_bad {
            tracing::error!(seq = bad.seq, reason = %bad.reason, "JOURNAL CHAIN BROKEN: the ledger was changed outside EasyQR POS");
        }
        let mut report = self.resume().await?;
        report.journal = Some(journal);
        Ok(report)
    }

    /// [`Engine::recover`] without the journal check, for a caller that
    /// verifies on its own snapshot in the background
    /// ([`Ledger::verify_file`]).
    pub async fn resume(&self) -> Result<RecoveryReport, EngineError> {
        let ledger = &self.inner.ledger;
        let mut report = RecoveryReport::default();
        for a in ledger.unresolved_attempts()? {
            match a.state {
                AttemptState::Reserved | AttemptState::Creating => {
                    self.record(a.id, &Change::Burned {
                        reason: "interrupted before elepay's answer was recorded (restart); never shown".into(),
                    }, None)?;
                    report.burned.push(a.order_no);
                }
                AttemptState::Pending => match self.refresh(&a, "recovery").await {
                    Ok((after, _)) if after.state == AttemptState::Captured => {
                        report.captured.push(a.order_no.clone())
                    }
                    Ok((after, _)) if after.state.is_final() => {}
                    _ => {
                        report.resumed.push(a.order_no.clone());
                        self.watch(a.id);
                    }
                },
                _ => {}
            }
        }
        Ok(report)
    }
}

/// elepay's own message for a refusal, or the error's text.
pub(crate) fn api_message(e: &elepay::Error) -> String {
    e.api()
        .and_then(|api| api.message.clone())
        .unwrap_or_else(|| e.to_string())
}

/// The wait before the next poll of a pending code. Polls once right at
/// expiry so "expired" shows without delay (the server decides whether it
/// really is); otherwise, including a server whose countdown is stuck at 0,
/// the normal interval, never a flood.
fn next_poll_delay(
    remaining: Option<i64>,
    interval: Duration,
    expiry_check_done: &mut bool,
) -> Duration {
    match remaining {
        Some(r) if r > 0 && (r as u128) < interval.as_millis() && !*expiry_check_done => {
            *expiry_check_done = true;
            Duration::from_millis(r as u64 + 20)
        }
        _ => interval,
    }
}

/// Exponential backoff with jitter, never below a server's Retry-After.
pub(crate) fn backoff(
    base: Duration,
    cap: Duration,
    failures: u32,
    retry_after: Option<Duration>,
) -> Duration {
    use rand::Rng;
    let exp = base.saturating_mul(1u32 << failures.min(10)).min(cap);
    let jitter = rand::rng().random_range(0..=exp.as_millis() as u64 / 2);
    let d = exp / 2 + Duration::from_millis(jitter);
    retry_after.map_or(d, |r| d.max(r.min(cap)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_once_at_expiry_and_never_floods() {
        let i = Duration::from_millis(1000);
        let mut done = false;
        assert_eq!(next_poll_delay(Some(60_000), i, &mut done), i);
        assert_eq!(next_poll_delay(None, i, &mut done), i);
        assert_eq!(
            next_poll_delay(Some(300), i, &mut done),
            Duration::from_millis(320)
        );
        // The server still says a little time is left, or 0: normal pace.
        assert_eq!(next_poll_delay(Some(10), i, &mut done), i);
        let mut fresh = false;
        assert_eq!(next_poll_delay(Some(0), i, &mut fresh), i);
        assert_eq!(next_poll_delay(Some(-5), i, &mut fresh), i);
    }

    #[test]
    fn backoff_grows_and_caps() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(2);
        for f in 1..20 {
            let d = backoff(base, cap, f, None);
            assert!(d <= cap, "{d:?}");
            assert!(d >= (base * 2u32.pow(f.min(10))).min(cap) / 2);
        }
        assert!(backoff(base, cap, 1, Some(Duration::from_secs(1))) >= Duration::from_secs(1));
    }
}
