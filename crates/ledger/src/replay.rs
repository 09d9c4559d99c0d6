//! Second half of [`crate::Ledger::verify`]: replays the journal and checks
//! that the tables say what it says. The hash chain proves the journal was
//! not edited; this proves the tables were not edited behind the journal
//! (an amount, an orderNo, a code URL, a deleted or invented row).

use std::collections::{BTreeMap, HashMap};

use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OptionalExtension};
use serde_json::Value;

use crate::entry::{AttemptChanged, AttemptReserved, ChargeFound, Transition};
use crate::journal::BadRow;
use crate::{JournalEntry, LedgerError};

/// `attempts` columns the replay compares, in table order.
const ATTEMPT_COLUMNS: &[&str] = &[
    "state",
    "order_no",
    "amount",
    "code_id",
    "code_url",
    "expiry_time",
    "key_last4",
    "charge_id",
    "payment_method",
    "paid_time",
    "error_code",
];

/// Reads a journal row, or reports it: one that does not read was written
/// outside the ledger (the chain held, so whoever wrote it also rewrote the
/// hashes), and the report names it like any other contradiction.
macro_rules! entry {
    ($seq:expr, $kind:expr, $payload:expr) => {
        match JournalEntry::parse($kind, $payload) {
            Ok(e) => e,
            Err(e) => {
                return Ok(bad(
                    $seq,
                    format!("the journal row does not read as {}: {e}", $kind),
                ))
            }
        }
    };
}

/// The `attempts` columns an attempt row of the journal sets, and to what.
/// A field an older row did not journal is not checked.
fn attempt_columns(e: &JournalEntry) -> Vec<(&'static str, Value)> {
    match e {
        JournalEntry::AttemptReserved(AttemptReserved {
            to,
            order_no,
            amount,
        }) => vec![
            ("state", to.as_str().into()),
            ("order_no", order_no.as_str().into()),
            ("amount", (*amount).into()),
        ],
        JournalEntry::AttemptChanged(AttemptChanged { order_no, to, .. }) => {
            let mut cols = vec![
                ("state", to.target().as_str().into()),
                ("order_no", order_no.as_str().into()),
            ];
            match to {
                Transition::Pending {
                    code_id,
                    code_url,
                    expiry_time,
                    key_last4,
                } => {
                    cols.push(("code_id", code_id.as_str().into()));
                    cols.push(("expiry_time", (*expiry_time).into()));
                    if let Some(url) = code_url {
                        cols.push(("code_url", url.as_str().into()));
                    }
                    if let Some(last4) = key_last4 {
                        cols.push(("key_last4", last4.as_str().into()));
                    }
                }
                Transition::Captured {
                    charge_id,
                    payment_method,
                    paid_time,
                    amount,
                    ..
                } => {
                    cols.push(("charge_id", charge_id.clone().into()));
                    cols.push(("payment_method", payment_method.clone().into()));
                    cols.push(("paid_time", (*paid_time).into()));
                    cols.push(("amount", (*amount).into()));
                }
                Transition::Rejected { error_code, .. } => {
                    cols.push(("error_code", error_code.as_str().into()));
                }
                Transition::Creating
                | Transition::Closed
                | Transition::Expired
                | Transition::Burned { .. } => {}
            }
            cols
        }
        JournalEntry::ChargeFound(ChargeFound {
            order_no,
            charge_id,
            ..
        }) => vec![
            ("order_no", order_no.as_str().into()),
            ("charge_id", charge_id.as_str().into()),
        ],
        _ => Vec::new(),
    }
}

fn to_json(v: Sql) -> Value {
    match v {
        Sql::Null => Value::Null,
        Sql::Integer(i) => Value::from(i),
        Sql::Real(f) => Value::from(f),
        Sql::Text(s) => Value::from(s),
        Sql::Blob(b) => Value::from(hex::encode(b)),
    }
}

/// What one entity's journal rows say its row must contain.
#[derive(Default)]
struct Expected {
    last_seq: i64,
    sale_id: Option<i64>,
    fields: BTreeMap<&'static str, Value>,
}

