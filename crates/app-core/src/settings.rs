//! The store owner's settings: what they are, what values are allowed, and
//! how they are kept on disk so that a crash or a hand-edited file never
//! loses them.
//!
//! Secrets are deliberately not here: the elepay key and the webhook signing
//! secrets live in the [`crate::secrets`] store; this file is plain JSON the
//! owner may open in an editor.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use url::Url;

use crate::fsutil;

mod hq;
mod receipt;
pub use hq::{hq_base_url, HqSettings, HQ_MODE_ALLOWED, HQ_URL_ALLOWED};
pub use receipt::{
    AutoPrint, InvoiceSettings, PrinterSettings, ReceiptSettings, TaxSettings, AUTO_PRINT_ALLOWED,
};

/// File name inside the data directory.
pub const SETTINGS_FILE: &str = "settings.json";

/// Stand-in order number used to check a `frontUrl` template: the engine
/// replaces `{orderNo}` with a real one, which has this shape.
const SAMPLE_ORDER_NO: &str = "R1-20260101-0001";

/// UI language. Unknown values in an older/newer file read as `auto` rather
/// than making the whole file unreadable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Ja,
    En,
    /// Follow the OS locale. (Last: serde's catch-all must be.)
    #[default]
    #[serde(other)]
    Auto,
}

/// The built-in webhook receiver (elepay → this register).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WebhookSettings {
    pub enabled: bool,
    /// Listen address, `IP:port`. Loopback by default so nothing is exposed
    /// until the owner decides to (e.g. `0.0.0.0:8791` behind a tunnel).
    pub address: String,
    /// How many signing secrets are configured, for the UI only. Filled by
    /// the app from the secret store; never read from the file or the UI.
    #[serde(skip_deserializing)]
    pub secret_count: u32,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            enabled: false,
            address: "127.0.0.1:8791".into(),
            secret_count: 0,
        }
    }
}

/// Everything the owner can set. `#[serde(default)]` so a file written by an
/// older version (missing newer fields) still loads; unknown fields are
/// ignored so a newer file loads in an older version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    pub store_name: String,
    /// Prefix of every orderNo this register sends (e.g. `S01R2`); must be
    /// unique per register within the elepay app.
    pub register_id: String,
    /// elepay location of this store; webhooks for other locations are
    /// ignored.
    pub location_id: Option<String>,
    /// Page the customer's phone opens after paying; `{orderNo}` is
    /// replaced by the order number.
    pub front_url: Option<String>,
    pub expiry_minutes: u32,
    pub poll_interval_ms: u64,
    /// Monitor index for the customer display; `None` = choose
    /// automatically (see [`crate::monitor`]).
    pub customer_monitor: Option<u32>,
    pub language: Language,
    pub webhook: WebhookSettings,
    /// Serve the DEMO simulator on the LAN so a real phone can open codes.
    pub demo_lan: bool,
    /// The head office this register reports to (changed only by enrolment).
    pub hq: HqSettings,
    /// Who issues the receipts (invoice identity).
    pub invoice: InvoiceSettings,
    pub tax: TaxSettings,
    pub printer: PrinterSettings,
    pub receipt: ReceiptSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            store_name: "EasyQR Store".into(),
            register_id: "R1".into(),
            location_id: None,
            front_url: None,
            expiry_minutes: 10,
            poll_interval_ms: 1000,
            customer_monitor: None,
            language: Language::Auto,
            webhook: WebhookSettings::default(),
            demo_lan: false,
            hq: HqSettings::default(),
            invoice: InvoiceSettings::default(),
            tax: TaxSettings::default(),
            printer: PrinterSettings::default(),
            receipt: ReceiptSettings::default(),
        }
    }
}

/// One rejected setting: the camelCase path the UI uses, and what would be
/// accepted, in words the owner can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {allowed}")]
pub struct FieldError {
    pub field: &'static str,
    pub allowed: String,
}

impl FieldError {
    fn new(field: &'static str, allowed: impl Into<String>) -> Self {
        FieldError {
            field,
            allowed: allowed.into(),
        }
    }
}

impl Settings {
    pub const STORE_NAME_MAX: usize = 40;
    /// elepay's limit for `locationId` on createCode (FACTS.md §2.1); a longer
    /// id would make every charge fail at the counter.
    pub const LOCATION_ID_MAX: usize = elepay::LOCATION_ID_MAX;
    pub const EXPIRY_MINUTES: std::ops::RangeInclusive<u32> = 3..=30;
    pub const POLL_INTERVAL_MS: std::ops::RangeInclusive<u64> = 250..=10_000;

