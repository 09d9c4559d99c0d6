//! `<dir>/secrets.json`: the fallback when there is no OS keyring. Plain
//! JSON readable only by the owner (mode 0600), replaced atomically.
//!
//! This protects against other local users and against the key ending up
//! in a backup of `settings.json`; it does not protect against someone
//! with the owner's account, which the OS keyring (unlocked at login) does
//! not either.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{check_name, json_reason, Secret, SecretError, SecretStore};
use crate::fsutil;

pub const SECRETS_FILE: &str = "secrets.json";
const MODE: u32 = 0o600;

#[derive(Debug)]
pub struct FileStore {
    path: PathBuf,
    /// Serialises read-modify-write within this process.
    lock: Mutex<()>,
}

type Entries = BTreeMap<String, String>;

impl FileStore {
    /// Does not touch the disk; the file is created on the first `set`.
    pub fn new(dir: &Path) -> Self {
        FileStore {
            path: dir.join(SECRETS_FILE),
            lock: Mutex::new(()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io_err(&self, source: io::Error) -> SecretError {
        SecretError::Io {
            path: self.path.display().to_string(),
            source,
        }
    }

    fn read(&self) -> Result<Entries, SecretError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Entries::new()),
            Err(e) => return Err(self.io_err(e)),
        };
        self.tighten()?;
        serde_json::from_slice(&bytes).map_err(|e| self.set_aside(&e))
    }

    /// Someone (a copy, an archive tool, a hand edit) left the file readable
    /// by others: close it again before anything else.
    #[cfg(unix)]
    fn tighten(&self) -> Result<(), SecretError> {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(&self.path).map_err(|e| self.io_err(e))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %self.path.display(),
                mode = format!("{mode:o}"),
                "secrets file was readable by others; restricting it to the owner"
            );
            std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(MODE))
                .map_err(|e| self.io_err(e))?;
        }
        Ok(())
    }

    #[cfg(not(unix))]
    fn tighten(&self) -> Result<(), SecretError> {
        Ok(())
    }

    /// A damaged file is renamed (keeping its 0600 mode), never deleted: it
    /// may hold the only copy of a key. The store then starts empty.
    fn set_aside(&self, e: &serde_json::Error) -> SecretError {
        let what = match fsutil::set_aside(&self.path) {
            Ok(kept) => format!(
                "{} (kept as {}; the secrets must be entered again)",
                self.path.display(),
                kept.display()
            ),
            Err(_) => self.path.display().to_string(),
        };
        let err = SecretError::Corrupt {
            what,
            reason: json_reason(e),
        };
        tracing::warn!(error = %err, "secrets file unreadable");
        err
    }

    fn write(&self, entries: &Entries) -> Result<(), SecretError> {
        let json =
            serde_json::to_vec_pretty(entries).map_err(|e| self.io_err(io::Error::other(e)))?;
        fsutil::write_atomic(&self.path, &json, Some(MODE)).map_err(|e| self.io_err(e))
    }

    fn guard(&self) -> std::sync::MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl SecretStore for FileStore {
    fn get(&self, name: &str) -> Result<Option<Secret>, SecretError> {
        check_name(name)?;
        let _g = self.guard();
        Ok(self.read()?.remove(name).map(Secret::new))
    }

    fn set(&self, name: &str, value: &str) -> Result<(), SecretError> {
        check_name(name)?;
        let _g = self.guard();
        let mut entries = self.read()?;
        entries.insert(name.to_owned(), value.to_owned());
        self.write(&entries)
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        check_name(name)?;
        let _g = self.guard();
        let mut entries = self.read()?;
        if entries.remove(name).is_some() {
            self.write(&entries)?;
        }
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "file"
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_across_instances() {
        let dir = tempfile::tempdir().unwrap();
        let a = FileStore::new(dir.path());
        assert!(a.get("x.y").unwrap().is_none());
        a.set("x.y", "one").unwrap();
        a.set("x.z", "two").unwrap();
        let b = FileStore::new(dir.path());
        assert_eq!(b.get("x.y").unwrap().unwrap().expose(), "one");
        b.delete("x.y").unwrap();
        b.delete("x.y").unwrap();
        assert!(a.get("x.y").unwrap().is_none());
        assert_eq!(a.get("x.z").unwrap().unwrap().expose(), "two");
        assert!(!dir.path().join("secrets.json.tmp").exists());
    }

    #[cfg(unix)]
    #[test]
    fn created_0600_and_retightened() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let s = FileStore::new(dir.path());
        s.set("a", "v").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(s.path()), 0o600);
        std::fs::set_permissions(s.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(s.get("a").unwrap().unwrap().expose(), "v");
        assert_eq!(mode(s.path()), 0o600);
    }

    #[test]
    fn damaged_file_is_kept_aside_without_quoting_it() {
        let dir = tempfile::tempdir().unwrap();
        let s = FileStore::new(dir.path());
        // Valid JSON of the wrong shape: serde's own message would quote it.
        std::fs::write(s.path(), br#""sk_live_leakedsecret4321""#).unwrap();
        let e = s.get("elepay.current").unwrap_err();
        assert!(matches!(e, SecretError::Corrupt { .. }), "{:?}", e);
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("leakedsecret"), "{shown}");
        assert!(shown.contains("kept as"), "{shown}");
        // The store starts over, and the damaged file is still there.
        assert!(s.get("elepay.current").unwrap().is_none());
        let kept: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("secrets.json.bad-"))
            .collect();
        assert_eq!(kept.len(), 1);
        s.set("a", "b").unwrap();
    }
}
