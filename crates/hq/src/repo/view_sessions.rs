//! The `view_sessions` table: the view's signed-in sessions, each kept by
//! the SHA-256 of the id its browser holds. The times are the caller's
//! clock, in ms; the rules on them live in `crate::view::session`.

use deadpool_postgres::Transaction;

use super::view_users::{account, ACCOUNT_COLUMNS};
use crate::db::Db;
use crate::error::HqError;
use crate::users::Account;

/// A new session of user `user_id`, started (and last seen) at `now`.
pub async fn insert(
    db: &Db,
    id_hash: &[u8],
    user_id: i64,
    csrf: &str,
    now: i64,
) -> Result<(), HqError> {
    let c = db.get().await?;
    let insert = c
        .prepare_cached(
            "INSERT INTO view_sessions (id_hash, user_id, csrf, created_ms, last_seen_ms)
             VALUES ($1, $2, $3, $4, $4)",
        )
        .await?;
    c.execute(&insert, &[&id_hash, &user_id, &csrf, &now])
        .await?;
    Ok(())
}

/// The live session `id_hash` is, touched (last seen `now`), with its
/// account and CSRF token; `None` when unknown, or last seen at or before
/// `idle_cut` or created at or before `created_cut`.
pub async fn touch(
    db: &Db,
    id_hash: &[u8],
    now: i64,
    idle_cut: i64,
    created_cut: i64,
) -> Result<Option<(Account, String)>, HqError> {
    let c = db.get().await?;
    let touch = c
        .prepare_cached(&format!(
            "UPDATE view_sessions se SET last_seen_ms = $2 FROM view_users u
             WHERE se.id_hash = $1 AND u.id = se.user_id
               AND se.last_seen_ms > $3 AND se.created_ms > $4
             RETURNING {ACCOUNT_COLUMNS}, se.csrf"
        ))
        .await?;
    Ok(
        c.query_opt(&touch, &[&id_hash, &now, &idle_cut, &created_cut])
            .await?
            .map(|r| (account(&r, 0), r.get(4))),
    )
}

/// Ends the session `id_hash` is (if any).
pub async fn end(db: &Db, id_hash: &[u8]) -> Result<(), HqError> {
    let c = db.get().await?;
    let end = c
        .prepare_cached("DELETE FROM view_sessions WHERE id_hash = $1")
        .await?;
    c.execute(&end, &[&id_hash]).await?;
    Ok(())
}

/// Drops the sessions last seen at or before `idle_cut` or created at or
/// before `created_cut`.
pub async fn drop_expired(db: &Db, idle_cut: i64, created_cut: i64) -> Result<(), HqError> {
    let c = db.get().await?;
    let drop = c
        .prepare_cached("DELETE FROM view_sessions WHERE last_seen_ms <= $1 OR created_ms <= $2")
        .await?;
    c.execute(&drop, &[&idle_cut, &created_cut]).await?;
    Ok(())
}

/// Ends every session of user `user_id`, inside the caller's transaction
/// (its password changed in it).
pub async fn end_all_of(tx: &Transaction<'_>, user_id: i64) -> Result<(), HqError> {
    let end = tx
        .prepare_cached("DELETE FROM view_sessions WHERE user_id = $1")
        .await?;
    tx.execute(&end, &[&user_id]).await?;
    Ok(())
}
