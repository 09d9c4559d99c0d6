//! Crash-safe file replacement, shared by the settings file and the
//! secrets file: a reader sees either the old file or the new one, never a
//! half-written mix, even if the power goes out mid-save.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// `<path>.tmp`, the name the new contents are written under first.
pub(crate) fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Writes `bytes` to `<path>.tmp`, fsyncs it, renames it over `path` and
/// fsyncs the directory so the rename itself survives a crash.
///
/// `mode` (Unix permission bits) is applied when the temporary file is
/// created, so a secret is never readable by others, not even for an
/// instant.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let tmp = tmp_path(path);
    // A stale temporary file from an interrupted save may have looser
    // permissions than asked for; start from nothing.
    match fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    if let Some(mode) = mode {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let result = (|| {
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Makes a rename in `dir` durable. Windows cannot open a directory for
/// syncing and its rename is already durable enough (NTFS journal).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Renames a damaged `path` to `<name>.bad-<unix ms>` (never over an
/// earlier one: it may hold the only copy of the owner's values) and
/// returns the new path. A rename keeps the file's permissions.
pub(crate) fn set_aside(path: &Path) -> io::Result<PathBuf> {
    let mut ms = unix_ms_now();
    loop {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".bad-{ms}"));
        let kept = path.with_file_name(name);
        if kept.exists() {
            ms += 1;
            continue;
        }
        fs::rename(path, &kept)?;
        return Ok(kept);
    }
}

/// Milliseconds since the Unix epoch, for file names only (never for money).
pub(crate) fn unix_ms_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn replaces_contents_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub").join("a.json");
        write_atomic(&p, b"one", None).unwrap();
        write_atomic(&p, b"two", None).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert!(!tmp_path(&p).exists());
        assert_eq!(tmp_path(&p).file_name().unwrap(), "a.json.tmp");
    }

    #[test]
    fn set_aside_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        let mut kept = Vec::new();
        for i in 0..3 {
            fs::write(&p, format!("v{i}")).unwrap();
            kept.push(set_aside(&p).unwrap());
        }
        assert!(!p.exists());
        for (i, k) in kept.iter().enumerate() {
            assert_eq!(fs::read_to_string(k).unwrap(), format!("v{i}"));
            let name = k.file_name().unwrap().to_string_lossy().into_owned();
            assert!(name.starts_with("s.json.bad-"), "{name}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn mode_is_set_on_create_even_over_a_stale_loose_temporary_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        fs::write(tmp_path(&p), b"stale").unwrap();
        fs::set_permissions(tmp_path(&p), fs::Permissions::from_mode(0o666)).unwrap();
        write_atomic(&p, b"x", Some(0o600)).unwrap();
        let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
