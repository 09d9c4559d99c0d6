//! `GET /api/register/events`: one register's event stream (Server-Sent
//! Events). Registers sit behind NAT, so they connect out and resume from a
//! cursor. A stream first reads its backlog from the inbox table, then
//! takes the rows the process's one reader hands it in memory
//! (`crate::hub`, `crate::relay`); it never queries per event. A register
//! gets the events of its own store (`locationId`), each once per stream,
//! in commit order, and never one stored before its enrolment
//! (`registers.stream_floor`). A register has one open stream: a newer one
//! ends the older (`crate::streams`).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
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
use crate::hub::{Item, Subscription};
use crate::repo;
use crate::streams::Ticket;
use crate::AppState;
use easyqr_ledger::wire;

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
    if *s.draining.borrow() {
        return Err(HqError::Limit {
            status: axum::http::StatusCode::SERVICE_UNAVAILABLE,
            code: "draining",
            message: "this head-office process is shutting down: connect again".into(),
            limit: None,
        });
    }
    // This stream's generation: it ends any older stream of the register
    // (in any process: the database notifies the move), and is refused if
    // the token was replaced or revoked meanwhile.
    let opened = repo::registers::open_stream(&s.db, auth.id, &auth.token_hash)
        .await?
        .ok_or(HqError::Unauthorized)?;
    // Never from before the register's enrolment, whatever it asks for.
    let cursor = from_header
        .or(q.after)
        .unwrap_or(opened.cursor)
        .max(opened.floor);
    let ticket = s.streams.open(auth.id, opened.generation);
    // Joined before the backlog is read: rows after `live.seen` arrive
    // from the hub, those up to it are in the table.
    let live = s.hub.subscribe(&auth.location_id);
    tracing::info!(register = %auth.register_id, cursor, "event stream opened");
    let state = Reader {
        s: s.clone(),
        auth,
        cursor,
        backlog_to: live.seen,
        queue: VecDeque::new(),
        live,
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
    /// The last seq sent (or the register's cursor).
    cursor: i64,
    /// The backlog (rows up to it) still to read from the table.
    backlog_to: i64,
    queue: VecDeque<Arc<Item>>,
    live: Subscription,
    /// The next heartbeat: a fixed schedule, so neither other stores'
    /// events nor a busy store's can put it off.
    beat_at: Instant,
    /// Turns when a newer stream, a re-enrolment, a revocation or the
    /// process draining ends this one.
    ticket: Ticket,
    done: bool,
}

impl Reader {
    /// The next event or keep-alive; `None` ends the stream.
    async fn next(&mut self) -> Option<Event> {
        loop {
            // A closed switch (its server stopping) ends the stream too.
            if self.done || self.ticket.ended.has_changed().unwrap_or(true) {
                if !self.done {
                    tracing::info!(register = %self.auth.register_id, "event stream ended: replaced, re-enrolled, revoked or draining");
                }
                self.done = true;
                return None;
            }
            if Instant::now() >= self.beat_at {
                self.beat_at = Instant::now() + self.s.keep_alive;
                return Some(Event::default().comment("keep-alive"));
            }
            if let Some(item) = self.queue.pop_front() {
                if item.seq <= self.cursor {
                    continue;
                }
                self.cursor = item.seq;
                return Some(
                    Event::default()
                        .id(wire::event_id(item.seq))
                        .event(wire::EVENT_WEBHOOK)
                        .data(&item.data),
                );
            }
            if self.cursor < self.backlog_to {
                if let Err(e) = self.read_backlog().await {
                    // The register reconnects and resumes from its cursor.
                    tracing::info!(register = %self.auth.register_id, error = %e, "event stream ended: cannot read its backlog");
                    self.done = true;
                    return None;
                }
                continue;
            }
            tokio::select! {
                item = self.live.rx.recv() => match item {
                    Some(item) => self.queue.push_back(item),
                    None => {
                        // Fell behind, or the process drains.
                        self.done = true;
                        return None;
                    }
                },
                _ = tokio::time::sleep_until(self.beat_at) => {}
                _ = self.ticket.ended.changed() => {}
            }
        }
    }

    /// The next page of the rows stored before this stream joined the hub.
    async fn read_backlog(&mut self) -> Result<(), HqError> {
        let rows = repo::inbox::of_location(
            &self.s.db,
            &self.auth.location_id,
            self.cursor,
            self.backlog_to,
            PAGE,
        )
        .await?;
        if (rows.len() as i64) < PAGE {
            // Nothing more up to where the hub took over.
            self.backlog_to = self.cursor;
        }
        self.queue
            .extend(rows.into_iter().map(|(seq, body)| Item::new(seq, &body)));
        Ok(())
    }
}

/// `POST /api/register/events/ack`: the register has stored events up to
/// `cursor` in its own inbox. The cursor never moves back, nor past the
/// newest event (a cursor ahead of the inbox would hide events to come).
pub async fn ack(
    State(s): State<AppState>,
    auth: RegisterAuth,
    Json(a): Json<wire::EventAck>,
) -> Result<StatusCode, HqError> {
    repo::registers::ack(&s.db, auth.id, a.cursor).await?;
    Ok(StatusCode::NO_CONTENT)
}
