//! EasyQR POS desktop app: a thin Tauri 2 shell. [`context::AppContext`]
//! owns the ledger, engine and (in DEMO mode) the embedded simulator;
//! commands call into it; [`bridge`] carries engine events to the windows.

mod books;
mod bridge;
mod commands;
pub mod context;
pub mod customer;
mod error;
mod logging;
mod single;
mod windows;

use std::process::ExitCode;
use std::sync::Arc;

use context::{AppContext, StartError};
use tauri::Manager;

pub use windows::WindowId;

/// Exit code when another instance already runs on this data folder.
pub const EXIT_ALREADY_RUNNING: u8 = 11;

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
    let env = context::read_env();
    for name in SECRET_ENV {
        std::env::remove_var(name);
    }
    let _log = env
        .as_ref()
        .ok()
        .and_then(|env| context::data_dir(env).ok())
        .and_then(|dir| logging::init(&dir));
    let env = match env {
        Ok(env) => env,
        Err(e) => {
            tracing::error!(error = %e, "EasyQR POS cannot start");
            eprintln!("EasyQR POS cannot start: {e}");
            return ExitCode::from(1);
        }
    };

    let ctx = match tauri::async_runtime::block_on(AppContext::start(env)) {
        Ok(ctx) => Arc::new(ctx),
        Err(StartError::AlreadyRunning(dir)) => {
            let woke = single::wake_running_app(std::path::Path::new(&dir));
            tracing::warn!(woke, "EasyQR POS is already running on this data folder");
            if woke {
                eprintln!("EasyQR POS is already running (data folder {dir}); its window was brought to the front");
            } else {
                eprintln!("EasyQR POS is already running (data folder {dir}); use the open window");
            }
            return ExitCode::from(EXIT_ALREADY_RUNNING);
        }
        Err(e) => {
            tracing::error!(error = %e, "EasyQR POS cannot start");
            eprintln!("EasyQR POS cannot start: {e}");
            return ExitCode::from(match e {
                StartError::LedgerBusy(_) => EXIT_ALREADY_RUNNING,
                _ => 1,
            });
        }
    };
    tracing::info!(mode = ?ctx.mode, data_dir = %ctx.data_dir.display(), "EasyQR POS starting");

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
            books::reconcile,
            books::export_csv,
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
            let monitor = setup_ctx.settings().customer_monitor;
            windows::open_customer(&handle, monitor)?;
            bridge::forward(handle.clone(), setup_ctx.clone());
            // After the bridge subscribed, so recovery's findings reach the
            // windows.
            setup_ctx.spawn_recovery();
            single::listen(handle, &setup_ctx.data_dir);
            bridge::watch_connectivity(setup_ctx.clone());
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
