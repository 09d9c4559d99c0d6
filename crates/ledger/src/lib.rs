//! The durable ledger of EasyQR POS: sales, payment attempts (one per EasyQR
//! code), shifts, the orderNo registry, seen webhook events, and an
//! append-only hash-chained journal of every state change.
//!
//! Money rules enforced here (PRODUCT.md §3):
//! - an orderNo is never reserved while another attempt with it may be
//!   payable or is paid (a partial unique index, so even a buggy caller
//!   cannot break it);
//! - a state change is a compare-and-set plus a journal row in one
//!   transaction, so each payment is recorded exactly once;
//! - the journal cannot be edited through SQL and [`Ledger::verify`] finds any
//!   row changed or removed behind its back.
//!
//! One module per entity, each with its model, its SQL and its rules:
//! `sales`, `attempts`, `order_no`, `refunds`, `shifts`, `reports` (X/Z),
//! `webhook_events`, `journal` (the chain) with `entry` (what a row says),
//! `verify` with `replay`, `log` and `export`; the state machines are in
//! `state`, the schema in `schema`, the one-writer lock in `lock`. The
//! journal's rows go to the head office as `shipping` reads them, in the
//! bodies of the register protocol that [`wire`] defines for both ends.

mod attempts;
mod by_rate;
mod chain_key;
mod entry;
mod error;
mod export;
mod heads;
mod journal;
mod lock;
mod log;
mod meta;
mod order_no;
mod receipts;
mod refunds;
mod replay;
mod replay_tax;
mod reports;
mod sales;
mod schema;
mod shifts;
mod shipping;
mod state;
mod taxes;
mod verify;
mod webhook_events;
pub mod wire;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior};

pub use attempts::{Applied, Attempt, Change};
pub use by_rate::{ByRate, RateAmount, TaxFigures};
pub use chain_key::ChainKey;
pub use entry::{
    AttemptChanged, AttemptReserved, BadEntry, JournalEntry, ReceiptIssued, RefundChanged,
    RefundRequested, RefundTaxed, ReturnedLine, SaleCreated, SaleTaxed, ShiftClosed, ShiftOpened,
    Transition,
};
pub use error::LedgerError;
pub use export::{csv_line, local_time, parse_local_time, report_csv, LOG_COLUMNS};
pub use heads::JournalHead;
pub use journal::{chain_hash, BadRow, JournalReport, TimelineEntry};
pub use lock::WriterLock;
pub use log::{LogFilter, LogRow, RefundExtent};
pub use order_no::{business_date, OrderPrefix};
pub use receipts::{IssuedReceipt, ReceiptKind, ReceiptRequest};
pub use refunds::{Refund, RefundTotals};
pub use reports::{Figures, OutsideShifts, ShiftReport, ShiftTotals, StateTotal};
pub use schema::SCHEMA_VERSION;
pub use shifts::Shift;
pub use shipping::{JournalRow, BATCH_MAX_BYTES, BATCH_MAX_ROWS};
pub use state::{AttemptState, RefundState};
pub use taxes::{RefundTax, SaleRecord};
pub use webhook_events::InboxEvent;

pub type SaleId = i64;
pub type AttemptId = i64;
pub type ShiftId = i64;

/// The ledger: one SQLite connection, used by one writer process (see
/// [`WriterLock`]). Its methods live in the module of the entity they touch.
pub struct Ledger {
    conn: Mutex<Connection>,
    /// The file, for messages.
    path: String,
    /// Signs new journal rows once installed (see `chain_key.rs`).
    chain_key: std::sync::RwLock<Option<ChainKey>>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ledger")
    }
}

impl Ledger {
    /// Opens (creating and migrating if needed) the ledger file.
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        let conn = Connection::open(path)?;
        let path = path.display().to_string();
        schema::prepare(&conn, &path)?;
        Ok(Ledger {
            conn: Mutex::new(conn),
            path,
            chain_key: std::sync::RwLock::new(None),
        })
    }

    pub fn open_in_memory() -> Result<Ledger, LedgerError> {
        let conn = Connection::open_in_memory()?;
        schema::prepare(&conn, ":memory:")?;
        Ok(Ledger {
            conn: Mutex::new(conn),
            path: ":memory:".into(),
            chain_key: std::sync::RwLock::new(None),
        })
    }

    /// The journal key new rows are signed with, once installed.
    pub fn chain_key(&self) -> Option<ChainKey> {
        self.key()
    }

    fn key(&self) -> Option<ChainKey> {
        self.chain_key
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written
        // (transactions roll back), so the connection stays usable.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the raw connection. For tests and benchmarks that need to
    /// seed data or simulate tampering; the application never calls it.
    #[doc(hidden)]
    pub fn with_connection<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        f(&self.conn())
    }
}

/// Write transactions take the write lock up front (IMMEDIATE): a read that
/// is later upgraded could otherwise fail with SQLITE_BUSY halfway through a
/// compare-and-set if another connection wrote in between.
fn write_tx(conn: &mut Connection) -> rusqlite::Result<Transaction<'_>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
}

/// One row by id, or `NotFound` naming what was looked for.
fn load_one<T>(
    conn: &Connection,
    sql: &str,
    id: i64,
    what: &'static str,
    map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<T, LedgerError> {
    conn.query_row(sql, [id], map)
        .optional()?
        .ok_or_else(|| LedgerError::NotFound {
            what,
            id: id.to_string(),
        })
}
