//! Stores and registers, as the brand's IT person manages them on the HQ
//! host (`easyqr-hq store add`, `register enrol`, `register revoke`).

use serde::Serialize;

use crate::auth::{new_token, token_hash};
use crate::db::Db;
use crate::error::HqError;

/// A `locationId` by elepay's own rule (`elepay::check_location_id`: the
/// register's settings take the same).
fn check_location_id(location_id: &str) -> Result<(), HqError> {
    elepay::check_location_id(location_id)
        .map_err(|e| HqError::Invalid(format!("location-id: {} (got {location_id:?})", e.allowed)))
}

/// A register id is its orderNo prefix: the register's own rule
/// (`easyqr_ledger::OrderPrefix`), so HQ never enrols an id no register
/// can have.
fn check_register_id(register_id: &str) -> Result<(), HqError> {
    easyqr_ledger::OrderPrefix::new(register_id)
        .map(drop)
        .map_err(|e| {
            let allowed = match e {
                easyqr_ledger::LedgerError::Invalid { allowed, .. } => allowed,
                other => other.to_string(),
            };
            HqError::Invalid(format!("register: {allowed} (got {register_id:?})"))
        })
}

pub async fn add_store(db: &Db, location_id: &str, name: &str) -> Result<i64, HqError> {
    check_location_id(location_id)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        return Err(HqError::Invalid("name: 1 to 40 characters".into()));
    }
    let c = db.get().await?;
    let row = c
        .query_one(
            "INSERT INTO stores (location_id, name) VALUES ($1, $2)
             ON CONFLICT (location_id) DO UPDATE SET name = excluded.name RETURNING id",
            &[&location_id, &name],
        )
        .await?;
    Ok(row.get(0))
}

/// Enrols a register of the store at `location_id` and answers its token
/// (shown once; HQ keeps its hash). Enrolling an id again issues a new
/// token and lifts a revocation: the old token stops working and its open
/// stream ends (`crate::streams`). A new register's event stream starts at
/// the newest event, never in the store's history from before it
/// (`stream_floor`); so does a revoked one's enrolled again, while a live
/// one given a new token keeps its place.
pub async fn enrol(db: &Db, location_id: &str, register_id: &str) -> Result<String, HqError> {
    check_register_id(register_id)?;
    check_location_id(location_id)?;
    let c = db.get().await?;
    let store: i64 = c
        .query_opt(
            "SELECT id FROM stores WHERE location_id = $1",
            &[&location_id],
        )
        .await?
        .ok_or_else(|| {
            HqError::NotFound(format!(
                "store {location_id:?}: add it first with `easyqr-hq store add`"
            ))
        })?
        .get(0);
    let token = new_token();
    c.execute(
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
        &[&store, &register_id, &token_hash(&token)],
    )
    .await
    .map_err(HqError::Db)
    .and_then(|n| {
        if n == 1 {
            Ok(())
        } else {
            Err(HqError::Invalid(format!(
                "register: {register_id} is enrolled at another store; register ids are orderNo prefixes and must be unique in the brand"
            )))
        }
    })?;
    Ok(token)
}

pub async fn revoke(db: &Db, register_id: &str) -> Result<(), HqError> {
    let c = db.get().await?;
    let n = c
        .execute(
            // A new stream generation ends its open streams within a second.
            "UPDATE registers SET revoked_at = now(), stream_gen = stream_gen + 1
             WHERE register_id = $1 AND revoked_at IS NULL",
            &[&register_id],
        )
        .await?;
    if n == 0 {
        return Err(HqError::NotFound(format!(
            "register {register_id:?} (or it is already revoked)"
        )));
    }
    Ok(())
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterListing {
    pub register_id: String,
    pub location_id: String,
    pub revoked: bool,
}

pub async fn list(db: &Db) -> Result<Vec<RegisterListing>, HqError> {
    let c = db.get().await?;
    let rows = c
        .query(
            "SELECT r.register_id, s.location_id, r.revoked_at IS NOT NULL
             FROM registers r JOIN stores s ON s.id = r.store_id ORDER BY s.location_id, r.register_id",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| RegisterListing {
            register_id: r.get(0),
            location_id: r.get(1),
            revoked: r.get(2),
        })
        .collect())
}
