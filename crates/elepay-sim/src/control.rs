//! The simulator core (clock + store + keys + faults + webhooks) and
//! [`SimControl`], the in-process twin of the `/_sim/` admin endpoints.
//! HTTP handlers and `SimControl` call the same `Core` functions.

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use serde_json::{json, Value};
use tokio::sync::Notify;
use url::Url;

use crate::clock::SimClock;
use crate::dto;
use crate::errors::{ApiError, SimError};
use crate::faults::{FaultBook, FaultSpec};
use crate::keys::{check_secret_key_shape, Caller, KeyRing};
use crate::listing::{self, ChargeQuery};
use crate::lock;
use crate::store::Store;
use crate::validate;
use crate::webhooks::{new_event, DeliveryRecord, WebhookBehaviour, Webhooks};

/// Default key overlap on rotation: elepay keeps old keys for at most 3 days.
pub const DEFAULT_ROTATION_OVERLAP_MS: i64 = 3 * 24 * 60 * 60 * 1000;

#[derive(Debug)]
pub(crate) struct Core {
    pub(crate) clock: Arc<SimClock>,
    pub(crate) store: Mutex<Store>,
    pub(crate) keys: Mutex<KeyRing>,
    pub(crate) faults: Mutex<FaultBook>,
    pub(crate) webhooks: Arc<Webhooks>,
    auth_error_status: Mutex<StatusCode>,
    public_base: String,
    refund_delay_ms: i64,
    pub(crate) wake: Arc<Notify>,
    /// Other elepay apps behind the same address: their keys authenticate,
    /// but they see none of this app's objects (nor it theirs).
    other_apps: Mutex<Vec<Arc<Core>>>,
    /// elepay operations answered so far, by operation id: what a bench
    /// reads to tell how many requests a register sends.
    requests: Mutex<std::collections::BTreeMap<&'static str, u64>>,
}

impl Core {
    pub(crate) fn new(
        clock: Arc<SimClock>,
        keys: KeyRing,
        webhooks: Arc<Webhooks>,
        wake: Arc<Notify>,
        public_base: &Url,
        refund_delay_ms: i64,
    ) -> Self {
        Self {
            clock,
            store: Mutex::new(Store::default()),
            keys: Mutex::new(keys),
            faults: Mutex::new(FaultBook::default()),
            webhooks,
            auth_error_status: Mutex::new(StatusCode::BAD_REQUEST),
            public_base: public_base.as_str().trim_end_matches('/').to_owned(),
            refund_delay_ms,
            wake,
            other_apps: Mutex::new(Vec::new()),
            requests: Mutex::default(),
        }
    }

    /// A second app on the same clock and address, known by `key`.
    fn add_app(&self, key: &str) -> Arc<Core> {
        let mut ring = KeyRing::default();
        ring.add(key);
        let wake = Arc::new(Notify::new());
        let hooks = Webhooks::new(reqwest::Client::new(), self.clock.clone(), wake.clone());
        let app = Arc::new(Core {
            clock: self.clock.clone(),
            store: Mutex::new(Store::default()),
            keys: Mutex::new(ring),
            faults: Mutex::new(FaultBook::default()),
            webhooks: Arc::new(hooks),
            auth_error_status: Mutex::new(StatusCode::BAD_REQUEST),
            public_base: self.public_base.clone(),
            refund_delay_ms: self.refund_delay_ms,
            wake,
            other_apps: Mutex::new(Vec::new()),
            requests: Mutex::default(),
        });
        lock(&self.other_apps).push(app.clone());
        app
    }

    /// The app whose key the `Authorization` header carries, when it is
    /// one of the other apps (else this one answers, or refuses the key).
    pub(crate) fn app_of(&self, header: Option<&[u8]>) -> Option<Arc<Core>> {
        let now = self.now();
        lock(&self.other_apps)
            .iter()
            .find(|app| lock(&app.keys).authenticate(header, now).is_ok())
            .cloned()
    }

    pub(crate) fn count_request(&self, operation: &'static str) {
        *lock(&self.requests).entry(operation).or_default() += 1;
    }

