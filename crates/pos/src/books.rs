//! The shift lead's books: shifts with X/Z reports, the filtered log, a
//! sale's history, finding a sale's attempts, the journal check. Reading
//! and shift bookkeeping need no elepay key, so the CLI opens these alone.

use std::sync::Arc;

use easyqr_engine::{Clock, SystemClock};
use easyqr_ledger::{
    Attempt, AttemptState, JournalReport, Ledger, LedgerError, LogFilter, LogRow, OutsideShifts,
    Shift, ShiftId, ShiftReport, TimelineEntry,
};
use serde::Serialize;

use crate::error::{ErrorCode, PosError, Result};

/// At most this many rows per page of a list.
pub const PAGE_MAX: u32 = 500;

#[derive(Clone)]
pub struct Books {
    ledger: Arc<Ledger>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Books {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Books").finish_non_exhaustive()
    }
}

/// The register's open shift (with its X report), recent past shifts, and
/// the sales an older ledger stored outside any shift (when there are).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShiftStatus {
    pub open: Option<ShiftReport>,
    pub past: Vec<Shift>,
    pub outside_shifts: Option<OutsideShifts>,
}

/// How a sale's attempt is named from outside: by its orderNo or its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptRef {
    OrderNo(String),
    Id(i64),
}

impl Books {
    pub fn new(ledger: Arc<Ledger>) -> Books {
        Books::with_clock(ledger, Arc::new(SystemClock))
    }

    pub fn with_clock(ledger: Arc<Ledger>, clock: Arc<dyn Clock>) -> Books {
        Books { ledger, clock }
    }

