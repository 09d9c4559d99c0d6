//! Tauri-free parts of the EasyQR POS desktop app, so they can be tested
//! with plain `cargo test`:
//!
//! - [`settings`]: the owner's settings, validated field by field and saved
//!   atomically; environment overrides; the default data directory.
//! - [`secrets`]: the OS keyring or a `0600` file behind one trait; the
//!   elepay key with 3-day rotation overlap; webhook signing secrets; the
//!   head-office enrolment token.
//! - [`monitor`]: which monitor the customer display goes on.
//! - [`layout`]: both windows side by side when there is one screen.

mod fsutil;
pub mod layout;
pub mod monitor;
pub mod secrets;
pub mod settings;

pub use monitor::{place_customer_display, MonitorInfo, Placement};
pub use secrets::{
    open_secret_store, verify_key, FileStore, HqToken, HqTokenStore, KeyCheckError, KeyManager,
    KeyStatus, KeyringStore, MemoryStore, Secret, SecretError, SecretStore, StorableKey,
    WebhookSecrets,
};
pub use settings::{
    default_data_dir, EnvError, EnvOverrides, FieldError, HqSettings, Language, Settings,
    SettingsError, SettingsStore, WebhookSettings,
};
