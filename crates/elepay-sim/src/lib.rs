//! A faithful simulator of the elepay Code (EasyQR) API.
//!
//! It serves elepay's own paths (`/codes`, `/charges`, ...), a customer pay
//! page at each `codeUrl`, signed webhooks with elepay's retry schedule, and
//! test controls under `/_sim/` (also available in-process via
//! [`SimControl`]). All time comes from an injectable simulated clock.
//!
//! ```no_run
//! # async fn demo() -> Result<(), elepay_sim::SimError> {
//! let config = elepay_sim::SimConfig {
//!     secret_keys: vec!["sk_test_demo".into()],
//!     ..Default::default()
//! };
//! let sim = elepay_sim::start(config, "127.0.0.1:0".parse().expect("addr")).await?;
//! println!("{}", sim.base_url());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod admin;
mod api;
mod clock;
mod control;
mod dto;
mod errors;
mod faults;
mod ids;
mod keys;
mod listing;
mod methods;
mod pay_page;
mod server;
mod store;
mod validate;
mod webhooks;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use url::Url;

pub use admin::ADMIN_HELP;
pub use clock::ClockConfig;
pub use control::{SimControl, DEFAULT_ROTATION_OVERLAP_MS};
pub use errors::SimError;
pub use faults::{FaultKind, FaultSpec};
pub use webhooks::{DeliveryOutcome, DeliveryRecord, WebhookBehaviour, WebhookEndpoint};

/// Locks a mutex, ignoring poisoning: state stays usable after a panic
/// elsewhere, which for a simulator beats cascading failures.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// How background work (refund completion, webhook retries) is polled.
const TICK: Duration = Duration::from_millis(20);

/// Simulator settings.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Accepted secret keys (`sk_test_…` / `sk_live_…`); `liveMode` is true
    /// for objects created with an `sk_live_` key. At least one is required.
    pub secret_keys: Vec<String>,
    /// Base of `codeUrl`; default `http://<bound address>`. Set it to a LAN
    /// address so a phone can open the pay page.
    pub public_base: Option<Url>,
    /// Webhook endpoints registered at start.
    pub webhooks: Vec<WebhookEndpoint>,
    pub clock: ClockConfig,
    /// Sim time until a refund goes `pending` → `refunded`.
    pub refund_delay_ms: i64,
    /// Real-time HTTP timeout of one webhook delivery.
    pub webhook_timeout: Duration,
    /// Also serve the customer pay page, and nothing else, on this address
    /// (DEMO on the LAN: phones reach it, while the API, with its
    /// well-known DEMO key, and the `/_sim/` controls stay on the main,
    /// loopback address). `codeUrl`s point here unless `public_base` says
    /// otherwise.
    pub pay_page_addr: Option<SocketAddr>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            secret_keys: Vec::new(),
            public_base: None,
            webhooks: Vec::new(),
            clock: ClockConfig::default(),
            refund_delay_ms: 3000,
            webhook_timeout: Duration::from_secs(10),
            pay_page_addr: None,
        }
    }
}