    /// `{"requests": {"retrieveCode": N, ...}, "total": N}`.
    pub(crate) fn request_counts(&self) -> Value {
        let counts = lock(&self.requests).clone();
        json!({ "requests": counts, "total": counts.values().sum::<u64>() })
    }

    pub(crate) fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Applies time-driven changes (refund completion) up to now. Called by
    /// the ticker and before every read so nobody sees stale state.
    pub(crate) fn settle(&self) {
        let now = self.now();
        let mut store = lock(&self.store);
        store.commit_due_refunds(now, self.refund_delay_ms);
        let done = store.complete_due_refunds(now);
        drop(store);
        for r in done {
            let event = new_event("refund.succeeded", r.live_mode, dto::refund_json(&r), now);
            self.webhooks.enqueue(event);
        }
    }

    pub(crate) fn authenticate(&self, header: Option<&[u8]>) -> Result<Caller, ApiError> {
        let status = *lock(&self.auth_error_status);
        lock(&self.keys)
            .authenticate(header, self.now())
            .map_err(|e| e.status(status))
    }

    // ---- elepay operations -------------------------------------------------

    pub(crate) fn create_code(&self, caller: Caller, body: &[u8]) -> Result<Value, ApiError> {
        let spec = validate::new_code(body)?;
        self.settle();
        let now = self.now();
        let mut store = lock(&self.store);
        let code = store.create_code(spec, caller.live_mode, now, &self.public_base)?;
        Ok(dto::code_json(code, None, now))
    }

    fn code_view(&self, live: Option<bool>, id: &str) -> Result<Value, ApiError> {
        self.settle();
        let now = self.now();
        let store = lock(&self.store);
        let code = store.code(id, live)?;
        let charge = code.charge_id().and_then(|c| store.charge(c, None).ok());
        Ok(dto::code_json(code, charge, now))
    }

    pub(crate) fn retrieve_code(&self, caller: Caller, id: &str) -> Result<Value, ApiError> {
        self.code_view(Some(caller.live_mode), id)
    }

    pub(crate) fn close_code(&self, caller: Caller, id: &str) -> Result<(), ApiError> {
        let now = self.now();
        lock(&self.store).close_code(id, Some(caller.live_mode), now)
    }

    pub(crate) fn retrieve_charge(&self, live: Option<bool>, id: &str) -> Result<Value, ApiError> {
        self.settle();
        Ok(dto::charge_json(lock(&self.store).charge(id, live)?))
    }

    pub(crate) fn charge_status(&self, caller: Caller, id: &str) -> Result<Value, ApiError> {
        self.settle();
        Ok(dto::charge_status_json(
            lock(&self.store).charge(id, Some(caller.live_mode))?,
        ))
    }

    pub(crate) fn list_charges(
        &self,
        caller: Caller,
        raw_query: Option<&str>,
    ) -> Result<Value, ApiError> {
        let q = ChargeQuery::parse(raw_query)?;
        self.settle();
        let store = lock(&self.store);
        let (total, page) = q.apply(store.charges(caller.live_mode));
        let charges: Vec<Value> = page.into_iter().map(dto::charge_json).collect();
        Ok(json!({"total": total, "charges": charges}))
    }

    /// createRefund; `live = None` is the dashboard (admin) path. With
    /// `commit_after_ms` the refund is only made that much (sim) time later
    /// and nothing is answered (the caller drops the connection).
    pub(crate) fn create_refund(
        &self,
        live: Option<bool>,
        charge_id: &str,
        body: &[u8],
        commit_after_ms: Option<i64>,
    ) -> Result<Value, ApiError> {
        self.settle();
        let now = self.now();
        let mut store = lock(&self.store);
        // Unknown charge wins over a bad body, like a path lookup would.
        store.charge(charge_id, live)?;
        let req = validate::new_refund(body)?;
        if let Some(after) = commit_after_ms {
            store.defer_refund(charge_id, live, req, now.saturating_add(after))?;
            return Ok(Value::Null);
        }
        let refund = store.create_refund(charge_id, live, req, now, self.refund_delay_ms)?;
        let out = dto::refund_json(refund);
        drop(store);
        // A zero delay completes at once; let the ticker send the webhook.
        self.wake.notify_one();
        Ok(out)
    }

