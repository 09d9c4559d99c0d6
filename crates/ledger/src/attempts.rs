//! Payment attempts (one per EasyQR code): reserving an orderNo for a sale,
//! moving an attempt through its states as a compare-and-set with its
//! journal row, and the lookups the engine and recovery need.

use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use serde::Serialize;

use crate::entry::{AttemptChanged, AttemptReserved, ChargeFound, Transition};
use crate::ChainKey;
use crate::{
    journal, load_one, write_tx, AttemptId, AttemptState, JournalEntry, Ledger, LedgerError,
    SaleId, ShiftId,
};

/// A payment attempt as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub id: AttemptId,
    pub sale_id: SaleId,
    pub shift_id: Option<ShiftId>,
    pub order_no: String,
    pub amount: i64,
    /// Sent with `retryable` beside it (see [`state_wire`]).
    #[serde(flatten, serialize_with = "state_wire::serialize")]
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

/// An attempt's state on the wire, with whether it may still change
/// ([`AttemptState::is_final`]), whether its code is live
/// ([`AttemptState::shows_code`]), whether the cashier may cancel it
/// ([`AttemptState::allows_cancel`]) and whether its sale may be tried
/// again ([`AttemptState::allows_retry`]), so no screen decides these.
mod state_wire {
    use serde::{Serialize, Serializer};

    use crate::AttemptState;

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Wire {
        state: AttemptState,
        #[serde(rename = "final")]
        is_final: bool,
        shows_code: bool,
        cancellable: bool,
        retryable: bool,
    }

    pub fn serialize<S: Serializer>(state: &AttemptState, s: S) -> Result<S::Ok, S::Error> {
        Wire {
            state: *state,
            is_final: state.is_final(),
            shows_code: state.shows_code(),
            cancellable: state.allows_cancel(),
            retryable: state.allows_retry(),
        }
        .serialize(s)
    }
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

