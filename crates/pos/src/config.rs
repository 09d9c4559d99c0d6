//! Where a register's data lives and how it talks to elepay: the data
//! folder, the mode (DEMO / test / live) and its ledger, and the engine
//! configuration built from the settings (or the CLI's flags). Built here
//! once for every shell.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use easyqr_app_core::settings::Settings;
use easyqr_engine::{EngineConfig, SystemClock};
use easyqr_ledger::{Ledger, OrderPrefix, WriterLock};
use serde::Serialize;

use crate::error::{ErrorCode, PosError, Result};

/// Ledger file name inside a mode's folder.
pub const LEDGER_FILE: &str = "ledger.sqlite3";

/// The key every DEMO simulator accepts. Not a secret: DEMO money is fake.
pub const DEMO_KEY: &str = "sk_test_demo0000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// No key configured: the embedded simulator stands in for elepay.
    Demo,
    Test,
    Live,
}

impl Mode {
    pub fn of_key(key: &elepay::SecretKey) -> Mode {
        match key.mode() {
            elepay::Mode::Live => Mode::Live,
            _ => Mode::Test,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Demo => "demo",
            Mode::Test => "test",
            Mode::Live => "live",
        }
    }

    /// The folder holding this mode's ledger: DEMO sales never mix with
    /// real ones.
    pub fn ledger_dir(self, data_dir: &Path) -> PathBuf {
        match self {
            Mode::Demo => data_dir.join("demo"),
            Mode::Test | Mode::Live => data_dir.to_path_buf(),
        }
    }
}

/// The data folder: the one given (flag or `EASYQR_DATA_DIR`), else
/// `$XDG_DATA_HOME/easyqr-pos`. Created if missing.
pub fn data_dir(given: Option<&Path>) -> Result<PathBuf> {
    let dir = given
        .map(Path::to_path_buf)
        .or_else(easyqr_app_core::settings::default_data_dir)
        .ok_or_else(|| {
            PosError::invalid(
                "EASYQR_DATA_DIR",
                "EASYQR_DATA_DIR: no data folder given and HOME is not set",
            )
        })?;
    std::fs::create_dir_all(&dir).map_err(|e| {
        PosError::invalid(
            "EASYQR_DATA_DIR",
            format!("EASYQR_DATA_DIR: cannot create {}: {e}", dir.display()),
        )
    })?;
    Ok(dir)
}

/// elepay's production address.
pub fn default_api_base() -> url::Url {
    url::Url::parse(elepay::DEFAULT_BASE_URL)
        .or_else(|_| url::Url::parse("https://api.elepay.io"))
        .unwrap_or_else(|_| unreachable!("a constant URL parses"))
}

/// What the engine needs to know about this register, whichever shell
/// collected it (the app's settings or the CLI's flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterConfig {
    pub register_id: String,
    /// orderNo prefix; the register id unless the CLI says otherwise.
    pub order_prefix: String,
    pub location_id: Option<String>,
    pub front_url: Option<String>,
    pub expiry_minutes: u32,
    pub poll_interval: Duration,
    /// Timeout of one elepay request.
    pub request_timeout: Duration,
}

impl RegisterConfig {
    pub fn from_settings(s: &Settings) -> RegisterConfig {
        RegisterConfig {
            register_id: s.register_id.clone(),
            order_prefix: s.register_id.clone(),
            location_id: s.location_id.clone().filter(|l| !l.is_empty()),
            front_url: s.front_url.clone().filter(|u| !u.is_empty()),
            expiry_minutes: s.expiry_minutes,
            poll_interval: Duration::from_millis(s.poll_interval_ms),
            request_timeout: elepay::ClientConfig::default().timeout,
        }
    }

