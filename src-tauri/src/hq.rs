//! Tauri commands of Settings → Head office, and the bridge that pushes the
//! link's status to the cashier feed. Thin: enrolment and the link live in
//! `easyqr_pos_core::hq`. The token goes in once (`hq_enrol`) and never
//! comes back: the UI only ever sees an `HqStatus`.

use std::sync::Arc;

use easyqr_pos_core::HqStatus;
use tauri::State;

use crate::bridge::CashierMsg;
use crate::context::AppContext;
use crate::error::CommandError;

type Ctx<'a> = State<'a, Arc<AppContext>>;

#[tauri::command]
pub async fn hq_status(ctx: Ctx<'_>) -> Result<HqStatus, CommandError> {
    Ok(ctx.station.hq_status())
}

/// Checks the token with HQ, keeps it in the key store, starts the link.
#[tauri::command]
pub async fn hq_enrol(ctx: Ctx<'_>, url: String, token: String) -> Result<HqStatus, CommandError> {
    ctx.station.hq_enrol(&url, &token).await
}

#[tauri::command]
pub async fn hq_unenrol(ctx: Ctx<'_>) -> Result<HqStatus, CommandError> {
    ctx.station.hq_unenrol().await
}

/// Forwards every change of the link's status to the cashier feed.
pub fn forward_status(ctx: Arc<AppContext>) {
    let mut rx = ctx.station.hq_watch();
    tauri::async_runtime::spawn(async move {
        while rx.changed().await.is_ok() {
            let status = rx.borrow_and_update().clone();
            ctx.feed.send(&CashierMsg::Hq(&status));
        }
    });
}
