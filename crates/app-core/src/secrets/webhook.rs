//! Webhook signing secrets. Several can be active at once so that switching
//! the endpoint in the elepay dashboard loses no event (PRODUCT.md §2); the
//! UI only ever sees how many there are.

use std::fmt;
use std::sync::Arc;

use elepay::webhook::SigningSecret;

use super::{json_reason, Secret, SecretError, SecretStore};

const ENTRY: &str = "webhook.secrets";

#[derive(Debug, thiserror::Error)]
pub enum WebhookSecretError {
    #[error("webhookSecret: 8 to 256 printable ASCII characters without spaces, as shown in the elepay dashboard")]
    Invalid,
    #[error("webhookSecret: at most {max} signing secrets; remove one first")]
    TooMany { max: usize },
    #[error(transparent)]
    Store(#[from] SecretError),
}

/// The list of signing secrets under entry `webhook.secrets` (a JSON array).
#[derive(Clone)]
pub struct WebhookSecrets {
    store: Arc<dyn SecretStore>,
}

impl fmt::Debug for WebhookSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSecrets")
            .field("store", &self.store.kind())
            .finish()
    }
}

impl WebhookSecrets {
    /// More than a handful means old endpoints were never cleaned up; each
    /// extra secret is one more HMAC per webhook and one more way in.
    pub const MAX: usize = 8;

    pub fn new(store: Arc<dyn SecretStore>) -> Self {
        WebhookSecrets { store }
    }

    pub fn list(&self) -> Result<Vec<Secret>, SecretError> {
        let Some(s) = self.store.get(ENTRY)? else {
            return Ok(Vec::new());
        };
        serde_json::from_str::<Vec<String>>(s.expose())
            .map(|v| v.into_iter().map(Secret::new).collect())
            .map_err(|e| SecretError::Corrupt {
                what: format!("the stored entry {ENTRY}"),
                reason: json_reason(&e),
            })
    }

    /// For `WebhookSettings::secret_count`.
    pub fn count(&self) -> Result<u32, SecretError> {
        Ok(u32::try_from(self.list()?.len()).unwrap_or(u32::MAX))
    }

    /// What the webhook receiver's verifier needs.
    pub fn signing_secrets(&self) -> Result<Vec<SigningSecret>, SecretError> {
        Ok(self
            .list()?
            .into_iter()
            .map(|s| SigningSecret::new(s.expose()))
            .collect())
    }

    fn save(&self, list: &[Secret]) -> Result<(), SecretError> {
        if list.is_empty() {
            return self.store.delete(ENTRY);
        }
        let raw: Vec<&str> = list.iter().map(Secret::expose).collect();
        let json = serde_json::to_string(&raw).map_err(|e| SecretError::Corrupt {
            what: ENTRY.into(),
            reason: json_reason(&e),
        })?;
        self.store.set(ENTRY, &json)
    }