    /// The engine's configuration, validated; a bad value names its field.
    pub fn engine_config(&self) -> Result<EngineConfig> {
        let prefix = OrderPrefix::new(&self.order_prefix)
            .map_err(|e| PosError::invalid("registerId", e.to_string()))?;
        let mut cfg = EngineConfig::new(prefix, self.register_id.clone());
        cfg.expiry_minutes = self.expiry_minutes;
        cfg.poll_interval = self.poll_interval;
        cfg.location_id = self.location_id.clone();
        cfg.front_url_template = self.front_url.clone();
        cfg.validate()?;
        Ok(cfg)
    }

    /// An elepay client for `key` at `api_base`.
    pub fn client(&self, key: elepay::SecretKey, api_base: &url::Url) -> Result<elepay::Client> {
        elepay::Client::new(
            key,
            elepay::ClientConfig {
                timeout: self.request_timeout,
                ..elepay::ClientConfig::with_base_url(api_base.clone())
            },
        )
        .map_err(|e| PosError::new(ErrorCode::Internal, e.to_string()))
    }

    /// The engine over `ledger`, talking to elepay with `key`.
    pub fn engine(
        &self,
        ledger: Arc<Ledger>,
        key: elepay::SecretKey,
        api_base: &url::Url,
    ) -> Result<easyqr_engine::Engine> {
        let client = self.client(key, api_base)?;
        Ok(easyqr_engine::Engine::new(
            ledger,
            client,
            Arc::new(SystemClock),
            self.engine_config()?,
        )?)
    }
}

/// Whether the opener will change payments. Changing needs the ledger's
/// writer lock, so the app and a CLI charge never run side by side (one's
/// recovery would burn the other's create in flight); reading needs none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// An open ledger and, for writers, the lock that keeps it theirs.
#[derive(Debug)]
pub struct OpenLedger {
    pub ledger: Arc<Ledger>,
    pub path: PathBuf,
    pub lock: Option<WriterLock>,
}

/// Opens `<dir>/ledger.sqlite3`, taking the writer lock first when asked.
pub fn open_ledger(dir: &Path, access: Access) -> Result<OpenLedger> {
    std::fs::create_dir_all(dir)
        .map_err(|e| PosError::new(ErrorCode::LedgerError, format!("{}: {e}", dir.display())))?;
    let path = dir.join(LEDGER_FILE);
    let lock = match access {
        Access::Write => Some(WriterLock::acquire(&path)?),
        Access::Read => None,
    };
    let ledger = Arc::new(Ledger::open(&path)?);
    Ok(OpenLedger { ledger, path, lock })
}

/// The books of a shell that works on the key's ledger (the CLI): the
/// test/live ledger in the data folder. DEMO's ledger stays the app's own.
pub fn open_key_books(
    given: Option<&Path>,
    access: Access,
) -> Result<(crate::books::Books, Option<WriterLock>)> {
    let dir = data_dir(given)?;
    let open = open_ledger(&Mode::Test.ledger_dir(&dir), access)?;
    Ok((crate::books::Books::new(open.ledger), open.lock))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_has_its_own_ledger_folder() {
        let d = Path::new("/data");
        assert_eq!(Mode::Demo.ledger_dir(d), Path::new("/data/demo"));
        assert_eq!(Mode::Test.ledger_dir(d), Path::new("/data"));
    }

    #[test]
    fn settings_become_an_engine_config_or_name_the_field() {
        let s = Settings {
            register_id: "S01R2".into(),
            location_id: Some(String::new()),
            ..Settings::default()
        };
        let cfg = RegisterConfig::from_settings(&s).engine_config().unwrap();
        assert_eq!(cfg.order_prefix.as_str(), "S01R2");
        assert_eq!(cfg.location_id, None, "an empty locationId is none");
        let mut bad = RegisterConfig::from_settings(&s);
        bad.order_prefix = "no spaces".into();
        assert_eq!(
            bad.engine_config().unwrap_err().field.as_deref(),
            Some("registerId")
        );
        let mut bad = RegisterConfig::from_settings(&s);
        bad.expiry_minutes = 2;
        assert_eq!(
            bad.engine_config().unwrap_err().field.as_deref(),
            Some("expiryMinutes")
        );
    }
}
