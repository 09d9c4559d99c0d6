//! Tauri commands of the Register and Settings tabs: each maps its IPC
//! arguments to one use case of the station and back. Which window may call
//! which command is decided by the capabilities in `src-tauri/capabilities/`.

use std::sync::Arc;

use easyqr_app_core::secrets::KeyStatus;
use easyqr_app_core::settings::Settings;
use easyqr_ledger::Attempt;
use easyqr_pos_core::station::KeyChange;
use easyqr_pos_core::{CancelResult, ChargeRequest, Item, Mode, PosError};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};

use crate::bridge::CashierMsg;
use crate::context::AppContext;
use crate::customer::CustomerView;
use crate::error::{window_error, CommandError};

type Ctx<'a> = State<'a, Arc<AppContext>>;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    mode: Mode,
    store_name: String,
    register_id: String,
    version: &'static str,
    language: easyqr_app_core::settings::Language,
    key: KeyStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    simulator_url: Option<String>,
    /// Set when restart recovery found the journal altered.
    #[serde(skip_serializing_if = "Option::is_none")]
    journal_problem: Option<String>,
    connectivity: crate::context::Connectivity,
    /// When the process started (epoch ms); the window marks when it became
    /// usable, and the startup benchmark reads both.
    launched_at_ms: i64,
    /// The store's offset from UTC: every time on screen and in prints is
    /// shown in it (like the CSVs and orderNo dates), not in the OS's zone.
    utc_offset_minutes: i32,
    /// The tax settings in force: the keypad starts at `defaultRate`, and
    /// the amount shown is tax included (`pricing` says how item prices
    /// are read).
    tax: easyqr_app_core::settings::TaxSettings,
    /// The limits the register presents (the amount maximum, item limits),
    /// read from the rules that enforce them.
    limits: easyqr_pos_core::InputLimits,
}

// Commands that may touch the keyring (D-Bus) or the disk are async, so
// they run off the main thread and never freeze the windows.

#[tauri::command]
pub async fn app_info(ctx: Ctx<'_>) -> Result<AppInfo, CommandError> {
    let s = ctx.station.settings();
    Ok(AppInfo {
        mode: ctx.station.mode,
        store_name: s.store_name,
        register_id: s.register_id,
        version: env!("CARGO_PKG_VERSION"),
        language: s.language,
        key: ctx.station.key_status(),
        simulator_url: ctx.station.simulator_url.as_ref().map(|u| u.to_string()),
        journal_problem: ctx.journal_problem(),
        connectivity: ctx.connectivity(),
        launched_at_ms: crate::LAUNCHED_AT_MS.get().copied().unwrap_or(0),
        utc_offset_minutes: ctx.station.engine().config().utc_offset_minutes,
        tax: s.tax,
        limits: easyqr_pos_core::InputLimits::current(),
    })
}

/// What the owner should check though it was saved (a registration number
/// whose check digit is not a 法人番号's).
#[tauri::command]
pub fn settings_warnings(ctx: Ctx<'_>) -> Vec<easyqr_tax::Warning> {
    ctx.station.settings().warnings()
}

