//! Tauri commands of the Transactions and Shift tabs: shifts with X/Z
//! reports, the filtered log, refunds, reconciliation and CSV exports. Each
//! maps its IPC arguments to one use case, like `commands.rs`.

use std::path::PathBuf;
use std::sync::Arc;

use easyqr_engine::Reconciliation;
use easyqr_ledger::{LogFilter, LogRow, Refund, ShiftReport, TimelineEntry};
use easyqr_pos_core::{Export, ShiftStatus};
use tauri::{AppHandle, Manager, State};

use crate::context::AppContext;
use crate::error::CommandError;

type Ctx<'a> = State<'a, Arc<AppContext>>;

#[tauri::command]
pub async fn shift_status(ctx: Ctx<'_>) -> Result<ShiftStatus, CommandError> {
    ctx.station.books().shift_status(&ctx.station.register_id())
}

#[tauri::command]
pub async fn open_shift(ctx: Ctx<'_>, cashier: String) -> Result<ShiftReport, CommandError> {
    ctx.station
        .books()
        .open_shift(&ctx.station.register_id(), &cashier)
}

/// Closes the open shift; answers its Z report.
#[tauri::command]
pub async fn close_shift(ctx: Ctx<'_>) -> Result<ShiftReport, CommandError> {
    ctx.station.books().close_shift(&ctx.station.register_id())
}

#[tauri::command]
pub async fn shift_report(ctx: Ctx<'_>, shift_id: i64) -> Result<ShiftReport, CommandError> {
    ctx.station.books().shift_report(shift_id)
}

#[tauri::command]
pub async fn transaction_log(
    ctx: Ctx<'_>,
    filter: LogFilter,
    limit: u32,
    before_id: Option<i64>,
) -> Result<Vec<LogRow>, CommandError> {
    let offset = ctx.station.engine().config().utc_offset_minutes;
    let filter = filter.with_store_days(offset)?;
    ctx.station.books().log(&filter, limit, before_id)
}

/// A sale's history from the journal, oldest first.
#[tauri::command]
pub async fn sale_timeline(ctx: Ctx<'_>, sale_id: i64) -> Result<Vec<TimelineEntry>, CommandError> {
    ctx.station.books().sale_timeline(sale_id)
}

/// What a refund would come to (amount, tax by rate), nothing sent.
#[tauri::command]
pub async fn refund_plan(
    ctx: Ctx<'_>,
    attempt_id: i64,
    amount: Option<i64>,
    items: Option<Vec<easyqr_pos_core::ReturnItem>>,
) -> Result<easyqr_pos_core::register::RefundPlan, CommandError> {
    let req = easyqr_pos_core::RefundRequest {
        amount,
        items: items.unwrap_or_default(),
        reason: None,
    };
    ctx.station.register().refund_plan(attempt_id, &req)
}

/// Refunds the items returned (taxed by the sale's rule) or an amount.
#[tauri::command]
pub async fn refund(
    ctx: Ctx<'_>,
    attempt_id: i64,
    amount: Option<i64>,
    items: Option<Vec<easyqr_pos_core::ReturnItem>>,
    reason: Option<String>,
) -> Result<Refund, CommandError> {
    let req = easyqr_pos_core::RefundRequest {
        amount,
        items: items.unwrap_or_default(),
        reason,
    };
    ctx.station.register().refund(attempt_id, &req).await
}

#[tauri::command]
pub async fn reconcile(ctx: Ctx<'_>, shift_id: i64) -> Result<Reconciliation, CommandError> {
    ctx.station.register().reconcile(Some(shift_id)).await
}

/// Writes a CSV into the user's Downloads folder (the data folder if there
/// is none) and answers its path, for the cashier to find or open.
#[tauri::command]
pub async fn export_csv(
    app: AppHandle,
    ctx: Ctx<'_>,
    export: Export,
) -> Result<String, CommandError> {
    let dir: PathBuf = app
        .path()
        .download_dir()
        .ok()
        .filter(|d| d.is_dir())
        .unwrap_or_else(|| ctx.station.data_dir.join("exports"));
    let books = ctx.station.books().clone();
    let offset = ctx.station.engine().config().utc_offset_minutes;
    // The days typed on the Transactions tab, read at the store's offset.
    let export = match export {
        Export::Log { filter } => Export::Log {
            filter: filter.with_store_days(offset)?,
        },
        other => other,
    };
    let path =
        tauri::async_runtime::spawn_blocking(move || books.export_to_dir(&export, offset, &dir))
            .await
            .map_err(|e| {
                easyqr_pos_core::PosError::new(
                    easyqr_pos_core::ErrorCode::ExportFailed,
                    e.to_string(),
                )
            })??;
    Ok(path.display().to_string())
}
