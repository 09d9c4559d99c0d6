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

mod export;
mod journal;
mod lock;
mod log;
mod order_no;
mod replay;
mod schema;
mod shift;
mod state;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension, Row, Transaction, TransactionBehavior};
use serde::Serialize;
use serde_json::json;

pub use export::{local_time, parse_local_time, report_csv, LOG_COLUMNS};
pub use journal::{BadRow, JournalReport};
pub use lock::WriterLock;
pub use log::{LogFilter, LogRow, TimelineEntry};
pub use order_no::{business_date, OrderPrefix};
pub use schema::SCHEMA_VERSION;
pub use shift::{RefundTotals, Shift, ShiftReport};
pub use state::AttemptState;

pub type SaleId = i64;
pub type AttemptId = i64;
pub type ShiftId = i64;

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
    #[error("{field}: {allowed}")]
    Invalid {
        field: &'static str,
        allowed: String,
    },
}

/// A payment attempt as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub id: AttemptId,
    pub sale_id: SaleId,
    pub shift_id: Option<ShiftId>,
    pub order_no: String,
    pub amount: i64,
    pub state: AttemptState,
    pub code_id: Option<String>,
    pub code_url: Option<String>,
    /// Server's absolute expiry (epoch ms), for records; countdowns use the
    /// server's remaining period instead.
    pub expiry_time: Option<i64>,
    pub key_last4: Option<String>,
    pub charge_id: Option<String>,
    pub payment_method: Option<String>,
    pub paid_time: Option<i64>,
    pub error_code: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct StateTotal {
    pub count: i64,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShiftTotals {
    /// Attempts per state, sorted by state name; states with none are left out.
    pub by_state: Vec<(AttemptState, StateTotal)>,
    /// Paid attempts per wallet (elepay's paymentMethod), sorted by name.
    pub paid_by_wallet: Vec<(String, StateTotal)>,
}

impl ShiftTotals {
    pub fn get(&self, state: AttemptState) -> StateTotal {
        self.by_state
            .iter()
            .find(|(s, _)| *s == state)
            .map(|(_, t)| *t)
            .unwrap_or_default()
    }
}

/// A refund's local state: requested (not yet answered), then elepay's
/// pending/refunded, or failed when elepay refused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RefundState {
    Requested,
    Pending,
    Refunded,
    Failed,
}

impl RefundState {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundState::Requested => "requested",
            RefundState::Pending => "pending",
            RefundState::Refunded => "refunded",
            RefundState::Failed => "failed",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        [Self::Requested, Self::Pending, Self::Refunded, Self::Failed]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    pub id: i64,
    pub attempt_id: AttemptId,
    pub refund_id: Option<String>,
    pub amount: i64,
    pub reason: Option<String>,
    pub status: RefundState,
    /// The shift the refund was made in (it counts in that shift's reports).
    pub shift_id: Option<ShiftId>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// How an attempt changes; each variant carries what the new state needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Creating,
    Pending {
        code_id: String,
        code_url: String,
        expiry_time: i64,
        key_last4: String,
    },
    Captured {
        charge_id: Option<String>,
        payment_method: Option<String>,
        paid_time: Option<i64>,
        /// Where we learned it: "poll", "webhook", "cancel", "recovery", …
        source: String,
    },
    Closed,
    Expired,
    Burned {
        reason: String,
    },
    Rejected {
        error_code: String,
        message: String,
    },
}

impl Change {
    pub fn target(&self) -> AttemptState {
        match self {
            Change::Creating => AttemptState::Creating,
            Change::Pending { .. } => AttemptState::Pending,
            Change::Captured { .. } => AttemptState::Captured,
            Change::Closed => AttemptState::Closed,
            Change::Expired => AttemptState::Expired,
            Change::Burned { .. } => AttemptState::Burned,
            Change::Rejected { .. } => AttemptState::Rejected,
        }
    }
}

/// What a transition did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The state changed (and a journal row was written).
    Changed {
        from: AttemptState,
        attempt: Attempt,
    },
    /// The attempt was already in the target state: nothing written. This is
    /// how duplicate webhooks and racing pollers become harmless.
    Unchanged { attempt: Attempt },
}

impl Applied {
    pub fn attempt(&self) -> &Attempt {
        match self {
            Applied::Changed { attempt, .. } | Applied::Unchanged { attempt } => attempt,
        }
    }
    pub fn changed(&self) -> bool {
        matches!(self, Applied::Changed { .. })
    }
}

