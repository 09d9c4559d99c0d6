//! Append-only, hash-chained journal. Every row commits to the previous
//! row's hash, and `journal_head` remembers the newest row, so editing,
//! deleting or truncating rows is detected by [`verify`]. What a row says
//! is a typed [`JournalEntry`] (see `entry.rs`); this module stores and
//! chains it, and reads a sale's rows back for its timeline.

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{AttemptId, ChainKey, JournalEntry, LedgerError, SaleId};

pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One journal row of a sale, for its detail timeline. Serialised as
/// `{"seq", "at", "attemptId", "kind", "payload"}` (see ui/README.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEntry {
    pub seq: i64,
    pub at: i64,
    pub attempt_id: Option<AttemptId>,
    /// What the row says: its `kind` and `payload`.
    #[serde(flatten)]
    pub entry: JournalEntry,
}

impl TimelineEntry {
    /// `sale.created`, `attempt.reserved`, `attempt.changed`,
    /// `refund.requested` or `refund.changed`.
    pub fn kind(&self) -> &'static str {
        self.entry.kind()
    }
}

/// The hash a journal row commits to: the chain's one rule, also used by
/// the head office to check the rows a register ships.
pub fn chain_hash(
    prev: &str,
    seq: i64,
    at: i64,
    kind: &str,
    sale: Option<i64>,
    attempt: Option<i64>,
    payload: &str,
) -> String {
    let mut h = Sha256::new();
    // Field separators plus explicit "-" for NULL keep the encoding unambiguous.
    let opt = |v: Option<i64>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
    h.update(
        format!(
            "{prev}\n{seq}\n{at}\n{kind}\n{}\n{}\n",
            opt(sale),
            opt(attempt)
        )
        .as_bytes(),
    );
    h.update(payload.as_bytes());
    hex::encode(h.finalize())
}

/// Appends inside the caller's transaction, so a state change and its
/// journal row commit together or not at all. The only way a row is
/// written.
pub(crate) fn append(
    tx: &Transaction<'_>,
    key: Option<&ChainKey>,
    at: i64,
    sale_id: Option<SaleId>,
    attempt_id: Option<AttemptId>,
    entry: &JournalEntry,
) -> Result<i64, LedgerError> {
    let head: Option<(i64, String)> = tx
        .query_row("SELECT seq, hash FROM journal_head WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let (prev_seq, prev_hash) = head.unwrap_or((0, GENESIS.to_owned()));
    let seq = prev_seq + 1;
    let kind = entry.kind();
    let payload = entry
        .payload_text()
        .map_err(|e| LedgerError::Corrupt(format!("{kind} entry cannot be written: {e}")))?;
    let hash = chain_hash(&prev_hash, seq, at, kind, sale_id, attempt_id, &payload);
    let mac = key.filter(|k| seq >= k.from).map(|k| k.sign(seq, &hash));
    tx.execute(
        "INSERT INTO journal (seq, at, kind, sale_id, attempt_id, payload, prev_hash, hash, mac)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![seq, at, kind, sale_id, attempt_id, payload, prev_hash, hash, mac],
    )?;
    tx.execute(
        "INSERT INTO journal_head (id, seq, hash) VALUES (1, ?1, ?2)
         ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        params![seq, hash],
    )?;
    Ok(seq)
}

/// Result of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalReport {
    pub rows: u64,
    /// The first row that does not fit the chain, if any.
    pub first_bad: Option<BadRow>,
}

impl JournalReport {
    pub fn is_intact(&self) -> bool {
        self.first_bad.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BadRow {
    pub seq: i64,
    pub reason: String,
}

fn broken(rows: u64, seq: i64, reason: String) -> JournalReport {
    JournalReport {
        rows,
        first_bad: Some(BadRow { seq, reason }),
    }
}

/// Checks the chain, and with `key` each row's signature from `key.from`
/// on. `signed`: the file has the `mac` column (schema v5).
pub(crate) fn verify(
    conn: &Connection,
    key: Option<&ChainKey>,
    signed: bool,
) -> Result<JournalReport, LedgerError> {
    let mac_col = if signed { "mac" } else { "NULL" };
    let mut stmt = conn.prepare(&format!(
        "SELECT seq, at, kind, sale_id, attempt_id, payload, prev_hash, hash, {mac_col}
         FROM journal ORDER BY seq"
    ))?;
    let mut rows = stmt.query([])?;
    let mut expected_prev = GENESIS.to_owned();
    let mut expected_seq = 1i64;
    let mut count = 0u64;
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let prev: String = r.get(6)?;
        let stored: String = r.get(7)?;
        if seq != expected_seq {
            return Ok(broken(
                count,
                expected_seq,
                format!("row {expected_seq} is missing (next row is {seq})"),
            ));
        }
        if prev != expected_prev {
            return Ok(broken(
                count,
                seq,
                "does not link to the previous row".into(),
            ));
        }
        let payload: String = r.get(5)?;
        let recomputed = chain_hash(
            &prev,
            seq,
            r.get(1)?,
            &r.get::<_, String>(2)?,
            r.get(3)?,
            r.get(4)?,
            &payload,
        );
        if recomputed != stored {
            return Ok(broken(
                count,
                seq,
                "content was changed after it was written".into(),
            ));
        }
        if let Some(k) = key.filter(|k| seq >= k.from) {
            let mac: Option<String> = r.get(8)?;
            if mac.as_deref() != Some(k.sign(seq, &stored).as_str()) {
                let why = if mac.is_none() {
                    "is not signed with the register's journal key: written outside EasyQR POS"
                } else {
                    "does not carry the register's signature: the journal was rewritten"
                };
                return Ok(broken(count, seq, why.into()));
            }
        }
        expected_prev = stored;
        expected_seq += 1;
        count += 1;
    }
    let head: Option<(i64, String)> = conn
        .query_row("SELECT seq, hash FROM journal_head WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let last_seq = expected_seq - 1;
    match head {
        None if count == 0 => {}
        None => {
            return Ok(broken(
                count,
                last_seq,
                "journal head record is missing".into(),
            ))
        }
        Some((seq, hash)) if seq != last_seq || hash != expected_prev => {
            return Ok(broken(
                count,
                last_seq + 1,
                format!("rows after {last_seq} were removed (head says {seq})"),
            ))
        }
        Some(_) => {}
    }
    Ok(JournalReport {
        rows: count,
        first_bad: None,
    })
}

/// A sale's rows, oldest first, read as typed entries.
pub(crate) fn sale_rows(
    conn: &Connection,
    sale_id: SaleId,
) -> Result<Vec<TimelineEntry>, LedgerError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, at, kind, attempt_id, payload FROM journal WHERE sale_id = ?1 ORDER BY seq",
    )?;
    let mut rows = stmt.query([sale_id])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let kind: String = r.get(2)?;
        let payload: String = r.get(4)?;
        out.push(TimelineEntry {
            seq,
            at: r.get(1)?,
            attempt_id: r.get(3)?,
            entry: JournalEntry::parse(&kind, &payload)
                .map_err(|e| LedgerError::Corrupt(format!("journal row {seq}: {e}")))?,
        });
    }
    Ok(out)
}
