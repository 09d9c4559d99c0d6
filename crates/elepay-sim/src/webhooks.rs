//! Webhook events: signing, delivery to every endpoint, retries on the sim
//! clock, and test switches (duplicates, hold + reordered release).
//!
//! Deliveries to one endpoint are sequential (so release order is arrival
//! order); different endpoints do not wait for each other.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::sync::Notify;
use url::Url;

use crate::clock::SimClock;
use crate::{ids, lock};

/// Gaps before retry 1..=6 after a failed attempt (FAQ: 3 × 1 min, then 3 × 10 min).
pub(crate) const RETRY_DELAYS_MS: [i64; 6] = [60_000, 60_000, 60_000, 600_000, 600_000, 600_000];

/// A webhook receiver and the secret its signatures are made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub url: Url,
    pub secret: String,
}

/// Test switches for delivery.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WebhookBehaviour {
    /// Every event is delivered this many extra times right after the first.
    pub duplicates: u32,
    /// Queue new events instead of sending them, until released.
    pub hold: bool,
}

/// Result of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DeliveryOutcome {
    /// The receiver answered with this HTTP status.
    Status(u16),
    /// No HTTP answer (connection refused, timeout, ...).
    Error(String),
}

/// One recorded delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryRecord {
    pub event_id: String,
    pub event_type: String,
    pub endpoint_id: String,
    pub url: String,
    /// 1-based attempt number within this copy's retry chain.
    pub attempt: u32,
    /// 0 for the original delivery, 1.. for injected duplicates.
    pub copy: u32,
    /// Sim time the attempt was sent.
    pub sim_time_ms: i64,
    pub outcome: DeliveryOutcome,
}

impl DeliveryRecord {
    pub fn is_success(&self) -> bool {
        matches!(self.outcome, DeliveryOutcome::Status(s) if (200..300).contains(&s))
    }
}

/// A serialized event; the body (and id) stay identical across retries.
#[derive(Debug)]
pub(crate) struct Event {
    pub(crate) id: String,
    pub(crate) event_type: String,
    pub(crate) body: String,
}

pub(crate) fn new_event(event_type: &str, live_mode: bool, object: Value, now: i64) -> Event {
    let id = ids::new_id("evt_");
    let body = json!({
        "id": id,
        "object": "event",
        "createTime": now,
        "liveMode": live_mode,
        "type": event_type,
        "data": {"object": object},
    })
    .to_string();
    Event {
        id,
        event_type: event_type.to_owned(),
        body,
    }
}

