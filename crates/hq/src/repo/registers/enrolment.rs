//! The `registers` table as registers are enrolled, revoked and listed on
//! the HQ host, and as a request's token is looked up.

use std::time::Duration;

use serde::Serialize;

use crate::db::Db;
use crate::error::HqError;

/// The register a token belongs to.
#[derive(Debug)]
pub struct Holder {
    /// HQ's row id.
    pub id: i64,
    pub register_id: String,
    pub store_name: String,
    pub location_id: String,
    pub revoked: bool,
}

/// The register whose token hashes to `token_hash`, if any. A live one
/// not seen for `seen_every` is marked seen now, on the same connection:
/// seeing a register is also its heartbeat, written at most that often,
/// not on every request.
pub async fn by_token(
    db: &Db,
    token_hash: &[u8],
    seen_every: Duration,
) -> Result<Option<Holder>, HqError> {
    let c = db.get().await?;
    // Read first: a token that is no register's costs no write.
    let find = c
        .prepare_cached(
            "SELECT r.id, r.register_id, s.name, s.location_id, r.revoked_at IS NOT NULL,
                    coalesce(r.last_seen < now() - make_interval(secs => $2), true)
             FROM registers r JOIN stores s ON s.id = r.store_id WHERE r.token_hash = $1",
        )
        .await?;
    let Some(row) = c
        .query_opt(&find, &[&token_hash, &seen_every.as_secs_f64()])
        .await?
    else {
        return Ok(None);
    };
    let holder = Holder {
        id: row.get(0),
        register_id: row.get(1),
        store_name: row.get(2),
        location_id: row.get(3),
        revoked: row.get(4),
    };
    if !holder.revoked && row.get::<_, bool>(5) {
        let seen = c
            .prepare_cached("UPDATE registers SET last_seen = now() WHERE id = $1")
            .await?;
        c.execute(&seen, &[&holder.id]).await?;
    }
    Ok(Some(holder))
}

/// Enrols `register_id` at store `store` with the token hashing to
/// `token_hash`, or gives the enrolled one this token (lifting a
/// revocation, ending its open stream); `false` when the id is enrolled at
/// another store (nothing changes).
pub async fn enrol(
    db: &Db,
    store: i64,
    register_id: &str,
    token_hash: &[u8],
) -> Result<bool, HqError> {
    let c = db.get().await?;
    // A new register's stream starts at the newest event, never in the
    // store's history from before it (`stream_floor`); so does a revoked
    // one's enrolled again, while a live one given a new token keeps its
    // place.
    let enrol = c
        .prepare_cached(
            "INSERT INTO registers (store_id, register_id, token_hash, event_cursor, stream_floor)
             SELECT $1, $2, $3, top, top FROM (SELECT coalesce(max(seq), 0) AS top FROM inbox) i
             ON CONFLICT (register_id) DO UPDATE
             SET token_hash = excluded.token_hash, revoked_at = NULL, enrolled_at = now(),
                 stream_gen = registers.stream_gen + 1,
                 stream_floor = CASE WHEN registers.revoked_at IS NULL
                     THEN registers.stream_floor ELSE excluded.stream_floor END,
                 event_cursor = CASE WHEN registers.revoked_at IS NULL
                     THEN registers.event_cursor
                     ELSE greatest(registers.event_cursor, excluded.stream_floor) END
             WHERE registers.store_id = excluded.store_id",
        )
        .await?;
    let n = c
        .execute(&enrol, &[&store, &register_id, &token_hash])
        .await?;
    Ok(n == 1)
}

/// Revokes the live register `register_id`; `false` when there is none
/// (or it is already revoked).
pub async fn revoke(db: &Db, register_id: &str) -> Result<bool, HqError> {
    let c = db.get().await?;
    let revoke = c
        .prepare_cached(
            // A new stream generation ends its open streams within a second.
            "UPDATE registers SET revoked_at = now(), stream_gen = stream_gen + 1
             WHERE register_id = $1 AND revoked_at IS NULL",
        )
        .await?;
    Ok(c.execute(&revoke, &[&register_id]).await? > 0)
}

/// One register as `register list` shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterListing {
    pub register_id: String,
    pub location_id: String,
    pub revoked: bool,
}

/// Every register, by store and id.
pub async fn list(db: &Db) -> Result<Vec<RegisterListing>, HqError> {
    let c = db.get().await?;
    let list = c
        .prepare_cached(
            "SELECT r.register_id, s.location_id, r.revoked_at IS NOT NULL
             FROM registers r JOIN stores s ON s.id = r.store_id ORDER BY s.location_id, r.register_id",
        )
        .await?;
    Ok(c.query(&list, &[])
        .await?
        .iter()
        .map(|r| RegisterListing {
            register_id: r.get(0),
            location_id: r.get(1),
            revoked: r.get(2),
        })
        .collect())
}
