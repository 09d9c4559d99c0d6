//! HQ's configuration. Secrets (webhook signing secrets, the view's
//! bootstrap password) come from the environment or a 0600 config file, never from a
//! flag (flags show in `ps`).

use std::net::SocketAddr;
use std::path::Path;

use elepay::webhook::SigningSecret;
use serde::Deserialize;

use crate::error::HqError;

pub const SECRETS_ENV: &str = "EASYQR_HQ_WEBHOOK_SECRETS";
/// The database URL (it carries the database password): this variable or
/// `databaseUrl` in the config file, never a flag.
pub const DATABASE_URL_ENV: &str = "DATABASE_URL";
/// Creates the view's first brand user, `admin`, while no user exists.
pub const BOOTSTRAP_PASSWORD_ENV: &str = "EASYQR_HQ_BOOTSTRAP_PASSWORD";
/// The old single view password: read as the bootstrap password, so an
/// upgraded HQ signs its operator in as `admin` with the same password.
pub const VIEW_PASSWORD_ENV: &str = "EASYQR_HQ_VIEW_PASSWORD";

#[derive(Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub database_url: String,
    pub pool_size: usize,
    /// Several while the dashboard's endpoint is being switched.
    pub webhook_secrets: Vec<SigningSecret>,
    pub tolerance_secs: u64,
    /// Creates the view's first brand user while there is none
    /// (`crate::users::bootstrap`).
    pub bootstrap_password: Option<String>,
    /// HQ's address as its users reach it; when https, the view's cookies
    /// are `Secure` and HSTS is sent, whatever a request's headers say.
    pub public_url: Option<url::Url>,
    /// Peers whose `X-Forwarded-For` names the client (the TLS proxy).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The event streams' heartbeat (`crate::stream::KEEP_ALIVE`; shorter
    /// in tests).
    pub keep_alive: std::time::Duration,
    /// The relay's safety-net sweep (`crate::relay::SWEEP_EVERY`).
    pub sweep_every: std::time::Duration,
    /// After SIGTERM, how long readiness answers 503 before the listener
    /// closes, so a load balancer that probes `/readyz` sees it
    /// (`crate::DRAIN_NOTICE`); part of the drain's grace.
    pub drain_notice: std::time::Duration,
    /// How long a request waits for a database connection before a 503
    /// (`crate::db::POOL_WAIT`; shorter in tests).
    pub pool_wait: std::time::Duration,
    /// Connection caps and timeouts (`crate::listen::Limits`; the
    /// per-address cap never applies to `trusted_proxies`).
    pub limits: crate::listen::Limits,
}

impl Config {
    /// A configuration with every limit and timing at its default: callers
    /// (the binary, tests, embedders) set only what they change, so a new
    /// setting never breaks them.
    pub fn new(
        addr: SocketAddr,
        database_url: String,
        webhook_secrets: Vec<SigningSecret>,
    ) -> Config {
        Config {
            addr,
            database_url,
            pool_size: 16,
            webhook_secrets,
            tolerance_secs: elepay::webhook::DEFAULT_TOLERANCE_SECS,
            bootstrap_password: None,
            public_url: None,
            trusted_proxies: Vec::new(),
            keep_alive: crate::stream::KEEP_ALIVE,
            sweep_every: crate::relay::SWEEP_EVERY,
            drain_notice: crate::DRAIN_NOTICE,
            pool_wait: crate::db::POOL_WAIT,
            limits: crate::listen::Limits::default(),
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("webhook_secrets", &self.webhook_secrets.len())
            .finish_non_exhaustive()
    }
}

/// The config file: `{"webhookSecrets": ["…"], "bootstrapPassword": "…",
/// "publicUrl": "https://…", "trustedProxies": ["10.0.0.2"]}`
/// (`viewPassword`, the old name, still reads as the bootstrap password).
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileConfig {
    /// Used when `DATABASE_URL` is not set.
    pub database_url: Option<String>,
    #[serde(default)]
    pub webhook_secrets: Vec<String>,
    #[serde(alias = "viewPassword")]
    pub bootstrap_password: Option<String>,
    pub public_url: Option<String>,
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl std::fmt::Debug for FileConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Most of it is secret.
        f.debug_struct("FileConfig").finish_non_exhaustive()
    }
}

impl FileConfig {
    pub fn read(path: &Path) -> Result<FileConfig, HqError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| HqError::Config(format!("config file {}: {e}", path.display())))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(path)
                .map_err(|e| HqError::Config(format!("config file {}: {e}", path.display())))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(HqError::Config(format!(
                    "config file {}: holds secrets, so only its owner may read it (chmod 600)",
                    path.display()
                )));
            }
        }
        serde_json::from_str(&text)
            .map_err(|e| HqError::Config(format!("config file {}: {e}", path.display())))
    }
}

