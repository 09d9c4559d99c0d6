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
    /// A limit was reached: answered with `status` and
    /// `{"error": message, "code": code, <limit_field>: limit}` so a client
    /// can act on the code and a person can read the message.
    #[error("{message}")]
    Limit {
        status: StatusCode,
        code: &'static str,
        message: String,
        /// The limit's name in the JSON body (e.g. `limitBytes`) and value.
        limit: Option<(&'static str, u64)>,
    },
}

impl IntoResponse for HqError {
    fn into_response(self) -> Response {
        let (status, error) = match &self {
            HqError::Invalid(m) => (StatusCode::BAD_REQUEST, m.clone()),
            HqError::NotFound(m) => (StatusCode::NOT_FOUND, format!("not found: {m}")),
            HqError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized".into()),
            HqError::Revoked => (StatusCode::FORBIDDEN, "revoked".into()),
            HqError::Limit {
                status,
                code,
                message,
                limit,
            } => {
                let mut body = serde_json::json!({ "error": message, "code": code });
                if let Some((name, value)) = limit {
                    body[*name] = (*value).into();
                }
                return (*status, Json(body)).into_response();
            }
            HqError::Config(_) | HqError::Db(_) | HqError::Pool(_) => {
                tracing::error!(error = %self, "request failed");
                // Busy (no free connection within the pool's wait) or the
                // database away: a retry soon is the right answer.
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(axum::http::header::RETRY_AFTER, "1")],
                    Json(serde_json::json!({
                        "error": "the head office cannot store this now; send it again"
                    })),
                )
                    .into_response();
            }
        };
        (status, Json(serde_json::json!({ "error": error }))).into_response()
    }
}
