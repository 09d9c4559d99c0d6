//! The elepay secret key of a running station: what the UI may know of it,
//! and installing a new one (verified first, rotation kept).

use easyqr_app_core::secrets::{verify_key, KeyStatus, StorableKey};
use easyqr_app_core::settings::EnvOverrides;

use super::Station;
use crate::config::{default_api_base, Mode};
use crate::error::{ErrorCode, PosError, Result};

/// A key change: the new status, and whether the switch takes a restart.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyChange {
    #[serde(flatten)]
    pub status: KeyStatus,
    /// DEMO → TEST/LIVE (or TEST ↔ LIVE) uses another ledger: restart.
    pub restart_required: bool,
}

impl Station {
    /// Set or not, its last four characters, test/live, the rotation
    /// overlap. Never the key.
    pub fn key_status(&self) -> KeyStatus {
        let unset = |store| KeyStatus {
            set: false,
            last4: None,
            mode: None,
            previous_last4: None,
            previous_mode: None,
            overlap_until_ms: None,
            store,
        };
        if self.env_key {
            let client = self.engine().client_handle();
            return KeyStatus {
                set: true,
                last4: Some(client.key_last4().to_owned()),
                mode: Some(client.mode().as_str()),
                ..unset("environment")
            };
        }
        self.keys.status(self.now_ms()).unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot read the key store");
            unset("unavailable")
        })
    }

    /// Verifies a new secret key with elepay, stores it, and switches to it.
    /// In DEMO mode the switch to TEST/LIVE happens at the next start (their
    /// ledgers are separate), as does a switch between test and live.
    /// A live key is refused unless `live_confirmed`: the cashier's
    /// window asks first, since from then on every charge is real money.
    pub async fn set_key(&self, raw: &str, live_confirmed: bool) -> Result<KeyChange> {
        let storable = StorableKey::parse(raw.trim()).map_err(PosError::from)?;
        let key = storable.key().clone();
        if Mode::of_key(&key) == Mode::Live && !live_confirmed {
            return Err(PosError::new(
                ErrorCode::LiveKeyUnconfirmed,
                "key: a live key charges real money; confirm the switch to live",
            )
            .field("key"));
        }
        let verify_base = if self.mode == Mode::Demo {
            EnvOverrides::from_env()
                .ok()
                .and_then(|e| e.api_base)
                .unwrap_or_else(default_api_base)
        } else {
            self.api_base.clone()
        };
        verify_key(&verify_base, &key).await?;
        let restart_required = match (self.mode, Mode::of_key(&key)) {
            (Mode::Demo, _) => true,
            (now, new) => now != new,
        };
        if !restart_required {
            // Same mode, same ledger: the key must be of the ledger's app.
            let probe = self.engine().client_handle().with_key(key.clone());
            crate::config::check_same_app(self.books().ledger(), &probe).await?;
        }
        let status = self
            .keys
            .install(storable, self.now_ms())
            .map_err(|e| PosError::new(ErrorCode::KeyNotSaved, e.to_string()))?;
        if !restart_required && !self.env_key {
            let engine = self.engine();
            engine.set_client(engine.client_handle().with_key(key));
        }
        Ok(KeyChange {
            status,
            restart_required,
        })
    }
}
