//! The PostgreSQL pool and the schema migrations (`migrations/*.sql`,
//! applied in order, each once, under an advisory lock so two HQ processes
//! starting together do not race).

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

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
];

/// Arbitrary constant key of the migration lock.
const MIGRATION_LOCK: i64 = 0x4551_5248_515f_4d49;

pub type Db = Pool;

/// A pool on `url` (a `postgres://` URL or a libpq key=value string).
/// TLS to the database is left to a local socket or the network: HQ and
/// its database are expected to share a host or a private network.
pub fn pool(url: &str, size: usize) -> Result<Db, HqError> {
    let cfg: tokio_postgres::Config = url
        .parse()
        .map_err(|e| HqError::Config(format!("database URL does not read: {e}")))?;
    let mgr = Manager::from_config(
        cfg,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(mgr)
        .max_size(size)
        .build()
        .map_err(|e| HqError::Config(format!("database pool: {e}")))
}

/// Applies the migrations this build knows and the database lacks.
pub async fn migrate(db: &Db) -> Result<usize, HqError> {
    let mut client = db.get().await?;
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
