//! The elepay secret key: storing it, rotating it, checking it.
//!
//! elepay keeps a regenerated key's predecessor valid for at most 3 days
//! (FACTS.md, "API key regenerated"). During that window the app still needs
//! the old key to watch codes created under it, so installing a new key
//! keeps the old one as `previous` until the overlap ends.
//!
//! Write order in [`KeyManager::install`] is chosen so that a crash at any
//! point leaves a usable key: the old key is copied to `previous` first, and
//! the switch itself is the single write of `current`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use elepay::{KeyError, SecretKey};
use serde::{Deserialize, Serialize};

use super::{json_reason, Secret, SecretError, SecretStore};

/// How long a replaced key stays usable: elepay's documented 3-day overlap.
pub const ROTATION_OVERLAP_MS: i64 = 3 * 24 * 60 * 60 * 1000;

const CURRENT: &str = "elepay.current";
const PREVIOUS: &str = "elepay.previous";
/// Non-secret rotation metadata, kept beside the keys so the two can never
/// disagree after a restore or a switch of store.
const ROTATION: &str = "elepay.rotation";

/// A parsed secret key together with its text, so it can be stored.
///
/// Exists because `elepay::SecretKey` deliberately has no public way to get
/// the raw key back. Parsing goes through `SecretKey::parse`, so a `pk_` key
/// is refused here with elepay's message. `Debug` shows what `SecretKey`'s
/// does (mode and last four).
#[derive(Clone)]
pub struct StorableKey {
    key: SecretKey,
    raw: Secret,
}

impl StorableKey {
    pub fn parse(input: &str) -> Result<Self, KeyError> {
        let key = SecretKey::parse(input)?;
        Ok(StorableKey {
            key,
            // `parse` accepted the trimmed text; that is what is stored.
            raw: Secret::new(input.trim()),
        })
    }

    pub fn key(&self) -> &SecretKey {
        &self.key
    }
}

impl fmt::Debug for StorableKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.key, f)
    }
}

/// Everything about the key the UI may see. Built only from last-four
/// characters and modes, so it can go over IPC as is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyStatus {
    pub set: bool,
    pub last4: Option<String>,
    /// `"test"` or `"live"`.
    pub mode: Option<&'static str>,
    /// The replaced key, only while it is still within the overlap.
    pub previous_last4: Option<String>,
    /// Differs from `mode` right after a test→live (or back) switch, so the
    /// UI can say so plainly.
    pub previous_mode: Option<&'static str>,
    pub overlap_until_ms: Option<i64>,
    /// `"keyring"` or `"file"`: where the key is kept.
    pub store: &'static str,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rotation {
    previous_overlap_until_ms: i64,
}

/// The elepay key in a [`SecretStore`], with rotation.
#[derive(Clone)]
pub struct KeyManager {
    store: Arc<dyn SecretStore>,
}

impl fmt::Debug for KeyManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyManager")
            .field("store", &self.store.kind())
            .finish()
    }
}

impl KeyManager {
    pub fn new(store: Arc<dyn SecretStore>) -> Self {
        KeyManager { store }
    }

    fn load(&self, name: &str) -> Result<Option<SecretKey>, SecretError> {
        match self.store.get(name)? {
            None => Ok(None),
            Some(s) => SecretKey::parse(s.expose())
                .map(Some)
                .map_err(|_| SecretError::Corrupt {
                    what: format!("the stored entry {name}"),
                    reason: "it is not an elepay secret key; enter the key again".into(),
                }),
        }
    }

    fn overlap_until(&self) -> Result<Option<i64>, SecretError> {
        let Some(s) = self.store.get(ROTATION)? else {
            return Ok(None);
        };
        serde_json::from_str::<Rotation>(s.expose())
            .map(|r| Some(r.previous_overlap_until_ms))
            .map_err(|e| SecretError::Corrupt {
                what: format!("the stored entry {ROTATION}"),
                reason: json_reason(&e),
            })
    }

    /// The key to use for new codes.
    pub fn current(&self) -> Result<Option<SecretKey>, SecretError> {
        self.load(CURRENT)
    }

    /// The replaced key, while `now_ms` is still inside its overlap; for
    /// watching codes created before the switch.
    pub fn previous(&self, now_ms: i64) -> Result<Option<SecretKey>, SecretError> {
        match self.overlap_until()? {
            Some(until) if now_ms < until => self.load(PREVIOUS),
            _ => Ok(None),
        }
    }

    pub fn status(&self, now_ms: i64) -> Result<KeyStatus, SecretError> {
        let current = self.current()?;
        let until = self.overlap_until()?.filter(|u| now_ms < *u);
        let previous = match until {
            Some(_) => self.load(PREVIOUS)?,
            None => None,
        };
        Ok(KeyStatus {
            set: current.is_some(),
            last4: current.as_ref().map(|k| k.last4().to_owned()),
            mode: current.as_ref().map(|k| k.mode().as_str()),
            previous_last4: previous.as_ref().map(|k| k.last4().to_owned()),
            previous_mode: previous.as_ref().map(|k| k.mode().as_str()),
            overlap_until_ms: previous.as_ref().and(until),
            store: self.store.kind(),
        })
    }

