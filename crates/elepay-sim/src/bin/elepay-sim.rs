//! `elepay-sim`: run the elepay simulator as a standalone HTTP server.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use elepay_sim::{ClockConfig, SimConfig, WebhookEndpoint, ADMIN_HELP};
use url::Url;

/// A faithful simulator of the elepay Code (EasyQR) API, with a customer
/// pay page, signed webhooks and test controls.
#[derive(Debug, Parser)]
#[command(name = "elepay-sim", version, after_help = ADMIN_HELP)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Accepted secret API key (sk_test_… or sk_live_…); repeatable, at least one required.
    #[arg(long = "secret-key", value_name = "KEY")]
    secret_keys: Vec<String>,
    /// Base URL put into codeUrl (default http://<bound addr>); use a LAN address so phones can open the pay page.
    #[arg(long, value_name = "URL")]
    public_base: Option<Url>,
    /// Also serve the customer pay page, and only it, on this address (e.g. 0.0.0.0:8790 for phones on the LAN, with --addr on 127.0.0.1).
    #[arg(long, value_name = "ADDR")]
    pay_page_addr: Option<SocketAddr>,
    /// Webhook endpoint and its signing secret as URL,SECRET; repeatable.
    #[arg(long = "webhook", value_name = "URL,SECRET", value_parser = parse_webhook)]
    webhooks: Vec<WebhookEndpoint>,
    /// Simulated milliseconds per real millisecond (0 freezes the clock).
    #[arg(long, default_value_t = 1.0)]
    clock_scale: f64,
    /// Start the simulated clock at this epoch time in ms (default: now).
    #[arg(long, value_name = "MS")]
    clock_start_ms: Option<i64>,
    /// Simulated ms until a refund goes pending -> refunded.
    #[arg(long, default_value_t = 3000)]
    refund_delay_ms: i64,
    /// Real-time timeout of one webhook delivery, in ms.
    #[arg(long, default_value_t = 10_000)]
    webhook_timeout_ms: u64,
}

fn parse_webhook(s: &str) -> Result<WebhookEndpoint, String> {
    // The secret never contains a comma; the URL might.
    let (url, secret) = s
        .rsplit_once(',')
        .ok_or_else(|| "expected URL,SECRET".to_owned())?;
    let url = Url::parse(url).map_err(|e| format!("bad webhook URL {url:?}: {e}"))?;
    if secret.is_empty() {
        return Err("webhook secret must not be empty".into());
    }
    Ok(WebhookEndpoint {
        url,
        secret: secret.to_owned(),
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    if args.secret_keys.is_empty() {
        eprintln!("error: at least one --secret-key sk_test_… is required");
        return ExitCode::from(2);
    }
    if let Some(k) = args.secret_keys.iter().find(|k| k.starts_with("pk_")) {
        eprintln!(
            "error: {k} is a publishable key; publishable keys are for the JS SDK only. Pass a secret key (sk_test_… / sk_live_…)"
        );
        return ExitCode::from(2);
    }
    let config = SimConfig {
        secret_keys: args.secret_keys,
        public_base: args.public_base,
        webhooks: args.webhooks,
        clock: ClockConfig {
            start_ms: args.clock_start_ms,
            scale: args.clock_scale,
        },
        refund_delay_ms: args.refund_delay_ms,
        webhook_timeout: Duration::from_millis(args.webhook_timeout_ms),
        pay_page_addr: args.pay_page_addr,
    };
    let sim = match elepay_sim::start(config, args.addr).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    if writeln!(out, "listening on http://{}", sim.local_addr())
        .and_then(|_| out.flush())
        .is_err()
    {
        // Whoever started us cannot learn the port; keep serving anyway.
        tracing::warn!("could not write the listening line to stdout");
    }
    drop(out);
    wait_for_signal().await;
    tracing::info!("shutting down");
    sim.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