    /// A page of a charge's refunds, oldest first: `offset`/`limit` as for
    /// `GET /charges` (default 20, at most 100), so callers must page.
    pub(crate) fn list_refunds(
        &self,
        caller: Caller,
        charge_id: &str,
        raw_query: Option<&str>,
    ) -> Result<Value, ApiError> {
        let (offset, limit) = listing::page_params(raw_query)?;
        self.settle();
        let store = lock(&self.store);
        let charge = store.charge(charge_id, Some(caller.live_mode))?;
        let refunds: Vec<Value> = charge
            .refunds
            .iter()
            .skip(offset)
            .take(limit)
            .map(dto::refund_json)
            .collect();
        Ok(json!({"total": charge.refunds.len(), "refunds": refunds}))
    }

    pub(crate) fn retrieve_refund(
        &self,
        caller: Caller,
        charge_id: &str,
        refund_id: &str,
    ) -> Result<Value, ApiError> {
        self.settle();
        let store = lock(&self.store);
        let charge = store.charge(charge_id, Some(caller.live_mode))?;
        charge
            .refunds
            .iter()
            .find(|r| r.id == refund_id)
            .map(dto::refund_json)
            .ok_or_else(ApiError::not_found)
    }

    // ---- customer side -----------------------------------------------------

    /// The customer pays a code: capture, create the charge, send `charge.succeeded`.
    pub(crate) fn pay(&self, code_id: &str, method: &str) -> Result<Value, ApiError> {
        let now = self.now();
        let (charge, live) = {
            let mut store = lock(&self.store);
            let charge = store.pay(code_id, method, now)?;
            (dto::charge_json(charge), charge.live_mode)
        };
        self.webhooks
            .enqueue(new_event("charge.succeeded", live, charge.clone(), now));
        Ok(charge)
    }

    /// A failed attempt: nothing changes and no webhook is sent (elepay has
    /// none for failures); only checks that the code could have been paid.
    pub(crate) fn fail(&self, code_id: &str) -> Result<(), ApiError> {
        let now = self.now();
        lock(&self.store).check_payable(code_id, now).map(|_| ())
    }

    /// Code as the pay page sees it, with its frontUrl.
    pub(crate) fn code_for_page(&self, code_id: &str) -> Result<Value, ApiError> {
        self.code_view(None, code_id)
    }

    pub(crate) fn all_codes(&self) -> Value {
        self.settle();
        let now = self.now();
        let store = lock(&self.store);
        let codes: Vec<Value> = store
            .codes()
            .into_iter()
            .map(|c| {
                let charge = c.charge_id().and_then(|id| store.charge(id, None).ok());
                dto::code_json(c, charge, now)
            })
            .collect();
        json!({"total": codes.len(), "codes": codes})
    }

    pub(crate) fn set_auth_error_status(&self, status: u16) -> Result<(), String> {
        let s = match status {
            400 => StatusCode::BAD_REQUEST,
            401 => StatusCode::UNAUTHORIZED,
            _ => return Err("authErrorStatus must be 400 or 401".into()),
        };
        *lock(&self.auth_error_status) = s;
        Ok(())
    }

    pub(crate) fn auth_error_status(&self) -> u16 {
        lock(&self.auth_error_status).as_u16()
    }
}

/// In-process control of a running simulator (the `/_sim/` endpoints as
/// method calls). Cheap to clone.
#[derive(Debug, Clone)]
pub struct SimControl {
    pub(crate) core: Arc<Core>,
}

fn config_err(msg: String) -> SimError {
    SimError::Config(msg)
}

impl SimControl {
    /// Customer pays `code_id` with `payment_method` (e.g. `"paypay"`);
    /// returns the ChargeDto JSON.
    pub fn pay(&self, code_id: &str, payment_method: &str) -> Result<Value, SimError> {
        Ok(self.core.pay(code_id, payment_method)?)
    }

    /// Customer's payment attempt fails; the code stays pending.
    pub fn fail(&self, code_id: &str) -> Result<(), SimError> {
        Ok(self.core.fail(code_id)?)
    }

