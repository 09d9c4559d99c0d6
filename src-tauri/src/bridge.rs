//! Engine events to windows. Cashier events go to the cashier window; the
//! customer display gets only the customer-safe view computed by
//! [`crate::customer::CustomerScreen`]. Targeting is not relied on for
//! confidentiality: no payload sent anywhere carries a secret.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use easyqr_engine::CashierEvent;
use easyqr_ledger::AttemptState;
use serde::Serialize;

use easyqr_engine::{Engine, EngineEvent};
use tauri::{AppHandle, Emitter};
use tokio::sync::broadcast::error::RecvError;

use crate::context::{AppContext, Connectivity};
use crate::windows::WindowId;

/// A cashier event plus, while pending, the QR for the thumbnail.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CashierPayload<'a> {
    #[serde(flatten)]
    event: &'a CashierEvent,
    #[serde(skip_serializing_if = "Option::is_none")]
    qr_svg: Option<String>,
}

pub fn qr_svg(code_url: &str) -> Option<String> {
    match easyqr_qr::QrCode::encode(code_url) {
        Ok(qr) => Some(qr.to_svg()),
        Err(e) => {
            tracing::error!(error = %e, "cannot draw the QR");
            None
        }
    }
}

/// Forwards one engine's events until it is gone (a settings change builds
/// a new engine; the old one's watchers keep reporting here until done).
pub fn forward(app: AppHandle, ctx: Arc<AppContext>, engine: &Engine) {
    let mut rx = engine.subscribe();
    tauri::async_runtime::spawn(async move {
        // QR per pending attempt, drawn once (countdown refreshes repeat).
        let mut qrs: HashMap<i64, Option<String>> = HashMap::new();
        loop {
            match rx.recv().await {
                Ok(EngineEvent::Cashier(ev)) => {
                    let qr = match (&ev.attempt.code_url, ev.state) {
                        (Some(url), AttemptState::Pending) => qrs
                            .entry(ev.attempt.id)
                            .or_insert_with(|| qr_svg(url))
                            .clone(),
                        _ => {
                            qrs.remove(&ev.attempt.id);
                            None
                        }
                    };
                    let payload = CashierPayload {
                        event: &ev,
                        qr_svg: qr,
                    };
                    let _ = app.emit_to(WindowId::Cashier.label(), "cashier", &payload);
                }
                Ok(EngineEvent::Customer(ev)) => {
                    let now = ctx.engine().now_ms();
                    let view = ctx
                        .customer
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .apply(&ev, now);
                    if let Some(view) = view {
                        let _ = app.emit_to(WindowId::Customer.label(), "customer", &view);
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(
                        missed = n,
                        "UI fell behind engine events; the ledger stays the truth"
                    );
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
}

/// Watches whether elepay answers, and keeps the accepted-wallet list for
/// the customer display fresh. Probes every 10 s, every 3 s while offline.
pub fn watch_connectivity(app: AppHandle, ctx: Arc<AppContext>) {
    tauri::async_runtime::spawn(async move {
        let mut last: Option<bool> = None;
        loop {
            let engine = ctx.engine();
            let client = engine.client_handle();
            let result = client.list_code_payment_methods().await;
            // Any answer from the server, even a refusal, means reachable.
            let online = match &result {
                Ok(_) => true,
                Err(e) => e.api().is_some(),
            };
            if let Ok(methods) = &result {
                let wallets = methods
                    .payment_methods
                    .iter()
                    .map(|m| m.payment_method.display_name().to_owned())
                    .collect();
                ctx.customer
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .set_wallets(wallets);
            }
            if last != Some(online) {
                let status = Connectivity {
                    online,
                    since_ms: engine.now_ms(),
                };
                *ctx.connectivity.lock().unwrap_or_else(|e| e.into_inner()) = status.clone();
                let _ = app.emit_to(WindowId::Cashier.label(), "connectivity", &status);
                if !online {
                    tracing::warn!("elepay unreachable");
                }
                last = Some(online);
            }
            let pause = if online { 10 } else { 3 };
            tokio::time::sleep(Duration::from_secs(pause)).await;
        }
    });
}
