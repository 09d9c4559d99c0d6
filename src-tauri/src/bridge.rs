//! Engine events to windows. The cashier window gets its events over an IPC
//! channel it opened with the cashier-only `subscribe_cashier` command, so
//! no other window can hear them (an event `listen` cannot be scoped per
//! event name). The customer display gets only the customer-safe view
//! computed by [`crate::customer::CustomerScreen`], as the `customer` event.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use easyqr_engine::{CashierEvent, CustomerEvent, EngineEvent};
use easyqr_ledger::AttemptState;
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Emitter};
use tokio::sync::broadcast::error::RecvError;

use crate::context::{AppContext, Connectivity};
use crate::windows::WindowId;

/// A cashier event plus, while pending, the QR for the thumbnail.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CashierPayload<'a> {
    #[serde(flatten)]
    event: &'a CashierEvent,
    #[serde(skip_serializing_if = "Option::is_none")]
    qr_svg: Option<String>,
}

/// What travels on the cashier channel, tagged by `kind`.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum CashierMsg<'a> {
    Attempt(CashierPayload<'a>),
    Connectivity(&'a Connectivity),
    /// The background ledger check found an edit made outside the app.
    Journal {
        problem: &'a str,
    },
    /// A refund was requested or changed.
    Refund(&'a easyqr_ledger::Refund),
    /// The head-office link's status changed.
    Hq(&'a easyqr_pos_core::HqStatus),
    /// A payment's receipt: ask the cashier (`receipt.autoPrint` ask), or
    /// open the print dialog (always, with no printer set).
    #[serde(rename_all = "camelCase")]
    ReceiptOffer {
        attempt_id: i64,
        dialog: bool,
    },
    /// A receipt printed by itself after a payment (nested: the receipt
    /// has a `kind` of its own).
    Receipt {
        receipt: &'a easyqr_pos_core::receipt::Issued,
    },
    /// Printing after a payment failed (printer offline, out of paper, …):
    /// shown with a retry; the sale is recorded all the same.
    #[serde(rename_all = "camelCase")]
    ReceiptFailed {
        attempt_id: i64,
        error: &'a easyqr_pos_core::PosError,
    },
}

/// The channels opened by cashier windows. A window's channels are
/// forgotten when its page (re)loads, since their JS ends are gone then.
#[derive(Default)]
pub struct CashierFeed {
    channels: Mutex<Vec<(String, Channel<serde_json::Value>)>>,
}

impl std::fmt::Debug for CashierFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.channels.lock().map(|c| c.len()).unwrap_or(0);
        f.debug_struct("CashierFeed").field("channels", &n).finish()
    }
}

impl CashierFeed {
    pub fn subscribe(&self, label: &str, channel: Channel<serde_json::Value>) {
        self.channels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((label.to_owned(), channel));
    }

    /// Called when a window starts loading a page.
    pub fn forget_window(&self, label: &str) {
        self.channels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(l, _)| l != label);
    }

    pub fn send(&self, msg: &CashierMsg<'_>) {
        let value = match serde_json::to_value(msg) {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(error = %e, "cashier message not serializable");
                return;
            }
        };
        self.channels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(label, ch)| match ch.send(value.clone()) {
                Ok(()) => true,
                Err(e) => {
                    tracing::warn!(window = %label, error = %e, "cashier channel gone");
                    false
                }
            });
    }
}

/// Forwards the engine's events for the life of the app.
pub fn forward(app: AppHandle, ctx: Arc<AppContext>) {
    let mut rx = ctx.station.engine().subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(EngineEvent::Cashier(ev)) => {
                    let qr = match (&ev.attempt.code_url, ev.state) {
                        (Some(url), AttemptState::Pending) => ctx.qr.svg(url),
                        _ => None,
                    };
                    ctx.feed.send(&CashierMsg::Attempt(CashierPayload {
                        event: &ev,
                        qr_svg: qr,
                    }));
                    crate::receipts::after_payment(ctx.clone(), &ev.attempt);
                }
                Ok(EngineEvent::Refund(r)) => ctx.feed.send(&CashierMsg::Refund(&r)),
                Ok(EngineEvent::Customer(ev)) => {
                    let now = ctx.station.now_ms();
                    // The sale's item lines, as recorded, for the display.
                    let lines = match &ev {
                        CustomerEvent::Payment { sale_id, .. } => ctx
                            .station
                            .books()
                            .ledger()
                            .sale_record(*sale_id)
                            .map(|r| r.lines)
                            .unwrap_or_default(),
                        _ => Vec::new(),
                    };
                    let view = {
                        let mut screen = ctx.customer.lock().unwrap_or_else(|e| e.into_inner());
                        if matches!(ev, CustomerEvent::Payment { .. }) {
                            screen.set_items(&lines);
                        }
                        screen.apply(&ev, now, |url| ctx.qr.svg(url))
                    };
                    if let Some(view) = view {
                        let _ = app.emit_to(WindowId::Customer.label(), "customer", &view);
                        back_to_idle(&app, &ctx, view.screen);
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

/// An outcome stays up for its seconds, then the display is sent idle: the
/// window keeps no timer of its own. Nothing is sent if another view
/// replaced the outcome meanwhile.
fn back_to_idle(app: &AppHandle, ctx: &Arc<AppContext>, screen: crate::customer::Screen) {
    let Some(hold) = crate::customer::hold_ms(screen) else {
        return;
    };
    let (app, ctx) = (app.clone(), ctx.clone());
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(Duration::from_millis(hold.unsigned_abs())).await;
        let view = ctx.customer_view();
        if view.screen == crate::customer::Screen::Idle {
            let _ = app.emit_to(WindowId::Customer.label(), "customer", &view);
        }
    });
}

/// Watches whether elepay answers, and keeps the accepted-wallet list for
/// the customer display fresh. Probes every 10 s, every 3 s while offline.
pub fn watch_connectivity(ctx: Arc<AppContext>) {
    tauri::async_runtime::spawn(async move {
        let mut last: Option<bool> = None;
        loop {
            let (online, wallets) = ctx.station.probe().await;
            if let Some(wallets) = wallets {
                ctx.customer
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .set_wallets(wallets);
            }
            if last != Some(online) {
                let status = Connectivity {
                    online,
                    since_ms: ctx.station.now_ms(),
                };
                *ctx.connectivity.lock().unwrap_or_else(|e| e.into_inner()) = status.clone();
                ctx.feed.send(&CashierMsg::Connectivity(&status));
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
