//! `easyqr-cli`: EasyQR POS without windows, for scripting, support and the
//! crash harness. Each subcommand is a call into the use-case layer
//! (`easyqr-pos-core`) plus printing: one JSON object per line on stdout,
//! diagnostics on stderr. The secret key comes only from the environment
//! (`ELEPAY_SECRET_KEY`), the head-office token from the environment or stdin
//! (`EASYQR_HQ_TOKEN`): command-line flags are visible to every user in `ps`.

mod args;
mod hq;
mod run;
mod settings;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let matches = args::Cli::command()
        .after_help(args::after_help())
        .get_matches();
    let cli = match args::Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {}", e.message);
            ExitCode::from(e.exit_code())
        }
    }
}