pub struct Ledger {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ledger")
    }
}

const ATTEMPT_COLS: &str =
    "a.id, a.sale_id, s.shift_id, a.order_no, a.amount, a.state, a.code_id, a.code_url,
    a.expiry_time, a.key_last4, a.charge_id, a.payment_method, a.paid_time, a.error_code,
    a.created_at, a.updated_at";

fn attempt_from_row(r: &Row<'_>) -> rusqlite::Result<Attempt> {
    let state: String = r.get(5)?;
    Ok(Attempt {
        id: r.get(0)?,
        sale_id: r.get(1)?,
        shift_id: r.get(2)?,
        order_no: r.get(3)?,
        amount: r.get(4)?,
        state: state.parse().map_err(|e: String| {
            rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, e.into())
        })?,
        code_id: r.get(6)?,
        code_url: r.get(7)?,
        expiry_time: r.get(8)?,
        key_last4: r.get(9)?,
        charge_id: r.get(10)?,
        payment_method: r.get(11)?,
        paid_time: r.get(12)?,
        error_code: r.get(13)?,
        created_at: r.get(14)?,
        updated_at: r.get(15)?,
    })
}

impl Ledger {
    /// Opens (creating and migrating if needed) the ledger file.
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        let conn = Connection::open(path)?;
        schema::prepare(&conn, &path.display().to_string())?;
        Ok(Ledger {
            conn: Mutex::new(conn),
        })
    }

    pub fn open_in_memory() -> Result<Ledger, LedgerError> {
        let conn = Connection::open_in_memory()?;
        schema::prepare(&conn, ":memory:")?;
        Ok(Ledger {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written
        // (transactions roll back), so the connection stays usable.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    // ----- sales and attempts -----

    /// Records a sale (the amount the cashier rang up) in the given shift.
    pub fn create_sale(
        &self,
        amount: elepay::Amount,
        description: Option<&str>,
        shift_id: Option<ShiftId>,
        now: i64,
    ) -> Result<SaleId, LedgerError> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let id = insert_sale(&tx, amount, description, shift_id, now)?;
        tx.commit()?;
        Ok(id)
    }

    /// Allocates the next orderNo for `prefix` on `business_date` (YYYYMMDD).
    pub fn next_order_no(
        &self,
        prefix: &OrderPrefix,
        business_date: &str,
    ) -> Result<elepay::OrderNo, LedgerError> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let order_no = alloc_order_no(&tx, prefix, business_date)?;
        tx.commit()?;
        Ok(order_no)
    }

    /// Rings up a sale and reserves its first attempt under a fresh orderNo,
    /// in one transaction: a crash leaves either nothing or a sale with a
    /// reserved attempt that recovery burns (and that can be tried again).
    pub fn start_sale(
        &self,
        amount: elepay::Amount,
        description: Option<&str>,
        shift_id: Option<ShiftId>,
        prefix: &OrderPrefix,
        business_date: &str,
        now: i64,
    ) -> Result<Attempt, LedgerError> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let sale = insert_sale(&tx, amount, description, shift_id, now)?;
        let order_no = alloc_order_no(&tx, prefix, business_date)?;
        let attempt = insert_attempt(&tx, sale, &order_no, now)?;
        tx.commit()?;
        Ok(attempt)
    }

    /// Reserves `order_no` for a new attempt of `sale_id`. Refuses while
    /// another attempt with that orderNo may be payable or is paid
    /// (invariant 1), while the sale is paid, or while it already has an
    /// attempt in flight.
    pub fn reserve_attempt(
        &self,
        sale_id: SaleId,
        order_no: &elepay::OrderNo,
        now: i64,
    ) -> Result<Attempt, LedgerError> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let attempt = insert_attempt(&tx, sale_id, order_no, now)?;
        tx.commit()?;
        Ok(attempt)
    }

    /// Moves an attempt to the state `change` describes, as a compare-and-set
    /// with its journal row. Applying a change whose target is the current
    /// state returns [`Applied::Unchanged`] and writes nothing.
    pub fn apply(&self, id: AttemptId, change: &Change, now: i64) -> Result<Applied, LedgerError> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let current = load_attempt(&tx, id)?;
        let to = change.target();
        if current.state == to {
            return Ok(Applied::Unchanged { attempt: current });
        }
        if !current.state.can_move_to(to) {
            return Err(LedgerError::InvalidTransition {
                id,
                from: current.state,
                to,
            });
        }
        let mut payload = json!({ "from": current.state.as_str(), "to": to.as_str(), "orderNo": current.order_no });
        let n = match change {
            Change::Creating | Change::Closed | Change::Expired => tx.execute(
                "UPDATE attempts SET state = ?1, updated_at = ?2 WHERE id = ?3 AND state = ?4",
                params![to.as_str(), now, id, current.state.as_str()],
            )?,
            Change::Pending {
                code_id,
                code_url,
                expiry_time,
                key_last4,
            } => {
                payload["codeId"] = json!(code_id);
                payload["codeUrl"] = json!(code_url);
                payload["expiryTime"] = json!(expiry_time);
                payload["keyLast4"] = json!(key_last4);
                tx.execute(
                    "UPDATE attempts SET state = ?1, code_id = ?2, code_url = ?3, expiry_time = ?4,
                     key_last4 = ?5, updated_at = ?6 WHERE id = ?7 AND state = ?8",
                    params![
                        to.as_str(),
                        code_id,
                        code_url,
                        expiry_time,
                        key_last4,
                        now,
                        id,
                        current.state.as_str()
                    ],
                )?
            }
            Change::Captured {
                charge_id,
                payment_method,
                paid_time,
                source,
            } => {
                payload["chargeId"] = json!(charge_id);
                payload["paymentMethod"] = json!(payment_method);
                payload["paidTime"] = json!(paid_time);
                payload["source"] = json!(source);
                payload["amount"] = json!(current.amount);
                tx.execute(
                    "UPDATE attempts SET state = ?1, charge_id = ?2, payment_method = ?3, paid_time = ?4,
                     updated_at = ?5 WHERE id = ?6 AND state = ?7",
                    params![to.as_str(), charge_id, payment_method, paid_time, now, id, current.state.as_str()],
                )?
            }
            Change::Burned { reason } => {
                payload["reason"] = json!(reason);
                tx.execute(
                    "UPDATE attempts SET state = ?1, updated_at = ?2 WHERE id = ?3 AND state = ?4",
                    params![to.as_str(), now, id, current.state.as_str()],
                )?
            }
            Change::Rejected {
                error_code,
                message,
            } => {
                payload["errorCode"] = json!(error_code);
                payload["message"] = json!(message);
                tx.execute(
                    "UPDATE attempts SET state = ?1, error_code = ?2, updated_at = ?3 WHERE id = ?4 AND state = ?5",
                    params![to.as_str(), error_code, now, id, current.state.as_str()],
                )?
            }
        };
        if n != 1 {
            // Cannot happen while we hold the only connection, but a money
            // ledger says so instead of assuming.
            return Err(LedgerError::Corrupt(format!(
                "attempt {id} changed underneath us"
            )));
        }
        journal::append(
            &tx,
            journal::Entry {
                at: now,
                kind: "attempt.changed",
                sale_id: Some(current.sale_id),
                attempt_id: Some(id),
                payload,
            },
        )?;
        let attempt = load_attempt(&tx, id)?;
        tx.commit()?;
        Ok(Applied::Changed {
            from: current.state,
            attempt,
        })
    }

    pub fn attempt(&self, id: AttemptId) -> Result<Attempt, LedgerError> {
        load_attempt(&self.conn(), id)
    }

    pub fn attempt_by_code_id(&self, code_id: &str) -> Result<Option<Attempt>, LedgerError> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {ATTEMPT_COLS} FROM attempts a JOIN sales s ON s.id = a.sale_id WHERE a.code_id = ?1"),
                [code_id],
                attempt_from_row,
            )
            .optional()?)
    }

    /// Every attempt that ever used `order_no`, oldest first.
    pub fn attempts_by_order_no(&self, order_no: &str) -> Result<Vec<Attempt>, LedgerError> {
        self.query_attempts("WHERE a.order_no = ?1 ORDER BY a.id", [order_no])
    }

    pub fn attempts_of_sale(&self, sale_id: SaleId) -> Result<Vec<Attempt>, LedgerError> {
        self.query_attempts("WHERE a.sale_id = ?1 ORDER BY a.id", [sale_id])
    }

    /// Attempts not yet final: what recovery must look at after a restart.
    pub fn unresolved_attempts(&self) -> Result<Vec<Attempt>, LedgerError> {
        self.query_attempts(
            "WHERE a.state IN ('reserved','creating','pending') ORDER BY a.id",
            [],
        )
    }

    /// Newest first, `limit` rows starting at `before_id` (exclusive) if given.
    pub fn recent_attempts(
        &self,
        limit: u32,
        before_id: Option<AttemptId>,
    ) -> Result<Vec<Attempt>, LedgerError> {
        self.query_attempts(
            "WHERE a.id < ?1 ORDER BY a.id DESC LIMIT ?2",
            params![before_id.unwrap_or(i64::MAX), limit],
        )
    }

    fn query_attempts(
        &self,
        tail: &str,
        p: impl rusqlite::Params,
    ) -> Result<Vec<Attempt>, LedgerError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {ATTEMPT_COLS} FROM attempts a JOIN sales s ON s.id = a.sale_id {tail}"
        ))?;
        let rows = stmt.query_map(p, attempt_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records a refund request for a captured attempt before it is sent, so
    /// a crash mid-request leaves a trace. The cumulative amount of refunds
    /// not failed may not exceed what was paid.
    pub fn request_refund(
        &self,
        attempt_id: AttemptId,
        amount: elepay::Amount,
        reason: Option<&str>,
        shift_id: Option<ShiftId>,
        now: i64,
    ) -> Result<Refund, LedgerError> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let a = load_attempt(&tx, attempt_id)?;
        if a.state != AttemptState::Captured {
            return Err(LedgerError::Invalid {
                field: "attempt",
                allowed: format!("a paid order; {} is {}", a.order_no, a.state),
            });
        }
        let already: i64 = tx.query_row(
            "SELECT coalesce(sum(amount), 0) FROM refunds WHERE attempt_id = ?1 AND status != 'failed'",
            [attempt_id],
            |r| r.get(0),
        )?;
        let left = a.amount - already;
        if amount.yen() > left {
            return Err(LedgerError::Invalid {
                field: "amount",
                allowed: format!("at most the refundable remainder ¥{left}"),
            });
        }
        tx.execute(
            "INSERT INTO refunds (attempt_id, amount, reason, status, shift_id, created_at, updated_at)
             VALUES (?1, ?2, ?3, 'requested', ?4, ?5, ?5)",
            params![attempt_id, amount.yen(), reason, shift_id, now],
        )?;
        let id = tx.last_insert_rowid();
        journal::append(
            &tx,
            journal::Entry {
                at: now,
                kind: "refund.requested",
                sale_id: Some(a.sale_id),
                attempt_id: Some(attempt_id),
                payload: json!({ "refund": id, "amount": amount.yen(), "reason": reason }),
            },
        )?;
        let r = load_refund(&tx, id)?;
        tx.commit()?;
        Ok(r)
    }

    /// Records elepay's answer about a refund (its id and status).
    pub fn update_refund(
        &self,
        id: i64,
        refund_id: Option<&str>,
        status: RefundState,
        now: i64,
    ) -> Result<Refund, LedgerError> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let before = load_refund(&tx, id)?;
        if before.status == status
            && (refund_id.is_none() || before.refund_id.as_deref() == refund_id)
        {
            return Ok(before);
        }
        // Refunded is final, and only a request nobody answered may turn out
        // failed: marking a refund elepay has as failed would free its
        // amount for a second refund. (Failed → pending/refunded is allowed:
        // elepay's word wins over a lookup that came too early.)
        let allowed = match (before.status, status) {
            (RefundState::Refunded, _) => false,
            (_, RefundState::Failed) => before.status == RefundState::Requested,
            (_, RefundState::Requested) => false,
            _ => true,
        };
        if !allowed {
            return Err(LedgerError::Invalid {
                field: "status",
                allowed: format!(
                    "refund {id} is {}; it cannot become {}",
                    before.status.as_str(),
                    status.as_str()
                ),
            });
        }
        tx.execute(
            "UPDATE refunds SET refund_id = coalesce(?1, refund_id), status = ?2, updated_at = ?3 WHERE id = ?4",
            params![refund_id, status.as_str(), now, id],
        )?;
        let sale_id: i64 = tx.query_row(
            "SELECT sale_id FROM attempts WHERE id = ?1",
            [before.attempt_id],
            |r| r.get(0),
        )?;
        journal::append(
            &tx,
            journal::Entry {
                at: now,
                kind: "refund.changed",
                sale_id: Some(sale_id),
                attempt_id: Some(before.attempt_id),
                payload: json!({ "refund": id, "refundId": refund_id, "status": status.as_str() }),
            },
        )?;
        let r = load_refund(&tx, id)?;
        tx.commit()?;
        Ok(r)
    }

    /// Refunds elepay has not finished (requested with no answer yet, or
    /// pending), oldest first: what a restart must follow up.
    pub fn unsettled_refunds(&self) -> Result<Vec<Refund>, LedgerError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {REFUND_COLS} FROM refunds WHERE status IN ('requested', 'pending') ORDER BY id"
        ))?;
        let rows = stmt.query_map([], refund_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn refund(&self, id: i64) -> Result<Refund, LedgerError> {
        load_refund(&self.conn(), id)
    }

    pub fn refunds_of(&self, attempt_id: AttemptId) -> Result<Vec<Refund>, LedgerError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {REFUND_COLS} FROM refunds WHERE attempt_id = ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([attempt_id], refund_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Whether a webhook event id was already applied.
    pub fn webhook_seen(&self, event_id: &str) -> Result<bool, LedgerError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT 1 FROM webhook_events WHERE event_id = ?1",
                [event_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Per-state and per-wallet counts and sums of a shift's attempts (the
    /// core of X/Z reports). Attempts belong to the shift their sale was rung
    /// up in. Read from running totals, so it costs the same at any size.
    pub fn shift_totals(&self, shift_id: ShiftId) -> Result<ShiftTotals, LedgerError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT state, payment_method, count, amount FROM shift_totals
             WHERE shift_id = ?1 AND count != 0 ORDER BY state, payment_method",
        )?;
        let mut totals = ShiftTotals::default();
        let mut rows = stmt.query([shift_id])?;
        while let Some(r) = rows.next()? {
            let state: AttemptState = r
                .get::<_, String>(0)?
                .parse()
                .map_err(LedgerError::Corrupt)?;
            let wallet: String = r.get(1)?;
            let t = StateTotal {
                count: r.get(2)?,
                amount: r.get(3)?,
            };
            match totals.by_state.last_mut() {
                Some((s, sum)) if *s == state => {
                    sum.count += t.count;
                    sum.amount += t.amount;
                }
                _ => totals.by_state.push((state, t)),
            }
            if state == AttemptState::Captured {
                totals.paid_by_wallet.push((wallet, t));
            }
        }
        Ok(totals)
    }

    /// Records a webhook event id; returns false if it was seen before.
    pub fn record_webhook_event(
        &self,
        event_id: &str,
        event_type: &str,
        now: i64,
    ) -> Result<bool, LedgerError> {
        let n = self.conn().execute(
            "INSERT INTO webhook_events (event_id, event_type, received_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(event_id) DO NOTHING",
            params![event_id, event_type, now],
        )?;
        Ok(n == 1)
    }

    /// Checks the journal chain, then replays it against the tables: every
    /// sale, attempt and refund must hold exactly what its journal rows say
    /// (catches edits, deletions and insertions that bypassed the journal),
    /// and the running shift totals must match the attempts.
    pub fn verify(&self) -> Result<JournalReport, LedgerError> {
        let conn = self.conn();
        Self::verify_on(&conn)
    }

    /// [`Ledger::verify`] on a read-only connection of its own, inside one
    /// read transaction: a consistent snapshot, while the app keeps taking
    /// payments on the main connection (WAL lets readers and the writer run
    /// side by side). For the check at start on a large ledger.
    pub fn verify_file(path: &Path) -> Result<JournalReport, LedgerError> {
        let mut conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let tx = conn.transaction()?;
        let report = Self::verify_on(&tx)?;
        tx.finish()?;
        Ok(report)
    }

    fn verify_on(conn: &Connection) -> Result<JournalReport, LedgerError> {
        let mut report = journal::verify(conn)?;
        if report.is_intact() {
            report.first_bad = replay::check_sales(conn)?
                .or(replay::check_attempts(conn)?)
                .or(replay::check_refunds(conn)?)
                .or(replay::check_shifts(conn)?)
                .or(replay::check_totals(conn)?);
        }
        Ok(report)
    }

    /// Runs `f` on the raw connection. For tests and benchmarks that need to
    /// seed data or simulate tampering; the application never calls it.
    #[doc(hidden)]
    pub fn with_connection<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        f(&self.conn())
    }
}

