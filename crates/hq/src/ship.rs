//! `POST /api/register/journal`: a register's journal rows, stored once by
//! (register, seq). Each row's hash is recomputed and must link to its
//! neighbours; a row HQ already holds must be the same row. A register
//! whose history no longer matches HQ's copy is flagged (and nothing more
//! of it is stored). Rows beyond a gap wait for it, at most [`BACKLOG_ROWS`]
//! rows or [`BACKLOG_BYTES`] of them per register (past that the batch is
//! refused, `409 backlog_full`, and nothing of it stored); the answer is
//! the highest seq held with no gap. Rows up to it are then projected in
//! chunks (`crate::projection::catch_up`), after the batch's own
//! transaction: a backlog never holds the register's row, and the answer
//! waits for the projection only a little.

use std::collections::{BTreeMap, HashMap};

use axum::extract::State;
use axum::Json;
use deadpool_postgres::Transaction;
use easyqr_ledger::wire;
/// The bodies, defined once for HQ and the register.
pub use easyqr_ledger::wire::{Batch, Diverged, ShipAnswer};
use easyqr_ledger::JournalRow;

use crate::auth::RegisterAuth;
use crate::db::Db;
use crate::error::HqError;
use crate::repo::journal;
use crate::repo::registers::progress as registers;
use crate::AppState;

pub const MAX_BATCH: usize = easyqr_ledger::BATCH_MAX_ROWS;
/// Rows a register may have stored beyond its acknowledged seq (waiting
/// for a gap below them to fill)...
pub const BACKLOG_ROWS: i64 = 5_000;
/// ... and their bytes (kind, payload and hashes as sent), whichever
/// limit comes first.
pub const BACKLOG_BYTES: i64 = 16 * 1024 * 1024;
/// How long a batch's answer waits for its projection before it goes
/// (the projection goes on): a register's usual batch is counted when its
/// answer arrives; a backlog never delays it.
pub const PROJECTION_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

pub async fn receive(
    State(s): State<AppState>,
    auth: RegisterAuth,
    Json(batch): Json<Batch>,
) -> Result<Json<ShipAnswer>, HqError> {
    let answer = store(&s.db, auth.id, &batch).await?;
    s.metrics.ingest_rows.add(batch.rows.len() as u64);
    if let Some(d) = &answer.diverged {
        tracing::warn!(register = %auth.register_id, seq = d.seq, reason = %d.reason, "register journal diverged");
    }
    // Its own task: a register that hangs up does not stop it mid-chunk.
    let (db, id) = (s.db.clone(), auth.id);
    let projection = tokio::spawn(async move {
        if let Err(e) = crate::projection::catch_up(&db, id).await {
            tracing::warn!(register = id, error = %e, "projection stopped; the next batch resumes it");
        }
    });
    let _ = tokio::time::timeout(PROJECTION_WAIT, projection).await;
    Ok(Json(answer))
}

fn check(batch: &Batch) -> Result<(), HqError> {
    if batch.rows.len() > MAX_BATCH {
        return Err(HqError::Invalid(format!(
            "rows: at most {MAX_BATCH} per batch (got {})",
            batch.rows.len()
        )));
    }
    if let Some(r) = batch.rows.iter().find(|r| r.seq < 1) {
        return Err(HqError::Invalid(format!(
            "rows: seq starts at 1 (got {})",
            r.seq
        )));
    }
    Ok(())
}

/// The first contradiction between the batch and what HQ holds, if any.
fn contradiction(
    rows: &BTreeMap<i64, &JournalRow>,
    held: &mut HashMap<i64, (String, String)>,
) -> Option<Diverged> {
    let bad = |seq, reason: String| Some(Diverged { seq, reason });
    for (&seq, r) in rows {
        if !r.hash_holds() {
            return bad(seq, format!("row {seq}'s content does not match its hash"));
        }
        if let Some((_, hash)) = held.get(&seq) {
            if *hash != r.hash {
                return bad(
                    seq,
                    format!("row {seq} differs from the copy HQ holds: the history was rewritten"),
                );
            }
        }
        let prev = if seq == 1 {
            Some(JournalRow::genesis().to_owned())
        } else {
            held.get(&(seq - 1)).map(|(_, h)| h.clone())
        };
        if prev.is_some_and(|p| p != r.prev_hash) {
            return bad(seq, format!("row {seq} does not link to row {}", seq - 1));
        }
        if let Some((next_prev, _)) = held.get(&(seq + 1)) {
            if *next_prev != r.hash {
                return bad(
                    seq + 1,
                    format!("row {} does not link to row {seq}", seq + 1),
                );
            }
        }
        held.insert(seq, (r.prev_hash.clone(), r.hash.clone()));
    }
    None
}

