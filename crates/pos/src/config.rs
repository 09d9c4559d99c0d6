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

    /// The folder holding this mode's ledger: each mode keeps its own, so
    /// DEMO and test sales never mix with real ones. Live keeps the data
    /// folder itself (where every earlier version kept its one ledger).
    pub fn ledger_dir(self, data_dir: &Path) -> PathBuf {
        match self {
            Mode::Demo => data_dir.join("demo"),
            Mode::Test => data_dir.join("test"),
            Mode::Live => data_dir.to_path_buf(),
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        [Mode::Demo, Mode::Test, Mode::Live]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// The app's lock on its data folder: one app per folder, whatever the
/// mode. Whoever changes what the running app holds in memory (its
/// settings, its head-office enrolment) takes it too.
pub fn app_lock(data_dir: &Path) -> Result<WriterLock> {
    WriterLock::acquire(&data_dir.join("easyqr-pos")).map_err(|e| match e {
        easyqr_ledger::LedgerError::Locked { .. } => PosError::new(
            ErrorCode::AlreadyRunning,
            format!(
                "EasyQR POS is already running on this computer (data folder {}); use the open window",
                data_dir.display()
            ),
        ),
        other => other.into(),
    })
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

/// Opens `mode`'s ledger in the data folder, taking the writer lock first
/// when asked. A ledger another mode created is refused (and one from
/// before modes were recorded becomes this mode's).
pub fn open_ledger(
    data_dir: &Path,
    mode: Mode,
    access: Access,
    secrets: &dyn easyqr_app_core::secrets::SecretStore,
) -> Result<OpenLedger> {
    let dir = mode.ledger_dir(data_dir);
    std::fs::create_dir_all(&dir)
        .map_err(|e| PosError::new(ErrorCode::LedgerError, format!("{}: {e}", dir.display())))?;
    let path = dir.join(LEDGER_FILE);
    let lock = match access {
        Access::Write => Some(WriterLock::acquire(&path)?),
        Access::Read => None,
    };
    let ledger = Arc::new(Ledger::open(&path)?);
    ledger.bind_mode(mode.as_str())?;
    install_chain_key(&ledger, secrets, access)?;
    Ok(OpenLedger { ledger, path, lock })
}

/// Signs the journal with the ledger's key from the secret store (outside
/// the ledger file, so a rewritten journal cannot be signed again). A
/// writer without one makes it; a failing store leaves the rows unsigned
/// (logged), never the counter stopped.
fn install_chain_key(
    ledger: &Ledger,
    store: &dyn easyqr_app_core::secrets::SecretStore,
    access: Access,
) -> Result<()> {
    let name = format!("journal-key-{}", ledger.ledger_id()?);
    let stored = match store.get(&name) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "journal key unavailable; the journal is not signed");
            return Ok(());
        }
    };
    match stored {
        Some(secret) => {
            ledger.use_chain_key(Some(easyqr_ledger::ChainKey::from_secret(secret.expose())?))?;
        }
        None if access == Access::Write => {
            let key = ledger.use_chain_key(None)?;
            if let Err(e) = store.set(&name, &key.to_secret()) {
                tracing::error!(error = %e, "journal key not stored; the journal is not signed");
                // Rows signed with a key nobody keeps could never be checked.
                ledger.clear_chain_key();
            }
        }
        None => {}
    }
    Ok(())
}

/// The mode a shell without the app's settings (the CLI) works in: the
/// key's, or the one named (they must agree), or else the only mode whose
/// ledger exists in the data folder.
pub fn key_mode(
    data_dir: &Path,
    key: Option<&elepay::SecretKey>,
    named: Option<Mode>,
) -> Result<Mode> {
    let of_key = key.map(Mode::of_key);
    match (of_key, named) {
        (Some(k), Some(n)) if k != n => Err(PosError::invalid(
            "mode",
            format!(
                "--mode: the key is a {} key but --mode says {}",
                k.as_str(),
                n.as_str()
            ),
        )),
        (Some(m), _) | (None, Some(m)) => Ok(m),
        (None, None) => {
            let present: Vec<Mode> = [Mode::Test, Mode::Live]
                .into_iter()
                .filter(|m| m.ledger_dir(data_dir).join(LEDGER_FILE).exists())
                .collect();
            match present.as_slice() {
                [only] => Ok(*only),
                _ => Err(PosError::invalid(
                    "mode",
                    "--mode: no ELEPAY_SECRET_KEY to tell the mode; say which ledger: --mode test or --mode live",
                )),
            }
        }
    }
}

