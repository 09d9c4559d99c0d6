//! X/Z reports: per-state and per-wallet totals of a shift's attempts, read
//! from the running `shift_totals` kept by triggers, plus its refunds and
//! late payments.
//!
//! A payment belongs to the shift its sale was rung up in, even when elepay
//! confirms it after that shift closed (the report then counts it as late);
//! a refund counts in the shift it was made in.

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::attempts::shift_edge_order_no;
use crate::by_rate::{rate_sums, ByRate, TaxFigures};
use crate::refunds::refund_totals;
use crate::shifts::load_shift;
use crate::{AttemptState, Ledger, LedgerError, RefundTotals, Shift, ShiftId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StateTotal {
    pub count: i64,
    pub amount: i64,
}

impl StateTotal {
    fn minus(self, o: StateTotal) -> StateTotal {
        StateTotal {
            count: self.count.saturating_sub(o.count),
            amount: self.amount.saturating_sub(o.amount),
        }
    }

    fn is_zero(self) -> bool {
        self.count == 0 && self.amount == 0
    }
}

/// A report's figures. A Z report keeps them as they were at its close
/// (journaled with the close); what changed since (a late payment, a
/// refund completed) is shown apart, as figures "since the close".
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    pub paid: StateTotal,
    pub cancelled: StateTotal,
    pub expired: StateTotal,
    /// Create requests whose outcome was unknown (never shown, never payable).
    pub burned: StateTotal,
    /// Create requests elepay refused.
    pub rejected: StateTotal,
    /// Codes not final yet (still on screen or being resolved).
    pub unresolved: StateTotal,
    /// Paid attempts per wallet, sorted by wallet name.
    pub paid_by_wallet: Vec<(String, StateTotal)>,
    pub refunds: RefundTotals,
    /// Paid minus refunds that are confirmed or in progress.
    pub net_sales: i64,
    /// Paid after the shift closed (included in `paid`; a Z kept at its
    /// close shows these in its `since_close`).
    pub late: StateTotal,
    /// By tax rate, with 総売上 / 返金 / 純売上, 客数, 客単価. Absent from the
    /// figures of a Z closed before rates were recorded (schema v6); a
    /// report fills it in as "rate not recorded".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_rate: Option<TaxFigures>,
}

impl Figures {
    /// `self - before`, or `None` when nothing changed.
    pub fn since(&self, before: &Figures) -> Option<Figures> {
        let mut wallets: Vec<(String, StateTotal)> = Vec::new();
        for (w, t) in &self.paid_by_wallet {
            let old = before
                .paid_by_wallet
                .iter()
                .find(|(b, _)| b == w)
                .map_or_else(StateTotal::default, |(_, t)| *t);
            wallets.push((w.clone(), t.minus(old)));
        }
        for (w, t) in &before.paid_by_wallet {
            if !self.paid_by_wallet.iter().any(|(n, _)| n == w) {
                wallets.push((w.clone(), StateTotal::default().minus(*t)));
            }
        }
        wallets.retain(|(_, t)| !t.is_zero());
        let r = |a: StateTotal, b: StateTotal| a.minus(b);
        let d = Figures {
            paid: r(self.paid, before.paid),
            cancelled: r(self.cancelled, before.cancelled),
            expired: r(self.expired, before.expired),
            burned: r(self.burned, before.burned),
            rejected: r(self.rejected, before.rejected),
            unresolved: r(self.unresolved, before.unresolved),
            paid_by_wallet: wallets,
            refunds: RefundTotals {
                refunded: r(self.refunds.refunded, before.refunds.refunded),
                in_progress: r(self.refunds.in_progress, before.refunds.in_progress),
                failed: r(self.refunds.failed, before.refunds.failed),
            },
            net_sales: self.net_sales.saturating_sub(before.net_sales),
            late: r(self.late, before.late),
            by_rate: match (&self.by_rate, &before.by_rate) {
                (Some(now), Some(then)) => {
                    Some(now.since(then)).filter(|d| *d != TaxFigures::default())
                }
                _ => None,
            },
        };
        (d != Figures::default()).then_some(d)
    }
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

/// An X report (shift still open) or a Z report (shift closed). Counts are
/// attempts, i.e. EasyQR codes; one sale can have several (a retry after an
/// expiry is a second code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShiftReport {
    pub shift: Shift,
    /// When the report was made.
    pub at: i64,
    /// Counts and yen (a Z: as closed). Read through the report itself
    /// (`report.paid`), and serialised inline.
    #[serde(flatten)]
    pub figures: Figures,
    /// orderNo of the shift's first sale and of its last sale (latest attempt).
    pub first_order_no: Option<String>,
    pub last_order_no: Option<String>,
    /// A Z report: what changed since its close (the figures above are as
    /// closed). `None` for an X report, a Z nothing changed since, or a Z
    /// closed before its figures were kept.
    pub since_close: Option<Figures>,
}

