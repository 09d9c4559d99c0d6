//! Register tokens: 32 random bytes shown once at enrolment; HQ keeps only
//! their SHA-256, so a copy of the database cannot act as a register. A
//! token travels only in `Authorization: Bearer`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::error::HqError;
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

/// The register a request's token belongs to (not revoked).
#[derive(Debug, Clone)]
pub struct RegisterAuth {
    /// HQ's row id.
    pub id: i64,
    pub register_id: String,
    pub store_name: String,
    pub location_id: String,
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
        let client = s.db.get().await?;
        // Seeing a register is also its heartbeat.
        let row = client
            .query_opt(
                "UPDATE registers r SET last_seen = now()
                 FROM stores s WHERE s.id = r.store_id AND r.token_hash = $1
                 RETURNING r.id, r.register_id, s.name, s.location_id, r.revoked_at IS NOT NULL",
                &[&token_hash(token)],
            )
            .await?
            .ok_or(HqError::Unauthorized)?;
        if row.get::<_, bool>(4) {
            return Err(HqError::Revoked);
        }
        Ok(RegisterAuth {
            id: row.get(0),
            register_id: row.get(1),
            store_name: row.get(2),
            location_id: row.get(3),
        })
    }
}
