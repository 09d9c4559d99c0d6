//! `GET /api/register/events`: one register's event stream (Server-Sent
//! Events). Registers sit behind NAT, so they connect out and resume from a
//! cursor; the inbox table is the truth and the in-process notification
//! only wakes the streams. A register gets the events of its own store
//! (`locationId`), each once per stream, in commit order.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, Sse};
use axum::Json;
use futures_util::Stream;
use serde::Deserialize;
use tokio::time::Instant;

use crate::auth::RegisterAuth;
use crate::error::HqError;
use crate::AppState;

/// A comment this often keeps proxies from closing an idle stream and is
/// the register's heartbeat (and when a revoked register's stream ends).
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);
const PAGE: i64 = 200;

#[derive(Debug, Deserialize)]
pub struct After {
    after: Option<i64>,
}

pub async fn events(
    State(s): State<AppState>,
    auth: RegisterAuth,
    headers: HeaderMap,
    Query(q): Query<After>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, HqError> {
    let from_header = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| HqError::Invalid("Last-Event-ID: a whole number".into()))
        })
        .transpose()?;
    let cursor = match from_header.or(q.after) {
        Some(c) => c,
        None => {
            s.db.get()
                .await?
                .query_one(
                    "SELECT event_cursor FROM registers WHERE id = $1",
                    &[&auth.id],
                )
                .await?
                .get(0)
        }
    };
    tracing::info!(register = %auth.register_id, cursor, "event stream opened");
    let state = Reader {
        s: s.clone(),
        auth,
        cursor,
        queue: VecDeque::new(),
        wake: s.wake.subscribe(),
        beat_at: Instant::now() + s.keep_alive,
        done: false,
    };
    Ok(Sse::new(futures_util::stream::unfold(
        state,
        |mut r| async move {
            let ev = r.next().await?;
            Some((Ok(ev), r))
        },
    )))
}

struct Reader {
    s: AppState,
    auth: RegisterAuth,
    cursor: i64,
    queue: VecDeque<(i64, String)>,
    wake: tokio::sync::watch::Receiver<i64>,
    /// The next heartbeat: a fixed schedule, so neither other stores'
    /// wake-ups nor a busy store's events can put it off.
    beat_at: Instant,
    done: bool,
}

impl Reader {
    /// The next event or keep-alive; `None` ends the stream (revoked).
    async fn next(&mut self) -> Option<Event> {
        if self.done {
            return None;
        }
        loop {
            if Instant::now() >= self.beat_at {
                self.beat_at = Instant::now() + self.s.keep_alive;
                if let Ok(false) = self.heartbeat().await {
                    tracing::info!(register = %self.auth.register_id, "event stream ended: register revoked");
                    self.done = true;
                    return None;
                }
                return Some(Event::default().comment("keep-alive"));
            }
            if let Some((seq, body)) = self.queue.pop_front() {
                self.cursor = seq;
                // A raw CR can only be JSON whitespace (strings escape it),
                // and SSE lines may not carry it.
                let data = body.replace("\r\n", "\n").replace('\r', "\n");
                return Some(
                    Event::default()
                        .id(seq.to_string())
                        .event("webhook")
                        .data(data),
                );
            }
            // Mark the wake-ups so far as seen *before* reading, so an
            // event committed during the read wakes the next wait.
            self.wake.borrow_and_update();
            match self.fill().await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(register = %self.auth.register_id, error = %e, "event stream cannot read the inbox");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    return Some(Event::default().comment("retry"));
                }
            }
            tokio::select! {
                _ = self.wake.changed() => {}
                _ = tokio::time::sleep_until(self.beat_at) => {}
            }
        }
    }

    async fn fill(&mut self) -> Result<bool, HqError> {
        let rows = self
            .s
            .db
            .get()
            .await?
            .query(
                "SELECT seq, body FROM inbox WHERE location_id = $1 AND seq > $2
                 ORDER BY seq LIMIT $3",
                &[&self.auth.location_id, &self.cursor, &PAGE],
            )
            .await?;
        self.queue.extend(
            rows.iter()
                .map(|r| (r.get::<_, i64>(0), r.get::<_, String>(1))),
        );
        Ok(!rows.is_empty())
    }

    /// Records the register as seen; false once it is revoked.
    async fn heartbeat(&self) -> Result<bool, HqError> {
        let row = self
            .s
            .db
            .get()
            .await?
            .query_one(
                "UPDATE registers SET last_seen = now() WHERE id = $1 RETURNING revoked_at IS NULL",
                &[&self.auth.id],
            )
            .await?;
        Ok(row.get(0))
    }
}

#[derive(Debug, Deserialize)]
pub struct Ack {
    cursor: i64,
}

/// `POST /api/register/events/ack`: the register has stored events up to
/// `cursor` in its own inbox. The cursor never moves back, nor past the
/// newest event (a cursor ahead of the inbox would hide events to come).
pub async fn ack(
    State(s): State<AppState>,
    auth: RegisterAuth,
    Json(a): Json<Ack>,
) -> Result<StatusCode, HqError> {
    s.db.get()
        .await?
        .execute(
            "UPDATE registers SET event_cursor = greatest(event_cursor,
                 least($2, (SELECT coalesce(max(seq), 0) FROM inbox)))
             WHERE id = $1",
            &[&auth.id, &a.cursor],
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