/// Sales stored with no shift (rung up before a shift was required): in
/// no X/Z report, so shown on their own, so nothing stays invisible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutsideShifts {
    pub at: i64,
    /// Attempts (codes) of those sales, per state.
    pub by_state: Vec<(AttemptState, StateTotal)>,
    pub paid: StateTotal,
    pub paid_by_wallet: Vec<(String, StateTotal)>,
    /// Refunds stored with no shift (made before refunds required one).
    pub refunds: RefundTotals,
    pub net_sales: i64,
    /// When the first and the last of those sales was rung up.
    pub first_at: Option<i64>,
    pub last_at: Option<i64>,
}

impl OutsideShifts {
    /// Nothing outside a shift: nothing to show.
    pub fn is_empty(&self) -> bool {
        self.by_state.is_empty() && self.refunds == RefundTotals::default()
    }
}

/// A report reads as its figures (`report.paid`, `report.net_sales`).
impl std::ops::Deref for ShiftReport {
    type Target = Figures;

    fn deref(&self) -> &Figures {
        &self.figures
    }
}

impl ShiftReport {
    /// "Z" once the shift is closed, "X" before.
    pub fn kind(&self) -> &'static str {
        if self.shift.closed_at.is_some() {
            "Z"
        } else {
            "X"
        }
    }
}

impl Ledger {
    /// Per-state and per-wallet counts and sums of a shift's attempts (the
    /// core of X/Z reports). Attempts belong to the shift their sale was rung
    /// up in. Read from running totals, so it costs the same at any size.
    pub fn shift_totals(&self, shift_id: ShiftId) -> Result<ShiftTotals, LedgerError> {
        shift_totals_on(&self.conn(), shift_id)
    }

