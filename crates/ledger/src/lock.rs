//! One writer per ledger. Two processes changing the same ledger would
//! undo each other's safety (one's restart recovery burns the other's
//! in-flight create), so whoever changes payments holds an exclusive OS file
//! lock beside the database for as long as it runs. The OS drops the lock
//! when the process dies, so a crash never leaves the ledger locked.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::LedgerError;

#[derive(Debug)]
pub struct WriterLock {
    _file: File,
    path: PathBuf,
}

impl WriterLock {
    /// Takes the lock for the ledger at `db_path`, or fails at once with
    /// [`LedgerError::Locked`] if another process holds it.
    pub fn acquire(db_path: &Path) -> Result<WriterLock, LedgerError> {
        let mut name = db_path.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| LedgerError::Io {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
        match file.try_lock() {
            Ok(()) => Ok(WriterLock { _file: file, path }),
            Err(TryLockError::WouldBlock) => Err(LedgerError::Locked {
                path: db_path.display().to_string(),
            }),
            Err(TryLockError::Error(e)) => Err(LedgerError::Io {
                path: path.display().to_string(),
                reason: e.to_string(),
            }),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}
