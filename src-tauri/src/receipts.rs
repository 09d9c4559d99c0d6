//! Receipts and printed reports: commands of the Transactions and Shift
//! tabs, and printing after a payment (`receipt.autoPrint`). Each maps its
//! IPC arguments to the use cases in `easyqr_pos_core::receipt`; when no
//! printer is set, the lines come back for the OS print dialog.

use std::sync::Arc;

use easyqr_ledger::{AttemptState, SaleRecord};
use easyqr_pos_core::receipt::{self, AutoPrinted, Destination, Issued, ReceiptOrder};
use easyqr_pos_core::report_doc::{print_report as print_report_of, PrintedReport};
use easyqr_pos_core::AttemptRef;
use tauri::State;

use crate::bridge::CashierMsg;
use crate::context::AppContext;
use crate::error::CommandError;

type Ctx<'a> = State<'a, Arc<AppContext>>;

/// Prints a paid payment's receipt (or 領収書, or a refund's slip) on the
/// store's printer, or answers its lines for the print dialog.
#[tauri::command]
pub async fn print_receipt(
    ctx: Ctx<'_>,
    attempt_id: i64,
    order: ReceiptOrder,
) -> Result<Issued, CommandError> {
    let settings = ctx.station.settings();
    let dest = Destination::choose(None, &settings, Destination::Dialog)?;
    issue(&ctx, attempt_id, &order, dest).await
}

async fn issue(
    ctx: &AppContext,
    attempt_id: i64,
    order: &ReceiptOrder,
    dest: Destination,
) -> Result<Issued, CommandError> {
    let offset = ctx.station.engine().config().utc_offset_minutes;
    receipt::issue(
        ctx.station.books(),
        &ctx.station.settings(),
        offset,
        &AttemptRef::Id(attempt_id),
        order,
        dest,
    )
    .await
}

/// Prints an X/Z report on the store's printer, or answers its lines for
/// the print dialog.
#[tauri::command]
pub async fn print_report(ctx: Ctx<'_>, shift_id: i64) -> Result<PrintedReport, CommandError> {
    let settings = ctx.station.settings();
    let dest = Destination::choose(None, &settings, Destination::Dialog)?;
    let offset = ctx.station.engine().config().utc_offset_minutes;
    print_report_of(ctx.station.books(), &settings, shift_id, offset, dest).await
}

/// A sale as recorded: its lines, tax by rate, and what came back (the
/// refund-by-item dialog).
#[tauri::command]
pub async fn sale_record(ctx: Ctx<'_>, sale_id: i64) -> Result<SaleRecord, CommandError> {
    Ok(ctx.station.books().ledger().sale_record(sale_id)?)
}

/// After a payment: print, ask, or nothing, by `receipt.autoPrint`. Runs off
/// the event loop; a printer problem reaches the cashier with a retry and
/// never holds up a sale.
pub fn after_payment(ctx: Arc<AppContext>, attempt: &easyqr_ledger::Attempt) {
    if attempt.state != AttemptState::Captured {
        return;
    }
    let attempt = attempt.clone();
    tauri::async_runtime::spawn(async move {
        let offset = ctx.station.engine().config().utc_offset_minutes;
        let settings = ctx.station.settings();
        let books = ctx.station.books();
        let attempt_id = attempt.id;
        match receipt::print_after_payment(books, &settings, offset, &attempt).await {
            AutoPrinted::Nothing => {}
            AutoPrinted::Ask { dialog } => ctx
                .feed
                .send(&CashierMsg::ReceiptOffer { attempt_id, dialog }),
            AutoPrinted::Printed(r) => ctx.feed.send(&CashierMsg::Receipt { receipt: &r }),
            AutoPrinted::Failed(e) => ctx.feed.send(&CashierMsg::ReceiptFailed {
                attempt_id,
                error: &e,
            }),
        }
    });
}
