//! Logs go to stderr and to a daily file in `<data dir>/logs`, so a store's
//! IT person can send yesterday's log. Secrets cannot appear: keys are typed
//! and print only their last four characters.

use std::path::Path;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;

/// Keeps the file writer flushing until the app exits.
pub type LogGuard = tracing_appender::non_blocking::WorkerGuard;

pub fn init(data_dir: &Path) -> Option<LogGuard> {
    let filter = || {
        EnvFilter::try_from_env("EASYQR_LOG")
            .unwrap_or_else(|_| EnvFilter::new("info,tao=warn,wry=warn"))
    };
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter());
    let dir = data_dir.join("logs");
    let _ = std::fs::create_dir_all(&dir);
    let file = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("easyqr-pos")
        .filename_suffix("log")
        .max_log_files(30)
        .build(&dir);
    match file {
        Ok(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let file_layer = tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(writer)
                .with_filter(filter());
            let _ = tracing_subscriber::registry()
                .with(stderr)
                .with(file_layer)
                .try_init();
            Some(guard)
        }
        Err(e) => {
            let _ = tracing_subscriber::registry().with(stderr).try_init();
            tracing::error!(error = %e, dir = %dir.display(), "cannot write the log file; logging to stderr only");
            None
        }
    }
}
