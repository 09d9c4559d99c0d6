//! API keys. A [`SecretKey`] can only be built from an `sk_test_`/`sk_live_`
//! string and never prints, logs or serialises itself.

use std::fmt;

/// Test or live environment, derived from the key prefix (elepay issues one
/// key set per environment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    Test,
    Live,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Test => "test",
            Mode::Live => "live",
        }
    }
}

/// Why a string is not usable as a secret key. Messages never echo the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("secretKey: this is a publishable key (pk_…); it is only for the elepay JavaScript SDK in a browser. The Code API needs the secret key (sk_test_… or sk_live_…) from the dashboard under 開発設定 / API")]
    Publishable,
    #[error("secretKey: the key is empty; enter the secret key (sk_test_… or sk_live_…)")]
    Empty,
    #[error(
        "secretKey: a secret key starts with sk_test_ or sk_live_ followed by letters and digits"
    )]
    Malformed,
}

/// The elepay secret key. `Debug` and `Display` show only the mode and the
/// last four characters; there is deliberately no `Serialize` impl, so the key
/// cannot end up in IPC payloads or JSON logs by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey {
    raw: String,
    mode: Mode,
}

impl SecretKey {
    pub fn parse(input: &str) -> Result<Self, KeyError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(KeyError::Empty);
        }
        if s.starts_with("pk_") {
            return Err(KeyError::Publishable);
        }
        let (mode, rest) = if let Some(rest) = s.strip_prefix("sk_test_") {
            (Mode::Test, rest)
        } else if let Some(rest) = s.strip_prefix("sk_live_") {
            (Mode::Live, rest)
        } else {
            return Err(KeyError::Malformed);
        };
        if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(KeyError::Malformed);
        }
        Ok(SecretKey {
            raw: s.to_owned(),
            mode,
        })
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Last four characters, for "set, ends in …1234" displays.
    pub fn last4(&self) -> &str {
        let start = self.raw.len().saturating_sub(4);
        &self.raw[start..]
    }

    /// The raw key, for building the Authorization header. Crate-private on
    /// purpose: nothing outside the client needs the secret itself.
    pub(crate) fn expose(&self) -> &str {
        &self.raw
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(sk_{}_…{})", self.mode.as_str(), self.last4())
    }
}

impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sk_{}_…{}", self.mode.as_str(), self.last4())
    }
}

impl std::str::FromStr for SecretKey {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Both schemes are in elepay's OpenAPI `security` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthScheme {
    /// `Authorization: Bearer sk_…` (recommended by elepay's Java SDK 2.0).
    #[default]
    Bearer,
    /// `Authorization: Basic base64("sk_…:")`: key as user, empty password.
    Basic,
}

impl AuthScheme {
    pub(crate) fn header_value(self, key: &SecretKey) -> String {
        use base64::Engine as _;
        match self {
            AuthScheme::Bearer => format!("Bearer {}", key.expose()),
            AuthScheme::Basic => format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{}:", key.expose()))
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_comes_from_the_prefix() {
        assert_eq!(
            SecretKey::parse("sk_test_abc123").unwrap().mode(),
            Mode::Test
        );
        assert_eq!(
            SecretKey::parse(" sk_live_XYZ9 ").unwrap().mode(),
            Mode::Live
        );
    }

    #[test]
    fn publishable_and_malformed_keys_are_refused() {
        assert_eq!(SecretKey::parse("pk_test_abc"), Err(KeyError::Publishable));
        assert!(KeyError::Publishable.to_string().contains("JavaScript SDK"));
        assert_eq!(SecretKey::parse(""), Err(KeyError::Empty));
        assert_eq!(SecretKey::parse("sk_prod_abc"), Err(KeyError::Malformed));
        assert_eq!(SecretKey::parse("sk_test_"), Err(KeyError::Malformed));
        assert_eq!(SecretKey::parse("sk_test_ab cd"), Err(KeyError::Malformed));
    }

    #[test]
    fn key_never_prints_itself() {
        let k = SecretKey::parse("sk_test_supersecretvalue9876").unwrap();
        for shown in [format!("{k:?}"), format!("{k}"), format!("{:#?}", Some(&k))] {
            assert!(!shown.contains("supersecret"), "{shown}");
            assert!(shown.contains("9876"));
        }
        // Error messages never echo the input either.
        let e = SecretKey::parse("pk_live_leakme").unwrap_err().to_string();
        assert!(!e.contains("leakme"));
    }

    #[test]
    fn auth_headers() {
        let k = SecretKey::parse("sk_test_abc").unwrap();
        assert_eq!(AuthScheme::Bearer.header_value(&k), "Bearer sk_test_abc");
        // base64("sk_test_abc:")
        assert_eq!(AuthScheme::Basic.header_value(&k), "Basic c2tfdGVzdF9hYmM6");
    }
}
