//! Per-route limits: how large a request body may be, and how long a
//! request (but an event stream) may take. Both answer JSON a client can
//! act on (`HqError::Limit`): `413 {"error","code","limitBytes"}` and
//! `503 {"error","code":"request_timeout","limitMs"}`.

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use tower::layer::util::{Identity, Stack};
use tower::ServiceBuilder;

use crate::error::HqError;

/// elepay's events are small: a larger body is refused before any
/// signature work.
pub const WEBHOOK_BODY_MAX: usize = 256 * 1024;
/// One journal batch (docs/HQ-PROTOCOL.md; the register sizes its batches
/// by it and splits one refused with this 413).
pub const JOURNAL_BODY_MAX: usize = easyqr_ledger::BATCH_MAX_BYTES;
/// Every other route: acks, the view's forms.
pub const SMALL_BODY_MAX: usize = 64 * 1024;

#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    bytes: usize,
    code: &'static str,
}

impl BodyLimit {
    fn refusal(self) -> HqError {
        HqError::Limit {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: self.code,
            message: format!("body: at most {} bytes", self.bytes),
            limit: Some(("limitBytes", self.bytes as u64)),
        }
    }
}

/// What [`body`] gives (named so `router()` can put one on each route).
pub type BodyLimitLayer = ServiceBuilder<
    Stack<
        DefaultBodyLimit,
        Stack<
            axum::middleware::FromFnLayer<BodyFn, BodyLimit, (State<BodyLimit>, Request)>,
            Identity,
        >,
    >,
>;
type BodyFn = fn(
    State<BodyLimit>,
    Request,
    Next,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>>;

/// A route's body limit: a declared length over it is refused before the
/// handler runs (so before a webhook's signature is checked); a body that
/// grows past it while read is refused by the extractor, with the same
/// JSON answer.
pub fn body(bytes: usize, code: &'static str) -> BodyLimitLayer {
    let f: BodyFn = |s, req, next| Box::pin(limit_body(s, req, next));
    ServiceBuilder::new()
        .layer(from_fn_with_state(BodyLimit { bytes, code }, f))
        .layer(DefaultBodyLimit::max(bytes))
}

async fn limit_body(State(l): State<BodyLimit>, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > l.bytes as u64) {
        return l.refusal().into_response();
    }
    let r = next.run(req).await;
    let json = r
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    // axum's own refusal of a body read past the limit is plain text.
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE && !json {
        return l.refusal().into_response();
    }
    r
}

/// A request that takes longer than `limit` is answered 503 (which elepay
/// and the registers send again) and its work dropped: an open
/// transaction rolls back.
pub async fn time_limit(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            tracing::warn!(limit_ms = limit.as_millis() as u64, "request timed out");
            let mut r = HqError::Limit {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "request_timeout",
                message: "the head office did not finish this request in time; send it again"
                    .into(),
                limit: Some((
                    "limitMs",
                    u64::try_from(limit.as_millis()).unwrap_or(u64::MAX),
                )),
            }
            .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
            r
        }
    }
}
