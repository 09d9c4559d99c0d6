//! elepay's side: signed webhooks at a rate, each for a random store of the
//! load, some delivered again later and out of order, every delivery
//! retried until HQ answers 2xx (elepay's schedule, compressed to seconds).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use elepay::webhook::{signature_header, SigningSecret, SIGNATURE_HEADER};
use rand::Rng as _;
use tokio::task::JoinSet;

/// What the posting saw.
#[derive(Debug, Default)]
pub struct Tally {
    /// Per event id: when the earliest delivery answered 2xx was sent.
    pub accepted: HashMap<String, Instant>,
    /// Every event posted: (id, store).
    pub posted: Vec<(String, usize)>,
    /// How long each answer took (every status).
    pub answers: Vec<Duration>,
    /// Non-2xx answers by status.
    pub refused: BTreeMap<u16, u64>,
    pub transport_errors: u64,
    pub duplicates_sent: u64,
}

/// Posts to the HQ processes in turn, skipping those marked down.
#[derive(Debug)]
pub struct Poster {
    http: reqwest::Client,
    addrs: Vec<SocketAddr>,
    /// Set before a process is killed, so no delivery is aimed at it.
    pub down: Vec<AtomicBool>,
    next: AtomicUsize,
    secret: SigningSecret,
    tally: Mutex<Tally>,
    /// No more retries after this is set (the run is over).
    pub give_up: AtomicBool,
}

impl Poster {
    pub fn new(addrs: Vec<SocketAddr>, secret: &str) -> Result<Poster, String> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Poster {
            http,
            down: addrs.iter().map(|_| AtomicBool::new(false)).collect(),
            addrs,
            next: AtomicUsize::new(0),
            secret: SigningSecret::new(secret),
            tally: Mutex::new(Tally::default()),
            give_up: AtomicBool::new(false),
        })
    }

    pub fn take_tally(&self) -> Tally {
        std::mem::take(&mut *self.tally.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn note(&self, f: impl FnOnce(&mut Tally)) {
        f(&mut self.tally.lock().unwrap_or_else(|p| p.into_inner()));
    }

    fn target(&self) -> SocketAddr {
        let n = self.addrs.len();
        let start = self.next.fetch_add(1, Relaxed);
        (0..n)
            .map(|k| (start + k) % n)
            .find(|&i| !self.down[i].load(Relaxed))
            .map_or(self.addrs[start % n], |i| self.addrs[i])
    }

    /// One delivery of `body`, sent again until a 2xx (or the run gives up).
    async fn deliver(&self, event_id: &str, body: &str) {
        let mut wait = Duration::from_millis(500);
        loop {
            let url = format!("http://{}/elepay/webhook", self.target());
            let t = now_secs();
            let sig = signature_header(&self.secret, t, body.as_bytes());
            let sent = Instant::now();
            let answer = self
                .http
                .post(url)
                .header(SIGNATURE_HEADER, sig)
                .header("content-type", "application/json")
                .body(body.to_owned())
                .send()
                .await;
            let took = sent.elapsed();
            match answer {
                Ok(r) if r.status().is_success() => {
                    self.note(|t| {
                        t.answers.push(took);
                        let first = t.accepted.entry(event_id.to_owned()).or_insert(sent);
                        *first = (*first).min(sent);
                    });
                    return;
                }
                Ok(r) => {
                    let status = r.status().as_u16();
                    self.note(|t| {
                        t.answers.push(took);
                        *t.refused.entry(status).or_default() += 1;
                    });
                }
                Err(_) => self.note(|t| t.transport_errors += 1),
            }
            if self.give_up.load(Relaxed) {
                return;
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(4));
        }
    }
}

/// What to post.
#[derive(Debug, Clone)]
pub struct Plan {
    pub rate: f64,
    pub duration: Duration,
    pub duplicates: f64,
    pub stores: usize,
    /// Location ids by store.
    pub locations: Arc<Vec<Arc<str>>>,
    /// Every event id starts with it (the run's).
    pub id_prefix: String,
}

/// Posts for `plan.duration` at `plan.rate`; the delivery tasks, which
/// outlive the posting while they retry or wait to send a duplicate.
pub async fn post(poster: Arc<Poster>, plan: Plan) -> JoinSet<()> {
    let mut tasks = JoinSet::new();
    let total = (plan.rate * plan.duration.as_secs_f64()).round() as u64;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / plan.rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    for n in 0..total {
        tick.tick().await;
        let (store, again, later) = {
            let mut rng = rand::rng();
            let store = rng.random_range(0..plan.stores);
            let again = rng.random_bool(plan.duplicates.clamp(0.0, 1.0));
            // Most copies soon after, some much later (elepay's retries).
            let later = if rng.random_bool(0.7) {
                rng.random_range(0..2_000)
            } else {
                rng.random_range(2_000..20_000)
            };
            (store, again, Duration::from_millis(later))
        };
        let event_id = format!("{}{n:08}", plan.id_prefix);
        let body: Arc<str> = code_event(&event_id, &plan.locations[store]).into();
        poster.note(|t| t.posted.push((event_id.clone(), store)));
        let (p, id, b) = (poster.clone(), event_id.clone(), body.clone());
        tasks.spawn(async move { p.deliver(&id, &b).await });
        if again {
            let p = poster.clone();
            tasks.spawn(async move {
                tokio::time::sleep(later).await;
                p.note(|t| t.duplicates_sent += 1);
                p.deliver(&event_id, &body).await;
            });
        }
    }
    tasks
}

/// An elepay-shaped `code.paid` event for a code of `location_id`.
fn code_event(event_id: &str, location_id: &str) -> String {
    serde_json::json!({
        "id": event_id,
        "object": "event",
        "createTime": now_secs() * 1000,
        "liveMode": false,
        "type": "code.paid",
        "data": {"object": {"object": "code", "id": format!("cod_{event_id}"),
                            "status": "captured", "amount": 1280, "locationId": location_id}}
    })
    .to_string()
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
