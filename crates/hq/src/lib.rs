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
//! `config`.

pub mod auth;
pub mod books;
pub mod config;
pub mod db;
pub mod enrol;
pub mod error;
pub mod inbox;
pub mod me;
pub mod projection;
pub mod ship;
pub mod stream;
pub mod tax;
pub mod view;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use elepay::webhook::Verifier;
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
    pub verifier: Arc<Verifier>,
    /// The newest inbox seq: wakes the event streams (the table is the truth).
    pub wake: Arc<tokio::sync::watch::Sender<i64>>,
    pub clock: Clock,
    pub view: Arc<view::ViewAuth>,
    /// How often an event stream beats (`stream::KEEP_ALIVE`).
    pub keep_alive: std::time::Duration,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/elepay/webhook", post(inbox::receive))
        .route("/api/register/me", get(me::me))
        .route("/api/register/journal", post(ship::receive))
        .route("/api/register/events", get(stream::events))
        .route("/api/register/events/ack", post(stream::ack))
        .merge(view::routes())
        .layer(axum::extract::DefaultBodyLimit::max(4 * 1024 * 1024))
        .with_state(state)
}

#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    pub task: JoinHandle<()>,
}

/// Migrates the database, then serves on `cfg.addr`.
pub async fn serve(cfg: Config, clock: Clock) -> Result<Running, HqError> {
    let db = db::pool(&cfg.database_url, cfg.pool_size)?;
    db::migrate(&db).await?;
    let top: i64 = db
        .get()
        .await?
        .query_one("SELECT coalesce(max(seq), 0) FROM inbox", &[])
        .await?
        .get(0);
    let state = AppState {
        db,
        verifier: Arc::new(
            Verifier::new(cfg.webhook_secrets.clone()).with_tolerance_secs(cfg.tolerance_secs),
        ),
        wake: Arc::new(tokio::sync::watch::channel(top).0),
        clock,
        view: Arc::new(view::ViewAuth::new(cfg.view_password.clone())),
        keep_alive: cfg.keep_alive,
    };
    let listener = tokio::net::TcpListener::bind(cfg.addr)
        .await
        .map_err(|e| HqError::Config(format!("cannot listen on {}: {e}", cfg.addr)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| HqError::Config(e.to_string()))?;
    let app = router(state);
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "HQ server stopped");
        }
    });
    Ok(Running { addr, task })
}