/// A value as a person reads it in a report: strings without JSON quotes.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "nothing".into(),
        other => other.to_string(),
    }
}

fn bad(seq: i64, reason: String) -> Option<BadRow> {
    Some(BadRow { seq, reason })
}

/// Replays attempt rows; both sides are walked in id order, so memory stays
/// flat however large the ledger is.
pub(crate) fn check_attempts(conn: &Connection) -> Result<Option<BadRow>, LedgerError> {
    let mut journal = conn.prepare(
        "SELECT seq, attempt_id, sale_id, kind, payload FROM journal
         WHERE attempt_id IS NOT NULL
           AND kind IN ('attempt.reserved', 'attempt.changed', 'attempt.chargeFound')
         ORDER BY attempt_id, seq",
    )?;
    let cols = ATTEMPT_COLUMNS;
    let mut table = conn.prepare(&format!(
        "SELECT id, sale_id, {} FROM attempts ORDER BY id",
        cols.join(", ")
    ))?;
    let mut j_rows = journal.query([])?;
    let mut t_rows = table.query([])?;

    let mut pending: Option<(i64, Expected)> = None;
    let mut next_journal =
        |pending: &mut Option<(i64, Expected)>| -> Result<Option<(i64, Expected)>, LedgerError> {
            // Collects every journal row of the next attempt id.
            let mut current = pending.take();
            while let Some(r) = j_rows.next()? {
                let (seq, id, sale): (i64, i64, Option<i64>) = (r.get(0)?, r.get(1)?, r.get(2)?);
                let (kind, payload): (String, String) = (r.get(3)?, r.get(4)?);
                let payload = JournalEntry::parse(&kind, &payload)
                    .map_err(|e| LedgerError::Corrupt(format!("journal row {seq}: {e}")))?;
                let expected = match &mut current {
                    Some((cid, e)) if *cid == id => e,
                    Some(_) => {
                        let mut e = Expected::default();
                        apply(&mut e, seq, sale, &payload);
                        *pending = Some((id, e));
                        return Ok(current);
                    }
                    None => &mut current.insert((id, Expected::default())).1,
                };
                apply(expected, seq, sale, &payload);
            }
            Ok(current)
        };

    let mut group = next_journal(&mut pending)?;
    loop {
        let row = t_rows.next()?;
        match (row, group.take()) {
            (None, None) => return Ok(None),
            (None, Some((id, e))) => {
                return Ok(bad(
                    e.last_seq,
                    format!("attempt {id} is in the journal but its row was deleted"),
                ))
            }
            (Some(r), g) => {
                let id: i64 = r.get(0)?;
                let Some((jid, e)) = g.filter(|(jid, _)| *jid <= id) else {
                    return Ok(bad(
                        0,
                        format!(
                            "attempt {id} has no journal rows (written behind the ledger's back)"
                        ),
                    ));
                };
                if jid < id {
                    return Ok(bad(
                        e.last_seq,
                        format!("attempt {jid} is in the journal but its row was deleted"),
                    ));
                }
                let sale: i64 = r.get(1)?;
                if e.sale_id.is_some_and(|s| s != sale) {
                    return Ok(bad(
                        e.last_seq,
                        format!(
                            "attempt {id} belongs to sale {sale} but its journal says {:?}",
                            e.sale_id
                        ),
                    ));
                }
                for (i, col) in cols.iter().enumerate() {
                    let Some(want) = e.fields.get(col) else {
                        continue;
                    };
                    let have = to_json(r.get::<_, Sql>(i + 2)?);
                    if &have != want {
                        return Ok(bad(
                            e.last_seq,
                            format!(
                                "attempt {id} has {col} = {} but its journal says {}",
                                show(&have),
                                show(want)
                            ),
                        ));
                    }
                }
                group = next_journal(&mut pending)?;
            }
        }
    }
}