/// The cashier window's event feed: attempts, connectivity and ledger
/// alarms arrive on `on_event`. A command (not a global event) so that
/// only a window granted `allow-subscribe-cashier` can hear them.
#[tauri::command]
pub async fn subscribe_cashier(
    window: tauri::Window,
    ctx: Ctx<'_>,
    on_event: Channel<serde_json::Value>,
) -> Result<(), CommandError> {
    ctx.feed.subscribe(window.label(), on_event);
    // What may have happened before the window subscribed.
    let connectivity = ctx.connectivity();
    ctx.feed.send(&CashierMsg::Connectivity(&connectivity));
    if let Some(problem) = ctx.journal_problem() {
        ctx.feed.send(&CashierMsg::Journal { problem: &problem });
    }
    ctx.feed.send(&CashierMsg::Hq(&ctx.station.hq_status()));
    Ok(())
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutView {
    attempt: Attempt,
    code_url: String,
    remaining_ms: i64,
    /// The QR for the cashier's thumbnail.
    qr_svg: Option<String>,
}

fn checkout_view(ctx: &AppContext, c: easyqr_engine::Checkout) -> CheckoutView {
    CheckoutView {
        qr_svg: ctx.qr.svg(&c.code_url),
        attempt: c.attempt,
        code_url: c.code_url,
        remaining_ms: c.remaining_ms,
    }
}

/// Rings up item lines (each with its rate) or an amount at one rate; the
/// tax is computed in Rust by the store's settings.
#[tauri::command]
pub async fn charge(
    ctx: Ctx<'_>,
    amount: Option<i64>,
    description: Option<String>,
    items: Option<Vec<Item>>,
    rate: Option<String>,
) -> Result<CheckoutView, CommandError> {
    let req = ChargeRequest {
        amount,
        description,
        items: items.unwrap_or_default(),
        rate,
    };
    let checkout = ctx.station.charge(&req).await?;
    Ok(checkout_view(&ctx, checkout))
}

#[tauri::command]
pub async fn retry(ctx: Ctx<'_>, sale_id: i64) -> Result<CheckoutView, CommandError> {
    let checkout = ctx.station.retry(sale_id).await?;
    Ok(checkout_view(&ctx, checkout))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelView {
    outcome: CancelResult,
    attempt: Attempt,
}

#[tauri::command]
pub async fn cancel(ctx: Ctx<'_>, attempt_id: i64) -> Result<CancelView, CommandError> {
    let (outcome, attempt) = ctx.station.register().cancel(attempt_id).await?;
    Ok(CancelView { outcome, attempt })
}

#[tauri::command]
pub async fn recent_attempts(
    ctx: Ctx<'_>,
    limit: u32,
    before_id: Option<i64>,
) -> Result<Vec<Attempt>, CommandError> {
    ctx.station.books().recent_attempts(limit, before_id)
}

#[tauri::command]
pub async fn get_settings(ctx: Ctx<'_>) -> Result<Settings, CommandError> {
    Ok(ctx.station.settings_view())
}

/// `settings.webhook.secrets`, when given and not empty, replaces the stored
/// signing secrets; they are write-only (`get_settings` reports a count).
#[tauri::command]
pub async fn save_settings(
    app: AppHandle,
    ctx: Ctx<'_>,
    settings: serde_json::Value,
) -> Result<Settings, CommandError> {
    let secrets: Vec<String> = settings
        .pointer("/webhook/secrets")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|s| {
                    s.as_str()
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default();
    // An empty list means "keep the stored ones" (they are never sent back).
    let secrets = (!secrets.is_empty()).then_some(secrets);
    let settings: Settings = serde_json::from_value(settings)
        .map_err(|e| PosError::invalid("settings", format!("settings: {e}")))?;
    let monitor_before = ctx.station.settings().customer_monitor;
    let saved = ctx.save_settings(settings, secrets).await?;
    // The display may show the store name: refresh it now.
    let _ = tauri::Emitter::emit_to(
        &app,
        crate::windows::WindowId::Customer.label(),
        "customer",
        &ctx.customer_view(),
    );
    if saved.customer_monitor != monitor_before {
        if let Some(w) = app.get_webview_window(crate::windows::WindowId::Customer.label()) {
            if let Err(e) = crate::windows::place_customer(&app, &w, saved.customer_monitor) {
                tracing::warn!(error = %e, "could not move the customer display");
            }
        }
    }
    Ok(saved)
}

#[tauri::command]
pub async fn set_key(
    ctx: Ctx<'_>,
    key: String,
    live_confirmed: Option<bool>,
) -> Result<KeyChange, CommandError> {
    ctx.station
        .set_key(&key, live_confirmed.unwrap_or(false))
        .await
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitorView {
    index: usize,
    name: Option<String>,
    width: u32,
    height: u32,
    primary: bool,
}

#[tauri::command]
pub fn list_monitors(app: AppHandle) -> Vec<MonitorView> {
    crate::windows::monitors(&app)
        .into_iter()
        .map(|m| MonitorView {
            index: m.index,
            name: m.name,
            width: m.width,
            height: m.height,
            primary: m.primary,
        })
        .collect()
}

/// DEMO: opens the pay page of a code as the customer's phone would.
#[tauri::command]
pub async fn open_phone_view(
    app: AppHandle,
    ctx: Ctx<'_>,
    attempt_id: i64,
) -> Result<(), CommandError> {
    let url = ctx.station.phone_view_url(attempt_id)?;
    crate::windows::open_phone(&app, url).map_err(window_error)
}

/// The customer display's only command: what it should show right now.
#[tauri::command]
pub fn customer_state(ctx: Ctx<'_>) -> CustomerView {
    ctx.customer_view()
}
