//! The `login_throttle` table: the view's login failure counts by key
//! (`name:…` or `addr:…`), shared by every HQ process behind a load
//! balancer. The rules on the counts live in `crate::view::throttle`; a
//! caller locks its keys' rows one at a time in key order, so two
//! attempts never deadlock.

use deadpool_postgres::{Client, Transaction};

use crate::error::HqError;

/// One key's count, as its row holds it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    pub failures: u32,
    pub last_ms: i64,
    pub locked_until: i64,
}

fn to_db(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn from_db(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

/// `key`'s count, its row created (no failures, last seen `now`) if
/// missing and locked until `tx` ends.
pub async fn lock(tx: &Transaction<'_>, key: &str, now: i64) -> Result<Count, HqError> {
    let lock = tx
        .prepare_cached(
            "INSERT INTO login_throttle (key, failures, last_ms, locked_until) VALUES ($1, 0, $2, 0)
             ON CONFLICT (key) DO UPDATE SET failures = login_throttle.failures
             RETURNING failures, last_ms, locked_until",
        )
        .await?;
    let r = tx.query_one(&lock, &[&key, &now]).await?;
    Ok(Count {
        failures: from_db(r.get(0)),
        last_ms: r.get(1),
        locked_until: r.get(2),
    })
}

/// `key`'s count if it has a row, locked until `tx` ends.
pub async fn lock_held(tx: &Transaction<'_>, key: &str) -> Result<Option<Count>, HqError> {
    let lock = tx
        .prepare_cached(
            "SELECT failures, last_ms, locked_until FROM login_throttle WHERE key = $1 FOR UPDATE",
        )
        .await?;
    Ok(tx.query_opt(&lock, &[&key]).await?.map(|r| Count {
        failures: from_db(r.get(0)),
        last_ms: r.get(1),
        locked_until: r.get(2),
    }))
}

/// Writes `key`'s whole count.
pub async fn save(tx: &Transaction<'_>, key: &str, c: &Count) -> Result<(), HqError> {
    let save = tx
        .prepare_cached(
            "UPDATE login_throttle SET failures = $2, last_ms = $3, locked_until = $4 WHERE key = $1",
        )
        .await?;
    tx.execute(
        &save,
        &[&key, &to_db(c.failures), &c.last_ms, &c.locked_until],
    )
    .await?;
    Ok(())
}

/// Writes `key`'s failures and lock, leaving its last failure's time.
pub async fn set_failures(tx: &Transaction<'_>, key: &str, c: &Count) -> Result<(), HqError> {
    let set = tx
        .prepare_cached("UPDATE login_throttle SET failures = $2, locked_until = $3 WHERE key = $1")
        .await?;
    tx.execute(&set, &[&key, &to_db(c.failures), &c.locked_until])
        .await?;
    Ok(())
}

/// Forgets `key` (its next count starts from nothing).
pub async fn forget(tx: &Transaction<'_>, key: &str) -> Result<(), HqError> {
    let forget = tx
        .prepare_cached("DELETE FROM login_throttle WHERE key = $1")
        .await?;
    tx.execute(&forget, &[&key]).await?;
    Ok(())
}

/// Drops up to `limit` rows last counted before `before`; rows another
/// attempt holds are skipped, so this never waits.
pub async fn drop_stale(c: &Client, before: i64, limit: i64) -> Result<u64, HqError> {
    let drop = c
        .prepare_cached(
            "DELETE FROM login_throttle WHERE key IN (
                 SELECT key FROM login_throttle WHERE last_ms < $1
                 LIMIT $2 FOR UPDATE SKIP LOCKED)",
        )
        .await?;
    Ok(c.execute(&drop, &[&before, &limit]).await?)
}
