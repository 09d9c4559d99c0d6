//! The head-office link of a running station: enrol, unenrol, its status,
//! and (re)starting the link whenever the enrolment changes. DEMO sales are
//! not real, so a DEMO station never links.

use tokio::sync::watch;

use super::Station;
use crate::config::Mode;
use crate::error::{ErrorCode, PosError, Result};
use crate::hq::link::update;
use crate::hq::{Enrolment, HqLink, HqStatus};

impl Station {
    fn enrolment(&self) -> Enrolment {
        Enrolment::new(self.settings_store.clone(), self.hq_tokens.clone())
    }

    /// The link's status now (`off` when not enrolled).
    pub fn hq_status(&self) -> HqStatus {
        self.hq_status.borrow().clone()
    }

    /// Every change of the link's status, across restarts of the link.
    pub fn hq_watch(&self) -> watch::Receiver<HqStatus> {
        self.hq_status.subscribe()
    }

    /// Checks `token` with the HQ at `url` (the register id and locationId
    /// must be those HQ enrolled), keeps both, and starts the link.
    /// The enrolment reports this station's mode's ledger (never DEMO's).
    pub async fn hq_enrol(&self, url: &str, token: &str) -> Result<HqStatus> {
        let mut slot = self.hq_link.lock().await;
        let (saved, _me) = self
            .enrolment()
            .enrol(&self.settings(), url, token, self.mode)
            .await?;
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) = saved;
        self.relink(&mut slot).await;
        Ok(self.hq_status())
    }

    /// Forgets the enrolment and stops the link.
    pub async fn hq_unenrol(&self) -> Result<HqStatus> {
        let mut slot = self.hq_link.lock().await;
        let saved = self.enrolment().unenrol(&self.settings())?;
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) = saved;
        self.relink(&mut slot).await;
        tracing::info!("unenrolled from the head office");
        Ok(self.hq_status())
    }

    /// Ships now instead of at the next tick (support, tests).
    pub async fn hq_ship_now(&self) {
        if let Some(link) = self.hq_link.lock().await.as_ref() {
            link.ship_now();
        }
    }

    /// (Re)starts the link per the stored enrolment; off when there is none.
    pub async fn restart_hq(&self) {
        let mut slot = self.hq_link.lock().await;
        self.relink(&mut slot).await;
    }

    async fn relink(&self, slot: &mut Option<HqLink>) {
        if let Some(old) = slot.take() {
            old.stop().await;
        }
        if self.mode == Mode::Demo {
            update(&self.hq_status, |s| *s = HqStatus::off());
            return;
        }
        let settings = self.settings();
        match self.enrolment().client_for(&settings, self.mode) {
            Ok(Some(client)) => {
                *slot = Some(HqLink::start_with(
                    self.engine().clone(),
                    client,
                    self.hq_status.clone(),
                ))
            }
            Ok(None) => {
                update(&self.hq_status, |s| *s = HqStatus::off());
            }
            Err(e) => {
                // Enrolled, but not linked: said in the header, not hidden.
                tracing::error!(error = %e, "head-office link not started");
                let url = settings.hq.url.as_deref().unwrap_or_default();
                let held = HqStatus::held(url, &e.to_string(), self.engine().now_ms());
                update(&self.hq_status, |s| *s = held);
            }
        }
    }

    /// Settings may not move a register away from what HQ enrolled.
    pub(super) fn hq_keeps_identity(
        &self,
        old: &easyqr_app_core::settings::Settings,
        new: &easyqr_app_core::settings::Settings,
    ) -> Result<()> {
        if old.hq.url.is_none() {
            return Ok(());
        }
        let loc = |s: &easyqr_app_core::settings::Settings| {
            s.location_id.clone().filter(|l| !l.is_empty())
        };
        let field = if new.register_id != old.register_id {
            "registerId"
        } else if loc(new) != loc(old) {
            "locationId"
        } else {
            return Ok(());
        };
        Err(PosError::new(
            ErrorCode::HqMismatch,
            format!("{field}: this register is enrolled with the head office under its current {field}; unenrol it (Settings → Head office) before changing it"),
        )
        .field(field))
    }
}
