//! `POST /api/register/journal`: a register's journal rows, stored once by
//! (register, seq). Each row's hash is recomputed and must link to its
//! neighbours; a row HQ already holds must be the same row. A register
//! whose history no longer matches HQ's copy is flagged (and nothing more
//! of it is stored). Rows beyond a gap wait for it; the answer is the
//! highest seq held with no gap, and rows up to it are projected (up to
//! the first one this HQ cannot read: a newer register's kind waits for
//! an upgraded HQ, kept all the same).

use std::collections::{BTreeMap, HashMap};

use axum::extract::State;
use axum::Json;
use deadpool_postgres::Transaction;
use easyqr_ledger::JournalRow;
use serde::{Deserialize, Serialize};

use crate::auth::RegisterAuth;
use crate::db::Db;
use crate::error::HqError;
use crate::AppState;

pub const MAX_BATCH: usize = 500;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Batch {
    /// The register's newest seq.
    pub head: i64,
    /// What HQ had acknowledged when the register built the batch (from
    /// `/me` or HQ's last answer); 0 when it did not know.
    #[serde(default)]
    pub acked_seen: i64,
    pub rows: Vec<JournalRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Divergence {
    pub seq: i64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipAnswer {
    pub acked: i64,
    pub diverged: Option<Divergence>,
}

pub async fn receive(
    State(s): State<AppState>,
    auth: RegisterAuth,
    Json(batch): Json<Batch>,
) -> Result<Json<ShipAnswer>, HqError> {
    let answer = ingest(&s.db, auth.id, &batch).await?;
    if let Some(d) = &answer.diverged {
        tracing::warn!(register = %auth.register_id, seq = d.seq, reason = %d.reason, "register journal diverged");
    }
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
) -> Option<Divergence> {
    let bad = |seq, reason: String| Some(Divergence { seq, reason });
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
fn shorter(batch: &Batch, acked: i64) -> Option<Divergence> {
    let held = batch.acked_seen.min(acked);
    (batch.head < held).then(|| Divergence {
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
    d: Divergence,
) -> Result<ShipAnswer, HqError> {
    tx.execute(
        "UPDATE registers SET diverged_seq = $2, diverged_reason = $3, diverged_at = now()
         WHERE id = $1",
        &[&register, &d.seq, &d.reason],
    )
    .await?;
    tx.commit().await?;
    Ok(ShipAnswer {
        acked,
        diverged: Some(d),
    })
}

pub async fn ingest(db: &Db, register: i64, batch: &Batch) -> Result<ShipAnswer, HqError> {
    check(batch)?;
    let mut c = db.get().await?;
    let tx = c.transaction().await?;
    // One batch of a register at a time.
    let reg = tx
        .query_one(
            "SELECT acked_seq, projected_seq, diverged_seq, diverged_reason
             FROM registers WHERE id = $1 FOR UPDATE",
            &[&register],
        )
        .await?;
    let (acked, projected): (i64, i64) = (reg.get(0), reg.get(1));
    tx.execute(
        "UPDATE registers SET head_seq = greatest(head_seq, $2), last_seen = now() WHERE id = $1",
        &[&register, &batch.head],
    )
    .await?;
    if let Some(seq) = reg.get::<_, Option<i64>>(2) {
        tx.commit().await?;
        let reason = reg.get(3);
        return Ok(ShipAnswer {
            acked,
            diverged: Some(Divergence { seq, reason }),
        });
    }
    let rows: BTreeMap<i64, &JournalRow> = batch.rows.iter().map(|r| (r.seq, r)).collect();
    if let Some(d) = shorter(batch, acked) {
        return flag(tx, register, acked, d).await;
    }
    let near: Vec<i64> = rows.keys().flat_map(|&s| [s - 1, s, s + 1]).collect();
    let mut held: HashMap<i64, (String, String)> = tx
        .query(
            "SELECT seq, prev_hash, hash FROM journal WHERE register = $1 AND seq = ANY($2)",
            &[&register, &near],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect();
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
    insert(&tx, register, &fresh).await?;
    let acked = contiguous_from(&tx, register, acked).await?;
    let (projected, unreadable) = if acked > projected {
        project(&tx, register, projected, acked).await?
    } else {
        (projected, None)
    };
    if let Some(e) = &unreadable {
        tracing::warn!(register, error = %e, "journal kept, not projected: this HQ cannot read it");
    }
    tx.execute(
        "UPDATE registers SET acked_seq = $2, projected_seq = $3, projection_error = $4
         WHERE id = $1",
        &[&register, &acked, &projected, &unreadable],
    )
    .await?;
    tx.commit().await?;
    Ok(ShipAnswer {
        acked,
        diverged: None,
    })
}

async fn insert(tx: &Transaction<'_>, register: i64, rows: &[&JournalRow]) -> Result<(), HqError> {
    if rows.is_empty() {
        return Ok(());
    }
    let col = |f: fn(&JournalRow) -> i64| rows.iter().map(|r| f(r)).collect::<Vec<i64>>();
    let opt = |f: fn(&JournalRow) -> Option<i64>| rows.iter().map(|r| f(r)).collect::<Vec<_>>();
    let text = |f: fn(&JournalRow) -> &str| rows.iter().map(|r| f(r)).collect::<Vec<&str>>();
    tx.execute(
        "INSERT INTO journal (register, seq, at, kind, sale_id, attempt_id, payload, prev_hash, hash)
         SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::bigint[],
                                  $6::bigint[], $7::text[], $8::text[], $9::text[])",
        &[
            &register,
            &col(|r| r.seq),
            &col(|r| r.at),
            &text(|r| &r.kind),
            &opt(|r| r.sale_id),
            &opt(|r| r.attempt_id),
            &text(|r| &r.payload),
            &text(|r| &r.prev_hash),
            &text(|r| &r.hash),
        ],
    )
    .await?;
    Ok(())
}

/// The highest seq from `acked` on with no gap below it.
async fn contiguous_from(tx: &Transaction<'_>, register: i64, acked: i64) -> Result<i64, HqError> {
    let mut top = acked;
    loop {
        let seqs = tx
            .query(
                "SELECT seq FROM journal WHERE register = $1 AND seq > $2 ORDER BY seq LIMIT 1000",
                &[&register, &top],
            )
            .await?;
        let n = seqs.len();
        for r in &seqs {
            let s: i64 = r.get(0);
            if s != top + 1 {
                return Ok(top);
            }
            top = s;
        }
        if n < 1000 {
            return Ok(top);
        }
    }
}

/// Projects rows `from`+1..=`to` in order; answers the last one projected
/// and, when it stopped early, why: a row this HQ cannot read (a kind a
/// newer register writes) waits, with every row after it, for an upgraded
/// HQ; the copy itself is kept either way.
async fn project(
    tx: &Transaction<'_>,
    register: i64,
    from: i64,
    to: i64,
) -> Result<(i64, Option<String>), HqError> {
    let rows = tx
        .query(
            "SELECT seq, at, kind, sale_id, attempt_id, payload, prev_hash, hash
             FROM journal WHERE register = $1 AND seq > $2 AND seq <= $3 ORDER BY seq",
            &[&register, &from, &to],
        )
        .await?;
    for r in rows {
        let row = JournalRow {
            seq: r.get(0),
            at: r.get(1),
            kind: r.get(2),
            sale_id: r.get(3),
            attempt_id: r.get(4),
            payload: r.get(5),
            prev_hash: r.get(6),
            hash: r.get(7),
        };
        let seq = row.seq;
        match crate::projection::apply(tx, register, &row).await {
            Ok(()) => {}
            // Refused before any SQL ran: the transaction is still good.
            Err(HqError::Invalid(why)) => return Ok((seq - 1, Some(why))),
            Err(e) => return Err(e),
        }
    }
    Ok((to, None))
}
