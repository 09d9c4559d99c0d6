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

impl HqError {
    /// The one mapping from an error to its status, whichever way it is
    /// rendered (JSON for the API here, an HTML page in the view).
    pub fn status(&self) -> StatusCode {
        match self {
            HqError::Invalid(_) => StatusCode::BAD_REQUEST,
            HqError::NotFound(_) => StatusCode::NOT_FOUND,
            HqError::Unauthorized => StatusCode::UNAUTHORIZED,
            HqError::Revoked => StatusCode::FORBIDDEN,
            HqError::Limit { status, .. } => *status,
            // Busy (no free connection within the pool's wait) or the
            // database away: a retry soon is the right answer.
            HqError::Db(_) | HqError::Pool(_) => StatusCode::SERVICE_UNAVAILABLE,
            HqError::Config(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The API's rendering: `{"error": …}` (and `code` and the limit for
/// [`HqError::Limit`]); a database failure says only "send it again".
impl IntoResponse for HqError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            HqError::Invalid(m) => serde_json::json!({ "error": m }),
            HqError::NotFound(m) => serde_json::json!({ "error": format!("not found: {m}") }),
            HqError::Unauthorized => serde_json::json!({ "error": "unauthorized" }),
            HqError::Revoked => serde_json::json!({ "error": "revoked" }),
            HqError::Limit {
                code,
                message,
                limit,
                ..
            } => {
                let mut body = serde_json::json!({ "error": message, "code": code });
                if let Some((name, value)) = limit {
                    body[*name] = (*value).into();
                }
                body
            }
            HqError::Config(_) => {
                tracing::error!(error = %self, "request failed");
                serde_json::json!({ "error": "the head office failed on this request" })
            }
            HqError::Db(_) | HqError::Pool(_) => {
                tracing::error!(error = %self, "request failed");
                let body = serde_json::json!({
                    "error": "the head office cannot store this now; send it again"
                });
                return (status, [(axum::http::header::RETRY_AFTER, "1")], Json(body))
                    .into_response();
            }
        };
        (status, Json(body)).into_response()
    }
}