/// A register that holds fewer rows than HQ told it HQ holds: its ledger
/// was put back from an older copy (or replaced), and the rows after its
/// head are gone from it. Only the register's own word counts: a batch
/// that is merely old (replayed, or overtaken in flight by a newer one)
/// was built when HQ had acknowledged no more than its head, and is not
/// a sign of anything. HQ must still hold those rows (`acked`).
fn shorter(batch: &Batch, acked: i64) -> Option<Diverged> {
    let held = batch.acked_seen.min(acked);
    (batch.head < held).then(|| Diverged {
        seq: batch.head + 1,
        reason: format!(
            "the register's journal ends at row {}, but HQ holds {held} rows of it: its ledger was replaced or put back from an older copy",
            batch.head
        ),
    })
}

/// Records the divergence (nothing of the batch is stored) and answers it.
async fn flag(
    tx: Transaction<'_>,
    register: i64,
    acked: i64,
    d: Diverged,
) -> Result<ShipAnswer, HqError> {
    registers::flag_diverged(&tx, register, &d).await?;
    tx.commit().await?;
    Ok(ShipAnswer {
        acked,
        diverged: Some(d),
    })
}

/// Stores the batch and projects what it acknowledged, to the end (or
/// leaves it to the projector already at work on the register).
pub async fn ingest(db: &Db, register: i64, batch: &Batch) -> Result<ShipAnswer, HqError> {
    let answer = store(db, register, batch).await?;
    crate::projection::catch_up(db, register).await?;
    Ok(answer)
}

/// Stores the batch (one short transaction under the register's row lock)
/// and answers what HQ now acknowledges; projects nothing.
pub async fn store(db: &Db, register: i64, batch: &Batch) -> Result<ShipAnswer, HqError> {
    check(batch)?;
    let mut c = db.get().await?;
    let tx = c.transaction().await?;
    // One batch of a register at a time.
    let (acked, diverged) = registers::lock_for_batch(&tx, register).await?;
    registers::note_head(&tx, register, batch.head).await?;
    if let Some(d) = diverged {
        tx.commit().await?;
        return Ok(ShipAnswer {
            acked,
            diverged: Some(d),
        });
    }
    let rows: BTreeMap<i64, &JournalRow> = batch.rows.iter().map(|r| (r.seq, r)).collect();
    if let Some(d) = shorter(batch, acked) {
        return flag(tx, register, acked, d).await;
    }
    let near: Vec<i64> = rows.keys().flat_map(|&s| [s - 1, s, s + 1]).collect();
    let mut held = journal::hashes_at(&tx, register, &near).await?;
    let already: Vec<i64> = rows
        .keys()
        .filter(|s| held.contains_key(s))
        .copied()
        .collect();
    if let Some(d) = contradiction(&rows, &mut held) {
        return flag(tx, register, acked, d).await;
    }
    let fresh: Vec<&JournalRow> = rows
        .values()
        .filter(|r| !already.contains(&r.seq))
        .copied()
        .collect();
    journal::insert(&tx, register, &fresh).await?;
    let acked = journal::contiguous_from(&tx, register, acked).await?;
    if !fresh.is_empty() {
        // Dropping `tx` rolls the batch back: nothing of it is stored.
        backlog_within_limits(&tx, register, acked).await?;
    }
    registers::set_acked(&tx, register, acked).await?;
    tx.commit().await?;
    Ok(ShipAnswer {
        acked,
        diverged: None,
    })
}

/// `409 backlog_full` when the rows stored beyond `acked` pass either
/// limit. A batch that fills the gap moves `acked` first, so it is taken.
async fn backlog_within_limits(
    tx: &Transaction<'_>,
    register: i64,
    acked: i64,
) -> Result<(), HqError> {
    let (rows, bytes) = journal::beyond(tx, register, acked).await?;
    let (name, limit) = if rows > BACKLOG_ROWS {
        (wire::LIMIT_ROWS, BACKLOG_ROWS)
    } else if bytes > BACKLOG_BYTES {
        (wire::LIMIT_BYTES, BACKLOG_BYTES)
    } else {
        return Ok(());
    };
    Err(HqError::Limit {
        status: axum::http::StatusCode::CONFLICT,
        code: "backlog_full",
        message: format!(
            "rows: at most {BACKLOG_ROWS} rows ({BACKLOG_BYTES} bytes) may wait beyond the \
             acknowledged row {acked}; send row {} first",
            acked + 1
        ),
        limit: Some((name, u64::try_from(limit).unwrap_or(u64::MAX))),
    })
}
