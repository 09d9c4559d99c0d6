//! `GET /api/register/events`: one register's event stream (Server-Sent
//! Events). Registers sit behind NAT, so they connect out and resume from a
//! cursor; the inbox table is the truth and the in-process notification
//! only wakes the streams. A register gets the events of its own store
//! (`locationId`), each once per stream, in commit order, and never one
//! stored before its enrolment (`registers.stream_floor`). A register has
//! one open stream: a newer one ends the older (`crate::streams`).

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
use crate::streams::Ticket;
use crate::AppState;

/// A comment this often keeps proxies from closing an idle stream and is
/// the register's heartbeat.
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
    // This stream's generation: it ends any older stream of the register,
    // and is refused if the token was replaced or revoked meanwhile.
    let row =
        s.db.get()
            .await?
            .query_opt(
                "UPDATE registers SET stream_gen = stream_gen + 1
                 WHERE id = $1 AND token_hash = $2 AND revoked_at IS NULL
                 RETURNING stream_gen, stream_floor, event_cursor",
                &[&auth.id, &auth.token_hash],
            )
            .await?
            .ok_or(HqError::Unauthorized)?;
    let (generation, floor): (i64, i64) = (row.get(0), row.get(1));
    // Never from before the register's enrolment, whatever it asks for.
    let cursor = from_header.or(q.after).unwrap_or(row.get(2)).max(floor);
    let ticket = s.streams.open(auth.id, generation);
    tracing::info!(register = %auth.register_id, cursor, "event stream opened");
    let state = Reader {
        s: s.clone(),
        auth,
        cursor,
        queue: VecDeque::new(),
        wake: s.wake.subscribe(),
        beat_at: Instant::now() + s.keep_alive,
        ticket,
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
    /// Turns when a newer stream, a re-enrolment or a revocation ends this one.
    ticket: Ticket,
    done: bool,
}

impl Reader {
    /// The next event or keep-alive; `None` ends the stream (replaced by
    /// a newer one, re-enrolled or revoked).
    async fn next(&mut self) -> Option<Event> {
        loop {
            // A closed switch (its server stopping) ends the stream too.
            if self.done || self.ticket.ended.has_changed().unwrap_or(true) {
                if !self.done {
                    tracing::info!(register = %self.auth.register_id, "event stream ended: replaced, re-enrolled or revoked");
                }
                self.done = true;
                return None;
            }
            if Instant::now() >= self.beat_at {
                self.beat_at = Instant::now() + self.s.keep_alive;
                self.heartbeat().await;
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
                _ = self.ticket.ended.changed() => {}
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

    /// Records the register as seen (for the view's "online"); a failure
    /// only costs the mark.
    async fn heartbeat(&self) {
        let r = match self.s.db.get().await {
            Ok(c) => c
                .execute(
                    "UPDATE registers SET last_seen = now() WHERE id = $1",
                    &[&self.auth.id],
                )
                .await
                .map_err(HqError::from),
            Err(e) => Err(e.into()),
        };
        if let Err(e) = r {
            tracing::debug!(register = %self.auth.register_id, error = %e, "stream heartbeat not recorded");
        }
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
