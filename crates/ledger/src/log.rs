//! The transaction log as the shift lead reviews it: attempts with their
//! refunds and lateness, filtered and paged newest first.

use rusqlite::types::Value as Sql;
use rusqlite::Row;
use serde::{Deserialize, Serialize};

use crate::attempts::{attempt_from_row, ATTEMPT_COLS};
use crate::{
    journal, Attempt, AttemptId, AttemptState, Ledger, LedgerError, SaleId, ShiftId, TimelineEntry,
};

/// Which attempts to list. Every field is optional; they combine with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogFilter {
    /// Rung up at or after (epoch ms).
    pub from: Option<i64>,
    /// Rung up before (epoch ms).
    pub to: Option<i64>,
    pub shift_id: Option<ShiftId>,
    /// Any of these states; empty means all.
    #[serde(default)]
    pub states: Vec<AttemptState>,
    /// elepay's paymentMethod, e.g. "paypay".
    pub wallet: Option<String>,
    pub min_amount: Option<i64>,
    pub max_amount: Option<i64>,
    /// Part of an orderNo (e.g. its last digits).
    pub order_no: Option<String>,
    /// The first store day to list, as the shift lead types it:
    /// `YYYY/MM/DD` (or `YYYY/MM/DD HH:MM`); read by
    /// [`LogFilter::with_store_days`] into `from`.
    pub from_day: Option<String>,
    /// The last store day to list, inclusive (with a time: up to that
    /// minute); read into `to`.
    pub to_day: Option<String>,
}

/// One attempt as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogRow {
    #[serde(flatten)]
    pub attempt: Attempt,
    pub description: Option<String>,
    /// Refunds confirmed or in progress (failed ones are not counted).
    pub refunded: i64,
    /// A refund was sent whose answer was lost and elepay does not list
    /// yet: it may still be made, so nothing more can be refunded until
    /// elepay says.
    pub refund_unknown: bool,
    /// Paid after its shift had closed.
    pub late: bool,
    /// The sale's amount by tax rate as recorded with it; `None`: an older
    /// sale whose rate was not recorded.
    pub rates: Option<crate::ByRate>,
    /// What can still be refunded now (see [`LogRow::refundable`]).
    #[serde(rename = "refundable")]
    refundable_now: i64,
    /// The part of `refunded` elepay has not confirmed yet (requested or
    /// pending): shown as in progress, though already off net sales.
    pub refund_in_progress: i64,
    /// How much of a paid sale has been refunded (see [`RefundExtent::of`]);
    /// `None`: nothing, or not a paid sale.
    pub refund_extent: Option<RefundExtent>,
}

/// How much of a paid sale has been given back, as the log shows its state
/// (一部返金 / 返金済み). Refunds in progress count, as they do in net sales.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RefundExtent {
    /// Some of the amount, not all (一部返金).
    Part,
    /// All of it (返金済み).
    Full,
}

impl RefundExtent {
    /// `refunded`: the refunds not failed, of a sale in `state` paid `amount`.
    pub fn of(state: AttemptState, amount: i64, refunded: i64) -> Option<RefundExtent> {
        match state {
            AttemptState::Captured if refunded >= amount && refunded > 0 => {
                Some(RefundExtent::Full)
            }
            AttemptState::Captured if refunded > 0 => Some(RefundExtent::Part),
            _ => None,
        }
    }
}

impl LogRow {
    /// What can still be refunded: the paid amount less refunds not failed,
    /// and nothing while a refund's fate is unknown.
    pub fn refundable(&self) -> i64 {
        self.refundable_now
    }

    fn refundable_of(attempt: &Attempt, refunded: i64, refund_unknown: bool) -> i64 {
        if attempt.state == AttemptState::Captured && !refund_unknown {
            attempt.amount - refunded
        } else {
            0
        }
    }
}

