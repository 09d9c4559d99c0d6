//! Journal rows as they are shipped to the head office: exactly the stored
//! columns (the hash covers the stored text), read in `seq` order. The
//! bodies that carry them are in [`crate::wire`].

use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

use crate::journal::{chain_hash, GENESIS};
use crate::{Ledger, LedgerError};

/// The most one batch of journal rows to the head office may hold, in rows
/// and in bytes of its JSON body: the register sizes its batches by these,
/// and HQ refuses a larger one (docs/HQ-PROTOCOL.md).
pub const BATCH_MAX_ROWS: usize = 500;
pub const BATCH_MAX_BYTES: usize = 1024 * 1024;

/// One stored journal row. Serialised as
/// `{"seq","at","kind","saleId","attemptId","payload","prevHash","hash"}`
/// (docs/HQ-PROTOCOL.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalRow {
    pub seq: i64,
    pub at: i64,
    pub kind: String,
    pub sale_id: Option<i64>,
    pub attempt_id: Option<i64>,
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
}

impl JournalRow {
    /// What the row's content and `prev_hash` hash to.
    pub fn content_hash(&self) -> String {
        chain_hash(
            &self.prev_hash,
            self.seq,
            self.at,
            &self.kind,
            self.sale_id,
            self.attempt_id,
            &self.payload,
        )
    }

    /// Whether `hash` is what the row's content and `prev_hash` hash to.
    pub fn hash_holds(&self) -> bool {
        self.content_hash() == self.hash
    }

    /// The `prev_hash` of the chain's first row.
    pub fn genesis() -> &'static str {
        GENESIS
    }
}

impl Ledger {
    /// Up to `limit` journal rows after `after`, oldest first.
    pub fn journal_rows_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<JournalRow>, LedgerError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT seq, at, kind, sale_id, attempt_id, payload, prev_hash, hash
             FROM journal WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(
                rusqlite::params![after, i64::try_from(limit).unwrap_or(i64::MAX)],
                |r| {
                    Ok(JournalRow {
                        seq: r.get(0)?,
                        at: r.get(1)?,
                        kind: r.get(2)?,
                        sale_id: r.get(3)?,
                        attempt_id: r.get(4)?,
                        payload: r.get(5)?,
                        prev_hash: r.get(6)?,
                        hash: r.get(7)?,
                    })
                },
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The newest journal `seq` (0: empty journal).
    pub fn journal_head_seq(&self) -> Result<i64, LedgerError> {
        let conn = self.conn();
        let seq: Option<i64> = conn
            .query_row("SELECT seq FROM journal_head WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(seq.unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_rows_are_the_stored_chain() {
        let l = Ledger::open_in_memory().unwrap();
        assert_eq!(l.journal_head_seq().unwrap(), 0);
        l.open_shift("R1", "Aiko", 1_000).unwrap();
        let prefix = crate::OrderPrefix::new("R1").unwrap();
        let amount = elepay::Amount::new(1280).unwrap();
        l.start_sale(amount, None, None, "R1", &prefix, "20261202", 2_000)
            .unwrap();
        let head = l.journal_head_seq().unwrap();
        assert!(head >= 2);
        let rows = l.journal_rows_after(0, 100).unwrap();
        assert_eq!(rows.len() as i64, head);
        assert_eq!(rows[0].prev_hash, JournalRow::genesis());
        for w in rows.windows(2) {
            assert_eq!(w[1].prev_hash, w[0].hash);
            assert_eq!(w[1].seq, w[0].seq + 1);
        }
        assert!(rows.iter().all(JournalRow::hash_holds));
        let mut forged = rows[1].clone();
        forged.payload = forged.payload.replace("1280", "128");
        assert!(!forged.hash_holds());
        assert_eq!(l.journal_rows_after(1, 1).unwrap()[0].seq, 2);
    }
}
