//! Everything the app runs on, built once at start and handed to Tauri as
//! managed state: the ledger (with its writer lock), the engine, the
//! embedded simulator in DEMO mode, settings and keys. Commands are thin
//! calls into this.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use easyqr_app_core::secrets::{
    key_error_code, open_secret_store, KeyManager, KeyStatus, SecretStore, StorableKey,
    WebhookSecrets,
};
use easyqr_app_core::settings::{EnvOverrides, Settings, SettingsStore};
use easyqr_engine::webhook::{serve, ReceiverConfig, RunningReceiver};
use easyqr_engine::{Engine, EngineConfig, SystemClock};
use easyqr_ledger::{Ledger, LedgerError, OrderPrefix, WriterLock};
use serde::Serialize;

use crate::bridge::{CashierFeed, CashierMsg};
use crate::customer::CustomerScreen;
use crate::error::CommandError;

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
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Demo => "demo",
            Mode::Test => "test",
            Mode::Live => "live",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "EasyQR POS is already running on this computer (data folder {0}); use the open window"
    )]
    AlreadyRunning(String),
    #[error("easyqr-cli is changing payments in the ledger {0} (charge, cancel or recover); let it finish, then start EasyQR POS")]
    LedgerBusy(String),
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("cannot start the DEMO simulator: {0}")]
    Demo(String),
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Connectivity {
    pub online: bool,
    pub since_ms: i64,
}

pub struct AppContext {
    pub mode: Mode,
    pub data_dir: PathBuf,
    pub ledger: Arc<Ledger>,
    ledger_path: PathBuf,
    pub api_base: url::Url,
    /// Where the DEMO simulator serves its pay pages.
    pub simulator_url: Option<url::Url>,
    pub keys: KeyManager,
    pub webhook_secrets: WebhookSecrets,
    /// The key came from `ELEPAY_SECRET_KEY`; the stored one is not used.
    pub env_key: bool,
    /// One engine for the life of the app; settings swap its config.
    engine: Engine,
    settings_store: SettingsStore,
    settings: RwLock<Settings>,
    pub customer: Mutex<CustomerScreen>,
    pub connectivity: Mutex<Connectivity>,
    /// Set when the background check finds the ledger edited.
    journal_problem: Mutex<Option<String>>,
    pub feed: CashierFeed,
    /// Async lock: a restart awaits the old receiver before rebinding.
    receiver: tokio::sync::Mutex<Option<RunningReceiver>>,
    _sim: Option<elepay_sim::RunningSim>,
    _locks: (WriterLock, WriterLock),
}

impl std::fmt::Debug for AppContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppContext")
            .field("mode", &self.mode)
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

fn engine_config(s: &Settings) -> Result<EngineConfig, CommandError> {
    let prefix = OrderPrefix::new(&s.register_id)
        .map_err(|e| CommandError::new("invalid_input", e.to_string()).field("registerId"))?;
    let mut cfg = EngineConfig::new(prefix, s.register_id.clone());
    cfg.expiry_minutes = s.expiry_minutes;
    cfg.poll_interval = Duration::from_millis(s.poll_interval_ms);
    cfg.location_id = s.location_id.clone().filter(|l| !l.is_empty());
    cfg.front_url_template = s.front_url.clone().filter(|u| !u.is_empty());
    cfg.validate()?;
    Ok(cfg)
}