    /// Jumps the sim clock forward (`ms` ≥ 0) and processes due work now.
    pub fn advance_clock(&self, ms: i64) -> Result<i64, SimError> {
        if ms < 0 {
            return Err(config_err("clock can only move forward".into()));
        }
        let now = self.core.clock.advance(ms);
        self.core.settle();
        self.core.wake.notify_one();
        Ok(now)
    }

    /// Sim ms per real ms from now on (0 freezes the clock).
    pub fn set_clock_scale(&self, scale: f64) -> Result<(), SimError> {
        if !scale.is_finite() || scale < 0.0 {
            return Err(config_err(format!("invalid clock scale {scale}")));
        }
        self.core.clock.set_scale(scale);
        self.core.wake.notify_one();
        Ok(())
    }

    pub fn clock_scale(&self) -> f64 {
        self.core.clock.scale()
    }

    /// Current sim time, epoch ms.
    pub fn now_ms(&self) -> i64 {
        self.core.now()
    }

    /// Regenerates the API key: `new_key` is valid from now; every other key
    /// stops working `overlap_ms` of sim time from now.
    pub fn rotate_key(&self, new_key: &str, overlap_ms: i64) -> Result<(), SimError> {
        check_secret_key_shape(new_key).map_err(config_err)?;
        let now = self.core.now();
        lock(&self.core.keys).rotate(new_key, now, overlap_ms);
        Ok(())
    }

    /// Another elepay app at the same address, whose secret key is `key`:
    /// it authenticates, but knows nothing of this app's codes and charges.
    /// Its control (to pay its codes, say) is returned.
    pub fn add_app(&self, key: &str) -> Result<SimControl, SimError> {
        check_secret_key_shape(key).map_err(config_err)?;
        Ok(SimControl {
            core: self.core.add_app(key),
        })
    }

    /// Accepts one more secret key.
    pub fn add_key(&self, key: &str) -> Result<(), SimError> {
        check_secret_key_shape(key).map_err(config_err)?;
        lock(&self.core.keys).add(key);
        Ok(())
    }

    pub fn add_fault(&self, fault: FaultSpec) -> Result<(), SimError> {
        fault.validate().map_err(config_err)?;
        lock(&self.core.faults).add(fault);
        Ok(())
    }

    pub fn clear_faults(&self) {
        lock(&self.core.faults).clear();
    }

    pub fn faults(&self) -> Vec<FaultSpec> {
        lock(&self.core.faults).list()
    }

    /// HTTP status for auth errors: 400 (documented) or 401.
    pub fn set_auth_error_status(&self, status: u16) -> Result<(), SimError> {
        self.core.set_auth_error_status(status).map_err(config_err)
    }

    /// Adds a webhook endpoint; returns its id (`we_…`).
    pub fn add_webhook_endpoint(&self, url: Url, secret: &str) -> String {
        self.core.webhooks.add_endpoint(url, secret)
    }

    /// Removes an endpoint and its pending deliveries; false if unknown.
    pub fn remove_webhook_endpoint(&self, id: &str) -> bool {
        self.core.webhooks.remove_endpoint(id)
    }

    pub fn set_webhook_behaviour(&self, behaviour: WebhookBehaviour) {
        self.core.webhooks.set_behaviour(behaviour);
    }

    /// Sends held events (original or reverse order); returns how many.
    pub fn release_held_webhooks(&self, reverse: bool) -> usize {
        self.core.webhooks.release(reverse)
    }

    /// Every delivery attempt so far.
    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        self.core.webhooks.deliveries()
    }

    /// A refund made in the dashboard, behind the app's back; returns RefundDto JSON.
    pub fn admin_refund(&self, charge_id: &str, amount: i64) -> Result<Value, SimError> {
        let body = json!({ "amount": amount }).to_string();
        Ok(self
            .core
            .create_refund(None, charge_id, body.as_bytes(), None)?)
    }

    /// All codes (CodeDto JSON), oldest first.
    pub fn codes(&self) -> Vec<Value> {
        match self.core.all_codes().get_mut("codes").map(Value::take) {
            Some(Value::Array(a)) => a,
            _ => Vec::new(),
        }
    }
}
