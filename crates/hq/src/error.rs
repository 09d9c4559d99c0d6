//! HQ's errors. What a register or a browser is told never carries a
//! token, a secret or a database detail beyond "try again".

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

#[derive(Debug, thiserror::Error)]
pub enum HqError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("database: {0}")]
    Db(#[from] tokio_postgres::Error),
    #[error("database pool: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    /// Bad input, named: answered 400 with this text.
    #[error("{0}")]
    Invalid(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("unauthorized")]
    Unauthorized,
    #[error("revoked")]
    Revoked,
}

impl IntoResponse for HqError {
    fn into_response(self) -> Response {
        let (status, error) = match &self {
            HqError::Invalid(m) => (StatusCode::BAD_REQUEST, m.clone()),
            HqError::NotFound(m) => (StatusCode::NOT_FOUND, format!("not found: {m}")),
            HqError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized".into()),
            HqError::Revoked => (StatusCode::FORBIDDEN, "revoked".into()),
            HqError::Config(_) | HqError::Db(_) | HqError::Pool(_) => {
                tracing::error!(error = %self, "request failed");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the head office cannot store this now; send it again".into(),
                )
            }
        };
        (status, Json(serde_json::json!({ "error": error }))).into_response()
    }
}
