//! The PostgreSQL pools and the schema migrations (`migrations/*.sql`,
//! applied in order, each once, under an advisory lock so two HQ processes
//! starting together do not race). Connections use TLS as the URL's
//! `sslmode` says (`tls`); a request waits at most [`POOL_WAIT`] for a
//! connection, then gets a 503 to retry instead of hanging.

mod conninfo;
pub(crate) mod notify;
mod tls;

use std::path::Path;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime, Timeouts};
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::NoTls;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::HqError;

/// Migrations in order; a file is never edited once released, only added.
const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../migrations/0001_init.sql")),
    (
        "0002_books_indexes",
        include_str!("../migrations/0002_books_indexes.sql"),
    ),
    (
        "0003_projection_error",
        include_str!("../migrations/0003_projection_error.sql"),
    ),
    (
        "0004_tax_by_rate",
        include_str!("../migrations/0004_tax_by_rate.sql"),
    ),
    (
        "0005_ingest_guard",
        include_str!("../migrations/0005_ingest_guard.sql"),
    ),
    (
        "0006_view_accounts",
        include_str!("../migrations/0006_view_accounts.sql"),
    ),
    (
        "0007_stream_floor",
        include_str!("../migrations/0007_stream_floor.sql"),
    ),
    (
        "0008_login_throttle",
        include_str!("../migrations/0008_login_throttle.sql"),
    ),
    (
        "0009_relay_notify",
        include_str!("../migrations/0009_relay_notify.sql"),
    ),
];

/// Arbitrary constant key of the migration lock.
const MIGRATION_LOCK: i64 = 0x4551_5248_515f_4d49;

pub type Db = Pool;

/// How long a request waits for a free connection before it is answered
/// 503 (elepay and the registers send it again).
pub const POOL_WAIT: Duration = Duration::from_secs(5);
/// The webhook's own pool: its work is one short insert.
pub const WEBHOOK_POOL_SIZE: usize = 4;
/// How long opening (or checking) one connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A pool on `url` (a `postgres://` URL or a libpq key=value string),
/// waiting at most [`POOL_WAIT`] for a connection.
pub fn pool(url: &str, size: usize) -> Result<Db, HqError> {
    pool_waiting(url, size, POOL_WAIT)
}

/// [`pool`] with its own wait for a free connection.
pub fn pool_waiting(url: &str, size: usize, wait: Duration) -> Result<Db, HqError> {
    Pool::builder(manager(url)?)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .timeouts(Timeouts {
            wait: Some(wait),
            create: Some(CONNECT_TIMEOUT),
            recycle: Some(CONNECT_TIMEOUT),
        })
        .build()
        .map_err(|e| HqError::Config(format!("database pool: {e}")))
}

/// Where and how to connect, as `url` asks, TLS included.
#[derive(Clone)]
pub struct Target {
    pub(crate) cfg: tokio_postgres::Config,
    /// `None`: plaintext (`sslmode=disable`, or a Unix socket).
    pub(crate) tls: Option<MakeRustlsConnect>,
}

impl std::fmt::Debug for Target {
    // The configuration carries the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

/// A Unix socket carries no TLS (PostgreSQL offers none there), so a
/// socket host connects plainly under `require`, as under libpq.
pub fn target(url: &str) -> Result<Target, HqError> {
    let split = conninfo::split(url)?;
    let mut cfg: tokio_postgres::Config = split
        .rest
        .parse()
        .map_err(|e| HqError::Config(format!("database URL does not read: {e}")))?;
    let mode = tls::Mode::parse(split.sslmode.as_deref())?;
    let hosts = cfg.get_hosts();
    let sockets = hosts.iter().any(|h| matches!(h, Host::Unix(_)));
    let network = hosts.iter().any(|h| matches!(h, Host::Tcp(_)))
        || (hosts.is_empty() && !cfg.get_hostaddrs().is_empty());
    let plain = match mode {
        tls::Mode::Disable => true,
        _ if sockets && network => {
            return Err(HqError::Config(
                "database URL: mixes Unix sockets and network hosts; TLS needs one kind (or sslmode=disable)".into(),
            ))
        }
        tls::Mode::Require => sockets,
        tls::Mode::VerifyCa | tls::Mode::VerifyFull if sockets => {
            return Err(HqError::Config(format!(
                "sslmode={}: a Unix socket carries no TLS to verify; name a network host, or use sslmode=require",
                mode.as_str()
            )))
        }
        tls::Mode::VerifyCa | tls::Mode::VerifyFull => false,
    };
    if plain {
        cfg.ssl_mode(SslMode::Disable);
        return Ok(Target { cfg, tls: None });
    }
    cfg.ssl_mode(SslMode::Require);
    let client = tls::client_config(mode, split.sslrootcert.as_deref().map(Path::new))?;
    Ok(Target {
        cfg,
        tls: Some(MakeRustlsConnect::new(client)),
    })
}

fn manager(url: &str) -> Result<Manager, HqError> {
    let recycling = || ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let t = target(url)?;
    Ok(match t.tls {
        None => Manager::from_config(t.cfg, NoTls, recycling()),
        Some(tls) => Manager::from_config(t.cfg, tls, recycling()),
    })
}

/// A connection for startup, its failure explained: a server without TLS
/// is the likely surprise of HQ never falling back to plaintext.
async fn first_connection(db: &Db) -> Result<deadpool_postgres::Object, HqError> {
    db.get().await.map_err(|e| {
        // tokio_postgres keeps the cause (e.g. which certificate check
        // failed) in the error's sources.
        let mut text = e.to_string();
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            let c_text = c.to_string();
            if !text.ends_with(&c_text) {
                text = format!("{text}: {c_text}");
            }
            cause = c.source();
        }
        let hint = if text.contains("server does not support TLS") {
            " (HQ never falls back to plaintext, and sslmode=prefer counts as require: \
             turn ssl on in PostgreSQL, or put sslmode=disable in the URL only for a database \
             on this host or a private network)"
        } else {
            ""
        };
        HqError::Config(format!("cannot connect to the database: {text}{hint}"))
    })
}

/// Applies the migrations this build knows and the database lacks.
pub async fn migrate(db: &Db) -> Result<usize, HqError> {
    let mut client = first_connection(db).await?;
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    )
    .await?;
    let mut applied = 0;
    for (name, sql) in MIGRATIONS {
        let done = tx
            .query_opt("SELECT 1 FROM schema_migrations WHERE name = $1", &[name])
            .await?
            .is_some();
        if !done {
            tx.batch_execute(sql).await?;
            tx.execute("INSERT INTO schema_migrations (name) VALUES ($1)", &[name])
                .await?;
            applied += 1;
        }
    }
    tx.commit().await?;
    Ok(applied)
}
