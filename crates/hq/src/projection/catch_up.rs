//! Projecting a register's acknowledged rows in chunks: at most [`CHUNK`]
//! rows a transaction, each read, checked (`super::rules`) and applied in
//! seq order, and `projected_seq` moved in the same transaction, so a crash
//! resumes from the last chunk committed. Memory holds one chunk, never a
//! tail. One projector per register at a time (across HQ processes): a
//! transaction-scoped advisory lock, tried, never waited for: a batch that
//! finds its register being projected leaves its rows to that projector.
//! The register's row is locked only by the chunk's last statement, so a
//! batch of the register never waits for more than a commit.
//!
//! It stops at a row it cannot read (a newer register's kind: kept with
//! its reason in `projection_error`; later batches do not read it again,
//! the next HQ process tries once, so an upgraded HQ projects on) and at a
//! row that breaks the ledger's rules (`broken_*`: the register is flagged
//! and none of its figures count).

use deadpool_postgres::Transaction;
use easyqr_ledger::{JournalEntry, JournalRow};

use crate::db::Db;
use crate::error::HqError;

/// Rows projected per transaction.
pub const CHUNK: i64 = 1000;

/// Advisory lock class of a register's projection (the register's id is
/// the second key).
const LOCK_CLASS: i32 = 0x4851_5052; // "HQPR"

/// This process: a row it could not read is not read again by it.
fn run() -> i64 {
    static RUN: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *RUN.get_or_init(rand::random)
}

/// Rows wait to be projected (and may be, by this process, whose run is
/// the parameter `run`).
fn todo(run: &str) -> String {
    format!(
        "projected_seq < acked_seq AND broken_seq IS NULL
         AND (projection_error IS NULL OR projection_run IS DISTINCT FROM {run})"
    )
}

enum Step {
    /// A chunk was committed; there may be more.
    More,
    /// Nothing to do, or another projector holds the register.
    Stop,
    /// PostgreSQL refused row `.0` (why: `.1`); the chunk was rolled back
    /// and is projected again up to the row before it.
    Refused(i64, String),
}

/// Projects the register's acknowledged rows not projected yet, chunk by
/// chunk, until none is left, another projector has them, or a row stops
/// it. Cancel-safe: a chunk not committed is projected again.
pub async fn catch_up(db: &Db, register: i64) -> Result<(), HqError> {
    let mut refused = None;
    loop {
        match chunk(db, register, refused.take()).await? {
            Step::More => continue,
            Step::Refused(seq, why) => {
                refused = Some((seq, why));
                continue;
            }
            Step::Stop => {}
        }
        // Looked at after the lock is gone: a batch acknowledged while it
        // was held may have found this projector busy and left its rows.
        let c = db.get().await?;
        let todo = c
            .query_opt(
                &format!("SELECT 1 FROM registers WHERE id = $1 AND {}", todo("$2")),
                &[&register, &run()],
            )
            .await?
            .is_some();
        if !todo || held_elsewhere(&c, register).await? {
            return Ok(());
        }
    }
}

/// Whether another session projects the register now.
async fn held_elsewhere(c: &tokio_postgres::Client, register: i64) -> Result<bool, HqError> {
    Ok(c.query_one(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
             AND classid = $1::int::oid AND objid = ($2 % 2147483648)::oid AND objsubid = 2)",
        &[&LOCK_CLASS, &register],
    )
    .await?
    .get(0))
}

