//! The `registers` table: its statements for the event streams here;
//! enrolment and token lookup in [`enrolment`], the journal's progress
//! in [`progress`].

pub mod enrolment;
pub mod progress;

use std::collections::HashMap;
use std::time::Duration;

use tokio_postgres::{Client, Statement};

use crate::db::Db;
use crate::error::HqError;

/// A register's stream as it opens.
#[derive(Debug)]
pub struct Opened {
    /// The stream's generation: it ends any older one.
    pub generation: i64,
    /// The lowest cursor it may ask for (its enrolment).
    pub floor: i64,
    /// The last seq it acknowledged.
    pub cursor: i64,
}

/// Takes the next stream generation of register `id` if `token_hash` is
/// still its live token (the database notifies every process of the move,
/// migration 0009); `None` if replaced or revoked meanwhile.
pub async fn open_stream(db: &Db, id: i64, token_hash: &[u8]) -> Result<Option<Opened>, HqError> {
    let c = db.get().await?;
    let open = c
        .prepare_cached(
            "UPDATE registers SET stream_gen = stream_gen + 1
             WHERE id = $1 AND token_hash = $2 AND revoked_at IS NULL
             RETURNING stream_gen, stream_floor, event_cursor",
        )
        .await?;
    Ok(c.query_opt(&open, &[&id, &token_hash])
        .await?
        .map(|r| Opened {
            generation: r.get(0),
            floor: r.get(1),
            cursor: r.get(2),
        }))
}

/// Moves register `id`'s acknowledged cursor to `cursor`: never back, nor
/// past the newest event (a cursor ahead of the inbox would hide events
/// to come).
pub async fn ack(db: &Db, id: i64, cursor: i64) -> Result<(), HqError> {
    let c = db.get().await?;
    let ack = c
        .prepare_cached(
            "UPDATE registers SET event_cursor = greatest(event_cursor,
                 least($2, (SELECT coalesce(max(seq), 0) FROM inbox)))
             WHERE id = $1",
        )
        .await?;
    c.execute(&ack, &[&id, &cursor]).await?;
    Ok(())
}

/// The relay's statements on the registers of its open streams, prepared
/// once on its own connection.
#[derive(Debug)]
pub struct Streaming {
    generations: Statement,
    mark_seen: Statement,
}

impl Streaming {
    pub async fn prepare(c: &Client) -> Result<Streaming, HqError> {
        Ok(Streaming {
            generations: c
                .prepare("SELECT id, stream_gen FROM registers WHERE id = ANY($1)")
                .await?,
            mark_seen: c
                .prepare(
                    "UPDATE registers SET last_seen = now()
                     WHERE id = ANY($1)
                       AND coalesce(last_seen < now() - $2::float8 * interval '1 s', true)",
                )
                .await?,
        })
    }

    /// Each register's stream generation (a missing one is gone).
    pub async fn generations(&self, c: &Client, ids: &[i64]) -> Result<HashMap<i64, i64>, HqError> {
        let rows = c.query(&self.generations, &[&ids]).await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// Marks the registers as seen now, those not seen for `older_than`.
    pub async fn mark_seen(
        &self,
        c: &Client,
        ids: &[i64],
        older_than: Duration,
    ) -> Result<(), HqError> {
        c.execute(&self.mark_seen, &[&ids, &older_than.as_secs_f64()])
            .await?;
        Ok(())
    }
}