    /// The journal's record of this change to an attempt of `amount` yen.
    fn transition(&self, amount: i64) -> Transition {
        match self.clone() {
            Change::Creating => Transition::Creating,
            Change::Pending {
                code_id,
                code_url,
                expiry_time,
                key_last4,
            } => Transition::Pending {
                code_id,
                code_url: Some(code_url),
                expiry_time,
                key_last4: Some(key_last4),
            },
            Change::Captured {
                charge_id,
                payment_method,
                paid_time,
                source,
            } => Transition::Captured {
                charge_id,
                payment_method,
                paid_time,
                source,
                amount,
            },
            Change::Closed => Transition::Closed,
            Change::Expired => Transition::Expired,
            Change::Burned { reason } => Transition::Burned { reason },
            Change::Rejected {
                error_code,
                message,
            } => Transition::Rejected {
                error_code,
                message,
            },
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

/// An attempt's columns, with its sale's shift (`a` = attempts, `s` = sales).
pub(crate) const ATTEMPT_COLS: &str =
    "a.id, a.sale_id, s.shift_id, a.order_no, a.amount, a.state, a.code_id, a.code_url,
    a.expiry_time, a.key_last4, a.charge_id, a.payment_method, a.paid_time, a.error_code,
    a.created_at, a.updated_at";

pub(crate) fn attempt_from_row(r: &Row<'_>) -> rusqlite::Result<Attempt> {
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

pub(crate) fn load_attempt(conn: &Connection, id: AttemptId) -> Result<Attempt, LedgerError> {
    let sql = format!(
        "SELECT {ATTEMPT_COLS} FROM attempts a JOIN sales s ON s.id = a.sale_id WHERE a.id = ?1"
    );
    load_one(conn, &sql, id, "attempt", attempt_from_row)
}

/// Reserves `order_no` for a new attempt of `sale_id` (see
/// [`Ledger::reserve_attempt`]), inside the caller's transaction.
pub(crate) fn insert_attempt(
    tx: &Transaction<'_>,
    key: Option<&ChainKey>,
    sale_id: SaleId,
    order_no: &elepay::OrderNo,
    now: i64,
) -> Result<Attempt, LedgerError> {
    let amount = crate::sales::sale_amount(tx, sale_id)?;
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
    let entry = JournalEntry::AttemptReserved(AttemptReserved {
        to: AttemptState::Reserved,
        order_no: order_no.to_string(),
        amount,
    });
    journal::append(tx, key, now, Some(sale_id), Some(id), &entry)?;
    load_attempt(tx, id)
}

/// The compare-and-set of [`Ledger::apply`]: writes the columns `change`
/// sets, only while the attempt is still in `from`. Returns the rows changed.
fn update_state(
    tx: &Transaction<'_>,
    id: AttemptId,
    from: AttemptState,
    change: &Change,
    now: i64,
) -> rusqlite::Result<usize> {
    let (to, from) = (change.target().as_str(), from.as_str());
    match change {
        Change::Creating | Change::Closed | Change::Expired | Change::Burned { .. } => tx.execute(
            "UPDATE attempts SET state = ?1, updated_at = ?2 WHERE id = ?3 AND state = ?4",
            params![to, now, id, from],
        ),
        Change::Pending {
            code_id,
            code_url,
            expiry_time,
            key_last4,
        } => tx.execute(
            "UPDATE attempts SET state = ?1, code_id = ?2, code_url = ?3, expiry_time = ?4,
             key_last4 = ?5, updated_at = ?6 WHERE id = ?7 AND state = ?8",
            params![to, code_id, code_url, expiry_time, key_last4, now, id, from],
        ),
        Change::Captured {
            charge_id,
            payment_method,
            paid_time,
            ..
        } => tx.execute(
            "UPDATE attempts SET state = ?1, charge_id = ?2, payment_method = ?3, paid_time = ?4,
             updated_at = ?5 WHERE id = ?6 AND state = ?7",
            params![to, charge_id, payment_method, paid_time, now, id, from],
        ),
        Change::Rejected { error_code, .. } => tx.execute(
            "UPDATE attempts SET state = ?1, error_code = ?2, updated_at = ?3 WHERE id = ?4 AND state = ?5",
            params![to, error_code, now, id, from],
        ),
    }
}

/// orderNo of a shift's first sale (its first attempt) or of its last sale
/// (its latest attempt), for the X/Z report.
pub(crate) fn shift_edge_order_no(
    conn: &Connection,
    shift_id: ShiftId,
    last: bool,
) -> Result<Option<String>, LedgerError> {
    let (which, order) = if last {
        ("max", "DESC")
    } else {
        ("min", "ASC")
    };
    // min/max over the sales_shift index, then that sale's attempts.
    let sql = format!(
        "SELECT order_no FROM attempts WHERE sale_id =
           (SELECT {which}(id) FROM sales WHERE shift_id = ?1)
         ORDER BY id {order} LIMIT 1"
    );
    Ok(conn.query_row(&sql, [shift_id], |r| r.get(0)).optional()?)
}

impl Ledger {
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
        let attempt = insert_attempt(&tx, self.key().as_ref(), sale_id, order_no, now)?;
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
        if update_state(&tx, id, current.state, change, now)? != 1 {
            // Cannot happen while we hold the only connection, but a money
            // ledger says so instead of assuming.
            return Err(LedgerError::Corrupt(format!(
                "attempt {id} changed underneath us"
            )));
        }
        let entry = JournalEntry::AttemptChanged(AttemptChanged {
            from: current.state,
            order_no: current.order_no.clone(),
            to: change.transition(current.amount),
        });
        journal::append(
            &tx,
            self.key().as_ref(),
            now,
            Some(current.sale_id),
            Some(id),
            &entry,
        )?;
        let attempt = load_attempt(&tx, id)?;
        tx.commit()?;
        Ok(Applied::Changed {
            from: current.state,
            attempt,
        })
    }

    /// Stores elepay's charge id on a paid attempt recorded without one (a
    /// refund needs it). The same id again changes nothing; another id, or
    /// an attempt not paid, is refused.
    pub fn set_charge_id(
        &self,
        id: AttemptId,
        charge_id: &str,
        source: &str,
        now: i64,
    ) -> Result<Attempt, LedgerError> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let a = load_attempt(&tx, id)?;
        match (a.state, a.charge_id.as_deref()) {
            (_, Some(known)) if known == charge_id => return Ok(a),
            (AttemptState::Captured, None) => {}
            _ => {
                return Err(LedgerError::Invalid {
                    field: "chargeId",
                    allowed: format!(
                        "the charge of a paid order recorded without one; {} is {} with charge {}",
                        a.order_no,
                        a.state,
                        a.charge_id.as_deref().unwrap_or("none")
                    ),
                })
            }
        }
        tx.execute(
            "UPDATE attempts SET charge_id = ?1, updated_at = ?2 WHERE id = ?3 AND charge_id IS NULL",
            params![charge_id, now, id],
        )?;
        let entry = JournalEntry::ChargeFound(ChargeFound {
            order_no: a.order_no.clone(),
            charge_id: charge_id.to_owned(),
            source: source.to_owned(),
        });
        journal::append(
            &tx,
            self.key().as_ref(),
            now,
            Some(a.sale_id),
            Some(id),
            &entry,
        )?;
        let a = load_attempt(&tx, id)?;
        tx.commit()?;
        Ok(a)
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

    /// The newest attempt elepay gave a code for: a code the ledger's elepay
    /// app must know (used to tell a key of another app).
    pub fn newest_code_attempt(&self) -> Result<Option<Attempt>, LedgerError> {
        Ok(self
            .query_attempts("WHERE a.code_id IS NOT NULL ORDER BY a.id DESC LIMIT 1", [])?
            .pop())
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
}

#[cfg(test)]
mod wire_tests {
    use super::*;

    /// Each attempt on the wire says whether its sale may be tried again,
    /// whether it may be cancelled and whether its code is live: the
    /// screens show "Try again", "Cancel", the QR and the countdown from
    /// these, never from a rule of their own.
    #[test]
    fn every_attempt_carries_retryable_per_state() {
        use AttemptState::*;
        let table = [
            (Reserved, false),
            (Creating, false),
            (Pending, false),
            (Captured, false),
            (Closed, true),
            (Expired, true),
            (Burned, true),
            (Rejected, true),
        ];
        assert_eq!(table.len(), AttemptState::ALL.len());
        for (state, retryable) in table {
            let a = Attempt {
                id: 1,
                sale_id: 1,
                shift_id: None,
                order_no: "R1-20260101-0001".into(),
                amount: 100,
                state,
                code_id: None,
                code_url: None,
                expiry_time: None,
                key_last4: None,
                charge_id: None,
                payment_method: None,
                paid_time: None,
                error_code: None,
                created_at: 0,
                updated_at: 0,
            };
            let json = serde_json::to_value(&a).unwrap();
            assert_eq!(json["state"], state.as_str(), "{state}");
            assert_eq!(json["retryable"], retryable, "{state}");
            let settled = !matches!(state, Reserved | Creating | Pending);
            assert_eq!(json["final"], settled, "{state}");
            assert_eq!(json["cancellable"], state == Pending, "{state}");
            assert_eq!(json["showsCode"], state == Pending, "{state}");
        }
    }
}
