//! In-memory store: for tests and for DEMO mode, where nothing should touch
//! the owner's real keyring.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::{check_name, Secret, SecretError, SecretStore};

/// Clones share the same entries.
#[derive(Clone, Default)]
pub struct MemoryStore {
    entries: Arc<Mutex<BTreeMap<String, String>>>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("entries", &self.lock().keys().collect::<Vec<_>>())
            .finish()
    }
}

impl MemoryStore {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, String>> {
        // A panic elsewhere cannot leave a map half-updated; keep going.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Entry names, for tests.
    pub fn names(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, name: &str) -> Result<Option<Secret>, SecretError> {
        check_name(name)?;
        Ok(self.lock().get(name).cloned().map(Secret::new))
    }

    fn set(&self, name: &str, value: &str) -> Result<(), SecretError> {
        check_name(name)?;
        self.lock().insert(name.to_owned(), value.to_owned());
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        check_name(name)?;
        self.lock().remove(name);
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}
