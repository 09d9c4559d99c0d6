//! EasyQR POS desktop app: a thin Tauri 2 shell. [`context::AppContext`]
//! owns the ledger, engine and (in DEMO mode) the embedded simulator;
//! commands call into it; [`bridge`] carries engine events to the windows.

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

pub use windows::WindowId;

/// Exit code when another instance already runs on this data folder.
pub const EXIT_ALREADY_RUNNING: u8 = 11;

pub fn run() -> ExitCode {
    let _log = context::read_env()
        .and_then(|env| context::data_dir(&env))
        .ok()
        .and_then(|dir| logging::init(&dir));

    let ctx = match tauri::async_runtime::block_on(AppContext::start()) {
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
    if let Some(j) = &ctx.recovery.journal {
        if let Some(bad) = &j.first_bad {
            tracing::error!(seq = bad.seq, reason = %bad.reason, "JOURNAL CHECK FAILED at start");
        }
    }

    let setup_ctx = ctx.clone();
    let result = tauri::Builder::default()
        .manage(ctx)
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
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
        ])
        .setup(move |app| {
            let handle = app.handle().clone();
            windows::open_cashier(&handle)?;
            let monitor = setup_ctx.settings().customer_monitor;
            windows::open_customer(&handle, monitor)?;
            bridge::forward(handle.clone(), setup_ctx.clone(), &setup_ctx.engine());
            single::listen(handle.clone(), &setup_ctx.data_dir);
            bridge::watch_connectivity(handle, setup_ctx.clone());
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