impl LogFilter {
    /// The filter with `fromDay`/`toDay` read as the store's days (at its
    /// UTC offset) into `from`/`to`: the screen sends what was typed, and
    /// the date rule lives here. A day alone is the whole day (`toDay`
    /// includes it); a bad one names its field.
    pub fn with_store_days(&self, utc_offset_minutes: i32) -> Result<LogFilter, LedgerError> {
        let mut out = self.clone();
        let day = |field: &'static str, typed: &str| {
            let typed = typed.trim();
            crate::parse_local_time(field, &typed.replace('/', "-"), utc_offset_minutes)
                .map(|ms| (ms, typed.contains([' ', 'T'])))
                .map_err(|_| LedgerError::Invalid {
                    field,
                    allowed: format!(
                        "a store date YYYY/MM/DD (or YYYY/MM/DD HH:MM), not {typed:?}"
                    ),
                })
        };
        for (field, day_field, typed) in [
            ("from", "fromDay", out.from_day.take()),
            ("to", "toDay", out.to_day.take()),
        ] {
            let Some(typed) = typed.filter(|t| !t.trim().is_empty()) else {
                continue;
            };
            let (ms, timed) = day(day_field, &typed)?;
            if field == "from" {
                out.from = Some(ms);
            } else {
                // Until the end of that day, or that minute.
                out.to = Some(if timed { ms + 60_000 } else { ms + 86_400_000 });
            }
        }
        Ok(out)
    }

    /// Checks the filter and turns it into SQL conditions and parameters.
    pub(crate) fn to_sql(&self) -> Result<(String, Vec<Sql>), LedgerError> {
        let invalid = |field: &'static str, allowed: &str| LedgerError::Invalid {
            field,
            allowed: allowed.to_owned(),
        };
        if self.from_day.is_some() || self.to_day.is_some() {
            // A shell forgot with_store_days: never list the wrong days.
            return Err(invalid(
                "fromDay",
                "days read at the store's offset first (LogFilter::with_store_days)",
            ));
        }
        if let (Some(f), Some(t)) = (self.from, self.to) {
            if f > t {
                return Err(invalid("to", "a time at or after `from`"));
            }
        }
        for (field, v) in [
            ("minAmount", self.min_amount),
            ("maxAmount", self.max_amount),
        ] {
            if v.is_some_and(|v| !(0..=elepay::Amount::MAX).contains(&v)) {
                return Err(invalid(
                    field,
                    &format!("whole yen from 0 to {}", elepay::Amount::MAX),
                ));
            }
        }
        if let (Some(lo), Some(hi)) = (self.min_amount, self.max_amount) {
            if lo > hi {
                return Err(invalid("maxAmount", "an amount at or above `minAmount`"));
            }
        }
        if let Some(q) = &self.order_no {
            if q.is_empty()
                || q.len() > 50
                || !q.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return Err(invalid(
                    "orderNo",
                    "1 to 50 letters, digits or hyphens (part of an orderNo)",
                ));
            }
        }
        if let Some(w) = &self.wallet {
            if w.is_empty() || w.len() > 40 || !w.chars().all(|c| c.is_ascii_graphic()) {
                return Err(invalid("wallet", "a payment method name such as paypay"));
            }
        }
        let mut cond = Vec::new();
        let mut p: Vec<Sql> = Vec::new();
        let mut add = |sql: &str, v: Sql| {
            p.push(v);
            cond.push(sql.replace('?', &format!("?{}", p.len())));
        };
        if let Some(v) = self.from {
            add("s.created_at >= ?", Sql::Integer(v));
        }
        if let Some(v) = self.to {
            add("s.created_at < ?", Sql::Integer(v));
        }
        if let Some(v) = self.shift_id {
            add("s.shift_id = ?", Sql::Integer(v));
        }
        if let Some(v) = &self.wallet {
            add("a.payment_method = ?", Sql::Text(v.clone()));
        }
        if let Some(v) = self.min_amount {
            add("a.amount >= ?", Sql::Integer(v));
        }
        if let Some(v) = self.max_amount {
            add("a.amount <= ?", Sql::Integer(v));
        }
        if let Some(v) = &self.order_no {
            add(
                "instr(a.order_no, ?) > 0",
                Sql::Text(v.to_ascii_uppercase()),
            );
        }
        if !self.states.is_empty() {
            let list = self
                .states
                .iter()
                .map(|s| format!("'{}'", s.as_str()))
                .collect::<Vec<_>>()
                .join(",");
            cond.push(format!("a.state IN ({list})"));
        }
        let sql = if cond.is_empty() {
            "1".to_owned()
        } else {
            cond.join(" AND ")
        };
        Ok((sql, p))
    }
}