    pub fn ledger(&self) -> &Arc<Ledger> {
        &self.ledger
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn shift_status(&self, register: &str) -> Result<ShiftStatus> {
        let open = match self.ledger.current_shift(register)? {
            Some(id) => Some(self.ledger.shift_report(id, self.now_ms())?),
            None => None,
        };
        let past = self
            .ledger
            .shifts(register, 20, None)?
            .into_iter()
            .filter(|s| s.closed_at.is_some())
            .collect();
        let outside = self.outside_shifts()?;
        Ok(ShiftStatus {
            open,
            past,
            outside_shifts: (!outside.is_empty()).then_some(outside),
        })
    }

    /// Sales and refunds stored outside any shift (rung up before a shift
    /// was required), which no X/Z report counts.
    pub fn outside_shifts(&self) -> Result<OutsideShifts> {
        Ok(self.ledger.outside_shifts(self.now_ms())?)
    }

    /// Opens a shift on `register` for `cashier`; answers its X report.
    pub fn open_shift(&self, register: &str, cashier: &str) -> Result<ShiftReport> {
        let now = self.now_ms();
        let id = self.ledger.open_shift(register, cashier.trim(), now)?;
        Ok(self.ledger.shift_report(id, now)?)
    }

    /// Closes the open shift of `register`; answers its Z report.
    pub fn close_shift(&self, register: &str) -> Result<ShiftReport> {
        let now = self.now_ms();
        let shift = self.ledger.close_shift(register, now)?;
        Ok(self.ledger.shift_report(shift.id, now)?)
    }

    /// The X report of an open shift, the Z report of a closed one.
    pub fn shift_report(&self, id: ShiftId) -> Result<ShiftReport> {
        match self.ledger.shift_report(id, self.now_ms()) {
            Err(LedgerError::NotFound { .. }) => Err(shift_not_found(id)),
            other => Ok(other?),
        }
    }

    /// `shift`, or the register's open shift when none is named.
    pub fn shift_or_current(&self, register: &str, shift: Option<ShiftId>) -> Result<ShiftId> {
        if let Some(id) = shift {
            return match self.ledger.shift(id) {
                Ok(_) => Ok(id),
                Err(LedgerError::NotFound { .. }) => Err(shift_not_found(id)),
                Err(e) => Err(e.into()),
            };
        }
        self.ledger.current_shift(register)?.ok_or_else(|| {
            PosError::new(
                ErrorCode::NotFound,
                format!("no open shift on register {register}; name a past one"),
            )
            .field("shift")
        })
    }

    pub fn shifts(&self, register: &str, limit: u32) -> Result<Vec<Shift>> {
        Ok(self.ledger.shifts(register, limit.min(PAGE_MAX), None)?)
    }

    pub fn log(&self, filter: &LogFilter, limit: u32, before: Option<i64>) -> Result<Vec<LogRow>> {
        Ok(self.ledger.log(filter, limit.min(PAGE_MAX), before)?)
    }

    pub fn recent_attempts(&self, limit: u32, before: Option<i64>) -> Result<Vec<Attempt>> {
        Ok(self.ledger.recent_attempts(limit.min(PAGE_MAX), before)?)
    }

    /// A sale's history from the journal, oldest first.
    pub fn sale_timeline(&self, sale_id: i64) -> Result<Vec<TimelineEntry>> {
        Ok(self.ledger.sale_timeline(sale_id)?)
    }

    /// Every attempt of an order (oldest first), or the one attempt named.
    /// Nothing found is an empty list, not an error.
    pub fn attempts(&self, which: &AttemptRef) -> Result<Vec<Attempt>> {
        match which {
            AttemptRef::OrderNo(o) => Ok(self.ledger.attempts_by_order_no(o)?),
            AttemptRef::Id(id) => match self.ledger.attempt(*id) {
                Ok(a) => Ok(vec![a]),
                Err(LedgerError::NotFound { .. }) => Ok(vec![]),
                Err(e) => Err(e.into()),
            },
        }
    }

    /// The attempt of `which` in `state` (the newest one), or `not_found`.
    pub fn attempt_in(&self, which: &AttemptRef, state: AttemptState) -> Result<Attempt> {
        self.attempts(which)?
            .into_iter()
            .rev()
            .find(|a| a.state == state)
            .ok_or_else(|| {
                let what = match state {
                    AttemptState::Pending => "pending code",
                    AttemptState::Captured => "paid payment",
                    _ => "attempt in that state",
                };
                PosError::new(ErrorCode::NotFound, format!("no {what} for that order"))
            })
    }

    /// Checks the journal's hash chain and replays it against the tables,
    /// then against each journal head given (as printed on a Z report) and
    /// the newest one recorded at a close.
    pub fn verify(&self, printed_heads: &[String]) -> Result<JournalReport> {
        let mut report = self.ledger.verify()?;
        if report.is_intact() {
            let mut problem = self.ledger.check_recorded_heads()?;
            for head in printed_heads {
                if problem.is_some() {
                    break;
                }
                problem = self
                    .ledger
                    .check_printed_head(head)
                    .map_err(|e| PosError::from(e).field("head"))?;
            }
            report.first_bad = problem.map(|reason| easyqr_ledger::BadRow {
                seq: report.rows as i64 + 1,
                reason,
            });
        }
        Ok(report)
    }
}

fn shift_not_found(id: ShiftId) -> PosError {
    PosError::new(ErrorCode::NotFound, format!("shift {id} does not exist")).field("shift")
}

/// Checks a ledger file on a read-only snapshot (for a check that must not
/// hold up the counter), and against the newest journal head recorded at a
/// close (a copy put back would pass the chain). `None` when intact, else
/// what was found.
pub fn journal_problem(ledger: &Ledger, path: &std::path::Path) -> Option<String> {
    match Ledger::verify_file(path, ledger.chain_key().as_ref()) {
        Ok(report) => {
            if let Some(b) = report.first_bad {
                return Some(format!("journal row {}: {}", b.seq, b.reason));
            }
        }
        Err(e) => return Some(format!("the ledger could not be checked: {e}")),
    }
    match ledger.check_recorded_heads() {
        Ok(found) => found,
        Err(e) => Some(format!("the recorded journal heads could not be read: {e}")),
    }
}
