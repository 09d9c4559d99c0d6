//! Receipts issued: each one recorded and journaled before its bytes leave,
//! so the next of the same kind for the same sale (or refund) is marked as
//! a reprint (再発行) whether the first went to a printer or to stdout.

use rusqlite::params;
use serde::Serialize;

use crate::entry::ReceiptIssued;
use crate::{journal, write_tx, JournalEntry, Ledger, LedgerError, SaleId};

/// What is issued: a receipt (レシート, the simplified invoice), a 領収書, or
/// the slip of one of the sale's refunds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReceiptKind {
    Invoice,
    Ryoshusho,
    Refund,
}

impl ReceiptKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptKind::Invoice => "invoice",
            ReceiptKind::Ryoshusho => "ryoshusho",
            ReceiptKind::Refund => "refund",
        }
    }
}

/// A receipt about to be issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRequest<'a> {
    pub sale: SaleId,
    pub kind: ReceiptKind,
    /// The refund of a refund slip.
    pub refund: Option<i64>,
    pub addressee: Option<&'a str>,
    pub purpose: Option<&'a str>,
    /// "printer", "stdout" or "os".
    pub target: &'a str,
}

/// A receipt recorded as issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedReceipt {
    pub id: i64,
    /// 1 for the first of its kind; higher: a reprint.
    pub copy: i64,
    pub issued_at: i64,
}

impl IssuedReceipt {
    pub fn is_reprint(&self) -> bool {
        self.copy > 1
    }
}

impl Ledger {
    /// Records (and journals) a receipt as issued; answers its copy number.
    pub fn record_receipt(
        &self,
        req: &ReceiptRequest<'_>,
        now: i64,
    ) -> Result<IssuedReceipt, LedgerError> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        // The sale (and refund) must exist.
        let sale: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM sales WHERE id = ?1)",
            [req.sale],
            |r| r.get(0),
        )?;
        if !sale {
            return Err(LedgerError::NotFound {
                what: "sale",
                id: req.sale.to_string(),
            });
        }
        if let Some(refund) = req.refund {
            let of_sale: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM refunds f JOIN attempts a ON a.id = f.attempt_id
                                WHERE f.id = ?1 AND a.sale_id = ?2)",
                params![refund, req.sale],
                |r| r.get(0),
            )?;
            if !of_sale {
                return Err(LedgerError::NotFound {
                    what: "refund of this sale",
                    id: refund.to_string(),
                });
            }
        }
        let earlier: i64 = tx.query_row(
            "SELECT count(*) FROM receipts WHERE sale_id = ?1 AND refund_id IS ?2 AND kind = ?3",
            params![req.sale, req.refund, req.kind.as_str()],
            |r| r.get(0),
        )?;
        let copy = earlier + 1;
        tx.execute(
            "INSERT INTO receipts (sale_id, refund_id, kind, copy, addressee, purpose, target, issued_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                req.sale,
                req.refund,
                req.kind.as_str(),
                copy,
                req.addressee,
                req.purpose,
                req.target,
                now
            ],
        )?;
        let id = tx.last_insert_rowid();
        let entry = JournalEntry::ReceiptIssued(ReceiptIssued {
            receipt: id,
            kind: req.kind.as_str().to_owned(),
            refund: req.refund,
            copy,
            addressee: req.addressee.map(str::to_owned),
            purpose: req.purpose.map(str::to_owned),
            target: req.target.to_owned(),
        });
        journal::append(&tx, self.key().as_ref(), now, Some(req.sale), None, &entry)?;
        tx.commit()?;
        Ok(IssuedReceipt {
            id,
            copy,
            issued_at: now,
        })
    }

    /// How many receipts of a sale were issued, all kinds.
    pub fn receipts_issued(&self, sale: SaleId) -> Result<i64, LedgerError> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM receipts WHERE sale_id = ?1",
            [sale],
            |r| r.get(0),
        )?)
    }
}
