//! HQ's configuration. Secrets (webhook signing secrets, the view
//! password) come from the environment or a 0600 config file, never from a
//! flag (flags show in `ps`).

use std::net::SocketAddr;
use std::path::Path;

use elepay::webhook::SigningSecret;
use serde::Deserialize;

use crate::error::HqError;

pub const SECRETS_ENV: &str = "EASYQR_HQ_WEBHOOK_SECRETS";
pub const VIEW_PASSWORD_ENV: &str = "EASYQR_HQ_VIEW_PASSWORD";

#[derive(Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub database_url: String,
    pub pool_size: usize,
    /// Several while the dashboard's endpoint is being switched.
    pub webhook_secrets: Vec<SigningSecret>,
    pub tolerance_secs: u64,
    /// The head-office view's password; `None` turns the view off.
    pub view_password: Option<String>,
    /// The event streams' heartbeat (`crate::stream::KEEP_ALIVE`; shorter
    /// in tests).
    pub keep_alive: std::time::Duration,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("webhook_secrets", &self.webhook_secrets.len())
            .finish_non_exhaustive()
    }
}

/// The config file: `{"webhookSecrets": ["…"], "viewPassword": "…"}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub webhook_secrets: Vec<String>,
    pub view_password: Option<String>,
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
        .or(file.view_password)
        .filter(|p| !p.is_empty());
    if password.as_ref().is_some_and(|p| p.chars().count() < 12) {
        return Err(HqError::Config(
            "view password: at least 12 characters".into(),
        ));
    }
    Ok((secrets, password))
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
            view_password: Some("correct horse battery".into()),
        };
        let (s, p) = secrets_from(None, None, file).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(p.as_deref(), Some("correct horse battery"));
        let e = secrets_from(None, None, FileConfig::default()).unwrap_err();
        assert!(e.to_string().contains(SECRETS_ENV), "{e}");
        let e = secrets_from(Some("a"), Some("short"), FileConfig::default()).unwrap_err();
        assert!(e.to_string().contains("12 characters"), "{e}");
    }
}
