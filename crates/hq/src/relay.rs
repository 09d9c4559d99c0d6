//! The process's one reader of the inbox. On its own LISTENing connection
//! ([`crate::db::notify`]) it wakes on the database's notifications (a new
//! inbox row from any HQ process, a stream generation moved), on this
//! process's own webhooks, and on a periodic sweep (the safety net); it
//! reads the rows after the last it saw, once, on statements prepared once
//! per connection, and hands them to the [`Hub`]. The same sweep ends
//! outdated streams and marks the open streams' registers as seen.
//!
//! During a database outage the relay alone backs off and retries: streams
//! keep beating without touching the database, and the log has one line
//! when the listener is lost and one when it is back. On reconnecting it
//! reads on from the last seq it saw, so nothing stored meanwhile is lost.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio_postgres::Client;

use crate::db::notify::{self, Note};
use crate::db::Target;
use crate::error::HqError;
use crate::hub::Hub;
use crate::listen::stopped;
use crate::repo;
use crate::streams::Streams;

/// The safety net's period: a row or generation whose note was lost is
/// relayed within this.
pub const SWEEP_EVERY: Duration = Duration::from_secs(5);
/// How often the open streams' registers are marked as seen.
pub const MARK_EVERY: Duration = Duration::from_secs(15);
const INBOX_CHANNEL: &str = "easyqr_inbox";
const STREAMS_CHANNEL: &str = "easyqr_streams";
/// Rows read per statement while catching up.
const PAGE: i64 = 1000;
const BACKOFF_MIN: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(10);

/// Why a listener session ended.
#[derive(Debug, thiserror::Error)]
enum Lost {
    #[error(transparent)]
    Db(#[from] HqError),
    #[error("its connection closed")]
    Closed,
}

impl From<tokio_postgres::Error> for Lost {
    fn from(e: tokio_postgres::Error) -> Lost {
        Lost::Db(e.into())
    }
}

/// What `/readyz` and `/metrics` read.
#[derive(Debug, Default)]
pub struct RelayStatus {
    /// The listener is connected and LISTENing.
    pub listening: AtomicBool,
    /// From an event's commit to its hand-out, for the newest read, in
    /// microseconds.
    pub lag_micros: AtomicU64,
}

#[derive(Debug)]
pub struct Relay {
    pub target: Target,
    pub hub: Arc<Hub>,
    pub streams: Arc<Streams>,
    /// This process's webhooks: read at once, without waiting for the note.
    pub wake: watch::Receiver<i64>,
    /// How often the open streams' registers are marked as seen.
    pub mark_every: Duration,
    /// The safety net's period ([`SWEEP_EVERY`]).
    pub sweep_every: Duration,
    pub status: Arc<RelayStatus>,
    /// Turns true when the process drains.
    pub stop: watch::Receiver<bool>,
}

/// The statements of one listener connection.
struct Session {
    client: Client,
    read: repo::inbox::After,
    registers: repo::registers::Streaming,
}

impl Relay {
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run())
    }

    async fn run(mut self) {
        let mut backoff = BACKOFF_MIN;
        let mut lost = false;
        loop {
            let ended = self.session(&mut lost, &mut backoff).await;
            self.status.listening.store(false, Ordering::Relaxed);
            match ended {
                Ok(()) => return,
                Err(e) => {
                    if !lost {
                        lost = true;
                        tracing::warn!(error = %e, "database listener lost: event streams stay open and get what was stored meanwhile once it is back; retrying");
                    }
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                () = stopped(&mut self.stop) => return,
            }
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    }

    /// One listener connection's life: `Ok` when the process drains.
    async fn session(&mut self, lost: &mut bool, backoff: &mut Duration) -> Result<(), Lost> {
        let mut l = notify::listen(&self.target, &[INBOX_CHANNEL, STREAMS_CHANNEL]).await?;
        let s = Session {
            read: repo::inbox::After::prepare(&l.client).await?,
            registers: repo::registers::Streaming::prepare(&l.client).await?,
            client: l.client,
        };
        // Whatever was stored or moved while nobody listened.
        let caught_up = self.catch_up(&s).await?;
        self.sweep_streams(&s).await?;
        self.status.listening.store(true, Ordering::Relaxed);
        *backoff = BACKOFF_MIN;
        if std::mem::take(lost) {
            tracing::info!(
                caught_up,
                "database listener back: events stored meanwhile relayed"
            );
        }
        let mut sweep = tokio::time::interval(self.sweep_every);
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut mark = tokio::time::interval(self.mark_every);
        mark.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                note = l.notes.recv() => match note {
                    Some(n) => self.on_note(&s, n).await?,
                    None => return Err(Lost::Closed),
                },
                changed = self.wake.changed() => {
                    if changed.is_err() {
                        return Ok(());
                    }
                    if *self.wake.borrow_and_update() > self.hub.seen() {
                        self.catch_up(&s).await?;
                    }
                }
                _ = sweep.tick() => {
                    self.catch_up(&s).await?;
                    self.sweep_streams(&s).await?;
                }
                _ = mark.tick() => self.mark_seen(&s).await?,
                () = stopped(&mut self.stop) => return Ok(()),
            }
        }
    }

    async fn on_note(&self, s: &Session, n: Note) -> Result<(), HqError> {
        if n.channel == INBOX_CHANNEL {
            // Several notes are read by one statement: skip the covered.
            let seq = n.payload.parse::<i64>().unwrap_or(i64::MAX);
            if seq > self.hub.seen() {
                self.catch_up(s).await?;
            }
        } else if let Some((id, generation)) = n
            .payload
            .split_once(':')
            .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
        {
            self.streams.end_older(id, generation);
        }
        Ok(())
    }

    /// Reads every row after the hub's last and hands them out; answers
    /// how many it read.
    async fn catch_up(&self, s: &Session) -> Result<usize, HqError> {
        let mut total = 0;
        loop {
            let after = self.hub.seen();
            let rows = s.read.read(&s.client, after, PAGE).await?;
            let n = rows.len();
            if let Some(last) = rows.last() {
                self.status
                    .lag_micros
                    .store((last.age_secs.max(0.0) * 1e6) as u64, Ordering::Relaxed);
            }
            self.hub
                .dispatch(rows.into_iter().map(|r| (r.seq, r.location_id, r.body)));
            total += n;
            if n < PAGE as usize {
                return Ok(total);
            }
        }
    }

    /// Ends the streams whose register moved on (a note lost while the
    /// listener was down).
    async fn sweep_streams(&self, s: &Session) -> Result<(), HqError> {
        let ids = self.streams.ids();
        if ids.is_empty() {
            return Ok(());
        }
        let current = s.registers.generations(&s.client, &ids).await?;
        let ended = self.streams.end_outdated(&ids, &current);
        if ended > 0 {
            tracing::info!(
                ended,
                "event streams ended: replaced, re-enrolled or revoked"
            );
        }
        Ok(())
    }

    /// The view's "online": every open stream's register, in one statement.
    async fn mark_seen(&self, s: &Session) -> Result<(), HqError> {
        let ids = self.streams.ids();
        if !ids.is_empty() {
            // Each row about every other tick: well inside the view's 40 s
            // "online", at half the writes.
            let older_than = self.mark_every * 4 / 3;
            s.registers.mark_seen(&s.client, &ids, older_than).await?;
        }
        Ok(())
    }
}
