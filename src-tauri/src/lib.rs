//! EasyQR POS desktop app: a thin Tauri 2 shell over the use-case layer
//! (`easyqr-pos-core`). [`context::AppContext`] holds its station (ledger,
//! engine, settings, keys, DEMO simulator) plus the windows' own state;
//! commands map IPC to one use case each; [`bridge`] carries engine events
//! to the windows.

mod books;
mod bridge;
mod commands;
pub mod context;
pub mod customer;
mod error;
mod hq;
mod logging;
mod qr;
mod receipts;
mod single;
mod windows;

use std::process::ExitCode;
use std::sync::Arc;

use context::AppContext;
use easyqr_pos_core::{ErrorCode, StartOptions};
use tauri::Manager;

pub use windows::WindowId;

/// Variables that hold a secret: read once, then removed from the process
/// environment so that WebKit's web and network processes (which inherit
/// it) never carry the key.
const SECRET_ENV: &[&str] = &["ELEPAY_SECRET_KEY"];

/// When this process reached `run` (epoch ms), for the startup benchmark.
pub(crate) static LAUNCHED_AT_MS: std::sync::OnceLock<i64> = std::sync::OnceLock::new();

pub fn run() -> ExitCode {
    LAUNCHED_AT_MS.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    });
    // First thing, while this is the only thread: read the environment and
    // scrub the secret from it before any thread or child process starts.
    let opts = StartOptions::from_env();
    for name in SECRET_ENV {
        std::env::remove_var(name);
    }
    let _log = opts
        .as_ref()
        .ok()
        .and_then(|opts| opts.data_dir().ok())
        .and_then(|dir| logging::init(&dir));
    let opts = match opts {
        Ok(opts) => opts,
        Err(e) => {
            tracing::error!(error = %e, "EasyQR POS cannot start");
            eprintln!("EasyQR POS cannot start: {e}");
            return ExitCode::from(1);
        }
    };

    let data_dir = opts.data_dir().unwrap_or_default();
    let ctx = match tauri::async_runtime::block_on(AppContext::start(opts)) {
        Ok(ctx) => Arc::new(ctx),
        Err(e) if e.code == ErrorCode::AlreadyRunning => {
            let dir = data_dir.display();
            let woke = single::wake_running_app(&data_dir);
            tracing::warn!(woke, "EasyQR POS is already running on this data folder");
            if woke {
                eprintln!("EasyQR POS is already running (data folder {dir}); its window was brought to the front");
            } else {
                eprintln!("EasyQR POS is already running (data folder {dir}); use the open window");
            }
            return ExitCode::from(ErrorCode::AlreadyRunning.exit_code());
        }
        Err(e) => {
            tracing::error!(error = %e, "EasyQR POS cannot start");
            eprintln!("EasyQR POS cannot start: {e}");
            return ExitCode::from(e.exit_code());
        }
    };
    tracing::info!(mode = ?ctx.station.mode, data_dir = %ctx.station.data_dir.display(), "EasyQR POS starting");

    let setup_ctx = ctx.clone();
    let result = tauri::Builder::default()
        .manage(ctx)
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::subscribe_cashier,
            commands::charge,
            commands::retry,
            commands::cancel,
            commands::recent_attempts,
            commands::get_settings,
            commands::save_settings,
            commands::settings_warnings,
            commands::set_key,
            commands::list_monitors,
            commands::open_phone_view,
            commands::customer_state,
            books::shift_status,
            books::open_shift,
            books::close_shift,
            books::shift_report,
            books::transaction_log,
            books::sale_timeline,
            books::refund,
            books::refund_plan,
            books::reconcile,
            books::export_csv,
            hq::hq_status,
            hq::hq_enrol,
            hq::hq_unenrol,
            receipts::print_receipt,
            receipts::print_report,
            receipts::sale_record,
        ])
        .on_page_load(|webview, payload| {
            if payload.event() == tauri::webview::PageLoadEvent::Started {
                if let Some(ctx) = webview.try_state::<Arc<AppContext>>() {
                    ctx.feed.forget_window(webview.label());
                }
            }
        })
        .setup(move |app| {
            let handle = app.handle().clone();
            windows::open_cashier(&handle)?;
            let monitor = setup_ctx.station.settings().customer_monitor;
            windows::open_customer(&handle, monitor)?;
            bridge::forward(handle.clone(), setup_ctx.clone());
            // After the bridge subscribed, so recovery's findings reach the
            // windows.
            setup_ctx.spawn_recovery();
            single::listen(handle, &setup_ctx.station.data_dir);
            bridge::watch_connectivity(setup_ctx.clone());
            hq::forward_status(setup_ctx.clone());
            Ok(())
        })
        .run(tauri::generate_context!());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "EasyQR POS stopped with an error");
            eprintln!("EasyQR POS stopped with an error: {e}");
            ExitCode::from(1)
        }
    }
}
