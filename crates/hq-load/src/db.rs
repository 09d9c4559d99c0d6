//! The benchmark's own view of PostgreSQL: where it is, the inbox as the
//! truth for the exactly-once check, and the transaction counter.

use easyqr_hq::Db;

/// The database: the flag or `DATABASE_URL`, else a libpq key=value string
/// from pg_virtualenv's `PG*` variables.
pub fn conninfo(given: Option<String>) -> Result<String, String> {
    if let Some(url) = given.filter(|u| !u.trim().is_empty()) {
        return Ok(url);
    }
    let host = std::env::var("PGHOST").map_err(|_| {
        "no database: give --database-url, DATABASE_URL, or run under pg_virtualenv (PGHOST)"
            .to_owned()
    })?;
    let mut parts = vec![format!("host={}", quote(&host))];
    for (var, key) in [
        ("PGPORT", "port"),
        ("PGUSER", "user"),
        ("PGPASSWORD", "password"),
        ("PGDATABASE", "dbname"),
    ] {
        if let Ok(v) = std::env::var(var) {
            parts.push(format!("{key}={}", quote(&v)));
        }
    }
    Ok(parts.join(" "))
}

/// A libpq value in single quotes.
fn quote(v: &str) -> String {
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn sql(e: impl std::fmt::Display) -> String {
    format!("database: {e}")
}

/// The newest inbox seq: streams start after it, so a re-run never sees
/// an older run's events.
pub async fn top_seq(db: &Db) -> Result<i64, String> {
    let c = db.get().await.map_err(sql)?;
    let row = c
        .query_one("SELECT coalesce(max(seq), 0) FROM inbox", &[])
        .await
        .map_err(sql)?;
    Ok(row.get(0))
}

/// Transactions committed and rolled back in this database so far
/// (after a fresh snapshot: the statistics are per-transaction cached).
pub async fn xacts(db: &Db) -> Result<i64, String> {
    let c = db.get().await.map_err(sql)?;
    c.batch_execute("SELECT pg_stat_clear_snapshot()")
        .await
        .map_err(sql)?;
    let row = c
        .query_one(
            "SELECT (xact_commit + xact_rollback)::bigint FROM pg_stat_database
             WHERE datname = current_database()",
            &[],
        )
        .await
        .map_err(sql)?;
    Ok(row.get(0))
}

/// One stored event of this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub seq: i64,
    pub event_id: String,
    pub location_id: Option<String>,
}

/// Every event stored after `after` whose id starts with `id_prefix`.
pub async fn stored_since(db: &Db, after: i64, id_prefix: &str) -> Result<Vec<Stored>, String> {
    let c = db.get().await.map_err(sql)?;
    let rows = c
        .query(
            "SELECT seq, event_id, location_id FROM inbox
             WHERE seq > $1 AND starts_with(event_id, $2) ORDER BY seq",
            &[&after, &id_prefix],
        )
        .await
        .map_err(sql)?;
    Ok(rows
        .iter()
        .map(|r| Stored {
            seq: r.get(0),
            event_id: r.get(1),
            location_id: r.get(2),
        })
        .collect())
}

/// Inbox rows stored after `after` (every writer counts: the load is the
/// only one).
pub async fn stored_count(db: &Db, after: i64) -> Result<i64, String> {
    let c = db.get().await.map_err(sql)?;
    let row = c
        .query_one("SELECT count(*) FROM inbox WHERE seq > $1", &[&after])
        .await
        .map_err(sql)?;
    Ok(row.get(0))
}