    /// Checks every field and returns every problem, so the settings form
    /// can mark all bad fields at once.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errs = Vec::new();

        let name = self.store_name.trim();
        let n = self.store_name.chars().count();
        if name.is_empty()
            || n > Self::STORE_NAME_MAX
            || self.store_name.chars().any(char::is_control)
        {
            errs.push(FieldError::new(
                "storeName",
                format!(
                    "1 to {} characters, not blank, no line breaks or control characters",
                    Self::STORE_NAME_MAX
                ),
            ));
        }

        if let Err(e) = easyqr_ledger::OrderPrefix::new(&self.register_id) {
            let allowed = match e {
                easyqr_ledger::LedgerError::Invalid { allowed, .. } => allowed,
                other => other.to_string(),
            };
            errs.push(FieldError::new("registerId", allowed));
        }

        if let Some(loc) = &self.location_id {
            // elepay's own rule, which HQ's stores follow too.
            if elepay::check_location_id(loc).is_err() {
                errs.push(FieldError::new(
                    "locationId",
                    format!(
                        "empty (no location) or 1 to {} ASCII letters, digits and symbols without spaces, as shown in the elepay dashboard",
                        Self::LOCATION_ID_MAX
                    ),
                ));
            }
        }

        if let Some(u) = &self.front_url {
            if !front_url_ok(u) {
                errs.push(FieldError::new(
                    "frontUrl",
                    "empty, or an absolute http:// or https:// URL using only letters, digits and -+&@#/%?=~_|!:,.; (elepay's URL pattern), not ending in ?!:,.; — {orderNo} may be used and is replaced by the order number",
                ));
            }
        }

        if !Self::EXPIRY_MINUTES.contains(&self.expiry_minutes) {
            errs.push(FieldError::new(
                "expiryMinutes",
                format!(
                    "a whole number of minutes from {} to {}",
                    Self::EXPIRY_MINUTES.start(),
                    Self::EXPIRY_MINUTES.end()
                ),
            ));
        }

        if !Self::POLL_INTERVAL_MS.contains(&self.poll_interval_ms) {
            errs.push(FieldError::new(
                "pollIntervalMs",
                format!(
                    "a whole number of milliseconds from {} to {}",
                    Self::POLL_INTERVAL_MS.start(),
                    Self::POLL_INTERVAL_MS.end()
                ),
            ));
        }

        match self.webhook.address.parse::<SocketAddr>() {
            Ok(a) if a.port() != 0 => {}
            _ => errs.push(FieldError::new(
                "webhook.address",
                "an IP address and port such as 127.0.0.1:8791 or 0.0.0.0:8791 (port 1 to 65535)",
            )),
        }

        self.hq.validate(&mut errs);
        receipt::validate(self, &mut errs);

        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs)
        }
    }

    /// Writes values the way they are kept (the registration number as
    /// `T` + 13 digits, whatever spacing or width it was typed in).
    pub fn normalize(&mut self) {
        self.invoice.normalize();
    }

    /// What a person should check though it is not refused (a registration
    /// number whose check digit is not a 法人番号's).
    pub fn warnings(&self) -> Vec<easyqr_tax::Warning> {
        match self.invoice.registration() {
            Ok(Some((_, Some(w)))) => vec![w],
            _ => Vec::new(),
        }
    }

    /// The issuer name on receipts: the invoice's, else the store's.
    pub fn issuer_name(&self) -> &str {
        match self.invoice.issuer_name.trim() {
            "" => self.store_name.trim(),
            name => name,
        }
    }

    /// Resets every invalid field to its default, returning what was reset.
    /// Used on load: one hand-edited bad value should not stop the register
    /// from working, and the owner is told which fields were reset.
    pub fn sanitized(mut self) -> (Settings, Vec<FieldError>) {
        let Err(errs) = self.validate() else {
            return (self, Vec::new());
        };
        let d = Settings::default();
        for e in &errs {
            match e.field {
                "storeName" => self.store_name = d.store_name.clone(),
                "registerId" => self.register_id = d.register_id.clone(),
                "locationId" => self.location_id = None,
                "frontUrl" => self.front_url = None,
                "expiryMinutes" => self.expiry_minutes = d.expiry_minutes,
                "pollIntervalMs" => self.poll_interval_ms = d.poll_interval_ms,
                "webhook.address" => self.webhook.address = d.webhook.address.clone(),
                "hq.url" | "hq.mode" => self.hq = HqSettings::default(),
                f if f.starts_with("invoice.") => self.invoice = d.invoice.clone(),
                f if f.starts_with("tax.") => self.tax = d.tax.clone(),
                f if f.starts_with("printer.") => self.printer = d.printer.clone(),
                "receipt.autoPrint" => self.receipt = d.receipt.clone(),
                _ => {}
            }
        }
        (self, errs)
    }
}