const REFUND_COLS: &str =
    "id, attempt_id, refund_id, amount, reason, status, shift_id, created_at, updated_at";

fn refund_from_row(r: &Row<'_>) -> rusqlite::Result<Refund> {
    let status: String = r.get(5)?;
    Ok(Refund {
        id: r.get(0)?,
        attempt_id: r.get(1)?,
        refund_id: r.get(2)?,
        amount: r.get(3)?,
        reason: r.get(4)?,
        status: RefundState::parse(&status).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, status.into())
        })?,
        shift_id: r.get(6)?,
        created_at: r.get(7)?,
        updated_at: r.get(8)?,
    })
}

fn insert_sale(
    tx: &Transaction<'_>,
    amount: elepay::Amount,
    description: Option<&str>,
    shift_id: Option<ShiftId>,
    now: i64,
) -> Result<SaleId, LedgerError> {
    tx.execute(
        "INSERT INTO sales (shift_id, amount, description, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![shift_id, amount.yen(), description, now],
    )?;
    let id = tx.last_insert_rowid();
    journal::append(
        tx,
        journal::Entry {
            at: now,
            kind: "sale.created",
            sale_id: Some(id),
            attempt_id: None,
            payload: json!({ "amount": amount.yen(), "shiftId": shift_id, "description": description }),
        },
    )?;
    Ok(id)
}