/// One chunk, in one transaction. `refused`: a row PostgreSQL refused in
/// this chunk before; it stops there as a row this HQ cannot read.
async fn chunk(db: &Db, register: i64, refused: Option<(i64, String)>) -> Result<Step, HqError> {
    let mut c = db.get().await?;
    let tx = c.transaction().await?;
    let mine: bool = tx
        .query_one(
            "SELECT pg_try_advisory_xact_lock($1, ($2 % 2147483648)::int)",
            &[&LOCK_CLASS, &register],
        )
        .await?
        .get(0);
    if !mine {
        return Ok(Step::Stop);
    }
    let Some(r) = tx
        .query_opt(
            &format!(
                "SELECT projected_seq, acked_seq FROM registers WHERE id = $1 AND {}",
                todo("$2")
            ),
            &[&register, &run()],
        )
        .await?
    else {
        return Ok(Step::Stop);
    };
    let (from, acked): (i64, i64) = (r.get(0), r.get(1));
    let mut to = acked.min(from + CHUNK);
    if let Some((seq, _)) = &refused {
        to = to.min(seq - 1);
    }
    let (last, mut stop) = project(&tx, register, from, to).await?;
    match (stop, refused) {
        // The transaction is aborted: roll it back, go again without the row.
        (Stopped::Refused(seq, why), None) => return Ok(Step::Refused(seq, why)),
        (Stopped::No, Some((_, why))) if last == to => stop = Stopped::Unreadable(why),
        (s, _) => stop = s,
    }
    let more = matches!(stop, Stopped::No);
    match &stop {
        Stopped::Unreadable(why) => {
            tracing::warn!(register, error = %why, "journal kept, not projected: this HQ cannot read it");
        }
        Stopped::Broken(seq, why) => {
            tracing::warn!(register, seq, reason = %why, "register journal breaks the ledger's rules");
        }
        Stopped::No | Stopped::Refused(..) => {}
    }
    let (unreadable, broken) = match stop {
        Stopped::No => (None, None),
        Stopped::Unreadable(why) | Stopped::Refused(_, why) => (Some(why), None),
        Stopped::Broken(seq, why) => (None, Some((seq, why))),
    };
    tx.execute(
        "UPDATE registers SET projected_seq = $2, projection_error = $3,
                projection_run = CASE WHEN $3::text IS NULL THEN NULL ELSE $4::bigint END,
                broken_seq = coalesce(broken_seq, $5), broken_reason = coalesce(broken_reason, $6),
                broken_at = CASE WHEN $5::bigint IS NULL THEN broken_at ELSE now() END
         WHERE id = $1",
        &[
            &register,
            &last,
            &unreadable,
            &run(),
            &broken.as_ref().map(|b| b.0),
            &broken.as_ref().map(|b| b.1.as_str()),
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(if more && last == to {
        Step::More
    } else {
        Step::Stop
    })
}

enum Stopped {
    No,
    /// This HQ cannot read the row: why.
    Unreadable(String),
    /// The row breaks the ledger's rules: (seq, why).
    Broken(i64, String),
    /// PostgreSQL refused to store what the row says (a NUL in a text, a
    /// number beyond a column's type): (seq, why). The transaction is
    /// aborted.
    Refused(i64, String),
}

/// A row's data PostgreSQL refuses (data exceptions, constraint
/// violations), as opposed to a database HQ cannot reach or a conflict
/// worth retrying.
fn refused_row(e: &HqError) -> Option<String> {
    let HqError::Db(e) = e else { return None };
    let db = e.as_db_error()?;
    let class = &db.code().code()[..2];
    (class == "22" || class == "23").then(|| db.message().to_owned())
}

/// Projects rows `from`+1..=`to`; the last one projected and why it
/// stopped before `to`, if it did.
async fn project(
    tx: &Transaction<'_>,
    register: i64,
    from: i64,
    to: i64,
) -> Result<(i64, Stopped), HqError> {
    let stmt = tx
        .prepare_cached(
            "SELECT seq, at, kind, sale_id, attempt_id, payload, prev_hash, hash
             FROM journal WHERE register = $1 AND seq > $2 AND seq <= $3 ORDER BY seq",
        )
        .await?;
    let rows = tx.query(&stmt, &[&register, &from, &to]).await?;
    let mut last = from;
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
        let entry = match JournalEntry::parse(&row.kind, &row.payload) {
            Ok(e) => e,
            Err(e) => {
                return Ok((
                    last,
                    Stopped::Unreadable(format!("journal row {}: {e}", row.seq)),
                ))
            }
        };
        if let Some(why) = super::rules::check(tx, register, &row, &entry).await? {
            return Ok((last, Stopped::Broken(row.seq, why)));
        }
        if let Err(e) = super::apply_entry(tx, register, &row, &entry).await {
            return match refused_row(&e) {
                Some(why) => Ok((
                    last,
                    Stopped::Refused(
                        row.seq,
                        format!("journal row {}: HQ cannot store it: {why}", row.seq),
                    ),
                )),
                None => Err(e),
            };
        }
        last = row.seq;
    }
    Ok((last, Stopped::No))
}

/// At start: every register left with rows to project (an HQ stopped
/// mid-way, or upgraded past a row its predecessor could not read) is
/// caught up, one after another, without waiting for its next batch.
pub async fn resume(db: Db) {
    let pending = match db.get().await {
        Ok(c) => c
            .query(
                &format!("SELECT id FROM registers WHERE {} ORDER BY id", todo("$1")),
                &[&run()],
            )
            .await
            .map_err(HqError::from),
        Err(e) => Err(e.into()),
    };
    let ids: Vec<i64> = match pending {
        Ok(rows) => rows.iter().map(|r| r.get(0)).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "projection not resumed at start; each register's next batch resumes it");
            return;
        }
    };
    for id in ids {
        if let Err(e) = catch_up(&db, id).await {
            tracing::warn!(register = id, error = %e, "projection not resumed; its next batch resumes it");
        }
    }
}