impl AppContext {
    /// Builds the context: locks, ledger, keys, simulator (DEMO), engine.
    /// Restart recovery runs later, in the background
    /// ([`AppContext::spawn_recovery`]), so the windows open at once.
    pub async fn start(mut env: EnvOverrides) -> Result<AppContext, StartError> {
        let data_dir = data_dir(&env)?;
        std::fs::create_dir_all(&data_dir).map_err(|e| {
            StartError::Config(format!(
                "EASYQR_DATA_DIR: cannot create {}: {e}",
                data_dir.display()
            ))
        })?;
        // One app per data folder, whatever the mode.
        let app_lock = WriterLock::acquire(&data_dir.join("easyqr-pos")).map_err(|e| match e {
            LedgerError::Locked { .. } => {
                StartError::AlreadyRunning(data_dir.display().to_string())
            }
            other => StartError::Ledger(other),
        })?;
        let settings_store = SettingsStore::new(&data_dir);
        let settings = match settings_store.load() {
            Ok(loaded) => {
                if let Some(problem) = &loaded.recovered {
                    tracing::error!(error = %problem, "settings file unreadable; defaults in use (the bad file was kept)");
                }
                for f in &loaded.reset_fields {
                    tracing::warn!(field = f.field, allowed = %f.allowed, "setting reset to its default");
                }
                loaded.settings
            }
            Err(e) => {
                tracing::error!(error = %e, "settings unreadable; defaults in use");
                Settings::default()
            }
        };
        let store: Arc<dyn SecretStore> = Arc::from(open_secret_store(&data_dir));
        let keys = KeyManager::new(store.clone());
        let webhook_secrets = WebhookSecrets::new(store);

        let env_key = env.take_secret_key();
        let env_has_key = env_key.is_some();
        let key = match env_key {
            Some(k) => Some(k),
            None => keys
                .current()
                .map_err(|e| StartError::Config(e.to_string()))?,
        };
        let (mode, key, api_base, sim, ledger_dir) = match key {
            Some(key) => {
                let mode = match key.mode() {
                    elepay::Mode::Live => Mode::Live,
                    _ => Mode::Test,
                };
                let base = env.api_base.clone().unwrap_or_else(default_api_base);
                (mode, key, base, None, data_dir.clone())
            }
            None => {
                if env.api_base.is_some() {
                    tracing::warn!("EASYQR_API_BASE is set but no key is: DEMO mode uses its embedded simulator");
                }
                let sim = start_demo_sim(settings.demo_lan).await?;
                let base = sim.base_url();
                let key = elepay::SecretKey::parse(DEMO_KEY)
                    .map_err(|e| StartError::Demo(e.to_string()))?;
                // DEMO sales never mix with real ones.
                (Mode::Demo, key, base, Some(sim), data_dir.join("demo"))
            }
        };
        std::fs::create_dir_all(&ledger_dir)
            .map_err(|e| StartError::Config(format!("{}: {e}", ledger_dir.display())))?;
        let ledger_path = ledger_dir.join("ledger.sqlite3");
        let ledger_lock = WriterLock::acquire(&ledger_path).map_err(|e| match e {
            LedgerError::Locked { .. } => StartError::LedgerBusy(ledger_dir.display().to_string()),
            other => StartError::Ledger(other),
        })?;
        let ledger = Arc::new(Ledger::open(&ledger_path)?);
        let client =
            elepay::Client::new(key, elepay::ClientConfig::with_base_url(api_base.clone()))
                .map_err(|e| StartError::Config(e.to_string()))?;
        let cfg = engine_config(&settings).map_err(|e| StartError::Config(e.message))?;
        let engine = Engine::new(ledger.clone(), client, Arc::new(SystemClock), cfg)
            .map_err(|e| StartError::Config(e.to_string()))?;
        let store_name = settings.store_name.clone();
        let simulator_url = sim.as_ref().map(|s: &elepay_sim::RunningSim| s.base_url());
        let ctx = AppContext {
            mode,
            data_dir,
            ledger,
            ledger_path,
            api_base,
            simulator_url,
            keys,
            webhook_secrets,
            env_key: env_has_key,
            engine,
            settings_store,
            settings: RwLock::new(settings),
            customer: Mutex::new(CustomerScreen::new(store_name, mode.as_str())),
            connectivity: Mutex::new(Connectivity {
                online: true,
                since_ms: 0,
            }),
            journal_problem: Mutex::new(None),
            feed: CashierFeed::default(),
            receiver: tokio::sync::Mutex::new(None),
            _sim: sim,
            _locks: (app_lock, ledger_lock),
        };
        ctx.restart_receiver().await;
        Ok(ctx)
    }

    pub fn engine(&self) -> Engine {
        self.engine.clone()
    }

