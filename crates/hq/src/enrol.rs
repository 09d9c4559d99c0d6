//! Stores and registers, as the brand's IT person manages them on the HQ
//! host (`easyqr-hq store add`, `register enrol`, `register revoke`).

use crate::auth::{new_token, token_hash};
use crate::db::Db;
use crate::error::HqError;
use crate::repo::registers::enrolment as registers;
use crate::repo::stores;

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
    stores::upsert(db, location_id, name).await
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
    let store = stores::id_of(db, location_id).await?.ok_or_else(|| {
        HqError::NotFound(format!(
            "store {location_id:?}: add it first with `easyqr-hq store add`"
        ))
    })?;
    let token = new_token();
    if !registers::enrol(db, store, register_id, &token_hash(&token)).await? {
        return Err(HqError::Invalid(format!(
            "register: {register_id} is enrolled at another store; register ids are orderNo prefixes and must be unique in the brand"
        )));
    }
    Ok(token)
}

pub async fn revoke(db: &Db, register_id: &str) -> Result<(), HqError> {
    if !registers::revoke(db, register_id).await? {
        return Err(HqError::NotFound(format!(
            "register {register_id:?} (or it is already revoked)"
        )));
    }
    Ok(())
}

pub use crate::repo::registers::enrolment::RegisterListing;

pub async fn list(db: &Db) -> Result<Vec<RegisterListing>, HqError> {
    registers::list(db).await
}
