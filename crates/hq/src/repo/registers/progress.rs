//! The `registers` table's record of a register's journal: how far HQ
//! holds it with no gap, how far the register says it goes, and whether
//! its history diverged from HQ's copy.

use deadpool_postgres::Transaction;
use easyqr_ledger::wire::Diverged;

use crate::db::Db;
use crate::error::HqError;

/// Where a register stands, as `GET /api/register/me` tells it.
#[derive(Debug)]
pub struct Standing {
    /// The highest journal seq HQ holds with no gap.
    pub acked_seq: i64,
    /// The last event seq it acknowledged.
    pub event_cursor: i64,
    pub diverged: Option<Diverged>,
    /// A row that breaks the ledger's rules, if one does.
    pub broken: Option<Diverged>,
}

/// Register `id`'s standing.
pub async fn standing(db: &Db, id: i64) -> Result<Standing, HqError> {
    let c = db.get().await?;
    let find = c
        .prepare_cached(
            "SELECT acked_seq, event_cursor, diverged_seq, diverged_reason, broken_seq, broken_reason
             FROM registers WHERE id = $1",
        )
        .await?;
    let r = c.query_one(&find, &[&id]).await?;
    Ok(Standing {
        acked_seq: r.get(0),
        event_cursor: r.get(1),
        diverged: r.get::<_, Option<i64>>(2).map(|seq| Diverged {
            seq,
            reason: r.get(3),
        }),
        broken: r.get::<_, Option<i64>>(4).map(|seq| Diverged {
            seq,
            reason: r.get(5),
        }),
    })
}

/// Locks register `id`'s row until `tx` ends (one batch of a register at
/// a time) and answers its acknowledged seq and its divergence, if any.
pub async fn lock_for_batch(
    tx: &Transaction<'_>,
    id: i64,
) -> Result<(i64, Option<Diverged>), HqError> {
    let lock = tx
        .prepare_cached(
            "SELECT acked_seq, diverged_seq, diverged_reason
             FROM registers WHERE id = $1 FOR UPDATE",
        )
        .await?;
    let r = tx.query_one(&lock, &[&id]).await?;
    let diverged = r.get::<_, Option<i64>>(1).map(|seq| Diverged {
        seq,
        reason: r.get(2),
    });
    Ok((r.get(0), diverged))
}

/// Notes the head the register reports (never lowering it), and that it
/// was seen now.
pub async fn note_head(tx: &Transaction<'_>, id: i64, head: i64) -> Result<(), HqError> {
    let note = tx
        .prepare_cached(
            "UPDATE registers SET head_seq = greatest(head_seq, $2), last_seen = now() WHERE id = $1",
        )
        .await?;
    tx.execute(&note, &[&id, &head]).await?;
    Ok(())
}

/// Records that register `id`'s history diverged from HQ's copy.
pub async fn flag_diverged(tx: &Transaction<'_>, id: i64, d: &Diverged) -> Result<(), HqError> {
    let flag = tx
        .prepare_cached(
            "UPDATE registers SET diverged_seq = $2, diverged_reason = $3, diverged_at = now()
             WHERE id = $1",
        )
        .await?;
    tx.execute(&flag, &[&id, &d.seq, &d.reason]).await?;
    Ok(())
}

/// Sets the highest seq HQ holds of register `id`'s journal with no gap.
pub async fn set_acked(tx: &Transaction<'_>, id: i64, acked: i64) -> Result<(), HqError> {
    let set = tx
        .prepare_cached("UPDATE registers SET acked_seq = $2 WHERE id = $1")
        .await?;
    tx.execute(&set, &[&id, &acked]).await?;
    Ok(())
}