fn apply(e: &mut Expected, seq: i64, sale: Option<i64>, entry: &JournalEntry) {
    e.last_seq = seq;
    e.sale_id = e.sale_id.or(sale);
    e.fields.extend(attempt_columns(entry));
}

/// Sales: amount, shift and description as journaled at creation.
pub(crate) fn check_sales(conn: &Connection) -> Result<Option<BadRow>, LedgerError> {
    let mut journal = conn.prepare(
        "SELECT seq, sale_id, kind, payload FROM journal WHERE kind = 'sale.created' ORDER BY sale_id",
    )?;
    let mut table =
        conn.prepare("SELECT id, amount, shift_id, description FROM sales ORDER BY id")?;
    let mut j_rows = journal.query([])?;
    let mut t_rows = table.query([])?;
    loop {
        match (t_rows.next()?, j_rows.next()?) {
            (None, None) => return Ok(None),
            (Some(t), None) => {
                let id: i64 = t.get(0)?;
                return Ok(bad(
                    0,
                    format!("sale {id} has no journal row (written behind the ledger's back)"),
                ));
            }
            (None, Some(j)) => {
                let (seq, id): (i64, i64) = (j.get(0)?, j.get(1)?);
                return Ok(bad(
                    seq,
                    format!("sale {id} is in the journal but its row was deleted"),
                ));
            }
            (Some(t), Some(j)) => {
                let id: i64 = t.get(0)?;
                let (seq, jid): (i64, i64) = (j.get(0)?, j.get(1)?);
                if id != jid {
                    let (which, what) = if id < jid {
                        (id, "has no journal row")
                    } else {
                        (jid, "is in the journal but its row was deleted")
                    };
                    return Ok(bad(seq, format!("sale {which} {what}")));
                }
                let (kind, payload): (String, String) = (j.get(2)?, j.get(3)?);
                let JournalEntry::SaleCreated(p) = entry!(seq, &kind, &payload) else {
                    continue;
                };
                let have = [
                    ("amount", to_json(t.get(1)?), Value::from(p.amount)),
                    ("shiftId", to_json(t.get(2)?), Value::from(p.shift_id)),
                    (
                        "description",
                        to_json(t.get(3)?),
                        Value::from(p.description),
                    ),
                ];
                for (key, v, want) in have {
                    if v != want {
                        return Ok(bad(
                            seq,
                            format!(
                                "sale {id} has {key} = {} but its journal says {}",
                                show(&v),
                                show(&want)
                            ),
                        ));
                    }
                }
            }
        }
    }
}

/// What a refund's journal rows say its row holds.
struct RefundExpected {
    seq: i64,
    attempt: Value,
    amount: Value,
    status: Value,
    refund_id: Value,
    /// `None`: journaled before the shift was (not checked).
    shift: Option<Value>,
}

