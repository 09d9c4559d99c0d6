//! Where secrets live: the elepay secret key (with rotation), the webhook
//! signing secrets and the head-office enrolment token.
//!
//! The OS credential store is preferred ([`KeyringStore`]); on a box without
//! one (no D-Bus session, no Secret Service: most headless machines and CI)
//! a `0600` JSON file in the data directory is used instead ([`FileStore`]).
//! [`open_secret_store`] decides by probing, so callers never care which.
//!
//! Redaction is by type: [`Secret`] and `elepay::SecretKey` never print
//! themselves, and every error here is built without the secret's text
//! (serde messages, which can quote input, are reduced to line/column).

use std::fmt;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

mod file_store;
mod hq;
mod keyring_store;
mod keys;
mod memory;
mod webhook;

pub use file_store::FileStore;
pub use hq::{HqToken, HqTokenError, HqTokenStore};
pub use keyring_store::KeyringStore;
pub use keys::{
    verify_key, KeyCheckError, KeyManager, KeyStatus, StorableKey, ROTATION_OVERLAP_MS,
};
pub use memory::MemoryStore;
pub use webhook::{WebhookSecretError, WebhookSecrets};

/// A secret string. `Debug`/`Display` show `…` and the last four characters
/// (nothing at all for secrets shorter than 8, where four would be half of
/// it). No `Serialize`: it cannot reach an IPC payload by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for handing to the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Last four characters, or `None` when the secret is too short to show
    /// any of it safely.
    pub fn last4(&self) -> Option<&str> {
        let n = self.0.chars().count();
        if n < 8 {
            return None;
        }
        let start = self.0.char_indices().nth(n - 4).map_or(0, |(i, _)| i);
        Some(&self.0[start..])
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({self})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "…{}", self.last4().unwrap_or(""))
    }
}

/// A secret store failed. Messages never contain a secret value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The OS credential store refused or is not running.
    #[error("the {kind} secret store is not available: {reason}")]
    Unavailable { kind: &'static str, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Stored data could not be understood. For the secrets file, the
    /// damaged file has been set aside (never deleted) and the store starts
    /// empty.
    #[error("{what} is damaged ({reason})")]
    Corrupt { what: String, reason: String },
    #[error("secret entry name {0:?}: 1 to 64 characters of a-z, 0-9, '.', '_' and '-'")]
    BadName(String),
}

/// A place to keep named secrets. Implementations are cheap to call from
/// any thread; each call is one read or one durable write.
pub trait SecretStore: Send + Sync {
    fn get(&self, name: &str) -> Result<Option<Secret>, SecretError>;
    fn set(&self, name: &str, value: &str) -> Result<(), SecretError>;
    /// Deleting a missing entry is not an error.
    fn delete(&self, name: &str) -> Result<(), SecretError>;
    /// `"keyring"`, `"file"` or `"memory"`, for the settings screen.
    fn kind(&self) -> &'static str;
}

/// Entry names are fixed identifiers chosen by this crate; checking them
/// keeps both backends' namespaces identical and predictable.
pub(crate) fn check_name(name: &str) -> Result<(), SecretError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(SecretError::BadName(name.to_owned()))
    }
}

/// Describes a JSON error without its message, which may quote the input
/// (e.g. `invalid type: string "whsec_…"`).
pub(crate) fn json_reason(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Io => "read error",
        Category::Syntax => "not valid JSON",
        Category::Data => "unexpected content",
        Category::Eof => "ends too early",
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}

/// How long the keyring probe may take. A locked desktop keyring may show an
/// unlock prompt, which needs time; a missing D-Bus fails at once.
const PROBE_TIMEOUT: Duration = Duration::from_secs(20);
const PROBE_ENTRY: &str = "probe";

/// The OS keyring if it works right now, else `<dir>/secrets.json`.
pub fn open_secret_store(dir: &Path) -> Box<dyn SecretStore> {
    choose_secret_store(Box::new(KeyringStore::new()), dir, PROBE_TIMEOUT)
}

/// [`open_secret_store`] with the preferred store and probe timeout given,
/// so the fallback is testable without a keyring.
pub fn choose_secret_store(
    preferred: Box<dyn SecretStore>,
    dir: &Path,
    timeout: Duration,
) -> Box<dyn SecretStore> {
    let kind = preferred.kind();
    let (tx, rx) = mpsc::channel();
    // A thread, because a Secret Service call can block (unlock prompt,
    // wedged daemon) and startup must not hang on it.
    let spawned = std::thread::Builder::new()
        .name("secret-store-probe".into())
        .spawn(move || {
            let result = probe(preferred.as_ref());
            let _ = tx.send((preferred, result));
        });
    let outcome = match spawned {
        Ok(_) => match rx.recv_timeout(timeout) {
            Ok((store, Ok(()))) => return store,
            Ok((_, Err(e))) => e.to_string(),
            Err(_) => format!("no answer within {} s", timeout.as_secs()),
        },
        Err(e) => format!("could not start the probe: {e}"),
    };
    let file = FileStore::new(dir);
    tracing::warn!(
        preferred = kind,
        reason = %outcome,
        path = %file.path().display(),
        "OS keyring not usable; keeping secrets in a 0600 file instead"
    );
    Box::new(file)
}

