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

/// A register's `last_seen` (the view's "online", 40 s) is written at most
/// this often, not on every request.
const SEEN_EVERY_SECS: f64 = 10.0;

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
        let client = s.db.get().await?;
        // Read first: a token that is no register's costs no write.
        let find = client
            .prepare_cached(
                "SELECT r.id, r.register_id, s.name, s.location_id, r.revoked_at IS NOT NULL,
                        coalesce(r.last_seen < now() - make_interval(secs => $2), true)
                 FROM registers r JOIN stores s ON s.id = r.store_id WHERE r.token_hash = $1",
            )
            .await?;
        let row = client
            .query_opt(&find, &[&hash, &SEEN_EVERY_SECS])
            .await?
            .ok_or(HqError::Unauthorized)?;
        if row.get::<_, bool>(4) {
            return Err(HqError::Revoked);
        }
        let id: i64 = row.get(0);
        // Seeing a register is also its heartbeat.
        if row.get::<_, bool>(5) {
            let seen = client
                .prepare_cached("UPDATE registers SET last_seen = now() WHERE id = $1")
                .await?;
            client.execute(&seen, &[&id]).await?;
        }
        Ok(RegisterAuth {
            id,
            register_id: row.get(1),
            store_name: row.get(2),
            location_id: row.get(3),
            token_hash: hash,
        })
    }
}
