//! The ledger's one error type: each variant is something a caller can act
//! on (refuse the sale, show the field, stop the second writer).

use crate::{AttemptId, AttemptState, SaleId};

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("ledger database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the ledger at {path} was written by a newer EasyQR POS (schema {found}, this build knows up to {known}); refusing to open it")]
    TooNew {
        path: String,
        found: i64,
        known: i64,
    },
    #[error(
        "orderNo {order_no} is still payable or paid (attempt {holder}); it cannot be sent again"
    )]
    OrderNoBlocked { order_no: String, holder: AttemptId },
    #[error("sale {sale_id} is already paid (order {order_no})")]
    SalePaid { sale_id: SaleId, order_no: String },
    #[error("sale {sale_id} still has a payment in progress (order {order_no})")]
    SaleBusy { sale_id: SaleId, order_no: String },
    #[error(
        "another EasyQR POS (the app or easyqr-cli) is using the ledger {path}; close it first"
    )]
    Locked { path: String },
    #[error("{path}: {reason}")]
    Io { path: String, reason: String },
    #[error("attempt {id} cannot go from {from} to {to}")]
    InvalidTransition {
        id: AttemptId,
        from: AttemptState,
        to: AttemptState,
    },
    #[error("{what} {id} does not exist")]
    NotFound { what: &'static str, id: String },
    #[error("ledger data is inconsistent: {0}")]
    Corrupt(String),
    /// A ledger holds the payments of one mode (DEMO, test or live) only.
    #[error("the ledger {path} holds {bound} payments; it cannot be opened in {wanted} mode (each mode keeps its own ledger, so test payments never count in live reports)")]
    WrongMode {
        path: String,
        bound: String,
        wanted: String,
    },
    /// Every sale and refund counts in the register's open shift.
    #[error("no shift is open on register {register}; open one first (every sale and refund counts in the shift it is made in)")]
    NoOpenShift { register: String },
    #[error("{field}: {allowed}")]
    Invalid {
        field: &'static str,
        allowed: String,
    },
}