    /// Restart recovery, after the windows are up and the bridge listens:
    /// retire DEMO leftovers, resume watching pending codes and record
    /// payments made while the app was down; then check the journal on a
    /// read-only snapshot, which at a million payments takes seconds and
    /// must not hold up the counter.
    pub fn spawn_recovery(self: &Arc<Self>) {
        let ctx = self.clone();
        tauri::async_runtime::spawn(async move {
            if ctx.mode == Mode::Demo {
                retire_demo_codes(&ctx.ledger, ctx.engine.now_ms());
            }
            match ctx.engine.resume().await {
                Ok(r) => tracing::info!(
                    burned = r.burned.len(),
                    resumed = r.resumed.len(),
                    captured_while_down = r.captured.len(),
                    "restart recovery done"
                ),
                Err(e) => {
                    tracing::error!(error = %e, "restart recovery failed; pending codes are not watched")
                }
            }
            match ctx.engine.resume_refunds() {
                Ok(n) if n > 0 => tracing::info!(refunds = n, "following unfinished refunds"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "cannot follow unfinished refunds"),
            }
            let path = ctx.ledger_path.clone();
            let problem =
                match tokio::task::spawn_blocking(move || Ledger::verify_file(&path)).await {
                    Ok(Ok(report)) => report
                        .first_bad
                        .map(|b| format!("journal row {}: {}", b.seq, b.reason)),
                    Ok(Err(e)) => Some(format!("the ledger could not be checked: {e}")),
                    Err(e) => Some(format!("the ledger check stopped: {e}")),
                };
            match problem {
                Some(p) => {
                    tracing::error!(problem = %p, "JOURNAL CHECK FAILED: the ledger was changed outside EasyQR POS");
                    ctx.feed.send(&CashierMsg::Journal { problem: &p });
                    *ctx.journal_problem
                        .lock()
                        .unwrap_or_else(|e| e.into_inner()) = Some(p);
                }
                None => tracing::info!("ledger journal verified"),
            }
        });
    }

    pub fn journal_problem(&self) -> Option<String> {
        self.journal_problem
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn connectivity(&self) -> Connectivity {
        self.connectivity
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn settings(&self) -> Settings {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// What the UI may know about the key in use: set or not, its last
    /// four characters, test/live, the rotation overlap.
    pub fn key_status(&self) -> KeyStatus {
        let engine = self.engine();
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
            let client = engine.client_handle();
            return KeyStatus {
                set: true,
                last4: Some(client.key_last4().to_owned()),
                mode: Some(client.mode().as_str()),
                ..unset("environment")
            };
        }
        self.keys.status(engine.now_ms()).unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot read the key store");
            unset("unavailable")
        })
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
    ) -> Result<Settings, CommandError> {
        new.webhook.secret_count = match &secrets {
            Some(list) => u32::try_from(list.len()).unwrap_or(u32::MAX),
            None => self.webhook_secrets.count().unwrap_or(0),
        };
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
            return Err(CommandError::new("invalid_input", message).field(first));
        }
        let cfg = engine_config(&new)?;
        if let Some(list) = &secrets {
            let refs: Vec<&str> = list.iter().map(String::as_str).collect();
            self.webhook_secrets
                .replace_all(&refs)
                .map_err(|e| CommandError::new(e.code(), e.to_string()).field("webhook.secrets"))?;
        }
        self.settings_store
            .save(&new)
            .map_err(|e| CommandError::new("settings_not_saved", e.to_string()))?;
        self.engine.set_config(cfg)?;
        self.customer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .set_store_name(new.store_name.clone());
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) = new.clone();
        self.restart_receiver().await;
        Ok(new)
    }

    /// Verifies a new secret key with elepay, stores it, and switches to it.
    /// In DEMO mode the switch to TEST/LIVE happens at the next start (their
    /// ledgers are separate).
    pub async fn set_key(&self, raw: &str) -> Result<(KeyStatus, bool), CommandError> {
        let storable = StorableKey::parse(raw.trim())
            .map_err(|e| CommandError::new(key_error_code(&e), e.to_string()).field("key"))?;
        let key = storable.key().clone();
        let verify_base = if self.mode == Mode::Demo {
            EnvOverrides::from_env()
                .ok()
                .and_then(|e| e.api_base)
                .unwrap_or_else(default_api_base)
        } else {
            self.api_base.clone()
        };
        easyqr_app_core::secrets::verify_key(&verify_base, &key)
            .await
            .map_err(|e| CommandError::new(e.code(), e.to_string()).field("key"))?;
        let now = self.engine().now_ms();
        let mode_changes = match (self.mode, key.mode()) {
            (Mode::Demo, _) => true,
            (Mode::Live, elepay::Mode::Live) => false,
            (Mode::Live, _) | (_, elepay::Mode::Live) => true,
            _ => false,
        };
        let status = self
            .keys
            .install(storable, now)
            .map_err(|e| CommandError::new("key_not_saved", e.to_string()))?;
        if !mode_changes && !self.env_key {
            let engine = self.engine();
            engine.set_client(engine.client_handle().with_key(key));
        }
        Ok((status, mode_changes))
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
        match serve(self.engine(), ReceiverConfig::new(addr, secrets)).await {
            Ok(r) => {
                tracing::info!(addr = %r.local_addr, "webhook receiver listening");
                *slot = Some(r);
            }
            Err(e) => tracing::error!(error = %e, "webhook receiver could not start"),
        }
    }
}

