//! CSV exports of the log and of an X/Z report (UTF-8 with BOM, for
//! Excel), written beside their final name and renamed, so a failed export
//! never leaves a half-written file that looks complete.

use std::io::Write;
use std::path::{Path, PathBuf};

use easyqr_ledger::{local_time, report_csv, LogFilter};
use serde::Deserialize;

use crate::books::Books;
use crate::error::{ErrorCode, PosError, Result};

/// What to export.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    tag = "what",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Export {
    Log { filter: LogFilter },
    Report { shift_id: i64 },
}

impl Books {
    /// Writes `export` as CSV to `out`; answers the number of log rows
    /// (0 for a report).
    pub fn write_csv(
        &self,
        export: &Export,
        utc_offset_minutes: i32,
        out: &mut dyn Write,
    ) -> Result<u64> {
        match export {
            Export::Log { filter } => {
                Ok(self
                    .ledger()
                    .export_log_csv(filter, utc_offset_minutes, out)?)
            }
            Export::Report { shift_id } => {
                let report = self.shift_report(*shift_id)?;
                report_csv(&report, utc_offset_minutes, out)?;
                Ok(0)
            }
        }
    }

    /// Writes `export` into `dir` under a name with the local time in it
    /// (`easyqr-log-….csv`, `easyqr-shift-N-….csv`); answers the path.
    pub fn export_to_dir(
        &self,
        export: &Export,
        utc_offset_minutes: i32,
        dir: &Path,
    ) -> Result<PathBuf> {
        let stamp: String = local_time(self.now_ms(), utc_offset_minutes)
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        std::fs::create_dir_all(dir).map_err(|e| write_failed(dir, &e))?;
        let name = match export {
            Export::Log { .. } => format!("easyqr-log-{stamp}.csv"),
            Export::Report { shift_id } => format!("easyqr-shift-{shift_id}-{stamp}.csv"),
        };
        let path = dir.join(name);
        write_file(&path, |out| {
            self.write_csv(export, utc_offset_minutes, out).map(drop)
        })?;
        Ok(path)
    }
}

fn write_failed(path: &Path, e: &std::io::Error) -> PosError {
    PosError::new(
        ErrorCode::ExportFailed,
        format!("cannot write {}: {e}", path.display()),
    )
}

/// Runs `f` on a buffered writer to `path.partial`, syncs it, and renames it
/// to `path`; on any failure the partial file is removed.
pub fn write_file(path: &Path, f: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let tmp = path.with_extension("partial");
    let file = std::fs::File::create(&tmp).map_err(|e| write_failed(&tmp, &e))?;
    let mut out = std::io::BufWriter::new(file);
    let done = f(&mut out).and_then(|()| {
        let file = out
            .into_inner()
            .map_err(|e| write_failed(&tmp, e.error()))?;
        file.sync_all().map_err(|e| write_failed(&tmp, &e))
    });
    if let Err(e) = done {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).map_err(|e| write_failed(path, &e))
}