/// `elepay-signature` value: `t=<secs>,sign=<hex hmac-sha256(secret, t.body)>`.
pub(crate) fn signature(secret: &str, t_secs: i64, body: &str) -> String {
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        // HMAC takes keys of any length; this arm is unreachable in practice.
        Err(_) => return format!("t={t_secs},sign="),
    };
    mac.update(format!("{t_secs}.").as_bytes());
    mac.update(body.as_bytes());
    format!(
        "t={t_secs},sign={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

#[derive(Debug, Clone)]
struct Endpoint {
    id: String,
    url: Url,
    secret: String,
}

#[derive(Debug)]
struct Job {
    seq: u64,
    event: Arc<Event>,
    endpoint_id: String,
    attempt: u32,
    copy: u32,
    due_ms: i64,
}

#[derive(Debug, Default)]
struct State {
    endpoints: Vec<Endpoint>,
    behaviour: WebhookBehaviour,
    held: Vec<Arc<Event>>,
    jobs: Vec<Job>,
    busy: HashSet<String>,
    deliveries: Vec<DeliveryRecord>,
    next_seq: u64,
}

impl State {
    fn push_job(
        &mut self,
        event: Arc<Event>,
        endpoint_id: &str,
        attempt: u32,
        copy: u32,
        due_ms: i64,
    ) {
        self.next_seq += 1;
        self.jobs.push(Job {
            seq: self.next_seq,
            event,
            endpoint_id: endpoint_id.to_owned(),
            attempt,
            copy,
            due_ms,
        });
    }

    fn dispatch(&mut self, event: Arc<Event>, now: i64) {
        let ids: Vec<String> = self.endpoints.iter().map(|e| e.id.clone()).collect();
        let copies = self.behaviour.duplicates;
        for id in &ids {
            for copy in 0..=copies {
                self.push_job(event.clone(), id, 1, copy, now);
            }
        }
    }
}

/// Webhook outbox and delivery machinery.
#[derive(Debug)]
pub(crate) struct Webhooks {
    state: Mutex<State>,
    client: reqwest::Client,
    clock: Arc<SimClock>,
    wake: Arc<Notify>,
}

impl Webhooks {
    pub(crate) fn new(client: reqwest::Client, clock: Arc<SimClock>, wake: Arc<Notify>) -> Self {
        Self {
            state: Mutex::new(State::default()),
            client,
            clock,
            wake,
        }
    }

    pub(crate) fn add_endpoint(&self, url: Url, secret: &str) -> String {
        let id = ids::new_id("we_");
        lock(&self.state).endpoints.push(Endpoint {
            id: id.clone(),
            url,
            secret: secret.to_owned(),
        });
        id
    }

    /// Removes an endpoint and its queued deliveries; false if unknown.
    pub(crate) fn remove_endpoint(&self, id: &str) -> bool {
        let mut st = lock(&self.state);
        let before = st.endpoints.len();
        st.endpoints.retain(|e| e.id != id);
        st.jobs.retain(|j| j.endpoint_id != id);
        st.endpoints.len() != before
    }

    /// `(id, url)` of every endpoint; secrets are not echoed.
    pub(crate) fn endpoints(&self) -> Vec<(String, Url)> {
        lock(&self.state)
            .endpoints
            .iter()
            .map(|e| (e.id.clone(), e.url.clone()))
            .collect()
    }

    pub(crate) fn set_behaviour(&self, b: WebhookBehaviour) {
        lock(&self.state).behaviour = b;
    }

    pub(crate) fn behaviour(&self) -> WebhookBehaviour {
        lock(&self.state).behaviour
    }

    pub(crate) fn deliveries(&self) -> Vec<DeliveryRecord> {
        lock(&self.state).deliveries.clone()
    }

    /// Queues an event for every endpoint (or holds it).
    pub(crate) fn enqueue(&self, event: Event) {
        let now = self.clock.now_ms();
        let event = Arc::new(event);
        {
            let mut st = lock(&self.state);
            if st.behaviour.hold {
                st.held.push(event);
            } else {
                st.dispatch(event, now);
            }
        }
        self.wake.notify_one();
    }

    /// Sends held events, in creation order or reversed; returns how many.
    pub(crate) fn release(&self, reverse: bool) -> usize {
        let now = self.clock.now_ms();
        let n = {
            let mut st = lock(&self.state);
            let mut held = std::mem::take(&mut st.held);
            if reverse {
                held.reverse();
            }
            let n = held.len();
            for e in held {
                st.dispatch(e, now);
            }
            n
        };
        self.wake.notify_one();
        n
    }

    /// Starts delivery of due jobs on every idle endpoint.
    pub(crate) fn pump(self: &Arc<Self>) {
        let now = self.clock.now_ms();
        let mut st = lock(&self.state);
        let endpoints = st.endpoints.clone();
        for ep in endpoints {
            if st.busy.contains(&ep.id) {
                continue;
            }
            let (mut due, rest): (Vec<Job>, Vec<Job>) = std::mem::take(&mut st.jobs)
                .into_iter()
                .partition(|j| j.endpoint_id == ep.id && j.due_ms <= now);
            st.jobs = rest;
            if due.is_empty() {
                continue;
            }
            due.sort_by_key(|j| j.seq);
            st.busy.insert(ep.id.clone());
            let this = Arc::clone(self);
            tokio::spawn(async move { this.deliver_batch(ep, due).await });
        }
    }

    async fn deliver_batch(self: Arc<Self>, ep: Endpoint, jobs: Vec<Job>) {
        for job in jobs {
            let still_there = lock(&self.state).endpoints.iter().any(|e| e.id == ep.id);
            if !still_there {
                break;
            }
            let sent_at = self.clock.now_ms();
            let outcome = self.send(&ep, &job.event, sent_at).await;
            let mut st = lock(&self.state);
            let ok = matches!(outcome, DeliveryOutcome::Status(s) if (200..300).contains(&s));
            tracing::debug!(event = %job.event.id, endpoint = %ep.id, attempt = job.attempt, ?outcome, "webhook attempt");
            st.deliveries.push(DeliveryRecord {
                event_id: job.event.id.clone(),
                event_type: job.event.event_type.clone(),
                endpoint_id: ep.id.clone(),
                url: ep.url.to_string(),
                attempt: job.attempt,
                copy: job.copy,
                sim_time_ms: sent_at,
                outcome,
            });
            if !ok {
                if let Some(delay) = RETRY_DELAYS_MS.get(job.attempt as usize - 1) {
                    st.push_job(
                        job.event.clone(),
                        &ep.id,
                        job.attempt + 1,
                        job.copy,
                        sent_at + delay,
                    );
                } else {
                    tracing::warn!(event = %job.event.id, endpoint = %ep.id, "webhook given up after {} attempts", job.attempt);
                }
            }
        }
        lock(&self.state).busy.remove(&ep.id);
        self.wake.notify_one();
    }

    async fn send(&self, ep: &Endpoint, event: &Event, sent_at_ms: i64) -> DeliveryOutcome {
        let sig = signature(&ep.secret, sent_at_ms.div_euclid(1000), &event.body);
        let result = self
            .client
            .post(ep.url.clone())
            .header("content-type", "application/json")
            .header("elepay-signature", sig)
            .body(event.body.clone())
            .send()
            .await;
        match result {
            Ok(resp) => DeliveryOutcome::Status(resp.status().as_u16()),
            Err(e) if e.is_timeout() => DeliveryOutcome::Error(format!("timeout: {e}")),
            Err(e) => DeliveryOutcome::Error(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_documented_algorithm() {
        // Independent recomputation: HMAC-SHA256("secret", "1581064080.{}").
        let sig = signature("secret", 1_581_064_080, "{}");
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"secret").expect("key");
        mac.update(b"1581064080.{}");
        let want = hex::encode(mac.finalize().into_bytes());
        assert_eq!(sig, format!("t=1581064080,sign={want}"));
        assert_eq!(want.len(), 64);
    }

    #[test]
    fn event_envelope() {
        let e = new_event(
            "charge.succeeded",
            false,
            json!({"id":"cha_1"}),
            1_543_944_030_817,
        );
        let v: Value = serde_json::from_str(&e.body).expect("json");
        assert_eq!(v["object"], "event");
        assert_eq!(v["type"], "charge.succeeded");
        assert_eq!(v["data"]["object"]["id"], "cha_1");
        assert_eq!(v["id"], e.id.as_str());
        assert!(e.id.starts_with("evt_"));
    }

    #[test]
    fn retry_schedule_offsets() {
        let mut t = 0;
        let offsets: Vec<i64> = std::iter::once(0)
            .chain(RETRY_DELAYS_MS.iter().map(|d| {
                t += d;
                t
            }))
            .collect();
        assert_eq!(
            offsets,
            [0, 60_000, 120_000, 180_000, 780_000, 1_380_000, 1_980_000]
        );
    }
}