fn default_api_base() -> url::Url {
    url::Url::parse(elepay::DEFAULT_BASE_URL).unwrap_or_else(|_| unreachable_base())
}

/// `DEFAULT_BASE_URL` is a constant that parses; this only keeps the
/// signature total without an `expect`.
fn unreachable_base() -> url::Url {
    url::Url::parse("https://api.elepay.io").unwrap_or_else(|_| unreachable!())
}

pub fn read_env() -> Result<EnvOverrides, StartError> {
    EnvOverrides::from_env().map_err(|errors| {
        StartError::Config(
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

pub fn data_dir(env: &EnvOverrides) -> Result<PathBuf, StartError> {
    env.data_dir
        .clone()
        .or_else(easyqr_app_core::settings::default_data_dir)
        .ok_or_else(|| {
            StartError::Config("EASYQR_DATA_DIR: no data folder given and HOME is not set".into())
        })
}

/// The DEMO simulator keeps its codes in memory, so codes shown before a
/// restart no longer exist anywhere: record them as expired (fake money)
/// instead of watching them forever.
fn retire_demo_codes(ledger: &Ledger, now: i64) {
    let Ok(open) = ledger.unresolved_attempts() else {
        return;
    };
    for a in open
        .into_iter()
        .filter(|a| a.state == easyqr_ledger::AttemptState::Pending)
    {
        if let Err(e) = ledger.apply(a.id, &easyqr_ledger::Change::Expired, now) {
            tracing::warn!(order_no = %a.order_no, error = %e, "could not retire a DEMO code");
        } else {
            tracing::info!(order_no = %a.order_no, "DEMO code from before the restart recorded as expired");
        }
    }
}

async fn start_demo_sim(lan: bool) -> Result<elepay_sim::RunningSim, StartError> {
    let addr = if lan { "0.0.0.0:8790" } else { "127.0.0.1:0" };
    let public_base = if lan {
        lan_address().and_then(|ip| url::Url::parse(&format!("http://{ip}:8790/")).ok())
    } else {
        None
    };
    let clock_scale = std::env::var("EASYQR_DEMO_CLOCK_SCALE")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(1.0);
    elepay_sim::start(
        elepay_sim::SimConfig {
            secret_keys: vec![DEMO_KEY.into()],
            public_base,
            clock: elepay_sim::ClockConfig {
                start_ms: None,
                scale: clock_scale,
            },
            ..Default::default()
        },
        addr.parse()
            .map_err(|e: std::net::AddrParseError| StartError::Demo(e.to_string()))?,
    )
    .await
    .map_err(|e| StartError::Demo(e.to_string()))
}

/// This machine's LAN address (the one used to reach other hosts), so a
/// phone on the same network can open the DEMO pay page.
fn lan_address() -> Option<std::net::IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    // No packet is sent: connecting a UDP socket only picks a route.
    s.connect("192.0.2.1:9").ok()?;
    s.local_addr().ok().map(|a| a.ip())
}