/// A started simulator. Dropping it stops serving too; `shutdown` also waits.
#[derive(Debug)]
pub struct RunningSim {
    local_addr: SocketAddr,
    pay_page_addr: Option<SocketAddr>,
    base_url: Url,
    control: SimControl,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningSim {
    /// Where the API is served, e.g. `http://127.0.0.1:40123/`.
    pub fn base_url(&self) -> Url {
        self.base_url.clone()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Where the pay page alone is served ([`SimConfig::pay_page_addr`]).
    pub fn pay_page_addr(&self) -> Option<SocketAddr> {
        self.pay_page_addr
    }

    /// In-process equivalent of the `/_sim/` endpoints.
    pub fn control(&self) -> SimControl {
        self.control.clone()
    }

    /// Stops accepting, closes open connections and stops background work.
    pub async fn shutdown(mut self) {
        self.shutdown.send_replace(true);
        for t in std::mem::take(&mut self.tasks) {
            let _ = t.await;
        }
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}

fn validate_config(config: &SimConfig) -> Result<(), SimError> {
    if config.secret_keys.is_empty() {
        return Err(SimError::Config(
            "at least one secret key (sk_test_… or sk_live_…) is required".into(),
        ));
    }
    for k in &config.secret_keys {
        keys::check_secret_key_shape(k).map_err(SimError::Config)?;
    }
    if !config.clock.scale.is_finite() || config.clock.scale < 0.0 {
        return Err(SimError::Config(format!(
            "clock scale must be ≥ 0, got {}",
            config.clock.scale
        )));
    }
    if let Some(b) = &config.public_base {
        if !matches!(b.scheme(), "http" | "https") {
            return Err(SimError::Config(format!(
                "public base must be http(s): {b}"
            )));
        }
    }
    Ok(())
}

/// Binds `addr` (port 0 allowed) and starts serving plus the background
/// scheduler. Must be called inside a Tokio runtime.
/// A simulator as tests and benchmarks want it: on a free loopback port,
/// accepting `secret_key`, its clock frozen until the caller moves it (so
/// nothing expires on its own and no timed work runs).
pub async fn start_frozen(secret_key: &str) -> Result<RunningSim, SimError> {
    let config = SimConfig {
        secret_keys: vec![secret_key.to_owned()],
        clock: ClockConfig {
            start_ms: None,
            scale: 0.0,
        },
        ..Default::default()
    };
    start(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
}

pub async fn start(config: SimConfig, addr: SocketAddr) -> Result<RunningSim, SimError> {
    validate_config(&config)?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| SimError::Bind { addr, source })?;
    let local_addr = listener
        .local_addr()
        .map_err(|source| SimError::Bind { addr, source })?;
    let base_url = Url::parse(&format!("http://{local_addr}/"))
        .map_err(|e| SimError::Config(format!("bad bound address: {e}")))?;
    let pay_listener = match config.pay_page_addr {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .map_err(|source| SimError::Bind { addr, source })?,
        ),
        None => None,
    };
    let pay_page_addr = match &pay_listener {
        Some(l) => Some(l.local_addr().map_err(|source| SimError::Bind {
            addr: local_addr,
            source,
        })?),
        None => None,
    };
    let public_base = match (&config.public_base, pay_page_addr) {
        (Some(b), _) => b.clone(),
        (None, Some(pay)) => Url::parse(&format!("http://{pay}/"))
            .map_err(|e| SimError::Config(format!("bad bound address: {e}")))?,
        (None, None) => base_url.clone(),
    };

    let client = reqwest::Client::builder()
        .timeout(config.webhook_timeout)
        .no_proxy()
        .build()
        .map_err(|e| SimError::Config(format!("webhook HTTP client: {e}")))?;
    let wake = Arc::new(Notify::new());
    let clock = Arc::new(clock::SimClock::new(&config.clock));
    let hooks = Arc::new(webhooks::Webhooks::new(client, clock.clone(), wake.clone()));
    for ep in &config.webhooks {
        hooks.add_endpoint(ep.url.clone(), &ep.secret);
    }
    let mut ring = keys::KeyRing::default();
    for k in &config.secret_keys {
        ring.add(k);
    }
    let core = Arc::new(control::Core::new(
        clock,
        ring,
        hooks,
        wake,
        &public_base,
        config.refund_delay_ms,
    ));

    let router = Router::new()
        .merge(api::routes(core.clone()))
        .merge(admin::routes())
        .merge(pay_page::routes())
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::wrong_method)
        .layer(axum::middleware::from_fn(api::finish_errors))
        .with_state(core.clone());

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let mut tasks = vec![tokio::spawn(server::accept_loop(
        listener,
        router,
        shutdown_rx.clone(),
    ))];
    if let Some(pay) = pay_listener {
        // The pay page only: every other path is a 404 here.
        let router = pay_page::routes()
            .fallback(api::not_found)
            .layer(axum::middleware::from_fn(api::finish_errors))
            .with_state(core.clone());
        tasks.push(tokio::spawn(server::accept_loop(
            pay,
            router,
            shutdown_rx.clone(),
        )));
    }
    tasks.push(tokio::spawn(tick_loop(core.clone(), shutdown_rx)));
    tracing::info!(%local_addr, ?pay_page_addr, "elepay simulator started");
    Ok(RunningSim {
        local_addr,
        pay_page_addr,
        base_url,
        control: SimControl { core },
        shutdown: shutdown_tx,
        tasks,
    })
}

/// Background scheduler: refund completion and webhook delivery, woken early
/// by clock jumps and new events.
async fn tick_loop(core: Arc<control::Core>, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = core.wake.notified() => {}
            _ = tokio::time::sleep(TICK) => {}
        }
        core.settle();
        core.webhooks.pump();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_needs_a_secret_key() {
        let mut c = SimConfig::default();
        assert!(matches!(validate_config(&c), Err(SimError::Config(_))));
        c.secret_keys = vec!["pk_test_x".into()];
        let err = validate_config(&c).expect_err("publishable");
        assert!(err.to_string().contains("publishable"), "{err}");
        c.secret_keys = vec!["sk_test_x".into()];
        assert!(validate_config(&c).is_ok());
        c.clock.scale = f64::NAN;
        assert!(validate_config(&c).is_err());
    }
}
