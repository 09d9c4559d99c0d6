//! Commands of the Transactions and Shift tabs: shifts with X/Z reports,
//! the filtered log, refunds, reconciliation and CSV exports. Thin calls
//! into the ledger and the engine, like `commands.rs`.

use std::path::PathBuf;
use std::sync::Arc;

use easyqr_engine::Reconciliation;
use easyqr_ledger::{report_csv, LogFilter, LogRow, Refund, Shift, ShiftReport, TimelineEntry};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, State};

use crate::context::AppContext;
use crate::error::CommandError;

type Ctx<'a> = State<'a, Arc<AppContext>>;

/// The register's open shift (with its X report) and recent past shifts.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShiftStatus {
    open: Option<ShiftReport>,
    past: Vec<Shift>,
}

#[tauri::command]
pub async fn shift_status(ctx: Ctx<'_>) -> Result<ShiftStatus, CommandError> {
    let engine = ctx.engine();
    let ledger = engine.ledger();
    let register = ctx.settings().register_id;
    let open = match ledger.current_shift(&register)? {
        Some(id) => Some(ledger.shift_report(id, engine.now_ms())?),
        None => None,
    };
    let past = ledger
        .shifts(&register, 20, None)?
        .into_iter()
        .filter(|s| s.closed_at.is_some())
        .collect();
    Ok(ShiftStatus { open, past })
}

#[tauri::command]
pub async fn open_shift(ctx: Ctx<'_>, cashier: String) -> Result<ShiftReport, CommandError> {
    let engine = ctx.engine();
    let register = ctx.settings().register_id;
    let id = engine
        .ledger()
        .open_shift(&register, cashier.trim(), engine.now_ms())?;
    Ok(engine.ledger().shift_report(id, engine.now_ms())?)
}

/// Closes the open shift; answers its Z report.
#[tauri::command]
pub async fn close_shift(ctx: Ctx<'_>) -> Result<ShiftReport, CommandError> {
    let engine = ctx.engine();
    let register = ctx.settings().register_id;
    let shift = engine.ledger().close_shift(&register, engine.now_ms())?;
    Ok(engine.ledger().shift_report(shift.id, engine.now_ms())?)
}

#[tauri::command]
pub async fn shift_report(ctx: Ctx<'_>, shift_id: i64) -> Result<ShiftReport, CommandError> {
    let engine = ctx.engine();
    Ok(engine.ledger().shift_report(shift_id, engine.now_ms())?)
}

#[tauri::command]
pub async fn transaction_log(
    ctx: Ctx<'_>,
    filter: LogFilter,
    limit: u32,
    before_id: Option<i64>,
) -> Result<Vec<LogRow>, CommandError> {
    Ok(ctx.engine().ledger().log(&filter, limit, before_id)?)
}

/// A sale's history from the journal, oldest first.
#[tauri::command]
pub async fn sale_timeline(ctx: Ctx<'_>, sale_id: i64) -> Result<Vec<TimelineEntry>, CommandError> {
    Ok(ctx.engine().ledger().sale_timeline(sale_id)?)
}

#[tauri::command]
pub async fn refund(
    ctx: Ctx<'_>,
    attempt_id: i64,
    amount: i64,
    reason: Option<String>,
) -> Result<Refund, CommandError> {
    // A refund counts in the shift it is made in, so there must be one.
    let engine = ctx.engine();
    if engine
        .ledger()
        .current_shift(&ctx.settings().register_id)?
        .is_none()
    {
        return Err(CommandError::new(
            "invalid_input",
            "shift: open a shift first; a refund counts in the shift it is made in",
        )
        .field("shift"));
    }
    let amount = elepay::Amount::new(amount)
        .map_err(|e| CommandError::new("invalid_input", e.to_string()).field("amount"))?;
    let reason = reason.filter(|r| !r.trim().is_empty());
    Ok(engine.refund(attempt_id, amount, reason.as_deref()).await?)
}

#[tauri::command]
pub async fn reconcile(ctx: Ctx<'_>, shift_id: i64) -> Result<Reconciliation, CommandError> {
    Ok(ctx.engine().reconcile(shift_id).await?)
}

/// What to export.
#[derive(Debug, Deserialize)]
#[serde(
    tag = "what",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Export {
    Log { filter: LogFilter },
    Report { shift_id: i64 },
}

/// Writes a CSV into the user's Downloads folder (the data folder if there
/// is none) and answers its path, for the cashier to find or open.
#[tauri::command]
pub async fn export_csv(
    app: AppHandle,
    ctx: Ctx<'_>,
    export: Export,
) -> Result<String, CommandError> {
    let engine = ctx.engine();
    let now = engine.now_ms();
    let offset = engine.config().utc_offset_minutes;
    let stamp: String = easyqr_ledger::local_time(now, offset)
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let dir: PathBuf = app
        .path()
        .download_dir()
        .ok()
        .filter(|d| d.is_dir())
        .unwrap_or_else(|| ctx.data_dir.join("exports"));
    let io = |e: std::io::Error| {
        CommandError::new(
            "export_failed",
            format!("cannot write to {}: {e}", dir.display()),
        )
    };
    std::fs::create_dir_all(&dir).map_err(io)?;
    let (name, ledger) = match &export {
        Export::Log { .. } => (format!("easyqr-log-{stamp}.csv"), engine.ledger().clone()),
        Export::Report { shift_id } => (
            format!("easyqr-shift-{shift_id}-{stamp}.csv"),
            engine.ledger().clone(),
        ),
    };
    let path = dir.join(name);
    let tmp = path.with_extension("partial");
    let written = tauri::async_runtime::spawn_blocking({
        let tmp = tmp.clone();
        move || -> Result<(), CommandError> {
            let file = std::fs::File::create(&tmp).map_err(|e| {
                CommandError::new(
                    "export_failed",
                    format!("cannot create {}: {e}", tmp.display()),
                )
            })?;
            let mut out = std::io::BufWriter::new(file);
            match export {
                Export::Log { filter } => {
                    ledger.export_log_csv(&filter, offset, &mut out)?;
                }
                Export::Report { shift_id } => {
                    report_csv(&ledger.shift_report(shift_id, now)?, offset, &mut out)?;
                }
            }
            Ok(())
        }
    })
    .await
    .map_err(|e| CommandError::new("export_failed", e.to_string()))?;
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, &path).map_err(io)?;
    Ok(path.display().to_string())
}
