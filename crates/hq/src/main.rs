//! `easyqr-hq`: serve (the default), or manage stores, registers and the
//! view's users.

mod user_cmd;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use easyqr_hq::config::{secrets_from, EnvSecrets, FileConfig};
use easyqr_hq::listen::Limits;
use easyqr_hq::{db, enrol, Config, HqError};

#[derive(Parser)]
#[command(name = "easyqr-hq", version, about = "EasyQR POS head office")]
struct Cli {
    /// JSON file with "databaseUrl", "webhookSecrets", "bootstrapPassword",
    /// "publicUrl", "trustedProxies" (mode 0600). The database URL (e.g.
    /// postgres://hq@db.internal/easyqr_hq?sslmode=verify-full&sslrootcert=/etc/easyqr/db-ca.pem)
    /// comes from DATABASE_URL or this file, never a flag (flags show in ps).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Log lines as text, or as JSON lines (one object per line) for a
    /// log shipper.
    #[arg(long, global = true, value_enum, default_value = "text")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Where to listen (put the TLS proxy in front of it).
    #[arg(long, default_value = "127.0.0.1:8800")]
    addr: SocketAddr,
    #[arg(long, default_value_t = 16)]
    pool_size: usize,
    /// HQ's address as its users reach it, e.g. https://hq.example.jp/
    /// (https: the view's cookies are Secure and HSTS is sent). Or
    /// "publicUrl" in the config file.
    #[arg(long)]
    public_url: Option<String>,
    /// A proxy whose X-Forwarded-For names the client (repeatable). Or
    /// "trustedProxies" in the config file.
    #[arg(long = "trusted-proxy")]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Open connections at most (lowered to what the open-files limit allows).
    #[arg(long, default_value_t = Limits::default().max_connections)]
    max_connections: usize,
    /// Open connections from one address at most; 0: no cap. Loopback and
    /// the trusted proxies are exempt (a proxy carries every client).
    #[arg(long, default_value_t = Limits::default().max_per_address)]
    max_connections_per_address: usize,
    /// Seconds a client has to send a request's headers (and an idle
    /// connection stays open).
    #[arg(long, default_value_t = Limits::default().header_read_timeout.as_secs())]
    header_timeout_secs: u64,
    /// Seconds any request but an event stream may take before a 503.
    #[arg(long, default_value_t = Limits::default().request_timeout.as_secs())]
    request_timeout_secs: u64,
    /// Seconds between an event stream's keep-alive beats (the register's
    /// heartbeat; a proxy's read timeout must be longer).
    #[arg(long, default_value_t = easyqr_hq::stream::KEEP_ALIVE.as_secs())]
    keep_alive_secs: u64,
    /// After SIGTERM, milliseconds readiness answers 503 before the
    /// listener closes (at most 5000; part of the 10 s drain).
    #[arg(long, default_value_t = easyqr_hq::DRAIN_NOTICE.as_millis() as u64)]
    drain_notice_ms: u64,
}

#[derive(Subcommand)]
enum Command {
    /// Stores (one per elepay locationId).
    Store {
        #[command(subcommand)]
        cmd: StoreCmd,
    },
    /// Registers: enrol (prints its token once), revoke, list.
    Register {
        #[command(subcommand)]
        cmd: RegisterCmd,
    },
    /// The head-office view's users: add, remove, list, passwd. Passwords
    /// are read from a prompt, stdin or EASYQR_HQ_USER_PASSWORD, never a flag.
    User {
        #[command(subcommand)]
        cmd: user_cmd::UserCmd,
    },
    /// Applies the database migrations and exits.
    Migrate,
}

#[derive(Subcommand)]
enum StoreCmd {
    Add {
        #[arg(long)]
        location_id: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum RegisterCmd {
    Enrol {
        #[arg(long)]
        location_id: String,
        /// The register id (its orderNo prefix), e.g. S01R1.
        #[arg(long)]
        register: String,
    },
    Revoke {
        #[arg(long)]
        register: String,
    },
    List,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "easyqr_hq=info".into()),
        )
        .with_writer(std::io::stderr)
        // Colours for a person at a terminal, none in a file or journald.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
    // Before the runtime's threads exist: changing the environment races
    // with threads reading it.
    let env = EnvSecrets::take();
    let ran = tokio::runtime::Runtime::new()
        .map_err(|e| HqError::Config(format!("tokio runtime: {e}")))
        .and_then(|rt| rt.block_on(run(cli, env)));
    match ran {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("easyqr-hq: {e}");
            std::process::ExitCode::from(match e {
                HqError::Invalid(_) | HqError::NotFound(_) | HqError::Config(_) => 2,
                _ => 1,
            })
        }
    }
}

