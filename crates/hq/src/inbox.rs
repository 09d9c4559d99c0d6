//! `POST /elepay/webhook`: elepay's one webhook for the brand. The
//! signature is checked first (any configured secret, 300 s tolerance); a
//! verified event is stored raw, once, keyed by its id, and answered 2xx
//! only after the commit (elepay retries a failed delivery up to 7 times,
//! late and out of order). It is routed by `locationId` when a register
//! reads its stream; an event for no known store is kept and shown.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse as _, Response};
use elepay::webhook::{Event, SIGNATURE_HEADER};
use serde_json::Value;

use crate::db::Db;
use crate::error::HqError;
use crate::AppState;

/// Key of the lock that orders inbox seqs by commit.
const INBOX_LOCK: i64 = 0x4551_5248_515f_4942;

pub async fn receive(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let sig = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let now_secs = (s.clock)().div_euclid(1000);
    let event = match s.verifier.accept(sig, &body, now_secs) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, "webhook refused");
            return StatusCode::from_u16(e.http_status())
                .unwrap_or(StatusCode::UNAUTHORIZED)
                .into_response();
        }
    };
    // The body as signed; `accept` parsed it, so it is UTF-8 JSON.
    let text = String::from_utf8_lossy(&body);
    // Its own pool: a delivery never waits behind ingest or streams.
    match store(&s.inbox_db, &event, &text).await {
        Ok(Stored::New(seq)) => {
            tracing::info!(event = %event.id, seq, location = ?event.location_id(), "webhook stored");
            s.wake.send_replace(seq);
            StatusCode::OK.into_response()
        }
        Ok(Stored::Again) => StatusCode::OK.into_response(),
        Err(e) => {
            // Not stored: a failure makes elepay deliver it again.
            tracing::error!(error = %e, "webhook not stored; elepay will retry");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(axum::http::header::RETRY_AFTER, "1")],
            )
                .into_response()
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Stored {
    New(i64),
    Again,
}

/// The code an event concerns, for the view (`codeId`, or a code's `id`).
fn code_id(e: &Event) -> Option<String> {
    let o = &e.data_object;
    o.get("codeId")
        .or_else(|| (o.get("object").and_then(Value::as_str) == Some("code")).then(|| &o["id"]))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

pub async fn store(db: &Db, e: &Event, body: &str) -> Result<Stored, HqError> {
    let mut c = db.get().await?;
    let tx = c.transaction().await?;
    let again = tx
        .execute(
            "UPDATE inbox SET deliveries = deliveries + 1, last_delivery_at = now()
             WHERE event_id = $1",
            &[&e.id],
        )
        .await?;
    if again == 1 {
        tx.commit().await?;
        return Ok(Stored::Again);
    }
    // Seqs in commit order: a stream that has read up to N never finds a
    // row below N committed after it looked.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&INBOX_LOCK])
        .await?;
    let row = tx
        .query_one(
            "INSERT INTO inbox (seq, event_id, event_type, location_id, code_id, body)
             SELECT coalesce(max(seq), 0) + 1, $1, $2, $3, $4, $5 FROM inbox
             ON CONFLICT (event_id) DO UPDATE SET deliveries = inbox.deliveries + 1
             RETURNING seq, deliveries",
            &[
                &e.id,
                &e.event_type.as_str(),
                &e.location_id(),
                &code_id(e),
                &body,
            ],
        )
        .await?;
    tx.commit().await?;
    let deliveries: i32 = row.get(1);
    Ok(if deliveries == 1 {
        Stored::New(row.get(0))
    } else {
        Stored::Again
    })
}