    /// Sales and refunds stored outside any shift (older ledgers).
    pub fn outside_shifts(&self, now: i64) -> Result<OutsideShifts, LedgerError> {
        // The running totals keep shiftless sales under shift id 0.
        let totals = self.shift_totals(0)?;
        let conn = self.conn();
        let refunds = refund_totals(&conn, None)?;
        let (first_at, last_at) = conn.query_row(
            "SELECT min(created_at), max(created_at) FROM sales WHERE shift_id IS NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let paid = totals.get(AttemptState::Captured);
        Ok(OutsideShifts {
            at: now,
            paid,
            net_sales: paid.amount - refunds.deducted(),
            by_state: totals.by_state,
            paid_by_wallet: totals.paid_by_wallet,
            refunds,
            first_at,
            last_at,
        })
    }

    /// The X report of an open shift or the Z report of a closed one. Reads
    /// running totals and a few indexed rows, so it costs the same for a
    /// shift of ten payments or of a million. A Z shows its figures as
    /// closed, and what changed since apart.
    pub fn shift_report(&self, id: ShiftId, now: i64) -> Result<ShiftReport, LedgerError> {
        let conn = self.conn();
        let shift = load_shift(&conn, id)?;
        let live = figures(&conn, id)?;
        let kept: Option<Figures> = conn
            .query_row("SELECT z_figures FROM shifts WHERE id = ?1", [id], |r| {
                r.get::<_, Option<String>>(0)
            })?
            .map(|t| serde_json::from_str(&t))
            .transpose()
            .map_err(|e| LedgerError::Corrupt(format!("shift {id}'s closing figures: {e}")))?;
        let (shown, since_close) = match kept {
            Some(mut closed) => {
                closed.fill_unrecorded();
                let since = live.since(&closed);
                (closed, since)
            }
            None => (live, None),
        };
        Ok(ShiftReport {
            at: now,
            figures: shown,
            first_order_no: shift_edge_order_no(&conn, id, false)?,
            last_order_no: shift_edge_order_no(&conn, id, true)?,
            since_close,
            shift,
        })
    }
}

/// A shift's figures now, read in the caller's transaction.
pub(crate) fn figures(conn: &Connection, id: ShiftId) -> Result<Figures, LedgerError> {
    let totals = shift_totals_on(conn, id)?;
    let refunds = refund_totals(conn, Some(id))?;
    let late = conn.query_row(
        "SELECT count(*), coalesce(sum(amount), 0) FROM late_captures WHERE shift_id = ?1",
        [id],
        |r| {
            Ok(StateTotal {
                count: r.get(0)?,
                amount: r.get(1)?,
            })
        },
    )?;
    let rates = rate_sums(conn, id)?;
    Ok(Figures::assemble(&totals, refunds, late, rates))
}

impl Figures {
    /// What a report counts, from a shift's raw totals: the one rule, used
    /// by the ledger's X/Z reports and by the head office's copy. `rates`:
    /// the shift's paid sales and its refunds per tax rate.
    pub fn assemble(
        totals: &ShiftTotals,
        refunds: RefundTotals,
        late: StateTotal,
        rates: (ByRate, ByRate),
    ) -> Figures {
        let sum = |states: &[AttemptState]| {
            states.iter().fold(StateTotal::default(), |acc, s| {
                let t = totals.get(*s);
                StateTotal {
                    count: acc.count.saturating_add(t.count),
                    amount: acc.amount.saturating_add(t.amount),
                }
            })
        };
        let paid = totals.get(AttemptState::Captured);
        Figures {
            paid,
            cancelled: totals.get(AttemptState::Closed),
            expired: totals.get(AttemptState::Expired),
            burned: totals.get(AttemptState::Burned),
            rejected: totals.get(AttemptState::Rejected),
            unresolved: sum(&[
                AttemptState::Reserved,
                AttemptState::Creating,
                AttemptState::Pending,
            ]),
            paid_by_wallet: totals.paid_by_wallet.clone(),
            net_sales: paid.amount.saturating_sub(refunds.deducted()),
            by_rate: Some(TaxFigures::assemble(
                rates.0,
                rates.1,
                paid,
                refunds.deducted(),
            )),
            refunds,
            late,
        }
    }

    /// Figures kept before rates were recorded count everything as "rate
    /// not recorded" (never guessed).
    pub fn fill_unrecorded(&mut self) {
        if self.by_rate.is_none() {
            self.by_rate = Some(TaxFigures::unrecorded(self.paid, self.refunds.deducted()));
        }
    }
}

impl ShiftTotals {
    /// Adds one (state, wallet) total. Call in (state, wallet) order, as
    /// the lists are kept sorted.
    pub fn add(&mut self, state: AttemptState, wallet: &str, t: StateTotal) {
        match self.by_state.last_mut() {
            // Saturating: HQ adds up what registers sent it.
            Some((s, sum)) if *s == state => {
                sum.count = sum.count.saturating_add(t.count);
                sum.amount = sum.amount.saturating_add(t.amount);
            }
            _ => self.by_state.push((state, t)),
        }
        if state == AttemptState::Captured {
            self.paid_by_wallet.push((wallet.to_owned(), t));
        }
    }
}

/// Per-state and per-wallet totals of a shift, in the caller's transaction.
fn shift_totals_on(conn: &Connection, shift_id: ShiftId) -> Result<ShiftTotals, LedgerError> {
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
        totals.add(state, &wallet, t);
    }
    Ok(totals)
}