    /// Makes `new` the current key. The old current key (if different)
    /// becomes `previous`, usable until `now_ms` + 3 days; an older
    /// `previous` is dropped. Installing the current key again changes
    /// nothing. Verify the key first ([`verify_key`]).
    pub fn install(&self, new: StorableKey, now_ms: i64) -> Result<KeyStatus, SecretError> {
        let old = self.store.get(CURRENT)?;
        if old.as_ref() == Some(&new.raw) {
            return self.status(now_ms);
        }
        if let Some(old) = old {
            if let Ok(old_key) = SecretKey::parse(old.expose()) {
                if old_key.mode() != new.key.mode() {
                    tracing::warn!(
                        from = old_key.mode().as_str(),
                        to = new.key.mode().as_str(),
                        "elepay key mode changes"
                    );
                }
            }
            self.store.set(PREVIOUS, old.expose())?;
            let meta = Rotation {
                previous_overlap_until_ms: now_ms.saturating_add(ROTATION_OVERLAP_MS),
            };
            let json = serde_json::to_string(&meta).map_err(|e| SecretError::Corrupt {
                what: ROTATION.into(),
                reason: json_reason(&e),
            })?;
            self.store.set(ROTATION, &json)?;
        }
        self.store.set(CURRENT, new.raw.expose())?;
        tracing::info!(key = ?new.key, store = self.store.kind(), "elepay key installed");
        self.status(now_ms)
    }