/// Absolute http(s) URL with a host, matching elepay's pattern once
/// `{orderNo}` is filled in (braces themselves are not in the pattern).
fn front_url_ok(template: &str) -> bool {
    let filled = template.replace("{orderNo}", SAMPLE_ORDER_NO);
    if !elepay::is_elepay_url(&filled) {
        return false;
    }
    match Url::parse(&filled) {
        Ok(u) => {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        }
        Err(_) => false,
    }
}

/// Why settings could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The file was not valid settings JSON. It was renamed to `kept_as` so
    /// the owner (or support) can recover values from it.
    #[error("{path} could not be read ({reason}); it was kept as {kept_as} and the default settings are used")]
    Unparsable {
        path: PathBuf,
        kept_as: PathBuf,
        reason: String,
    },
    #[error("settings not saved: {}", join_errors(.0))]
    Invalid(Vec<FieldError>),
}

fn join_errors(errs: &[FieldError]) -> String {
    errs.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Result of [`SettingsStore::load`]: settings that are always usable, plus
/// what the owner should be told about how they were obtained.
#[derive(Debug)]
pub struct Loaded {
    pub settings: Settings,
    /// The file was unreadable and was set aside (`SettingsError::Unparsable`).
    pub recovered: Option<SettingsError>,
    /// Fields that held invalid values and were reset to their defaults.
    pub reset_fields: Vec<FieldError>,
}

/// `settings.json` in the data directory.
#[derive(Debug, Clone)]
pub struct SettingsStore {
    path: PathBuf,
}

impl SettingsStore {
    pub fn new(dir: impl AsRef<Path>) -> Self {
        SettingsStore {
            path: dir.as_ref().join(SETTINGS_FILE),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Missing file → defaults. Unparsable file → renamed to
    /// `settings.json.bad-<unix ms>` and defaults, with the reason in
    /// [`Loaded::recovered`]. Parsable but invalid fields → those fields reset.
    /// `Err` only when the file cannot be read or set aside at all.
    pub fn load(&self) -> Result<Loaded, SettingsError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Loaded {
                    settings: Settings::default(),
                    recovered: None,
                    reset_fields: Vec::new(),
                })
            }
            Err(source) => {
                return Err(SettingsError::Io {
                    path: self.path.clone(),
                    source,
                })
            }
        };
        match serde_json::from_slice::<Settings>(&bytes) {
            Ok(s) => {
                let (settings, reset_fields) = s.sanitized();
                if !reset_fields.is_empty() {
                    tracing::warn!(
                        path = %self.path.display(),
                        fields = %join_errors(&reset_fields),
                        "invalid settings reset to defaults"
                    );
                }
                Ok(Loaded {
                    settings,
                    recovered: None,
                    reset_fields,
                })
            }
            Err(e) => {
                let kept_as = self.set_aside()?;
                let err = SettingsError::Unparsable {
                    path: self.path.clone(),
                    kept_as,
                    reason: e.to_string(),
                };
                tracing::warn!(error = %err, "settings file unreadable");
                Ok(Loaded {
                    settings: Settings::default(),
                    recovered: Some(err),
                    reset_fields: Vec::new(),
                })
            }
        }
    }

    fn set_aside(&self) -> Result<PathBuf, SettingsError> {
        fsutil::set_aside(&self.path).map_err(|source| SettingsError::Io {
            path: self.path.clone(),
            source,
        })
    }

    /// Validates, then replaces the file atomically: `settings.json.tmp` is
    /// written and fsynced, renamed over `settings.json`, and the directory
    /// fsynced, so a crash leaves the old or the new file, never half of one.
    pub fn save(&self, settings: &Settings) -> Result<(), SettingsError> {
        settings.validate().map_err(SettingsError::Invalid)?;
        let mut json = serde_json::to_vec_pretty(settings).map_err(|e| SettingsError::Io {
            path: self.path.clone(),
            source: io::Error::other(e),
        })?;
        json.push(b'\n');
        fsutil::write_atomic(&self.path, &json, None).map_err(|source| SettingsError::Io {
            path: self.path.clone(),
            source,
        })
    }
}

