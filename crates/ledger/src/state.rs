//! The state machines of payment attempts (PRODUCT.md §4) and of refunds.
//! Which moves are legal is decided here and nowhere else.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One EasyQR code's life, as the ledger knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttemptState {
    /// orderNo reserved locally; no request sent yet.
    Reserved,
    /// Create request may be in flight.
    Creating,
    /// Code id committed; the QR may be shown.
    Pending,
    /// Paid (per the server).
    Captured,
    /// Cancelled: closed on the server and read back.
    Closed,
    /// Expired: confirmed by a retrieve at or after expiry.
    Expired,
    /// Create outcome unknown: never shown, orderNo never reused.
    Burned,
    /// The server refused the create; nothing exists remotely.
    Rejected,
}

impl AttemptState {
    pub const ALL: [AttemptState; 8] = [
        AttemptState::Reserved,
        AttemptState::Creating,
        AttemptState::Pending,
        AttemptState::Captured,
        AttemptState::Closed,
        AttemptState::Expired,
        AttemptState::Burned,
        AttemptState::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AttemptState::Reserved => "reserved",
            AttemptState::Creating => "creating",
            AttemptState::Pending => "pending",
            AttemptState::Captured => "captured",
            AttemptState::Closed => "closed",
            AttemptState::Expired => "expired",
            AttemptState::Burned => "burned",
            AttemptState::Rejected => "rejected",
        }
    }

    /// No further change is expected (a late capture of a closed/expired code
    /// is still accepted, see [`AttemptState::can_move_to`]).
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            AttemptState::Reserved | AttemptState::Creating | AttemptState::Pending
        )
    }

    /// The code is live: the customer may scan and pay it, so its QR and
    /// its countdown are shown (the cashier's screen draws them from this).
    pub fn shows_code(self) -> bool {
        self == AttemptState::Pending
    }

    /// The code is being shown and the cashier may close it (Esc/Cancel).
    pub fn allows_cancel(self) -> bool {
        self == AttemptState::Pending
    }

    /// The sale may be tried again with another attempt.
    pub fn allows_retry(self) -> bool {
        matches!(
            self,
            AttemptState::Closed
                | AttemptState::Expired
                | AttemptState::Burned
                | AttemptState::Rejected
        )
    }

    /// The orderNo may be sent again in a new create (FAQ: after close or
    /// expiry). Burned never: its code may exist and be valid.
    pub fn frees_order_no(self) -> bool {
        matches!(
            self,
            AttemptState::Closed | AttemptState::Expired | AttemptState::Rejected
        )
    }

    /// Legal moves. Closed/expired/burned → captured exist because a
    /// payment the server reports is never dropped, even if it contradicts
    /// what we recorded earlier (a burned create may have made a code that
    /// got paid; reconciliation finds it); the journal shows the correction.
    pub fn can_move_to(self, to: AttemptState) -> bool {
        use AttemptState::*;
        matches!(
            (self, to),
            (Reserved, Creating)
                | (Reserved, Burned)
                | (Reserved, Rejected)
                | (Creating, Pending)
                | (Creating, Burned)
                | (Creating, Rejected)
                | (Pending, Captured)
                | (Pending, Closed)
                | (Pending, Expired)
                | (Closed, Captured)
                | (Expired, Captured)
                | (Burned, Captured)
        )
    }
}

impl fmt::Display for AttemptState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AttemptState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AttemptState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown attempt state {s:?}"))
    }
}

/// A refund's local state: requested (not yet answered), then elepay's
/// pending/refunded, or failed when elepay refused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RefundState {
    Requested,
    Pending,
    Refunded,
    Failed,
}

impl RefundState {
    pub const ALL: [RefundState; 4] = [
        RefundState::Requested,
        RefundState::Pending,
        RefundState::Refunded,
        RefundState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RefundState::Requested => "requested",
            RefundState::Pending => "pending",
            RefundState::Refunded => "refunded",
            RefundState::Failed => "failed",
        }
    }

    /// Legal updates from elepay's answers. Refunded is final, and only a
    /// request nobody answered may turn out failed: marking a refund elepay
    /// has as failed would free its amount for a second refund. Failed →
    /// pending/refunded is allowed: elepay's word wins over a lookup that
    /// came too early. Pending → pending is the update that brings
    /// elepay's refund id.
    pub fn can_move_to(self, to: RefundState) -> bool {
        use RefundState::*;
        match (self, to) {
            (Refunded, _) => false,
            (from, Failed) => from == Requested,
            (_, Requested) => false,
            _ => true,
        }
    }
}

impl fmt::Display for RefundState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RefundState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RefundState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown refund state {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rules() {
        for s in AttemptState::ALL {
            assert_eq!(s.as_str().parse::<AttemptState>().unwrap(), s);
            assert!(!s.can_move_to(s), "{s} -> itself is not a move");
        }
        use AttemptState::*;
        assert!(!Burned.frees_order_no());
        assert!(Closed.frees_order_no() && Expired.frees_order_no());
        assert!(!Captured.can_move_to(Closed));
        assert!(!Pending.can_move_to(Burned), "a shown code is never burned");
        assert!(!Burned.can_move_to(Pending), "a burned code is never shown");
        assert!(Expired.can_move_to(Captured));
    }

    #[test]
    fn refund_moves() {
        use RefundState::*;
        // (from, to, legal): every pair, so a changed rule shows up here.
        let table = [
            (Requested, Requested, false),
            (Requested, Pending, true),
            (Requested, Refunded, true),
            (Requested, Failed, true),
            (Pending, Requested, false),
            (Pending, Pending, true),
            (Pending, Refunded, true),
            (Pending, Failed, false),
            (Refunded, Requested, false),
            (Refunded, Pending, false),
            (Refunded, Refunded, false),
            (Refunded, Failed, false),
            (Failed, Requested, false),
            (Failed, Pending, true),
            (Failed, Refunded, true),
            (Failed, Failed, false),
        ];
        assert_eq!(table.len(), RefundState::ALL.len().pow(2));
        for (from, to, legal) in table {
            assert_eq!(from.can_move_to(to), legal, "{from} -> {to}");
        }
        for s in RefundState::ALL {
            assert_eq!(s.as_str().parse::<RefundState>().unwrap(), s);
        }
    }
}