fn alloc_order_no(
    tx: &Transaction<'_>,
    prefix: &OrderPrefix,
    business_date: &str,
) -> Result<elepay::OrderNo, LedgerError> {
    let seq: i64 = tx.query_row(
        "INSERT INTO order_seq (prefix, business_date, next_seq) VALUES (?1, ?2, 2)
         ON CONFLICT(prefix, business_date) DO UPDATE SET next_seq = next_seq + 1
         RETURNING next_seq - 1",
        params![prefix.as_str(), business_date],
        |r| r.get(0),
    )?;
    prefix.order_no(business_date, seq)
}

fn insert_attempt(
    tx: &Transaction<'_>,
    sale_id: SaleId,
    order_no: &elepay::OrderNo,
    now: i64,
) -> Result<Attempt, LedgerError> {
    let amount: i64 = tx
        .query_row("SELECT amount FROM sales WHERE id = ?1", [sale_id], |r| {
            r.get(0)
        })
        .optional()?
        .ok_or_else(|| LedgerError::NotFound {
            what: "sale",
            id: sale_id.to_string(),
        })?;
    // The sale itself: paid, or something already in flight? (The partial
    // index attempts_one_active_per_sale backs the second check.)
    let blocking: Option<(String, String)> = tx
        .query_row(
            "SELECT state, order_no FROM attempts WHERE sale_id = ?1
             AND state IN ('captured','reserved','creating','pending') ORDER BY state = 'captured' DESC LIMIT 1",
            [sale_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((state, order)) = blocking {
        return Err(if state == "captured" {
            LedgerError::SalePaid {
                sale_id,
                order_no: order,
            }
        } else {
            LedgerError::SaleBusy {
                sale_id,
                order_no: order,
            }
        });
    }
    // The orderNo: the index blocks payable ones; a paid orderNo is checked
    // here because the index must let late captures through.
    let holder: Option<AttemptId> = tx
        .query_row(
            "SELECT id FROM attempts WHERE order_no = ?1
             AND state IN ('reserved','creating','pending','captured','burned') LIMIT 1",
            [order_no.as_str()],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(holder) = holder {
        return Err(LedgerError::OrderNoBlocked {
            order_no: order_no.to_string(),
            holder,
        });
    }
    tx.execute(
        "INSERT INTO attempts (sale_id, order_no, amount, state, created_at, updated_at)
         VALUES (?1, ?2, ?3, 'reserved', ?4, ?4)",
        params![sale_id, order_no.as_str(), amount, now],
    )?;
    let id = tx.last_insert_rowid();
    journal::append(
        tx,
        journal::Entry {
            at: now,
            kind: "attempt.reserved",
            sale_id: Some(sale_id),
            attempt_id: Some(id),
            payload: json!({ "to": "reserved", "orderNo": order_no.as_str(), "amount": amount }),
        },
    )?;
    load_attempt(tx, id)
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

fn load_refund(conn: &Connection, id: i64) -> Result<Refund, LedgerError> {
    let sql = format!("SELECT {REFUND_COLS} FROM refunds WHERE id = ?1");
    load_one(conn, &sql, id, "refund", refund_from_row)
}

fn load_attempt(conn: &Connection, id: AttemptId) -> Result<Attempt, LedgerError> {
    let sql = format!(
        "SELECT {ATTEMPT_COLS} FROM attempts a JOIN sales s ON s.id = a.sale_id WHERE a.id = ?1"
    );
    load_one(conn, &sql, id, "attempt", attempt_from_row)
}