/// Reads `name` and removes it from HQ's environment, so no child process
/// or later reader finds the secret there. (`/proc/<pid>/environ` keeps
/// showing the environment HQ started with: the kernel reads it from the
/// process's initial stack, which removing a variable does not touch.)
pub fn take_env(name: &str) -> Option<String> {
    let value = std::env::var(name).ok();
    std::env::remove_var(name);
    value
}

/// The secrets HQ reads from its environment, each removed from it once
/// read. Taken before any other thread runs: changing the environment
/// races with threads reading it.
#[derive(Default)]
pub struct EnvSecrets {
    pub database_url: Option<String>,
    pub webhook_secrets: Option<String>,
    pub bootstrap_password: Option<String>,
}

impl EnvSecrets {
    pub fn take() -> EnvSecrets {
        let bootstrap = take_env(BOOTSTRAP_PASSWORD_ENV);
        let old_view_password = take_env(VIEW_PASSWORD_ENV);
        EnvSecrets {
            database_url: take_env(DATABASE_URL_ENV),
            webhook_secrets: take_env(SECRETS_ENV),
            bootstrap_password: bootstrap.or(old_view_password),
        }
    }
}

impl std::fmt::Debug for EnvSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvSecrets").finish_non_exhaustive()
    }
}

/// The database URL: the environment's, else the config file's.
pub fn database_url(env: Option<String>, file: &FileConfig) -> Result<String, HqError> {
    env.filter(|u| !u.trim().is_empty())
        .or_else(|| file.database_url.clone())
        .ok_or_else(|| {
            HqError::Config(format!(
                "no database: set {DATABASE_URL_ENV} or \"databaseUrl\" in the config file (--config)"
            ))
        })
}

/// Comma-separated secrets; blanks are dropped.
pub fn parse_secrets(s: &str) -> Vec<SigningSecret> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(SigningSecret::new)
        .collect()
}

/// Joins the sources: the environment wins over the file.
pub fn secrets_from(
    env_secrets: Option<&str>,
    env_password: Option<&str>,
    file: FileConfig,
) -> Result<(Vec<SigningSecret>, Option<String>), HqError> {
    let secrets = match env_secrets {
        Some(s) => parse_secrets(s),
        None => file
            .webhook_secrets
            .iter()
            .map(|s| SigningSecret::new(s.trim()))
            .collect(),
    };
    if secrets.is_empty() {
        return Err(HqError::Config(format!(
            "no webhook signing secret: set {SECRETS_ENV} (comma-separated) or \"webhookSecrets\" in the config file"
        )));
    }
    let password = env_password
        .map(str::to_owned)
        .or(file.bootstrap_password)
        .filter(|p| !p.is_empty());
    if password.as_ref().is_some_and(|p| p.chars().count() < 12) {
        return Err(HqError::Config(
            "bootstrap password: at least 12 characters".into(),
        ));
    }
    Ok((secrets, password))
}

/// HQ's public URL (`--public-url` or `publicUrl`): http or https.
pub fn public_url(s: &str) -> Result<url::Url, HqError> {
    let u = url::Url::parse(s).map_err(|e| HqError::Config(format!("public URL \"{s}\": {e}")))?;
    if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
        return Err(HqError::Config(format!(
            "public URL \"{s}\": must be http:// or https:// with a host"
        )));
    }
    Ok(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_come_from_the_environment_or_the_file() {
        let (s, p) = secrets_from(Some(" a, b ,,"), None, FileConfig::default()).unwrap();
        assert_eq!(s.len(), 2);
        assert!(p.is_none());
        let file = FileConfig {
            webhook_secrets: vec!["x".into()],
            bootstrap_password: Some("correct horse battery".into()),
            ..FileConfig::default()
        };
        let (s, p) = secrets_from(None, None, file).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(p.as_deref(), Some("correct horse battery"));
        let e = secrets_from(None, None, FileConfig::default()).unwrap_err();
        assert!(e.to_string().contains(SECRETS_ENV), "{e}");
        let e = secrets_from(Some("a"), Some("short"), FileConfig::default()).unwrap_err();
        assert!(e.to_string().contains("12 characters"), "{e}");
    }

    #[test]
    fn the_public_url_is_http_or_https_and_the_old_view_password_still_reads() {
        assert_eq!(
            public_url("https://hq.example.jp/").unwrap().scheme(),
            "https"
        );
        assert!(public_url("http://10.0.0.5:8800").is_ok());
        for bad in ["hq.example.jp", "ftp://hq.example.jp/", "https://"] {
            let e = public_url(bad).unwrap_err().to_string();
            assert!(e.contains("public URL"), "{e}");
        }
        let f: FileConfig = serde_json::from_str(
            r#"{"viewPassword": "correct horse battery", "publicUrl": "https://hq.example.jp/",
                "trustedProxies": ["127.0.0.1", "::1"]}"#,
        )
        .unwrap();
        assert_eq!(
            f.bootstrap_password.as_deref(),
            Some("correct horse battery")
        );
        assert_eq!(f.trusted_proxies.len(), 2);
    }
}
