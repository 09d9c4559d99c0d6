//! Tauri commands: each one a thin call into [`AppContext`] or the engine,
//! answering with data or a [`CommandError`]. Which window may call which
//! command is decided by the capabilities in `src-tauri/capabilities/`.

use std::sync::Arc;

use easyqr_app_core::secrets::KeyStatus;
use easyqr_app_core::settings::Settings;
use easyqr_engine::CancelOutcome;
use easyqr_ledger::Attempt;
use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};

use crate::bridge::CashierMsg;

use crate::context::{AppContext, Mode};
use crate::customer::CustomerView;
use crate::error::CommandError;

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
}

// Commands that may touch the keyring (D-Bus) or the disk are async, so
// they run off the main thread and never freeze the windows.

#[tauri::command]
pub async fn app_info(ctx: Ctx<'_>) -> Result<AppInfo, CommandError> {
    let s = ctx.settings();
    Ok(AppInfo {
        mode: ctx.mode,
        store_name: s.store_name,
        register_id: s.register_id,
        version: env!("CARGO_PKG_VERSION"),
        language: s.language,
        key: ctx.key_status(),
        simulator_url: ctx.simulator_url.as_ref().map(|u| u.to_string()),
        journal_problem: ctx.journal_problem(),
        connectivity: ctx.connectivity(),
        launched_at_ms: crate::LAUNCHED_AT_MS.get().copied().unwrap_or(0),
    })
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
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    name: String,
    qty: i64,
    unit_price: i64,
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

impl From<easyqr_engine::Checkout> for CheckoutView {
    fn from(c: easyqr_engine::Checkout) -> Self {
        CheckoutView {
            qr_svg: crate::bridge::qr_svg(&c.code_url),
            attempt: c.attempt,
            code_url: c.code_url,
            remaining_ms: c.remaining_ms,
        }
    }
}

/// Item lines, when given, must add up to the amount and become the sale's
/// description (what the receipt and the log show).
fn describe(
    amount: i64,
    description: Option<String>,
    items: &[Item],
) -> Result<Option<String>, CommandError> {
    if items.is_empty() {
        return Ok(description.filter(|d| !d.trim().is_empty()));
    }
    let mut total: i64 = 0;
    let mut lines = Vec::new();
    for (i, it) in items.iter().enumerate() {
        if it.name.trim().is_empty() || it.qty < 1 || it.unit_price < 1 {
            return Err(CommandError::new(
                "invalid_input",
                format!(
                    "items[{i}]: a name, a quantity of at least 1 and a unit price of at least ¥1"
                ),
            )
            .field(format!("items[{i}]")));
        }
        total = total.saturating_add(it.qty.saturating_mul(it.unit_price));
        lines.push(format!("{} ×{}", it.name.trim(), it.qty));
    }
    if total != amount {
        return Err(CommandError::new(
            "invalid_input",
            format!("amount: the items add up to ¥{total}, not ¥{amount}"),
        )
        .field("amount"));
    }
    Ok(Some(lines.join(", ")))
}

#[tauri::command]
pub async fn charge(
    ctx: Ctx<'_>,
    amount: i64,
    description: Option<String>,
    items: Option<Vec<Item>>,
) -> Result<CheckoutView, CommandError> {
    let amount_checked = elepay::Amount::new(amount)?;
    let description = describe(amount, description, items.as_deref().unwrap_or_default())?;
    let engine = ctx.engine();
    Ok(engine
        .charge(amount_checked, description.as_deref())
        .await?
        .into())
}

#[tauri::command]
pub async fn retry(ctx: Ctx<'_>, sale_id: i64) -> Result<CheckoutView, CommandError> {
    Ok(ctx.engine().retry(sale_id).await?.into())
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelView {
    outcome: &'static str,
    attempt: Attempt,
}

#[tauri::command]
pub async fn cancel(ctx: Ctx<'_>, attempt_id: i64) -> Result<CancelView, CommandError> {
    let (outcome, attempt) = match ctx.engine().cancel(attempt_id).await? {
        CancelOutcome::Cancelled(a) => ("cancelled", a),
        CancelOutcome::PaidMeanwhile(a) => ("paidMeanwhile", a),
        CancelOutcome::Expired(a) => ("expired", a),
    };
    Ok(CancelView { outcome, attempt })
}

#[tauri::command]
pub async fn recent_attempts(
    ctx: Ctx<'_>,
    limit: u32,
    before_id: Option<i64>,
) -> Result<Vec<Attempt>, CommandError> {
    Ok(ctx.ledger.recent_attempts(limit.min(500), before_id)?)
}

#[tauri::command]
pub async fn get_settings(ctx: Ctx<'_>) -> Result<Settings, CommandError> {
    let mut s = ctx.settings();
    s.webhook.secret_count = ctx.webhook_secrets.count().unwrap_or(0);
    Ok(s)
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
    let settings: Settings = serde_json::from_value(settings).map_err(|e| {
        CommandError::new("invalid_input", format!("settings: {e}")).field("settings")
    })?;
    let monitor_before = ctx.settings().customer_monitor;
    let saved = ctx.save_settings(settings, secrets).await?;
    // The display may show the store name: refresh it now.
    let view = {
        let now = ctx.engine().now_ms();
        ctx.customer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .current(now)
    };
    let _ = tauri::Emitter::emit_to(
        &app,
        crate::windows::WindowId::Customer.label(),
        "customer",
        &view,
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

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyChange {
    #[serde(flatten)]
    status: KeyStatus,
    /// DEMO → TEST/LIVE (or TEST ↔ LIVE) uses another ledger: restart.
    restart_required: bool,
}

#[tauri::command]
pub async fn set_key(ctx: Ctx<'_>, key: String) -> Result<KeyChange, CommandError> {
    let (status, restart_required) = ctx.set_key(&key).await?;
    Ok(KeyChange {
        status,
        restart_required,
    })
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
    if ctx.mode != Mode::Demo {
        return Err(CommandError::new(
            "demo_only",
            "the phone view exists only in DEMO mode",
        ));
    }
    let a = ctx.ledger.attempt(attempt_id)?;
    let url = a
        .code_url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .ok_or_else(|| {
            CommandError::new(
                "not_cancellable",
                format!("order {} has no code to pay", a.order_no),
            )
        })?;
    crate::windows::open_phone(&app, url)
        .map_err(|e| CommandError::new("window_error", e.to_string()))
}

/// The customer display's only command: what it should show right now.
#[tauri::command]
pub fn customer_state(ctx: Ctx<'_>) -> CustomerView {
    let now = ctx.engine().now_ms();
    ctx.customer
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .current(now)
}
