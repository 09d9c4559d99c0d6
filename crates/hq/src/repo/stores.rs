//! The `stores` table: one row per store, keyed by its elepay `locationId`.

use deadpool_postgres::Transaction;

use crate::db::Db;
use crate::error::HqError;

/// Adds the store at `location_id`, or renames the one already there;
/// answers its id either way.
pub async fn upsert(db: &Db, location_id: &str, name: &str) -> Result<i64, HqError> {
    let c = db.get().await?;
    let upsert = c
        .prepare_cached(
            "INSERT INTO stores (location_id, name) VALUES ($1, $2)
             ON CONFLICT (location_id) DO UPDATE SET name = excluded.name RETURNING id",
        )
        .await?;
    Ok(c.query_one(&upsert, &[&location_id, &name]).await?.get(0))
}

/// The id of the store at `location_id`, if there is one.
pub async fn id_of(db: &Db, location_id: &str) -> Result<Option<i64>, HqError> {
    let c = db.get().await?;
    let find = c
        .prepare_cached("SELECT id FROM stores WHERE location_id = $1")
        .await?;
    Ok(c.query_opt(&find, &[&location_id]).await?.map(|r| r.get(0)))
}

/// Whether a store is at `location_id`, inside the caller's transaction
/// (a user's stores are assigned in the one that creates it).
pub async fn exists(tx: &Transaction<'_>, location_id: &str) -> Result<bool, HqError> {
    let find = tx
        .prepare_cached("SELECT 1 FROM stores WHERE location_id = $1")
        .await?;
    Ok(tx.query_opt(&find, &[&location_id]).await?.is_some())
}
