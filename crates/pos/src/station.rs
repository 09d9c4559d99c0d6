//! A station: everything a desktop register runs on, built once at start —
//! the data folder and its locks, settings and keys, the mode and its
//! ledger, the DEMO simulator, the engine, the optional webhook receiver,
//! the head-office link.
//! Tauri-free: the app hands it to its windows as managed state.

mod hq;
mod keys;
mod settings;
mod start;

use std::path::PathBuf;
use std::sync::RwLock;

use easyqr_app_core::secrets::{HqTokenStore, KeyManager, WebhookSecrets};
use easyqr_app_core::settings::{Settings, SettingsStore};
use easyqr_engine::receiver::RunningReceiver;
use easyqr_engine::{Engine, RecoveryReport};
use easyqr_ledger::WriterLock;

use crate::books::Books;
use crate::config::Mode;
use crate::error::{ErrorCode, PosError, Result};
use crate::register::Register;

pub use keys::KeyChange;
pub use start::StartOptions;

pub struct Station {
    pub mode: Mode,
    pub data_dir: PathBuf,
    ledger_path: PathBuf,
    pub api_base: url::Url,
    /// Where the DEMO simulator serves its pay pages.
    pub simulator_url: Option<url::Url>,
    keys: KeyManager,
    webhook_secrets: WebhookSecrets,
    /// The key came from `ELEPAY_SECRET_KEY`; the stored one is not used.
    env_key: bool,
    /// One register (engine) for the life of the app; settings swap its
    /// configuration, so a save never drops a watcher or an event.
    register: Register,
    settings_store: SettingsStore,
    settings: RwLock<Settings>,
    /// Async lock: a restart awaits the old receiver before rebinding.
    receiver: tokio::sync::Mutex<Option<RunningReceiver>>,
    hq_tokens: HqTokenStore,
    /// The running head-office link; the lock also serialises enrolments.
    hq_link: tokio::sync::Mutex<Option<crate::hq::HqLink>>,
    /// Outlives any one link, so watchers never lose the channel.
    hq_status: tokio::sync::watch::Sender<crate::hq::HqStatus>,
    /// Held from the one-sale check until the new code is recorded, so two
    /// quick Enters cannot both pass the check ([`crate::counter`]).
    counter: tokio::sync::Mutex<()>,
    _sim: Option<elepay_sim::RunningSim>,
    _locks: (WriterLock, WriterLock),
}

impl std::fmt::Debug for Station {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Station")
            .field("mode", &self.mode)
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

/// What the start-up checks found, for the log and the cashier's alarm.
#[derive(Debug, Default)]
pub struct StartupChecks {
    pub recovery: Option<RecoveryReport>,
    /// DEMO codes from before the restart, recorded as expired.
    pub retired: Vec<String>,
    pub refunds_followed: usize,
    /// Set when the journal check found the ledger edited or unreadable.
    pub journal_problem: Option<String>,
}

impl Station {
    pub fn register(&self) -> &Register {
        &self.register
    }

    pub fn books(&self) -> &Books {
        self.register.books()
    }

    pub fn engine(&self) -> &Engine {
        self.register.engine()
    }

    pub fn now_ms(&self) -> i64 {
        self.engine().now_ms()
    }

    /// The register id in force (shifts are per register).
    pub fn register_id(&self) -> String {
        self.settings().register_id
    }

    /// Rings up a sale under the store's tax settings now (a change applies
    /// from the next sale; each sale keeps what it was rung up with).
    /// Refused while another sale's code is on the customer display.
    pub async fn charge(&self, req: &crate::ChargeRequest) -> Result<easyqr_engine::Checkout> {
        let policy = self.settings().tax.policy()?;
        // Bad input is named by field first, whatever is on the display.
        req.checked(&policy)?;
        let _counter = self.counter.lock().await;
        let unresolved = self.books().ledger().unresolved_attempts()?;
        crate::counter::may_show_new_code(&unresolved, None)?;
        self.register().charge(req, &policy).await
    }

    /// Tries a sale again, under the same one-sale rule as [`Station::charge`].
    pub async fn retry(&self, sale_id: i64) -> Result<easyqr_engine::Checkout> {
        let _counter = self.counter.lock().await;
        let unresolved = self.books().ledger().unresolved_attempts()?;
        crate::counter::may_show_new_code(&unresolved, Some(sale_id))?;
        self.register().retry(sale_id).await
    }

    pub fn settings(&self) -> Settings {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Restart recovery, then the journal check on a read-only snapshot
    /// (at a million payments it takes seconds and must not hold up the
    /// counter). Run in the background once the windows listen.
    pub async fn startup_checks(&self) -> StartupChecks {
        let mut out = StartupChecks::default();
        if self.mode == Mode::Demo {
            // The DEMO simulator keeps its codes in memory: codes shown
            // before a restart no longer exist anywhere.
            match self.engine().retire_lost_codes() {
                Ok(retired) => out.retired = retired,
                Err(e) => tracing::warn!(error = %e, "could not retire DEMO codes"),
            }
        }
        match self.engine().resume().await {
            Ok(r) => out.recovery = Some(r),
            Err(e) => {
                tracing::error!(error = %e, "restart recovery failed; pending codes are not watched")
            }
        }
        match self.engine().resume_refunds() {
            Ok(n) => out.refunds_followed = n,
            Err(e) => tracing::error!(error = %e, "cannot follow unfinished refunds"),
        }
        let path = self.ledger_path.clone();
        let ledger = self.books().ledger().clone();
        out.journal_problem = match tokio::task::spawn_blocking(move || {
            crate::books::journal_problem(&ledger, &path)
        })
        .await
        {
            Ok(problem) => problem,
            Err(e) => Some(format!("the ledger check stopped: {e}")),
        };
        out
    }

    /// DEMO: the simulator's pay page of an attempt's code, as the
    /// customer's phone would open it.
    pub fn phone_view_url(&self, attempt_id: i64) -> Result<url::Url> {
        if self.mode != Mode::Demo {
            return Err(PosError::new(
                ErrorCode::DemoOnly,
                "the phone view exists only in DEMO mode",
            ));
        }
        let a = self.books().ledger().attempt(attempt_id)?;
        a.code_url
            .as_deref()
            .and_then(|u| url::Url::parse(u).ok())
            .ok_or_else(|| {
                PosError::new(
                    ErrorCode::NotCancellable,
                    format!("order {} has no code to pay", a.order_no),
                )
            })
    }

    /// Whether elepay answers (any answer, even a refusal, means reachable),
    /// and the wallets it accepts for EasyQR when it says.
    pub async fn probe(&self) -> (bool, Option<Vec<String>>) {
        match self
            .engine()
            .client_handle()
            .list_code_payment_methods()
            .await
        {
            Ok(methods) => (
                true,
                Some(
                    methods
                        .payment_methods
                        .iter()
                        .map(|m| m.payment_method.display_name().to_owned())
                        .collect(),
                ),
            ),
            Err(e) => (e.api().is_some(), None),
        }
    }
}