    fn checked(secret: &str) -> Result<&str, WebhookSecretError> {
        let s = secret.trim();
        if !(8..=256).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(WebhookSecretError::Invalid);
        }
        Ok(s)
    }

    /// Replaces the whole list in one write, after checking every entry:
    /// one bad secret leaves the stored list untouched.
    pub fn replace_all(&self, secrets: &[&str]) -> Result<u32, WebhookSecretError> {
        let mut list: Vec<Secret> = Vec::new();
        for s in secrets {
            let s = Self::checked(s)?;
            if !list.iter().any(|x| x.expose() == s) {
                list.push(Secret::new(s));
            }
        }
        if list.len() > Self::MAX {
            return Err(WebhookSecretError::TooMany { max: Self::MAX });
        }
        self.save(&list)?;
        Ok(u32::try_from(list.len()).unwrap_or(u32::MAX))
    }

    /// Adds a secret (ignored if already present). Returns the new count.
    pub fn add(&self, secret: &str) -> Result<u32, WebhookSecretError> {
        let s = Self::checked(secret)?;
        let mut list = self.list()?;
        if !list.iter().any(|x| x.expose() == s) {
            if list.len() >= Self::MAX {
                return Err(WebhookSecretError::TooMany { max: Self::MAX });
            }
            list.push(Secret::new(s));
            self.save(&list)?;
        }
        Ok(u32::try_from(list.len()).unwrap_or(u32::MAX))
    }

    /// Removes the given secret (the owner pastes the one to retire).
    /// Returns whether it was there.
    pub fn remove(&self, secret: &str) -> Result<bool, SecretError> {
        let mut list = self.list()?;
        let before = list.len();
        list.retain(|x| x.expose() != secret.trim());
        if list.len() == before {
            return Ok(false);
        }
        self.save(&list)?;
        Ok(true)
    }

    pub fn clear(&self) -> Result<(), SecretError> {
        self.store.delete(ENTRY)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::secrets::MemoryStore;

    #[test]
    fn replace_all_is_all_or_nothing() {
        let w = WebhookSecrets::new(Arc::new(MemoryStore::default()));
        w.add("whsec_keep_me").unwrap();
        assert!(matches!(
            w.replace_all(&["whsec_new_one", "bad"]),
            Err(WebhookSecretError::Invalid)
        ));
        let kept: Vec<String> = w
            .list()
            .unwrap()
            .iter()
            .map(|s| s.expose().to_owned())
            .collect();
        assert_eq!(kept, ["whsec_keep_me"]);
        assert_eq!(
            w.replace_all(&["whsec_new_one", " whsec_new_one "])
                .unwrap(),
            1
        );
        let nine: Vec<String> = (0..9).map(|i| format!("whsec_{i:04}")).collect();
        let nine: Vec<&str> = nine.iter().map(String::as_str).collect();
        assert!(matches!(
            w.replace_all(&nine),
            Err(WebhookSecretError::TooMany { .. })
        ));
        assert_eq!(w.count().unwrap(), 1);
    }

    #[test]
    fn add_remove_count() {
        let mem = MemoryStore::default();
        let w = WebhookSecrets::new(Arc::new(mem.clone()));
        assert_eq!(w.count().unwrap(), 0);
        assert_eq!(w.add("whsec_first0001").unwrap(), 1);
        assert_eq!(w.add(" whsec_first0001 ").unwrap(), 1, "duplicates ignored");
        assert_eq!(w.add("whsec_second002").unwrap(), 2);
        let stored = mem.get("webhook.secrets").unwrap().unwrap();
        assert_eq!(stored.expose(), r#"["whsec_first0001","whsec_second002"]"#);
        assert_eq!(w.signing_secrets().unwrap().len(), 2);
        assert!(w.remove("whsec_first0001").unwrap());
        assert!(!w.remove("whsec_first0001").unwrap());
        assert_eq!(w.count().unwrap(), 1);
        w.remove("whsec_second002").unwrap();
        assert!(mem.is_empty(), "an empty list leaves no entry");
    }

    #[test]
    fn bad_secrets_are_refused_without_echo() {
        let w = WebhookSecrets::new(Arc::new(MemoryStore::default()));
        for bad in ["short", "has space inside", "", "é".repeat(10).as_str()] {
            let e = w.add(bad).unwrap_err();
            assert!(matches!(e, WebhookSecretError::Invalid), "{:?}", e);
            assert!(e.to_string().starts_with("webhookSecret: "));
        }
        for i in 0..WebhookSecrets::MAX {
            w.add(&format!("whsec_many{i:04}")).unwrap();
        }
        let e = w.add("whsec_onetoomany").unwrap_err();
        assert!(matches!(e, WebhookSecretError::TooMany { .. }), "{:?}", e);
        w.clear().unwrap();
        assert_eq!(w.count().unwrap(), 0);
    }

    #[test]
    fn damaged_list_is_reported_without_content() {
        let mem = MemoryStore::default();
        mem.set("webhook.secrets", r#""whsec_notalist99""#).unwrap();
        let w = WebhookSecrets::new(Arc::new(mem));
        let e = w.count().unwrap_err();
        assert!(matches!(e, SecretError::Corrupt { .. }), "{:?}", e);
        assert!(!e.to_string().contains("notalist"), "{e}");
    }
}
