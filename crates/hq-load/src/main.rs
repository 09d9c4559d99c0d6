//! `easyqr-hq-load`: the head office's load benchmark (not a test). It
//! enrols S stores × R registers, starts the HQ processes, opens every
//! register's event stream across them, posts signed webhooks at a rate
//! with elepay's duplicate deliveries (optionally killing one process and
//! restarting PostgreSQL mid-run), then checks exactly-once against the
//! inbox and reports latencies, CPU, memory and PostgreSQL's cost per event.

mod check;
mod cli;
mod db;
mod enrol;
mod phase;
mod proc;
mod run;
mod sse;
mod stats;
mod streams;
mod webhooks;

use clap::Parser as _;

/// A progress line on stderr (the report goes to stdout).
fn say(s: impl AsRef<str>) {
    eprintln!("easyqr-hq-load: {}", s.as_ref());
}

fn main() -> std::process::ExitCode {
    let args = cli::Args::parse();
    // Before any thread or child exists: the HQ processes inherit it.
    let nofile = match proc::raise_nofile() {
        Ok(n) => n,
        Err(e) => {
            eprintln!("easyqr-hq-load: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let ran = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))
        .and_then(|rt| rt.block_on(run::run(args, nofile)));
    match ran {
        Ok(report) => {
            if report.exactly_once.ok() {
                std::process::ExitCode::SUCCESS
            } else {
                eprintln!("easyqr-hq-load: exactly-once broken (see the report)");
                std::process::ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("easyqr-hq-load: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