async fn run(cli: Cli, mut env: EnvSecrets) -> Result<(), HqError> {
    let file = match &cli.config {
        Some(p) => FileConfig::read(p)?,
        None => FileConfig::default(),
    };
    let url = easyqr_hq::config::database_url(env.database_url.take(), &file)?;
    let Some(command) = cli.command else {
        return serve(url, file, env, cli.serve).await;
    };
    let pool = db::pool(&url, 2)?;
    db::migrate(&pool).await?;
    match command {
        Command::Migrate => println!("schema up to date"),
        Command::Store {
            cmd: StoreCmd::Add { location_id, name },
        } => {
            enrol::add_store(&pool, &location_id, &name).await?;
            println!("store {location_id} ({name}) ready");
        }
        Command::User { cmd } => user_cmd::run(&pool, cmd).await?,
        Command::Register { cmd } => match cmd {
            RegisterCmd::Enrol {
                location_id,
                register,
            } => {
                let token = enrol::enrol(&pool, &location_id, &register).await?;
                // The one place the token is ever shown.
                println!("{token}");
                eprintln!("register {register} enrolled at {location_id}: enter this token in its Settings → Head office (shown once)");
            }
            RegisterCmd::Revoke { register } => {
                enrol::revoke(&pool, &register).await?;
                println!("register {register} revoked");
            }
            RegisterCmd::List => {
                for r in enrol::list(&pool).await? {
                    println!(
                        "{}",
                        serde_json::to_string(&r).map_err(|e| HqError::Config(e.to_string()))?
                    );
                }
            }
        },
    }
    Ok(())
}

async fn serve(
    database_url: String,
    file: FileConfig,
    env: EnvSecrets,
    a: ServeArgs,
) -> Result<(), HqError> {
    let public_url = a
        .public_url
        .clone()
        .or_else(|| file.public_url.clone())
        .map(|u| easyqr_hq::config::public_url(&u))
        .transpose()?;
    let mut trusted_proxies = a.trusted_proxies.clone();
    trusted_proxies.extend(file.trusted_proxies.iter().copied());
    let (webhook_secrets, bootstrap_password) = secrets_from(
        env.webhook_secrets.as_deref(),
        env.bootstrap_password.as_deref(),
        file,
    )?;
    let cfg = Config {
        addr: a.addr,
        database_url,
        pool_size: a.pool_size,
        webhook_secrets,
        tolerance_secs: elepay::webhook::DEFAULT_TOLERANCE_SECS,
        bootstrap_password,
        public_url,
        trusted_proxies,
        keep_alive: std::time::Duration::from_secs(a.keep_alive_secs.max(1)),
        sweep_every: easyqr_hq::relay::SWEEP_EVERY,
        drain_notice: std::time::Duration::from_millis(a.drain_notice_ms),
        pool_wait: db::POOL_WAIT,
        limits: Limits {
            max_connections: a.max_connections,
            max_per_address: a.max_connections_per_address,
            header_read_timeout: std::time::Duration::from_secs(a.header_timeout_secs.max(1)),
            request_timeout: std::time::Duration::from_secs(a.request_timeout_secs.max(1)),
            ..Limits::default()
        },
    };
    let mut running = easyqr_hq::serve(cfg, easyqr_hq::system_clock()).await?;
    println!("listening on http://{}", running.addr);
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| HqError::Config(format!("cannot watch for SIGTERM: {e}")))?;
    tokio::select! {
        r = &mut running.task => {
            return r.map_err(|e| HqError::Config(format!("server task: {e}")));
        }
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    // systemd's TimeoutStopSec (15 s in the unit) leaves room for this.
    running.drain(DRAIN_GRACE).await;
    Ok(())
}

/// How long requests in flight may take to finish once SIGTERM came.
const DRAIN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);