    /// Drops the previous key once its overlap is over. Returns whether
    /// anything was removed.
    pub fn prune(&self, now_ms: i64) -> Result<bool, SecretError> {
        match self.overlap_until()? {
            Some(until) if now_ms >= until => {
                self.store.delete(PREVIOUS)?;
                self.store.delete(ROTATION)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Forgets both keys (the owner removes the key from this register).
    pub fn remove(&self) -> Result<(), SecretError> {
        self.store.delete(CURRENT)?;
        self.store.delete(PREVIOUS)?;
        self.store.delete(ROTATION)
    }
}

/// Why a key could not be confirmed. Messages never contain the key or any
/// text the server sent back (a misconfigured endpoint could echo headers).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyCheckError {
    #[error("elepay refused this key (HTTP {status}); copy the secret key of this app again from the elepay dashboard (開発設定 / API)")]
    Refused { status: u16 },
    #[error("the key could not be checked: {reason}")]
    Unreachable { reason: String },
}

/// Confirms elepay accepts `key` with a call that changes nothing (the
/// EasyQR payment-method list). Run before [`KeyManager::install`], so a
/// typo is caught at setup rather than at the first sale.
pub async fn verify_key(api_base: &url::Url, key: &SecretKey) -> Result<(), KeyCheckError> {
    let config = elepay::ClientConfig {
        timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(5),
        retry: elepay::RetryPolicy {
            max_retries: 1,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(1),
        },
        ..elepay::ClientConfig::with_base_url(api_base.clone())
    };
    let client =
        elepay::Client::new(key.clone(), config).map_err(|e| KeyCheckError::Unreachable {
            reason: e.to_string(),
        })?;
    let host = api_base.host_str().unwrap_or("the API");
    match client.list_code_payment_methods().await {
        Ok(_) => Ok(()),
        Err(e) if e.is_auth_failure() => Err(KeyCheckError::Refused {
            status: e.api().map_or(0, |a| a.status),
        }),
        Err(e) => Err(KeyCheckError::Unreachable {
            reason: describe(&e, host),
        }),
    }
}

/// Our own wording per failure kind; only the transport reason (built by
/// reqwest from the URL and the socket error) and known error codes pass.
fn describe(e: &elepay::Error, host: &str) -> String {
    match e {
        elepay::Error::NotSent { reason, .. } => format!("could not reach {host} ({reason})"),
        elepay::Error::OutcomeUnknown { reason, .. } => format!("no answer from {host} ({reason})"),
        elepay::Error::Api { api, .. } => {
            let known = api
                .error_code
                .as_ref()
                .filter(|c| !matches!(c, elepay::ErrorCode::Other(_)));
            match known {
                Some(c) => format!(
                    "{host} answered HTTP {} {} ({})",
                    api.status,
                    c.as_str(),
                    c.description()
                ),
                None => format!("{host} answered HTTP {}", api.status),
            }
        }
        elepay::Error::Decode { status, .. } => {
            format!("{host} answered HTTP {status} but not like elepay; check the API address")
        }
        elepay::Error::Invalid(v) => format!("invalid request ({})", v.field),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::secrets::MemoryStore;

    const T0: i64 = 1_800_000_000_000;

    fn mgr() -> (KeyManager, MemoryStore) {
        let mem = MemoryStore::default();
        (KeyManager::new(Arc::new(mem.clone())), mem)
    }

    fn key(s: &str) -> StorableKey {
        StorableKey::parse(s).unwrap()
    }

    #[test]
    fn empty_store_status() {
        let (m, _) = mgr();
        let s = m.status(T0).unwrap();
        assert!(!s.set);
        assert_eq!(s.last4, None);
        assert_eq!(s.mode, None);
        assert_eq!(s.store, "memory");
        assert!(m.current().unwrap().is_none());
        assert!(m.previous(T0).unwrap().is_none());
    }

    #[test]
    fn first_install_has_no_previous() {
        let (m, mem) = mgr();
        let s = m.install(key(" sk_test_first0001 "), T0).unwrap();
        assert!(s.set);
        assert_eq!(s.last4.as_deref(), Some("0001"));
        assert_eq!(s.mode, Some("test"));
        assert_eq!(s.previous_last4, None);
        assert_eq!(s.overlap_until_ms, None);
        assert_eq!(mem.names(), ["elepay.current"]);
        assert_eq!(m.current().unwrap().unwrap().last4(), "0001");
    }

    #[test]
    fn rotation_keeps_old_key_for_three_days_exactly() {
        let (m, _) = mgr();
        m.install(key("sk_test_old00001"), T0).unwrap();
        let t1 = T0 + 60_000;
        let s = m.install(key("sk_test_new00002"), t1).unwrap();
        assert_eq!(s.last4.as_deref(), Some("0002"));
        assert_eq!(s.previous_last4.as_deref(), Some("0001"));
        let until = t1 + 3 * 24 * 3600 * 1000;
        assert_eq!(s.overlap_until_ms, Some(until));
        assert_eq!(m.previous(until - 1).unwrap().unwrap().last4(), "0001");
        assert!(m.previous(until).unwrap().is_none());
        let after = m.status(until).unwrap();
        assert_eq!(after.previous_last4, None);
        assert_eq!(after.overlap_until_ms, None);
        assert_eq!(after.last4.as_deref(), Some("0002"));

        assert!(!m.prune(until - 1).unwrap());
        assert!(m.prune(until).unwrap());
        assert!(m.previous(T0).unwrap().is_none(), "gone for good");
    }

    #[test]
    fn reinstalling_the_current_key_changes_nothing() {
        let (m, _) = mgr();
        m.install(key("sk_test_old00001"), T0).unwrap();
        m.install(key("sk_test_new00002"), T0).unwrap();
        let s = m.install(key("sk_test_new00002"), T0 + 1000).unwrap();
        assert_eq!(s.previous_last4.as_deref(), Some("0001"));
        assert_eq!(s.overlap_until_ms, Some(T0 + ROTATION_OVERLAP_MS));
    }

    #[test]
    fn a_second_rotation_replaces_the_previous_key() {
        let (m, _) = mgr();
        m.install(key("sk_test_aaaa0001"), T0).unwrap();
        m.install(key("sk_test_bbbb0002"), T0 + 1).unwrap();
        let s = m.install(key("sk_test_cccc0003"), T0 + 2).unwrap();
        assert_eq!(s.previous_last4.as_deref(), Some("0002"));
        assert_eq!(s.overlap_until_ms, Some(T0 + 2 + ROTATION_OVERLAP_MS));
    }

    #[test]
    fn test_to_live_is_allowed_and_visible() {
        let (m, _) = mgr();
        m.install(key("sk_test_aaaa0001"), T0).unwrap();
        let s = m.install(key("sk_live_bbbb0002"), T0).unwrap();
        assert_eq!(s.mode, Some("live"));
        assert_eq!(s.previous_mode, Some("test"));
        let j = serde_json::to_value(&s).unwrap();
        assert_eq!(j["mode"], "live");
        assert_eq!(j["previousMode"], "test");
        assert_eq!(j["previousLast4"], "0001");
        assert!(j.get("overlapUntilMs").is_some());
    }

    #[test]
    fn remove_forgets_everything() {
        let (m, mem) = mgr();
        m.install(key("sk_test_aaaa0001"), T0).unwrap();
        m.install(key("sk_test_bbbb0002"), T0).unwrap();
        m.remove().unwrap();
        assert!(mem.is_empty());
        assert!(!m.status(T0).unwrap().set);
    }

    #[test]
    fn damaged_entries_are_errors_not_silently_unset() {
        let (m, mem) = mgr();
        mem.set("elepay.current", "pk_live_notasecretkey1").unwrap();
        let e = m.current().unwrap_err();
        assert!(matches!(e, SecretError::Corrupt { .. }), "{:?}", e);
        assert!(!e.to_string().contains("notasecret"));
        mem.set("elepay.current", "sk_test_fine0001").unwrap();
        mem.set("elepay.rotation", "\"sk_test_oops\"").unwrap();
        let e = m.status(T0).unwrap_err();
        assert!(!e.to_string().contains("oops"), "{e}");
    }

    #[test]
    fn publishable_keys_are_refused_as_such() {
        let e = StorableKey::parse("pk_test_abcdef").unwrap_err();
        assert_eq!(e, KeyError::Publishable);
    }
}
