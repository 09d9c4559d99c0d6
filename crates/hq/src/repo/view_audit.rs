//! The `view_audit` table: the view's audit trail, oldest first by id.

use crate::db::Db;
use crate::error::HqError;

/// One row of the trail.
#[derive(Debug, Clone)]
pub struct Entry {
    pub at_ms: i64,
    pub kind: String,
    pub user_name: String,
    pub client: String,
    pub detail: String,
}

/// Adds `e` to the trail.
pub async fn insert(db: &Db, e: &Entry) -> Result<(), HqError> {
    let c = db.get().await?;
    let insert = c
        .prepare_cached(
            "INSERT INTO view_audit (at_ms, kind, user_name, client, detail) VALUES ($1, $2, $3, $4, $5)",
        )
        .await?;
    c.execute(
        &insert,
        &[&e.at_ms, &e.kind, &e.user_name, &e.client, &e.detail],
    )
    .await?;
    Ok(())
}

/// The newest `limit` rows, newest first.
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<Entry>, HqError> {
    let c = db.get().await?;
    let recent = c
        .prepare_cached(
            "SELECT at_ms, kind, user_name, client, detail FROM view_audit ORDER BY id DESC LIMIT $1",
        )
        .await?;
    Ok(c.query(&recent, &[&limit])
        .await?
        .iter()
        .map(|r| Entry {
            at_ms: r.get(0),
            kind: r.get(1),
            user_name: r.get(2),
            client: r.get(3),
            detail: r.get(4),
        })
        .collect())
}