/// The books of a shell that works on a key's ledger (the CLI): the test
/// or live ledger in the data folder. DEMO's ledger stays the app's own.
pub fn open_key_books(
    given: Option<&Path>,
    mode: impl FnOnce(&Path) -> Result<Mode>,
    access: Access,
) -> Result<(crate::books::Books, Option<WriterLock>)> {
    let dir = data_dir(given)?;
    let secrets = easyqr_app_core::secrets::open_secret_store(&dir);
    let open = open_ledger(&dir, mode(&dir)?, access, secrets.as_ref())?;
    Ok((crate::books::Books::new(open.ledger), open.lock))
}

/// Whether `client`'s key belongs to the elepay app whose payments the
/// ledger holds: that app knows the ledger's newest code; another app's key
/// is told it does not exist (its codes would be polled forever, never
/// cancelled). Unreachable elepay proves nothing: accepted, and logged.
pub async fn check_same_app(ledger: &Ledger, client: &elepay::Client) -> Result<()> {
    let Some(a) = ledger.newest_code_attempt()? else {
        return Ok(()); // nothing to strand
    };
    let Some(code) = a.code_id.as_deref() else {
        return Ok(());
    };
    match client.retrieve_code(code).await {
        Ok(_) => Ok(()),
        Err(e) if e.api().is_some_and(elepay::ApiError::is_not_found) => Err(PosError::new(
            ErrorCode::KeyOtherApp,
            format!(
                "key: this key belongs to another elepay app: it does not know order {} of this ledger; use the key of the app this register sells with (or another data folder)",
                a.order_no
            ),
        )
        .field("key")),
        Err(e) => {
            tracing::warn!(error = %e, "could not confirm the key's elepay app");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_mode_has_its_own_ledger_folder() {
        let d = Path::new("/data");
        assert_eq!(Mode::Demo.ledger_dir(d), Path::new("/data/demo"));
        assert_eq!(Mode::Test.ledger_dir(d), Path::new("/data/test"));
        assert_eq!(Mode::Live.ledger_dir(d), Path::new("/data"));
    }

    #[test]
    fn a_writer_signs_the_journal_with_a_key_kept_in_the_secret_store() {
        use easyqr_app_core::secrets::SecretStore;
        let dir = tempfile::tempdir().unwrap();
        let secrets = easyqr_app_core::secrets::MemoryStore::default();
        let open = open_ledger(dir.path(), Mode::Live, Access::Write, &secrets).unwrap();
        let key = open.ledger.chain_key().expect("signing");
        let name = format!("journal-key-{}", open.ledger.ledger_id().unwrap());
        assert_eq!(
            secrets.get(&name).unwrap().unwrap().expose(),
            key.to_secret()
        );
        open.ledger.open_shift("R1", "a", 1).unwrap();
        let unsigned: i64 = open.ledger.with_connection(|c| {
            c.query_row("SELECT count(*) FROM journal WHERE mac IS NULL", [], |r| {
                r.get(0)
            })
            .unwrap()
        });
        assert_eq!(unsigned, 0);
        drop(open);
        // Reopened (a reader too) with the same key, which checks every row.
        let again = open_ledger(dir.path(), Mode::Live, Access::Read, &secrets).unwrap();
        assert_eq!(again.ledger.chain_key(), Some(key));
        assert!(again.ledger.verify().unwrap().is_intact());
    }

    #[test]
    fn the_cli_mode_is_the_keys_or_the_named_or_the_only_ledger() {
        let dir = tempfile::tempdir().unwrap();
        let test = elepay::SecretKey::parse("sk_test_abcdefgh12345678").unwrap();
        assert_eq!(key_mode(dir.path(), Some(&test), None).unwrap(), Mode::Test);
        let e = key_mode(dir.path(), Some(&test), Some(Mode::Live)).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("mode"));
        assert_eq!(
            key_mode(dir.path(), None, Some(Mode::Live)).unwrap(),
            Mode::Live
        );
        assert_eq!(
            key_mode(dir.path(), None, None)
                .unwrap_err()
                .field
                .as_deref(),
            Some("mode")
        );
        let secrets = easyqr_app_core::secrets::MemoryStore::default();
        open_ledger(dir.path(), Mode::Test, Access::Read, &secrets).unwrap();
        assert_eq!(key_mode(dir.path(), None, None).unwrap(), Mode::Test);
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
