//! The head-office enrolment token: HQ prints it once when it enrols the
//! register; it is kept here (OS keyring or the 0600 file, like the elepay
//! key) and only ever leaves Rust in an `Authorization` header.

use std::fmt;
use std::sync::Arc;

use super::{Secret, SecretError, SecretStore};

const ENTRY: &str = "hq.token";

/// An enrolment token. `Debug`/`Display` print `HqToken(…)` only — not
/// even a tail: the UI shows which register is enrolled, never the token.
/// No `Serialize`, so it cannot ride along in an IPC payload.
#[derive(Clone, PartialEq, Eq)]
pub struct HqToken(Secret);

/// Why a token was refused. Never quotes it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HqTokenError {
    #[error("token: no enrolment token given (HQ prints it once: easyqr-hq register enrol)")]
    Empty,
    #[error("token: 16 to 512 printable ASCII characters without spaces, as easyqr-hq printed it")]
    Malformed,
}

impl HqToken {
    /// Accepts what fits in an HTTP header as a bearer token.
    pub fn parse(input: &str) -> Result<HqToken, HqTokenError> {
        let t = input.trim();
        if t.is_empty() {
            return Err(HqTokenError::Empty);
        }
        if !(16..=512).contains(&t.len()) || !t.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(HqTokenError::Malformed);
        }
        Ok(HqToken(Secret::new(t)))
    }

    /// The token itself, for the one `Authorization` header that needs it.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl fmt::Debug for HqToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HqToken(…)")
    }
}

impl fmt::Display for HqToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("…")
    }
}

/// The token under entry `hq.token` of a [`SecretStore`].
#[derive(Clone)]
pub struct HqTokenStore {
    store: Arc<dyn SecretStore>,
}

impl fmt::Debug for HqTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HqTokenStore")
            .field("store", &self.store.kind())
            .finish()
    }
}

impl HqTokenStore {
    pub fn new(store: Arc<dyn SecretStore>) -> Self {
        HqTokenStore { store }
    }

    /// The stored token; a stored value that is no token is reported as
    /// damaged (without its text), not silently taken for "not enrolled".
    pub fn get(&self) -> Result<Option<HqToken>, SecretError> {
        match self.store.get(ENTRY)? {
            None => Ok(None),
            Some(s) => HqToken::parse(s.expose())
                .map(Some)
                .map_err(|_| SecretError::Corrupt {
                    what: format!("the stored entry {ENTRY}"),
                    reason: "it is not an enrolment token; enrol again".into(),
                }),
        }
    }

    pub fn set(&self, token: &HqToken) -> Result<(), SecretError> {
        self.store.set(ENTRY, token.expose())
    }

    pub fn delete(&self) -> Result<(), SecretError> {
        self.store.delete(ENTRY)
    }

    /// `"keyring"` or `"file"`: where the token is kept.
    pub fn kind(&self) -> &'static str {
        self.store.kind()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::secrets::MemoryStore;

    const RAW: &str = "hqt_S01R1_9f8e7d6c5b4a39281706";

    #[test]
    fn the_token_never_prints_itself() {
        let t = HqToken::parse(&format!("  {RAW}\n")).unwrap();
        assert_eq!(t.expose(), RAW);
        for shown in [format!("{t:?}"), format!("{t}"), format!("{:?}", Some(&t))] {
            assert!(
                !shown.contains("S01R1") && !shown.contains("1706"),
                "{shown}"
            );
        }
    }

    #[test]
    fn bad_tokens_are_refused_without_echo() {
        assert_eq!(HqToken::parse("  ").unwrap_err(), HqTokenError::Empty);
        for bad in [
            "short",
            "has a space in it ok?",
            &"x".repeat(513),
            "ｔｏｋｅｎｔｏｋｅｎｔｏｋｅｎ",
        ] {
            let e = HqToken::parse(bad).unwrap_err();
            assert_eq!(e, HqTokenError::Malformed);
            assert!(e.to_string().starts_with("token: "));
            assert!(!e.to_string().contains("space in"));
        }
    }

    #[test]
    fn stored_under_its_own_name_and_removed() {
        let mem = MemoryStore::default();
        let s = HqTokenStore::new(Arc::new(mem.clone()));
        assert!(s.get().unwrap().is_none());
        s.set(&HqToken::parse(RAW).unwrap()).unwrap();
        assert_eq!(mem.names(), ["hq.token"]);
        assert_eq!(s.get().unwrap().unwrap().expose(), RAW);
        assert!(!format!("{s:?}").contains(RAW));
        s.delete().unwrap();
        assert!(mem.is_empty());
        mem.set("hq.token", "bad token").unwrap();
        let e = s.get().unwrap_err();
        assert!(matches!(e, SecretError::Corrupt { .. }));
        assert!(!e.to_string().contains("bad token"));
    }
}