/// Refunds are few per shift, so they are replayed in memory.
pub(crate) fn check_refunds(conn: &Connection) -> Result<Option<BadRow>, LedgerError> {
    let mut expected: HashMap<i64, RefundExpected> = HashMap::new();
    let mut journal = conn.prepare(
        "SELECT seq, kind, attempt_id, payload FROM journal
         WHERE kind IN ('refund.requested', 'refund.changed') ORDER BY seq",
    )?;
    let mut rows = journal.query([])?;
    while let Some(r) = rows.next()? {
        let (seq, kind, attempt): (i64, String, Option<i64>) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let payload: String = r.get(3)?;
        match entry!(seq, &kind, &payload) {
            JournalEntry::RefundRequested(p) => {
                let fields = RefundExpected {
                    seq,
                    attempt: Value::from(attempt),
                    amount: Value::from(p.amount),
                    status: Value::from("requested"),
                    refund_id: Value::Null,
                    shift: p.shift_id.map(Value::from),
                };
                expected.insert(p.refund, fields);
            }
            JournalEntry::RefundChanged(p) => {
                let Some(e) = expected.get_mut(&p.refund) else {
                    return Ok(bad(
                        seq,
                        format!("refund {} changes before it was requested", p.refund),
                    ));
                };
                e.seq = seq;
                e.status = Value::from(p.status.as_str());
                if let Some(refund_id) = p.refund_id {
                    e.refund_id = Value::from(refund_id);
                }
            }
            _ => {}
        }
    }
    let mut table = conn.prepare(
        "SELECT id, attempt_id, amount, status, refund_id, shift_id FROM refunds ORDER BY id",
    )?;
    let mut rows = table.query([])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let Some(e) = expected.remove(&id) else {
            return Ok(bad(0, format!("refund {id} has no journal row")));
        };
        let mut have = vec![
            ("attempt_id", to_json(r.get(1)?), e.attempt),
            ("amount", to_json(r.get(2)?), e.amount),
            ("status", to_json(r.get(3)?), e.status),
            ("refund_id", to_json(r.get(4)?), e.refund_id),
        ];
        if let Some(shift) = e.shift {
            have.push(("shift_id", to_json(r.get(5)?), shift));
        }
        for (col, v, want) in have {
            if v != want {
                return Ok(bad(
                    e.seq,
                    format!(
                        "refund {id} has {col} = {} but its journal says {}",
                        show(&v),
                        show(&want)
                    ),
                ));
            }
        }
    }
    if let Some((id, RefundExpected { seq, .. })) = expected.into_iter().min_by_key(|(_, e)| e.seq)
    {
        return Ok(bad(
            seq,
            format!("refund {id} is in the journal but its row was deleted"),
        ));
    }
    Ok(None)
}

/// The running totals must equal a fresh count of the attempts.
pub(crate) fn check_totals(conn: &Connection) -> Result<Option<BadRow>, LedgerError> {
    let mut stmt = conn.prepare(
        "SELECT shift_id, state, payment_method, count, amount FROM (
            SELECT coalesce(s.shift_id, 0) AS shift_id, a.state AS state,
                   coalesce(a.payment_method, '') AS payment_method,
                   count(*) AS count, sum(a.amount) AS amount
            FROM attempts a JOIN sales s ON s.id = a.sale_id GROUP BY 1, 2, 3
            EXCEPT
            SELECT shift_id, state, payment_method, count, amount FROM shift_totals WHERE count != 0
         ) LIMIT 1",
    )?;
    let first: Option<(i64, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .next()
        .transpose()?;
    let extra: Option<(i64, String)> = conn
        .prepare(
            "SELECT shift_id, state FROM shift_totals t WHERE count != 0 AND NOT EXISTS (
                SELECT 1 FROM attempts a JOIN sales s ON s.id = a.sale_id
                WHERE coalesce(s.shift_id, 0) = t.shift_id AND a.state = t.state
                  AND coalesce(a.payment_method, '') = t.payment_method) LIMIT 1",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .next()
        .transpose()?;
    Ok(first.or(extra).and_then(|(shift, state)| {
        bad(
            0,
            format!("the running totals of shift {shift} ({state}) differ from its attempts"),
        )
    }))
}

