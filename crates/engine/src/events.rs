//! What the engine tells the outside world. Two audiences: the cashier (full
//! detail) and the customer display (amount, the code URL its QR encodes,
//! countdown, outcome; by construction nothing that could carry a key or
//! internal ids). The engine never draws the QR: that is done once per code,
//! where it is shown.

use easyqr_ledger::{Attempt, AttemptState, Refund, SaleId};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "audience", rename_all = "camelCase")]
pub enum EngineEvent {
    Cashier(Box<CashierEvent>),
    Customer(CustomerEvent),
    /// A refund was requested or changed (cashier only).
    Refund(Refund),
}

/// A state change of one attempt, or a countdown refresh.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CashierEvent {
    pub attempt: Attempt,
    pub state: AttemptState,
    /// Server-reported milliseconds left while pending.
    pub remaining_ms: Option<i64>,
    /// Plain-language note for the cashier (e.g. why an attempt was burned).
    pub note: Option<String>,
}

/// Customer-safe: every field is something the customer sees on screen anyway.
/// `code_id` (also inside the QR's URL) lets the display ignore an outcome
/// of a code it is not showing, so a stale attempt never flashes "paid" over
/// another customer's QR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(
    tag = "screen",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum CustomerEvent {
    /// Show the QR of `code_url` (committed to the ledger before this is sent).
    Payment {
        code_id: String,
        amount: i64,
        code_url: String,
        remaining_ms: i64,
        /// The sale, whose item lines the display may list.
        sale_id: SaleId,
    },
    Paid {
        code_id: String,
        amount: i64,
        /// elepay's paymentMethod, when known (the display names it).
        wallet: Option<String>,
    },
    /// The sale at the counter is paid through another of its codes (a late
    /// payment of an earlier one): show "paid", whatever is on screen.
    SalePaid {
        amount: i64,
    },
    Expired {
        code_id: String,
        amount: i64,
    },
    Cancelled {
        code_id: String,
        amount: i64,
    },
}

impl CustomerEvent {
    /// What the customer display shows for an attempt that just moved to
    /// its state; `None` for states it does not show.
    pub(crate) fn for_attempt(a: &Attempt, remaining_ms: Option<i64>) -> Option<CustomerEvent> {
        let code_id = a.code_id.clone().unwrap_or_default();
        let amount = a.amount;
        Some(match a.state {
            AttemptState::Pending => CustomerEvent::Payment {
                code_id,
                amount,
                code_url: a.code_url.clone().unwrap_or_default(),
                remaining_ms: remaining_ms.unwrap_or(0),
                sale_id: a.sale_id,
            },
            AttemptState::Captured => CustomerEvent::Paid {
                code_id,
                amount,
                wallet: a.payment_method.clone(),
            },
            AttemptState::Expired => CustomerEvent::Expired { code_id, amount },
            AttemptState::Closed => CustomerEvent::Cancelled { code_id, amount },
            _ => return None,
        })
    }
}
