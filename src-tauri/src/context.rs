//! What the app runs on, built once at start and handed to Tauri as managed
//! state: the [`Station`] (ledger, engine, settings, keys, DEMO simulator;
//! every rule lives there) plus what only windows need — the customer
//! display's state, the cashier feed, connectivity, the ledger alarm and
//! the QR drawings.

use std::sync::{Arc, Mutex};

use easyqr_app_core::settings::Settings;
use easyqr_pos_core::{PosError, StartOptions, Station};
use serde::Serialize;

use crate::bridge::{CashierFeed, CashierMsg};
use crate::customer::CustomerScreen;
use crate::qr::QrCache;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Connectivity {
    pub online: bool,
    pub since_ms: i64,
}

#[derive(Debug)]
pub struct AppContext {
    pub station: Station,
    pub customer: Mutex<CustomerScreen>,
    pub connectivity: Mutex<Connectivity>,
    /// Set when the background check finds the ledger edited.
    journal_problem: Mutex<Option<String>>,
    pub feed: CashierFeed,
    pub qr: QrCache,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl AppContext {
    pub async fn start(opts: StartOptions) -> Result<AppContext, PosError> {
        let station = Station::start(opts).await?;
        let customer = CustomerScreen::new(station.settings().store_name, station.mode.as_str());
        Ok(AppContext {
            station,
            customer: Mutex::new(customer),
            connectivity: Mutex::new(Connectivity {
                online: true,
                since_ms: 0,
            }),
            journal_problem: Mutex::new(None),
            feed: CashierFeed::default(),
            qr: QrCache::default(),
        })
    }

    /// Restart recovery and the journal check, after the windows are up and
    /// the bridge listens, so their findings reach the cashier.
    pub fn spawn_recovery(self: &Arc<Self>) {
        let ctx = self.clone();
        tauri::async_runtime::spawn(async move {
            let checks = ctx.station.startup_checks().await;
            for order_no in &checks.retired {
                tracing::info!(%order_no, "DEMO code from before the restart recorded as expired");
            }
            if let Some(r) = &checks.recovery {
                tracing::info!(
                    burned = r.burned.len(),
                    resumed = r.resumed.len(),
                    captured_while_down = r.captured.len(),
                    closed_paid_elsewhere = r.closed.len(),
                    refunds_followed = checks.refunds_followed,
                    "restart recovery done"
                );
            }
            match checks.journal_problem {
                Some(p) => {
                    tracing::error!(problem = %p, "JOURNAL CHECK FAILED: the ledger was changed outside EasyQR POS");
                    ctx.feed.send(&CashierMsg::Journal { problem: &p });
                    *lock(&ctx.journal_problem) = Some(p);
                }
                None => tracing::info!("ledger journal verified"),
            }
        });
    }

    pub fn journal_problem(&self) -> Option<String> {
        lock(&self.journal_problem).clone()
    }

    pub fn connectivity(&self) -> Connectivity {
        lock(&self.connectivity).clone()
    }

    /// Saves settings through the station, then shows the new store name.
    pub async fn save_settings(
        &self,
        new: Settings,
        secrets: Option<Vec<String>>,
    ) -> Result<Settings, PosError> {
        let saved = self.station.save_settings(new, secrets).await?;
        lock(&self.customer).set_store_name(saved.store_name.clone());
        Ok(saved)
    }

    /// What the customer display should show right now.
    pub fn customer_view(&self) -> crate::customer::CustomerView {
        lock(&self.customer).current(self.station.now_ms())
    }
}
