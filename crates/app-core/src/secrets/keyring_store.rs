//! The OS credential store through the `keyring` crate: Secret Service on
//! Linux, Keychain on macOS, Credential Manager on Windows. Each entry is one
//! credential with service `easyqr-pos` and the entry name as user.

use super::{check_name, Secret, SecretError, SecretStore};

#[derive(Debug, Clone)]
pub struct KeyringStore {
    service: String,
}

impl Default for KeyringStore {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyringStore {
    pub const SERVICE: &'static str = "easyqr-pos";

    pub fn new() -> Self {
        KeyringStore {
            service: Self::SERVICE.into(),
        }
    }

    fn entry(&self, name: &str) -> Result<keyring::Entry, SecretError> {
        check_name(name)?;
        keyring::Entry::new(&self.service, name).map_err(unavailable)
    }
}

/// keyring's messages name the platform failure, never the password, except
/// `BadEncoding`, which carries the bytes (in the value, not the message);
/// it is matched explicitly so they are dropped here.
fn unavailable(e: keyring::Error) -> SecretError {
    let reason = match e {
        keyring::Error::BadEncoding(_) => "a stored value is not UTF-8 text".to_owned(),
        keyring::Error::Ambiguous(v) => format!("{} credentials match one entry", v.len()),
        other => other.to_string(),
    };
    SecretError::Unavailable {
        kind: "keyring",
        reason,
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, name: &str) -> Result<Option<Secret>, SecretError> {
        match self.entry(name)?.get_password() {
            Ok(s) => Ok(Some(Secret::new(s))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    fn set(&self, name: &str, value: &str) -> Result<(), SecretError> {
        self.entry(name)?.set_password(value).map_err(unavailable)
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }

    fn kind(&self) -> &'static str {
        "keyring"
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Needs a running Secret Service (e.g. `dbus-run-session` with an
    /// unlocked gnome-keyring), so it is not part of the default run:
    /// `cargo test -p easyqr-app-core -- --ignored keyring_round_trip`.
    #[test]
    #[ignore = "needs a Secret Service session"]
    fn keyring_round_trip() {
        let s = KeyringStore {
            service: "easyqr-pos-test".into(),
        };
        s.set("test.entry", "sk_test_roundtrip1234").unwrap();
        assert_eq!(
            s.get("test.entry").unwrap().unwrap().expose(),
            "sk_test_roundtrip1234"
        );
        s.delete("test.entry").unwrap();
        assert!(s.get("test.entry").unwrap().is_none());
        s.delete("test.entry").unwrap();
    }

    #[test]
    fn bad_names_never_reach_the_platform() {
        let e = KeyringStore::new().get("../x").unwrap_err();
        assert!(matches!(e, SecretError::BadName(_)), "{:?}", e);
    }
}
