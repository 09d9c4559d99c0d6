//! Optional webhook receiver. Off by default: a register is rarely reachable
//! from the internet, so polling is the primary path and webhooks only make
//! "paid" appear sooner. Signatures are checked before anything else; the
//! answer is 2xx only once the event is stored in the inbox (elepay retries
//! only failed deliveries), and it is applied from there.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use elepay::webhook::{SigningSecret, Verifier, SIGNATURE_HEADER};
use tokio::task::JoinHandle;

use crate::Engine;

#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    pub addr: SocketAddr,
    /// URL path elepay posts to.
    pub path: String,
    /// Several secrets, so switching the endpoint in the dashboard loses nothing.
    pub secrets: Vec<SigningSecret>,
    pub tolerance_secs: u64,
}

impl ReceiverConfig {
    pub fn new(addr: SocketAddr, secrets: Vec<SigningSecret>) -> Self {
        ReceiverConfig {
            addr,
            path: "/elepay/webhook".into(),
            secrets,
            tolerance_secs: elepay::webhook::DEFAULT_TOLERANCE_SECS,
        }
    }
}

#[derive(Clone)]
struct Receiver {
    engine: Engine,
    verifier: Verifier,
}

/// A running receiver; dropping the handle does not stop it, `abort` does.
#[derive(Debug)]
pub struct RunningReceiver {
    pub local_addr: SocketAddr,
    pub task: JoinHandle<()>,
}

pub async fn serve(engine: Engine, cfg: ReceiverConfig) -> std::io::Result<RunningReceiver> {
    let state = Receiver {
        engine,
        verifier: Verifier::new(cfg.secrets).with_tolerance_secs(cfg.tolerance_secs),
    };
    let app = Router::new()
        .route(&cfg.path, post(receive))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(cfg.addr).await?;
    let local_addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "webhook receiver stopped");
        }
    });
    Ok(RunningReceiver { local_addr, task })
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let sig = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let now_secs = r.engine.now_ms().div_euclid(1000);
    let event = match r.verifier.accept(sig, &body, now_secs) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, "webhook refused");
            return StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNAUTHORIZED);
        }
    };
    // The body as signed; `accept` parsed it, so it is UTF-8 JSON.
    let text = String::from_utf8_lossy(&body);
    match r.engine.take_webhook(event, &text) {
        Ok(()) => StatusCode::OK,
        Err(e) => {
            // Not stored: a failure makes elepay deliver it again.
            tracing::error!(error = %e, "webhook not stored; elepay will retry");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}