fn probe(store: &dyn SecretStore) -> Result<(), SecretError> {
    let value = format!("probe-{}", crate::fsutil::unix_ms_now());
    store.set(PROBE_ENTRY, &value)?;
    let read = store.get(PROBE_ENTRY);
    let deleted = store.delete(PROBE_ENTRY);
    match read? {
        Some(s) if s.expose() == value => deleted,
        _ => Err(SecretError::Unavailable {
            kind: store.kind(),
            reason: "a value written could not be read back".into(),
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn secret_shows_only_its_tail() {
        let s = Secret::new("whsec_abcdefgh1234");
        assert_eq!(format!("{s}"), "…1234");
        assert_eq!(format!("{s:?}"), "Secret(…1234)");
        assert_eq!(s.last4(), Some("1234"));
        let short = Secret::new("abc1234");
        assert_eq!(format!("{short} {short:?}"), "… Secret(…)");
        let jp = Secret::new("秘密の合言葉です長い");
        assert_eq!(jp.last4(), Some("です長い"));
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("elepay.current").is_ok());
        assert!(check_name("webhook.secrets").is_ok());
        for bad in ["", "A", "a b", "a/b", &"a".repeat(65)] {
            assert!(
                matches!(check_name(bad).unwrap_err(), SecretError::BadName(_)),
                "{:?}",
                check_name(bad).unwrap_err()
            );
        }
    }

    /// A store that always fails, like the keyring with no D-Bus session.
    struct Broken;
    impl SecretStore for Broken {
        fn get(&self, _: &str) -> Result<Option<Secret>, SecretError> {
            Err(SecretError::Unavailable {
                kind: "keyring",
                reason: "no session bus".into(),
            })
        }
        fn set(&self, n: &str, _: &str) -> Result<(), SecretError> {
            self.get(n).map(|_| ())
        }
        fn delete(&self, n: &str) -> Result<(), SecretError> {
            self.get(n).map(|_| ())
        }
        fn kind(&self) -> &'static str {
            "keyring"
        }
    }

    /// Accepts writes but loses them, like a misbehaving backend.
    struct Forgetful;
    impl SecretStore for Forgetful {
        fn get(&self, _: &str) -> Result<Option<Secret>, SecretError> {
            Ok(None)
        }
        fn set(&self, _: &str, _: &str) -> Result<(), SecretError> {
            Ok(())
        }
        fn delete(&self, _: &str) -> Result<(), SecretError> {
            Ok(())
        }
        fn kind(&self) -> &'static str {
            "keyring"
        }
    }

    /// Never answers, like a keyring waiting on an unlock prompt.
    struct Hangs;
    impl SecretStore for Hangs {
        fn get(&self, _: &str) -> Result<Option<Secret>, SecretError> {
            std::thread::sleep(Duration::from_secs(3));
            Ok(None)
        }
        fn set(&self, n: &str, _: &str) -> Result<(), SecretError> {
            self.get(n).map(|_| ())
        }
        fn delete(&self, _: &str) -> Result<(), SecretError> {
            Ok(())
        }
        fn kind(&self) -> &'static str {
            "keyring"
        }
    }

    #[test]
    fn falls_back_to_file_when_the_keyring_fails_lies_or_hangs() {
        let dir = tempfile::tempdir().unwrap();
        let t = Duration::from_millis(500);
        for preferred in [
            Box::new(Broken) as Box<dyn SecretStore>,
            Box::new(Forgetful),
            Box::new(Hangs),
        ] {
            let chosen = choose_secret_store(preferred, dir.path(), t);
            assert_eq!(chosen.kind(), "file");
        }
    }

    #[test]
    fn keeps_a_working_store_and_leaves_no_probe_entry() {
        let dir = tempfile::tempdir().unwrap();
        let mem = MemoryStore::default();
        let chosen = choose_secret_store(Box::new(mem.clone()), dir.path(), PROBE_TIMEOUT);
        assert_eq!(chosen.kind(), "memory");
        assert!(mem.is_empty());
        assert!(!dir.path().join("secrets.json").exists());
    }

    /// Run inside `dbus-run-session` with an unlocked gnome-keyring.
    #[test]
    #[ignore = "needs a Secret Service session"]
    fn open_secret_store_prefers_a_working_keyring() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(open_secret_store(dir.path()).kind(), "keyring");
        assert!(!dir.path().join("secrets.json").exists());
    }

    #[test]
    fn open_secret_store_always_gives_a_working_store() {
        // Keyring on a desktop, the file on a headless box: either way the
        // store must round-trip.
        let dir = tempfile::tempdir().unwrap();
        let s = open_secret_store(dir.path());
        assert!(["keyring", "file"].contains(&s.kind()));
        if s.kind() == "file" {
            s.set("test.entry", "value-1").unwrap();
            assert_eq!(s.get("test.entry").unwrap().unwrap().expose(), "value-1");
            s.delete("test.entry").unwrap();
            assert!(s.get("test.entry").unwrap().is_none());
        }
    }
}
