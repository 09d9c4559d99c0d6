//! Journal heads: the chain's row count and hash at a moment, short enough
//! to print. Every Z report carries the head at its close; the ledger also
//! appends it to a file beside itself (`ledger.sqlite3.heads`). A history
//! rewritten after a close, or cut short with the tables put back, keeps a
//! valid chain but can no longer reach a head printed or recorded earlier.

use std::io::Write;

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use crate::{Ledger, LedgerError};

/// Hex digits of a printed head's hash (64 bits).
const PRINTED_HEX: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalHead {
    /// Rows in the journal then (the seq of its newest row).
    pub rows: i64,
    /// The newest row's hash (hex).
    pub hash: String,
    /// As printed: `ROWS-HASH16`.
    pub printed: String,
}

impl JournalHead {
    pub fn new(rows: i64, hash: String) -> JournalHead {
        let short: String = hash.chars().take(PRINTED_HEX).collect();
        JournalHead {
            printed: format!("{rows}-{short}"),
            rows,
            hash,
        }
    }

    /// Reads a printed head (`ROWS-HASH`, at least 8 hex digits).
    pub fn parse_printed(s: &str) -> Result<(i64, String), LedgerError> {
        let bad = || LedgerError::Invalid {
            field: "head",
            allowed:
                "a journal head as printed on a Z report: ROWS-HASH, e.g. 1234-9f3a2b1c4d5e6f70"
                    .into(),
        };
        let (rows, hash) = s.trim().split_once('-').ok_or_else(bad)?;
        let rows: i64 = rows.parse().map_err(|_| bad())?;
        let hash = hash.to_ascii_lowercase();
        if rows < 1 || hash.len() < 8 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Ok((rows, hash))
    }
}

/// What is wrong when the journal does not reach the head `rows`/`hash`
/// (a prefix of the hash is enough), or `None` when it does.
pub(crate) fn mismatch(
    conn: &Connection,
    rows: i64,
    hash: &str,
) -> Result<Option<String>, LedgerError> {
    let at: Option<String> = conn
        .query_row("SELECT hash FROM journal WHERE seq = ?1", [rows], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(match at {
        None => {
            let have: i64 =
                conn.query_row("SELECT coalesce(max(seq), 0) FROM journal", [], |r| {
                    r.get(0)
                })?;
            Some(format!(
                "the journal has {have} rows but reached {rows} before: its newest rows were removed"
            ))
        }
        Some(h) if !h.starts_with(hash) => Some(format!(
            "journal row {rows} is not the one recorded then ({}… instead of {}…): the history was rewritten",
            &h[..PRINTED_HEX.min(h.len())],
            &hash[..PRINTED_HEX.min(hash.len())]
        )),
        Some(_) => None,
    })
}

/// The journal's head now.
pub(crate) fn current(conn: &Connection) -> Result<Option<JournalHead>, LedgerError> {
    Ok(conn
        .query_row("SELECT seq, hash FROM journal_head WHERE id = 1", [], |r| {
            Ok(JournalHead::new(r.get(0)?, r.get(1)?))
        })
        .optional()?)
}

impl Ledger {
    /// The file beside the ledger where heads are recorded at each close.
    fn heads_file(&self) -> Option<std::path::PathBuf> {
        (self.path != ":memory:").then(|| format!("{}.heads", self.path).into())
    }

    /// Records a head beside the ledger (after a close). Best effort: the
    /// Z report is printed either way.
    pub(crate) fn record_head(&self, head: &JournalHead, at: i64) {
        let Some(path) = self.heads_file() else {
            return;
        };
        let line = format!("{} {} {at}\n", head.rows, head.hash);
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(line.as_bytes()).and_then(|()| f.sync_all()));
        if let Err(e) = written {
            tracing::error!(path = %path.display(), error = %e, "journal head not recorded");
        }
    }

    /// Checks the ledger against a head printed on a Z report: `None` when
    /// the journal still reaches it, else what is wrong.
    pub fn check_printed_head(&self, printed: &str) -> Result<Option<String>, LedgerError> {
        let (rows, hash) = JournalHead::parse_printed(printed)?;
        mismatch(&self.conn(), rows, &hash)
    }

    /// Checks the ledger against the newest head recorded beside it.
    pub fn check_recorded_heads(&self) -> Result<Option<String>, LedgerError> {
        let Some(path) = self.heads_file() else {
            return Ok(None);
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(LedgerError::Io {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })
            }
        };
        let Some((rows, hash)) = text.lines().rev().find_map(|l| {
            let mut parts = l.split(' ');
            Some((parts.next()?.parse::<i64>().ok()?, parts.next()?.to_owned()))
        }) else {
            return Ok(None);
        };
        mismatch(&self.conn(), rows, &hash)
    }
}
