//! `easyqr-hq`, the brand's head office. elepay calls one webhook per app
//! (the brand), so HQ receives it, stores each event once and relays it to
//! the registers of the store it names (`locationId`) over streams the
//! registers open (they sit behind NAT). Registers ship their journals
//! here; HQ keeps an append-only copy a register cannot rewrite, and shows
//! the brand's stores, shifts and sales. A register never waits for HQ:
//! its own ledger stays the source of truth.
//!
//! Modules: `db` (pool, migrations), `auth` (register tokens), `enrol`
//! (stores and registers), `inbox` (the webhook), `stream` (the event
//! streams), `ship` (journal ingest) with `projection` and `tax` (tax by
//! rate), `me`, `books` (what the view reads), `view` (the web pages),
//! `users` (the view's accounts), `config`, `listen` (the accept loop and
//! its connection limits), `limits` (body sizes, request time), `streams`
//! (one open stream per register).

pub mod auth;
pub mod books;
pub mod config;
pub mod db;
pub mod enrol;
pub mod error;
pub mod hub;
pub mod inbox;
pub mod limits;
pub mod listen;
pub mod me;
pub mod metrics;
pub mod ops;
pub mod projection;
pub mod relay;
pub mod repo;
pub mod ship;
pub mod stream;
pub mod streams;
pub mod tax;
pub mod users;
pub mod view;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use elepay::webhook::Verifier;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::Config;
pub use db::Db;
pub use error::HqError;

/// Milliseconds since the Unix epoch (injected so tests can follow a
/// time-scaled simulator).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    })
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    /// The webhook's own connections ([`db::WEBHOOK_POOL_SIZE`]): elepay's
    /// deliveries never queue behind ingest, streams or the view.
    pub inbox_db: Db,
    pub verifier: Arc<Verifier>,
    /// The newest inbox seq this process stored: wakes the relay at once.
    pub wake: Arc<tokio::sync::watch::Sender<i64>>,
    /// Hands each new inbox row to its store's open streams.
    pub hub: Arc<hub::Hub>,
    /// The relay's state, for `/readyz` and `/metrics`.
    pub relay: Arc<relay::RelayStatus>,
    /// True while the process drains for shutdown.
    pub draining: watch::Receiver<bool>,
    pub clock: Clock,
    pub view: Arc<view::ViewAuth>,
    /// How often an event stream beats (`stream::KEEP_ALIVE`).
    pub keep_alive: std::time::Duration,
    /// The open event streams, one per register.
    pub streams: Arc<streams::Streams>,
    /// How long any request but a stream may take (`listen::Limits`).
    pub request_timeout: std::time::Duration,
    /// This process's counters (`/metrics`).
    pub metrics: Arc<metrics::Metrics>,
    /// Webhooks are failing to be stored (logged once per outage).
    pub webhooks_failing: Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

pub fn router(state: AppState) -> Router {
    use limits::{body, JOURNAL_BODY_MAX, SMALL_BODY_MAX, WEBHOOK_BODY_MAX};
    let small = || body(SMALL_BODY_MAX, "body_too_large");
    Router::new()
        .route(
            "/elepay/webhook",
            post(inbox::receive).layer(body(WEBHOOK_BODY_MAX, "body_too_large")),
        )
        .route("/api/register/me", get(me::me).layer(small()))
        .route(
            "/api/register/journal",
            post(ship::receive).layer(body(JOURNAL_BODY_MAX, "batch_too_large")),
        )
        .route("/api/register/events/ack", post(stream::ack).layer(small()))
        .merge(view::routes(&state, small()))
        .layer(axum::middleware::from_fn_with_state(
            state.request_timeout,
            limits::time_limit,
        ))
        // Added after the time limit: a stream stays open.
        .route("/api/register/events", get(stream::events).layer(small()))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .with_state(state)
}

#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    pub task: JoinHandle<()>,
    /// The soft open-files limit HQ runs with (raised to the hard limit).
    pub open_files: u64,
    /// The connection cap in force (`listen::connection_cap`).
    pub max_connections: usize,
    drain: Drain,
}

/// After SIGTERM, readiness answers 503 this long before the listener
/// closes.
pub const DRAIN_NOTICE: std::time::Duration = std::time::Duration::from_secs(1);

/// The notice never eats the whole grace of requests in flight.
const DRAIN_NOTICE_MAX: std::time::Duration = std::time::Duration::from_secs(5);

