//! Everything that can stop a checkout operation, with a stable code for UIs.

use easyqr_ledger::{Attempt, AttemptState, LedgerError, Refund, SaleId};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("{0}")]
    Invalid(#[from] elepay::ValidationError),
    /// elepay said no; nothing exists remotely (or, for M002007, something
    /// does and the orderNo is retired).
    #[error("elepay refused the payment request ({code}): {message}")]
    Rejected {
        attempt: Box<Attempt>,
        code: String,
        message: String,
    },
    /// The create may or may not have happened. Its code is never shown;
    /// trying again uses a new order number.
    #[error("no answer from elepay ({reason}); this QR will not be shown. Try again: a new order number will be used")]
    OutcomeUnknown {
        attempt: Box<Attempt>,
        reason: String,
    },
    /// elepay answered M002007: another code with this orderNo is paid or
    /// still valid (usually two registers configured with the same prefix).
    #[error("elepay says order number {order_no} is already paid or still in use (M002007), so this QR will not be shown. Check that every register has its own order prefix; trying again uses a new order number")]
    OrderNoInUse {
        attempt: Box<Attempt>,
        order_no: String,
    },
    #[error("sale {sale_id} is already paid")]
    AlreadyPaid { sale_id: SaleId },
    #[error("sale {sale_id} still has a payment in progress (order {order_no})")]
    SaleBusy { sale_id: SaleId, order_no: String },
    #[error("order {order_no} is {state}; only a code being shown can be cancelled")]
    NotCancellable {
        order_no: String,
        state: AttemptState,
    },
    #[error("could not confirm the cancel with elepay ({0}); the code is still being watched")]
    CancelUnconfirmed(String),
    #[error(
        "could not read elepay's charges for reconciliation ({0}); nothing was changed, try again"
    )]
    ReconcileFailed(String),
    #[error("elepay refused the refund ({code}): {message}")]
    RefundRefused { code: String, message: String },
    /// The refund request got no answer. It is never re-sent blindly: it is
    /// looked up at elepay until found (then followed) or known not made.
    #[error("no answer from elepay about the refund ({reason}); it is being checked, do not refund again until it shows refunded or failed")]
    RefundUnknown { refund: Box<Refund>, reason: String },
}

impl EngineError {
    /// The input a UI should point at, when one is to blame.
    pub fn field(&self) -> Option<&str> {
        match self {
            EngineError::Invalid(v) => Some(&v.field),
            EngineError::Ledger(LedgerError::Invalid { field, .. }) => Some(field),
            EngineError::Ledger(LedgerError::NoOpenShift { .. }) => Some("shift"),
            _ => None,
        }
    }
}

/// elepay's own message for a refusal, or the error's text.
pub(crate) fn api_message(e: &elepay::Error) -> String {
    e.api()
        .and_then(|api| api.message.clone())
        .unwrap_or_else(|| e.to_string())
}
