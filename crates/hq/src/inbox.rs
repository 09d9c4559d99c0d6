//! `POST /elepay/webhook`: elepay's one webhook for the brand. The
//! signature is checked first (any configured secret, 300 s tolerance); a
//! verified event is stored raw, once, keyed by its id, and answered 2xx
//! only after the commit (elepay retries a failed delivery up to 7 times,
//! late and out of order). The commit notifies every HQ process (a trigger,
//! migration 0009), whose relay hands the event to the streams of its
//! `locationId`; an event for no known store is kept and shown.

use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse as _, Response};
use elepay::webhook::{WebhookError, SIGNATURE_HEADER};

use crate::repo::{self, inbox::Stored};
use crate::AppState;

pub async fn receive(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    s.metrics.webhooks_received.inc();
    let sig = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let now_secs = (s.clock)().div_euclid(1000);
    let event = match s.verifier.accept(sig, &body, now_secs) {
        Ok(e) => e,
        Err(e) => {
            s.metrics.webhook_refused(refusal_reason(&e));
            tracing::warn!(error = %e, "webhook refused");
            return StatusCode::from_u16(e.http_status())
                .unwrap_or(StatusCode::UNAUTHORIZED)
                .into_response();
        }
    };
    // The body as signed; `accept` parsed it, so it is UTF-8 JSON.
    let text = String::from_utf8_lossy(&body);
    // Its own pool: a delivery never waits behind ingest or streams.
    match repo::inbox::store(&s.inbox_db, &event, &text).await {
        Ok(Stored::New(seq)) => {
            tracing::info!(event = %event.id, seq, location = ?event.location_id(), "webhook stored");
            s.metrics.webhooks_stored.inc();
            storing_again(&s);
            // Every process hears of it from the database (migration
            // 0009); this one reads it at once.
            s.wake.send_replace(seq);
            StatusCode::OK.into_response()
        }
        Ok(Stored::Again) => {
            s.metrics.webhooks_duplicate.inc();
            storing_again(&s);
            StatusCode::OK.into_response()
        }
        Err(e) => {
            s.metrics.webhook_refused("not_stored");
            // Not stored: a failure makes elepay deliver it again. Said
            // once per outage, not once per delivery.
            if !s.webhooks_failing.swap(true, Ordering::Relaxed) {
                tracing::error!(error = %e, "webhooks cannot be stored: answered 503, elepay will retry");
            } else {
                tracing::debug!(error = %e, "webhook not stored; elepay will retry");
            }
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(axum::http::header::RETRY_AFTER, "1")],
            )
                .into_response()
        }
    }
}

/// Ends the outage the error log announced, if any.
fn storing_again(s: &AppState) {
    if s.webhooks_failing.swap(false, Ordering::Relaxed) {
        tracing::info!("webhooks are stored again");
    }
}

/// The metrics' name for why a delivery was refused.
fn refusal_reason(e: &WebhookError) -> &'static str {
    match e {
        WebhookError::BadEnvelope(_) => "bad_envelope",
        WebhookError::MissingSignature | WebhookError::MalformedSignature => "bad_signature",
        WebhookError::Stale { .. } => "stale",
        WebhookError::NoMatch => "signature_mismatch",
    }
}
