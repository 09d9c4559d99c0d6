//! `easyqr-hq`: serve (the default), or manage stores and registers.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use easyqr_hq::config::{secrets_from, FileConfig, SECRETS_ENV, VIEW_PASSWORD_ENV};
use easyqr_hq::{db, enrol, Config, HqError};

#[derive(Parser)]
#[command(name = "easyqr-hq", version, about = "EasyQR POS head office")]
struct Cli {
    /// PostgreSQL, e.g. postgres://hq@localhost/easyqr_hq (or libpq "key=value" form).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Where to listen (put the TLS proxy in front of it).
    #[arg(long, default_value = "127.0.0.1:8800")]
    addr: SocketAddr,
    /// JSON file with "webhookSecrets" and "viewPassword" (mode 0600).
    #[arg(long)]
    config: Option<PathBuf>,
    #[arg(long, default_value_t = 16)]
    pool_size: usize,
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

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "easyqr_hq=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
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

async fn run(cli: Cli) -> Result<(), HqError> {
    let url = cli
        .database_url
        .ok_or_else(|| HqError::Config("no database: set DATABASE_URL or --database-url".into()))?;
    let Some(command) = cli.command else {
        return serve(url, cli.serve).await;
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

async fn serve(database_url: String, a: ServeArgs) -> Result<(), HqError> {
    let file = match &a.config {
        Some(p) => FileConfig::read(p)?,
        None => FileConfig::default(),
    };
    let (webhook_secrets, view_password) = secrets_from(
        std::env::var(SECRETS_ENV).ok().as_deref(),
        std::env::var(VIEW_PASSWORD_ENV).ok().as_deref(),
        file,
    )?;
    let cfg = Config {
        addr: a.addr,
        database_url,
        pool_size: a.pool_size,
        webhook_secrets,
        tolerance_secs: elepay::webhook::DEFAULT_TOLERANCE_SECS,
        view_password,
        keep_alive: easyqr_hq::stream::KEEP_ALIVE,
    };
    let running = easyqr_hq::serve(cfg, easyqr_hq::system_clock()).await?;
    println!("listening on http://{}", running.addr);
    tokio::select! {
        r = running.task => r.map_err(|e| HqError::Config(format!("server task: {e}"))),
        _ = tokio::signal::ctrl_c() => Ok(()),
    }
}