/// Columns after the attempt's own (see [`log_row`]).
const LOG_EXTRA: &str = "s.description,
    (SELECT coalesce(sum(r.amount), 0) FROM refunds r WHERE r.attempt_id = a.id AND r.status != 'failed'),
    EXISTS (SELECT 1 FROM late_captures l WHERE l.attempt_id = a.id),
    EXISTS (SELECT 1 FROM refunds r WHERE r.attempt_id = a.id AND r.status = 'requested'),
    (SELECT group_concat(t.rate || ':' || t.gross || ':' || t.tax, ',') FROM sale_taxes t WHERE t.sale_id = a.sale_id),
    (SELECT coalesce(sum(r.amount), 0) FROM refunds r WHERE r.attempt_id = a.id AND r.status IN ('requested', 'pending'))";

/// The log's query for a condition from [`LogFilter::to_sql`].
pub(crate) fn log_select(cond: &str) -> String {
    format!(
        "SELECT {ATTEMPT_COLS}, {LOG_EXTRA} FROM attempts a JOIN sales s ON s.id = a.sale_id WHERE {cond}"
    )
}

pub(crate) fn log_row(r: &Row<'_>) -> rusqlite::Result<LogRow> {
    let attempt = attempt_from_row(r)?;
    let (refunded, refund_unknown) = (r.get(17)?, r.get(19)?);
    let rates = r
        .get::<_, Option<String>>(20)?
        .map(|t| crate::by_rate::parse_rates(&t))
        .transpose()
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(20, rusqlite::types::Type::Text, e.into())
        })?;
    Ok(LogRow {
        rates,
        refundable_now: LogRow::refundable_of(&attempt, refunded, refund_unknown),
        refund_in_progress: r.get(21)?,
        refund_extent: RefundExtent::of(attempt.state, attempt.amount, refunded),
        attempt,
        description: r.get(16)?,
        refunded,
        refund_unknown,
        late: r.get(18)?,
    })
}

impl Ledger {
    /// Everything the journal recorded about a sale, oldest first: the
    /// detail timeline of the log screen.
    pub fn sale_timeline(&self, sale_id: SaleId) -> Result<Vec<TimelineEntry>, LedgerError> {
        let out = journal::sale_rows(&self.conn(), sale_id)?;
        if out.is_empty() {
            return Err(LedgerError::NotFound {
                what: "sale",
                id: sale_id.to_string(),
            });
        }
        Ok(out)
    }

    /// A page of the log, newest first; pass the last row's id as
    /// `before_id` for the next page.
    pub fn log(
        &self,
        filter: &LogFilter,
        limit: u32,
        before_id: Option<AttemptId>,
    ) -> Result<Vec<LogRow>, LedgerError> {
        let (cond, mut p) = filter.to_sql()?;
        p.push(Sql::Integer(before_id.unwrap_or(i64::MAX)));
        let before = p.len();
        p.push(Sql::Integer(i64::from(limit.min(1000))));
        let sql = format!(
            "{} AND a.id < ?{before} ORDER BY a.id DESC LIMIT ?{}",
            log_select(&cond),
            before + 1
        );
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(p), log_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod refund_extent_tests {
    use super::RefundExtent::{self, Full, Part};
    use crate::AttemptState::{self, *};

    /// Only a paid sale is refunded, in part or in full; refunds not
    /// failed count (those in progress too, as in net sales).
    #[test]
    fn a_paid_sale_is_refunded_in_part_or_in_full() {
        let table: [(AttemptState, i64, i64, Option<RefundExtent>); 7] = [
            (Captured, 1280, 0, None),
            (Captured, 1280, 280, Some(Part)),
            (Captured, 1280, 1279, Some(Part)),
            (Captured, 1280, 1280, Some(Full)),
            (Closed, 1280, 0, None),
            (Expired, 1280, 0, None),
            (Pending, 1280, 0, None),
        ];
        for (state, amount, refunded, want) in table {
            assert_eq!(
                RefundExtent::of(state, amount, refunded),
                want,
                "{state} {amount} {refunded}"
            );
        }
    }
}
