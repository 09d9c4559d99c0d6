//! The `journal` table: each register's journal rows as it shipped them,
//! stored once by (register, seq). These run inside the batch's own
//! transaction, under the register's row lock
//! ([`super::registers::progress::lock_for_batch`]).

use std::collections::HashMap;

use deadpool_postgres::Transaction;
use easyqr_ledger::JournalRow;

use crate::error::HqError;

/// The `(prev_hash, hash)` of register `register`'s rows at `seqs` that
/// HQ holds, by seq.
pub async fn hashes_at(
    tx: &Transaction<'_>,
    register: i64,
    seqs: &[i64],
) -> Result<HashMap<i64, (String, String)>, HqError> {
    let find = tx
        .prepare_cached(
            "SELECT seq, prev_hash, hash FROM journal WHERE register = $1 AND seq = ANY($2)",
        )
        .await?;
    Ok(tx
        .query(&find, &[&register, &seqs])
        .await?
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect())
}

/// Stores `rows` of register `register` (none of them held yet), in one
/// statement.
pub async fn insert(
    tx: &Transaction<'_>,
    register: i64,
    rows: &[&JournalRow],
) -> Result<(), HqError> {
    if rows.is_empty() {
        return Ok(());
    }
    let col = |f: fn(&JournalRow) -> i64| rows.iter().map(|r| f(r)).collect::<Vec<i64>>();
    let opt = |f: fn(&JournalRow) -> Option<i64>| rows.iter().map(|r| f(r)).collect::<Vec<_>>();
    let text = |f: fn(&JournalRow) -> &str| rows.iter().map(|r| f(r)).collect::<Vec<&str>>();
    let insert = tx
        .prepare_cached(
            "INSERT INTO journal (register, seq, at, kind, sale_id, attempt_id, payload, prev_hash, hash)
             SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::bigint[],
                                      $6::bigint[], $7::text[], $8::text[], $9::text[])",
        )
        .await?;
    tx.execute(
        &insert,
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

/// The highest seq of register `register` from `acked` on with no gap
/// below it, read a page at a time.
pub async fn contiguous_from(
    tx: &Transaction<'_>,
    register: i64,
    acked: i64,
) -> Result<i64, HqError> {
    let page = tx
        .prepare_cached(
            "SELECT seq FROM journal WHERE register = $1 AND seq > $2 ORDER BY seq LIMIT 1000",
        )
        .await?;
    let mut top = acked;
    loop {
        let seqs = tx.query(&page, &[&register, &top]).await?;
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

/// How many rows of register `register` HQ holds after `after`, and their
/// bytes (kind, payload and hashes as sent).
pub async fn beyond(
    tx: &Transaction<'_>,
    register: i64,
    after: i64,
) -> Result<(i64, i64), HqError> {
    let count = tx
        .prepare_cached(
            "SELECT count(*), coalesce(sum(octet_length(kind) + octet_length(payload)
                                          + octet_length(prev_hash) + octet_length(hash)), 0)::bigint
             FROM journal WHERE register = $1 AND seq > $2",
        )
        .await?;
    let r = tx.query_one(&count, &[&register, &after]).await?;
    Ok((r.get(0), r.get(1)))
}
