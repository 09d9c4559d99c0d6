//! Settings changes on a running station: validated all or nothing, stored,
//! then applied in place (engine configuration, webhook receiver).

use easyqr_app_core::settings::Settings;
use easyqr_engine::receiver::{serve, ReceiverConfig};

use super::Station;
use crate::config::RegisterConfig;
use crate::error::{ErrorCode, PosError, Result};

impl Station {
    /// The settings with the number of webhook signing secrets filled in
    /// (the secrets themselves are write-only).
    pub fn settings_view(&self) -> Settings {
        let mut s = self.settings();
        s.webhook.secret_count = self.webhook_secrets.count().unwrap_or(0);
        s
    }

    /// Validates, stores and applies new settings, all or nothing: nothing
    /// is written unless every field (and every new webhook signing secret)
    /// is acceptable. `secrets`, when given, replaces the stored ones. The
    /// engine keeps running; its config is swapped, so pending payments keep
    /// their watchers and the windows their events.
    pub async fn save_settings(
        &self,
        mut new: Settings,
        secrets: Option<Vec<String>>,
    ) -> Result<Settings> {
        // The head office is changed by enrolment only (hq_enrol/unenrol).
        let old = self.settings();
        new.hq = old.hq.clone();
        new.normalize();
        new.webhook.secret_count = match &secrets {
            Some(list) => u32::try_from(list.len()).unwrap_or(u32::MAX),
            None => self.webhook_secrets.count().unwrap_or(0),
        };
        // A receiver with no signing secret would refuse every delivery.
        if new.webhook.enabled && new.webhook.secret_count == 0 {
            return Err(PosError::invalid(
                "webhook.secrets",
                "webhook.secrets: at least one signing secret (whsec_…) from elepay's dashboard while the receiver is on",
            ));
        }
        if let Err(errors) = new.validate() {
            let first = errors
                .first()
                .map(|e| e.field.to_string())
                .unwrap_or_default();
            let message = errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; ");
            return Err(PosError::invalid(first, message));
        }
        self.hq_keeps_identity(&old, &new)?;
        let old_register = old.register_id;
        if new.register_id != old_register {
            if let Some(shift) = self.books().ledger().current_shift(&old_register)? {
                // Its sales would be left in a shift no register can close.
                return Err(PosError::new(
                    ErrorCode::ShiftOpen,
                    format!(
                        "registerId: shift {shift} of register {old_register} is open; close it before changing the register id"
                    ),
                )
                .field("registerId"));
            }
        }
        let cfg = RegisterConfig::from_settings(&new).engine_config()?;
        if let Some(list) = &secrets {
            let refs: Vec<&str> = list.iter().map(String::as_str).collect();
            self.webhook_secrets.replace_all(&refs)?;
        }
        self.settings_store
            .save(&new)
            .map_err(|e| PosError::new(ErrorCode::SettingsNotSaved, e.to_string()))?;
        self.engine().set_config(cfg)?;
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) = new.clone();
        self.restart_receiver().await;
        Ok(new)
    }

    /// (Re)starts the webhook receiver per the settings; off by default.
    pub async fn restart_receiver(&self) {
        let mut slot = self.receiver.lock().await;
        if let Some(old) = slot.take() {
            old.task.abort();
            // The port is free only once the aborted task has dropped its
            // listener; rebinding earlier fails with "address in use".
            let _ = old.task.await;
        }
        let s = self.settings();
        if !s.webhook.enabled {
            return;
        }
        let addr = match s.webhook.address.parse() {
            Ok(a) => a,
            Err(e) => {
                tracing::error!(error = %e, "webhook address unusable; receiver off");
                return;
            }
        };
        let secrets = self.webhook_secrets.signing_secrets().unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot read the webhook signing secrets");
            Vec::new()
        });
        match serve(self.engine().clone(), ReceiverConfig::new(addr, secrets)).await {
            Ok(r) => {
                tracing::info!(addr = %r.local_addr, "webhook receiver listening");
                *slot = Some(r);
            }
            Err(e) => tracing::error!(error = %e, "webhook receiver could not start"),
        }
    }
}