/// What a drain turns off.
#[derive(Debug)]
struct Drain {
    notice: std::time::Duration,
    /// Closes the listener.
    stop: watch::Sender<bool>,
    draining: watch::Sender<bool>,
    hub: Arc<hub::Hub>,
    streams: Arc<streams::Streams>,
}

impl Running {
    /// Drains for shutdown: readiness answers 503 and every event stream
    /// ends at once (its register reconnects, to another process behind
    /// the proxy; a new one is refused here); after the notice the
    /// listener stops accepting, and requests in flight finish, all
    /// within `grace`. Answers whether all finished in time.
    pub async fn drain(self, grace: std::time::Duration) -> bool {
        let d = self.drain;
        tracing::info!(
            grace_secs = grace.as_secs(),
            streams = d.streams.len(),
            "draining"
        );
        d.draining.send_replace(true);
        d.hub.close();
        d.streams.end_all();
        let task = self.task;
        let finished = tokio::time::timeout(grace, async move {
            tokio::time::sleep(d.notice).await;
            d.stop.send_replace(true);
            let _ = task.await;
        })
        .await
        .is_ok();
        if finished {
            tracing::info!("drained");
        } else {
            tracing::warn!("requests still in flight at the end of the grace period");
        }
        finished
    }
}

/// Migrates the database, then serves on `cfg.addr`.
pub async fn serve(cfg: Config, clock: Clock) -> Result<Running, HqError> {
    let db = db::pool_waiting(&cfg.database_url, cfg.pool_size, cfg.pool_wait)?;
    let inbox_db = db::pool_waiting(&cfg.database_url, db::WEBHOOK_POOL_SIZE, cfg.pool_wait)?;
    db::migrate(&db).await?;
    users::bootstrap(&db, cfg.bootstrap_password.as_deref()).await?;
    tokio::spawn(projection::resume(db.clone()));
    let top = repo::inbox::newest_seq(&db).await?;
    let metrics = Arc::new(metrics::Metrics::default());
    let (draining, draining_rx) = watch::channel(false);
    let (wake, wake_rx) = watch::channel(top);
    let state = AppState {
        db,
        inbox_db,
        verifier: Arc::new(
            Verifier::new(cfg.webhook_secrets.clone()).with_tolerance_secs(cfg.tolerance_secs),
        ),
        wake: Arc::new(wake),
        hub: hub::Hub::new(top, metrics.clone()),
        relay: Arc::default(),
        draining: draining_rx.clone(),
        clock,
        view: Arc::new(view::ViewAuth::new(
            cfg.public_url.as_ref(),
            cfg.trusted_proxies.clone(),
        )),
        keep_alive: cfg.keep_alive,
        streams: streams::Streams::new(),
        request_timeout: cfg.limits.request_timeout,
        metrics,
        webhooks_failing: Arc::default(),
    };
    relay::Relay {
        target: db::target(&cfg.database_url)?,
        hub: state.hub.clone(),
        streams: state.streams.clone(),
        wake: wake_rx,
        mark_every: relay::MARK_EVERY,
        sweep_every: cfg.sweep_every,
        status: state.relay.clone(),
        stop: draining_rx.clone(),
    }
    .spawn();
    let open_files = listen::raise_open_files();
    let max_connections = listen::connection_cap(&cfg.limits, open_files);
    tracing::info!(
        open_files,
        max_connections,
        max_per_address = cfg.limits.max_per_address,
        "open-files limit raised to the hard limit"
    );
    let mut limits = cfg.limits.clone();
    // A trusted proxy carries many clients on its one address.
    limits
        .per_address_exempt
        .extend(cfg.trusted_proxies.iter().copied());
    let listener = tokio::net::TcpListener::bind(cfg.addr)
        .await
        .map_err(|e| HqError::Config(format!("cannot listen on {}: {e}", cfg.addr)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| HqError::Config(e.to_string()))?;
    let (stop, stop_rx) = watch::channel(false);
    let drain = Drain {
        notice: cfg.drain_notice.min(DRAIN_NOTICE_MAX),
        stop,
        draining,
        hub: state.hub.clone(),
        streams: state.streams.clone(),
    };
    let app = router(state);
    // Each request carries its peer's address (`ConnectInfo<SocketAddr>`,
    // for the view's login throttle).
    let task = tokio::spawn(listen::run(listener, app, limits, max_connections, stop_rx));
    Ok(Running {
        addr,
        task,
        open_files,
        max_connections,
        drain,
    })
}
