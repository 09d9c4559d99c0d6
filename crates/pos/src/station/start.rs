//! Building a station: data folder → locks → settings → key → mode and
//! ledger → DEMO simulator → engine → webhook receiver → head-office link.

use std::sync::{Arc, RwLock};

use easyqr_app_core::secrets::{
    open_secret_store, HqTokenStore, KeyManager, SecretStore, WebhookSecrets,
};
use easyqr_app_core::settings::{EnvOverrides, Settings, SettingsStore};

use super::Station;
use crate::config::{self, default_api_base, Access, Mode, RegisterConfig, DEMO_KEY};
use crate::error::{ErrorCode, PosError, Result};
use crate::register::Register;

/// What the shell read from its environment.
#[derive(Debug, Default)]
pub struct StartOptions {
    pub env: EnvOverrides,
    /// Speed of the DEMO simulator's clock (1 = real time).
    pub demo_clock_scale: Option<f64>,
}

impl StartOptions {
    /// Reads the process environment (`ELEPAY_SECRET_KEY`, `EASYQR_*`);
    /// every bad variable is named.
    pub fn from_env() -> Result<StartOptions> {
        let env = EnvOverrides::from_env().map_err(|errors| {
            let message = errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; ");
            let field = errors.first().map_or("environment", |e| e.variable);
            PosError::invalid(field, message)
        })?;
        let demo_clock_scale = std::env::var("EASYQR_DEMO_CLOCK_SCALE")
            .ok()
            .and_then(|s| s.parse::<f64>().ok());
        Ok(StartOptions {
            env,
            demo_clock_scale,
        })
    }

    /// The data folder these options name (or the default), created.
    pub fn data_dir(&self) -> Result<std::path::PathBuf> {
        config::data_dir(self.env.data_dir.as_deref())
    }
}

impl Station {
    /// Builds the station. Restart recovery is left to
    /// [`Station::startup_checks`], so the windows open at once.
    pub async fn start(mut opts: StartOptions) -> Result<Station> {
        let data_dir = opts.data_dir()?;
        // One app per data folder, whatever the mode.
        let app_lock = config::app_lock(&data_dir)?;
        let settings_store = SettingsStore::new(&data_dir);
        let settings = load_settings(&settings_store);
        let store: Arc<dyn SecretStore> = Arc::from(open_secret_store(&data_dir));
        let keys = KeyManager::new(store.clone());
        let webhook_secrets = WebhookSecrets::new(store.clone());

        let env_key = opts.env.take_secret_key();
        let env_has_key = env_key.is_some();
        let key = match env_key {
            Some(k) => Some(k),
            None => keys.current()?,
        };
        let (mode, key, api_base, sim) = match key {
            Some(key) => {
                let base = opts.env.api_base.clone().unwrap_or_else(default_api_base);
                (Mode::of_key(&key), key, base, None)
            }
            None => {
                if opts.env.api_base.is_some() {
                    tracing::warn!("EASYQR_API_BASE is set but no key is: DEMO mode uses its embedded simulator");
                }
                let sim = start_demo_sim(settings.demo_lan, opts.demo_clock_scale).await?;
                let base = sim.base_url();
                let key = elepay::SecretKey::parse(DEMO_KEY)?;
                (Mode::Demo, key, base, Some(sim))
            }
        };
        let ledger_dir = mode.ledger_dir(&data_dir);
        let open = config::open_ledger(&data_dir, mode, Access::Write, store.as_ref()).map_err(|e| {
            if e.code == ErrorCode::LedgerBusy {
                PosError::new(
                    ErrorCode::LedgerBusy,
                    format!(
                        "easyqr-cli is changing payments in the ledger {} (charge, cancel or recover); let it finish, then start EasyQR POS",
                        ledger_dir.display()
                    ),
                )
            } else {
                e
            }
        })?;
        let register_cfg = RegisterConfig::from_settings(&settings);
        if mode != Mode::Demo {
            // A key of another elepay app would strand this ledger's codes.
            // A short look: a slow elepay must not hold up the start.
            let probe = RegisterConfig {
                request_timeout: std::time::Duration::from_secs(1),
                ..register_cfg.clone()
            };
            config::check_same_app(&open.ledger, &probe.client(key.clone(), &api_base)?).await?;
        }
        let engine = register_cfg.engine(open.ledger.clone(), key, &api_base)?;
        let simulator_url = sim.as_ref().map(elepay_sim::RunningSim::base_url);
        let station = Station {
            mode,
            data_dir,
            ledger_path: open.path,
            api_base,
            simulator_url,
            keys,
            webhook_secrets,
            env_key: env_has_key,
            register: Register::new(engine),
            settings_store,
            settings: RwLock::new(settings),
            receiver: tokio::sync::Mutex::new(None),
            hq_tokens: HqTokenStore::new(store.clone()),
            hq_link: tokio::sync::Mutex::new(None),
            hq_status: tokio::sync::watch::Sender::new(crate::hq::HqStatus::off()),
            counter: tokio::sync::Mutex::new(()),
            _sim: sim,
            _locks: (
                app_lock,
                open.lock
                    .unwrap_or_else(|| unreachable!("a writer has its lock")),
            ),
        };
        station.restart_receiver().await;
        station.restart_hq().await;
        Ok(station)
    }
}

/// The stored settings, or the defaults when the file is unusable (the bad
/// file is kept aside by the store); never a reason not to start.
fn load_settings(store: &SettingsStore) -> Settings {
    match store.load() {
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
    }
}

/// The port of the DEMO pay page on the LAN (README: "listen on the LAN").
const DEMO_LAN_PORT: u16 = 8790;

async fn start_demo_sim(lan: bool, clock_scale: Option<f64>) -> Result<elepay_sim::RunningSim> {
    let demo = |e: String| {
        PosError::new(
            ErrorCode::DemoFailed,
            format!("cannot start the DEMO simulator: {e}"),
        )
    };
    // On the LAN, phones reach the pay page alone; the simulator's API
    // (its DEMO key is no secret) and its controls stay on loopback.
    let (pay_page_addr, public_base) = if lan {
        let ip = lan_address().unwrap_or(std::net::Ipv4Addr::LOCALHOST.into());
        (
            Some(std::net::SocketAddr::from((
                std::net::Ipv4Addr::UNSPECIFIED,
                DEMO_LAN_PORT,
            ))),
            url::Url::parse(&format!("http://{ip}:{DEMO_LAN_PORT}/")).ok(),
        )
    } else {
        (None, None)
    };
    elepay_sim::start(
        elepay_sim::SimConfig {
            secret_keys: vec![DEMO_KEY.into()],
            public_base,
            pay_page_addr,
            clock: elepay_sim::ClockConfig {
                start_ms: None,
                scale: clock_scale.unwrap_or(1.0),
            },
            ..Default::default()
        },
        std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0)),
    )
    .await
    .map_err(|e| demo(e.to_string()))
}

/// This machine's LAN address (the one used to reach other hosts), so a
/// phone on the same network can open the DEMO pay page.
fn lan_address() -> Option<std::net::IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    // No packet is sent: connecting a UDP socket only picks a route.
    s.connect("192.0.2.1:9").ok()?;
    s.local_addr().ok().map(|a| a.ip())
}
