//! Register tokens: 32 random bytes shown once at enrolment; HQ keeps only
//! their SHA-256, so a copy of the database cannot act as a register. A
//! token travels only in `Authorization: Bearer`.

use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::error::HqError;
use crate::repo::registers::enrolment;
use crate::AppState;

const TOKEN_PREFIX: &str = "hqr_";

/// A fresh register token.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A register's `last_seen` (the view's "online", 40 s) is written at most
/// this often, not on every request.
const SEEN_EVERY: Duration = Duration::from_secs(10);

/// The register a request's token belongs to (not revoked).
#[derive(Debug, Clone)]
pub struct RegisterAuth {
    /// HQ's row id.
    pub id: i64,
    pub register_id: String,
    pub store_name: String,
    pub location_id: String,
    /// The SHA-256 of the token the request came with.
    pub token_hash: Vec<u8>,
}

impl FromRequestParts<AppState> for RegisterAuth {
    type Rejection = HqError;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| t.starts_with(TOKEN_PREFIX))
            .ok_or(HqError::Unauthorized)?;
        let hash = token_hash(token);
        // Seeing a register is also its heartbeat.
        let holder = enrolment::by_token(&s.db, &hash, SEEN_EVERY)
            .await?
            .ok_or(HqError::Unauthorized)?;
        if holder.revoked {
            return Err(HqError::Revoked);
        }
        Ok(RegisterAuth {
            id: holder.id,
            register_id: holder.register_id,
            store_name: holder.store_name,
            location_id: holder.location_id,
            token_hash: hash,
        })
    }
}