/// Environment variables that override settings, read once at start.
#[derive(Clone, Default)]
pub struct EnvOverrides {
    /// `EASYQR_DATA_DIR`: where settings, secrets and the ledger live.
    pub data_dir: Option<PathBuf>,
    /// `EASYQR_API_BASE`: elepay endpoint (the simulator in DEMO/tests).
    pub api_base: Option<Url>,
    /// `ELEPAY_SECRET_KEY`, parsed at once so the raw string is not kept.
    secret_key: Option<elepay::SecretKey>,
}

impl fmt::Debug for EnvOverrides {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvOverrides")
            .field("data_dir", &self.data_dir)
            .field("api_base", &self.api_base.as_ref().map(Url::as_str))
            .field("secret_key", &self.secret_key)
            .finish()
    }
}

/// A bad environment variable: its name and what it should hold. Never
/// echoes the value (it may be a key).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {allowed}")]
pub struct EnvError {
    pub variable: &'static str,
    pub allowed: String,
}

impl EnvOverrides {
    pub const DATA_DIR: &'static str = "EASYQR_DATA_DIR";
    pub const API_BASE: &'static str = "EASYQR_API_BASE";
    pub const SECRET_KEY: &'static str = "ELEPAY_SECRET_KEY";

    /// Reads the process environment.
    pub fn from_env() -> Result<Self, Vec<EnvError>> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads through `lookup`, so tests need not touch the process
    /// environment. An empty value counts as unset (`VAR= app` is the usual
    /// way to switch one off). Reports every bad variable.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Vec<EnvError>> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut errs = Vec::new();
        let mut out = EnvOverrides {
            data_dir: get(Self::DATA_DIR).map(PathBuf::from),
            ..Default::default()
        };
        if let Some(v) = get(Self::API_BASE) {
            match Url::parse(v.trim()) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => {
                    out.api_base = Some(u)
                }
                _ => errs.push(EnvError {
                    variable: Self::API_BASE,
                    allowed: "an absolute http:// or https:// URL, e.g. https://api.elepay.io or http://127.0.0.1:8790".into(),
                }),
            }
        }
        if let Some(raw) = get(Self::SECRET_KEY) {
            match elepay::SecretKey::parse(&raw) {
                Ok(k) => out.secret_key = Some(k),
                Err(e) => {
                    let msg = e.to_string();
                    errs.push(EnvError {
                        variable: Self::SECRET_KEY,
                        allowed: msg.strip_prefix("secretKey: ").unwrap_or(&msg).to_owned(),
                    })
                }
            }
            // `raw` is dropped here; only the redacting `SecretKey` remains.
        }
        if errs.is_empty() {
            Ok(out)
        } else {
            Err(errs)
        }
    }

    /// Whether `ELEPAY_SECRET_KEY` was set (and valid).
    pub fn secret_key_set(&self) -> bool {
        self.secret_key.is_some()
    }

    /// The key from `ELEPAY_SECRET_KEY`, taken out so only one owner holds it.
    pub fn take_secret_key(&mut self) -> Option<elepay::SecretKey> {
        self.secret_key.take()
    }
}

/// `$XDG_DATA_HOME/easyqr-pos`, else `~/.local/share/easyqr-pos`; `None`
/// when neither variable is usable. (The Tauri shell may prefer its own
/// path resolver on macOS/Windows.)
pub fn default_data_dir() -> Option<PathBuf> {
    default_data_dir_from(|name| std::env::var_os(name).map(PathBuf::from))
}

/// [`default_data_dir`] with the environment injected, for tests.
pub fn default_data_dir_from(lookup: impl Fn(&str) -> Option<PathBuf>) -> Option<PathBuf> {
    // The XDG spec says relative values are invalid and must be ignored.
    if let Some(x) = lookup("XDG_DATA_HOME").filter(|p| p.is_absolute()) {
        return Some(x.join("easyqr-pos"));
    }
    lookup("HOME")
        .filter(|p| !p.as_os_str().is_empty())
        .map(|h| h.join(".local").join("share").join("easyqr-pos"))
}

#[cfg(test)]
mod tests;