/// Shifts are few, so they are replayed in memory: register, cashier, open
/// and close times and Z numbers must be what the journal says (a Z report
/// is only worth its number if nobody can renumber or reopen it). Late
/// captures must be payments of their shift confirmed after it closed.
pub(crate) fn check_shifts(conn: &Connection) -> Result<Option<BadRow>, LedgerError> {
    // id → (last seq, register, cashier, opened_at, closed_at, z_number)
    let mut expected: BTreeMap<i64, (i64, Value, Value, Value, Value, Value)> = BTreeMap::new();
    let mut journal = conn.prepare(
        "SELECT seq, kind, at, payload FROM journal
         WHERE kind IN ('shift.opened', 'shift.closed') ORDER BY seq",
    )?;
    let mut rows = journal.query([])?;
    while let Some(r) = rows.next()? {
        let (seq, kind, at): (i64, String, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let payload: String = r.get(3)?;
        match entry!(seq, &kind, &payload) {
            JournalEntry::ShiftOpened(p) => {
                let fields = (
                    seq,
                    Value::from(p.register_id),
                    Value::from(p.cashier),
                    Value::from(at),
                    Value::Null,
                    Value::Null,
                );
                expected.insert(p.shift_id, fields);
            }
            JournalEntry::ShiftClosed(p) => {
                let Some(e) = expected.get_mut(&p.shift_id) else {
                    return Ok(bad(
                        seq,
                        format!("shift {} closes before it was opened", p.shift_id),
                    ));
                };
                e.0 = seq;
                e.4 = Value::from(p.closed_at);
                e.5 = Value::from(p.z_number);
            }
            _ => {}
        }
    }
    let mut table = conn.prepare(
        "SELECT id, register_id, cashier, opened_at, closed_at, z_number FROM shifts ORDER BY id",
    )?;
    let mut rows = table.query([])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let Some((seq, register, cashier, opened, closed, z)) = expected.remove(&id) else {
            return Ok(bad(0, format!("shift {id} has no journal row")));
        };
        let have = [
            ("register_id", to_json(r.get(1)?), register),
            ("cashier", to_json(r.get(2)?), cashier),
            ("opened_at", to_json(r.get(3)?), opened),
            ("closed_at", to_json(r.get(4)?), closed),
            ("z_number", to_json(r.get(5)?), z),
        ];
        for (col, v, want) in have {
            if v != want {
                return Ok(bad(
                    seq,
                    format!(
                        "shift {id} has {col} = {} but its journal says {}",
                        show(&v),
                        show(&want)
                    ),
                ));
            }
        }
    }
    if let Some((id, (seq, ..))) = expected.into_iter().next() {
        return Ok(bad(
            seq,
            format!("shift {id} is in the journal but its row was deleted"),
        ));
    }
    // "After the close" is the journal's order, never the clocks': a
    // register whose clock was set back still captured after the close.
    let stray: Option<i64> = conn
        .query_row(
            &format!(
                "WITH {CLOSES}
                 SELECT l.attempt_id FROM late_captures l
                 LEFT JOIN attempts a ON a.id = l.attempt_id
                 LEFT JOIN sales s ON s.id = a.sale_id
                 LEFT JOIN shifts sh ON sh.id = s.shift_id
                 LEFT JOIN closes c ON c.shift_id = sh.id
                 WHERE a.state IS NOT 'captured' OR sh.id IS NOT l.shift_id
                    OR sh.closed_at IS NULL OR l.captured_at IS NOT a.updated_at
                    OR l.amount IS NOT a.amount
                    OR c.seq IS NULL OR ({CAPTURE_SEQ}) < c.seq
                 LIMIT 1"
            ),
            [],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(a) = stray {
        return Ok(bad(
            0,
            format!("attempt {a} is listed as paid after its shift closed, but it was not"),
        ));
    }
    let unmarked: Option<(i64, i64)> = conn
        .query_row(
            &format!(
                "WITH {CLOSES}
                 SELECT a.id, ({CAPTURE_SEQ}) AS cap FROM closes c
                 JOIN sales s ON s.shift_id = c.shift_id
                 JOIN attempts a ON a.sale_id = s.id AND a.state = 'captured'
                 LEFT JOIN late_captures l ON l.attempt_id = a.id
                 WHERE l.attempt_id IS NULL AND cap > c.seq
                 LIMIT 1"
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(unmarked.and_then(|(a, seq)| {
        bad(
            seq,
            format!("attempt {a} was paid after its shift closed, but its late mark was removed"),
        )
    }))
}

/// The journal row that recorded attempt `a`'s payment.
const CAPTURE_SEQ: &str = "SELECT max(j.seq) FROM journal j WHERE j.attempt_id = a.id
    AND j.kind = 'attempt.changed' AND json_extract(j.payload, '$.to') = 'captured'";
/// The journal row that closed each shift, read once (the journal has no
/// index on its kind).
const CLOSES: &str =
    "closes AS MATERIALIZED (SELECT json_extract(payload, '$.shiftId') AS shift_id,
    seq FROM journal WHERE kind = 'shift.closed')";
