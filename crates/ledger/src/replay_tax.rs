//! The recorded tax replayed from the journal: each sale's lines, policy
//! and rates (`sale.taxed`) and each refund's returned lines and rates
//! (`refund.taxed`) must be what the tables hold, none added or removed
//! behind the journal's back; the running totals by rate must equal a
//! fresh count. (The tables also refuse UPDATE and DELETE by trigger; this
//! catches an edit made with the triggers dropped.)

use std::collections::BTreeMap;

use rusqlite::Connection;

use crate::journal::BadRow;
use crate::{JournalEntry, LedgerError};

fn bad(seq: i64, reason: String) -> Option<BadRow> {
    Some(BadRow { seq, reason })
}

/// One record's canonical text, as the journal says (with its row).
type Records = BTreeMap<i64, (i64, String)>;
/// The same, as the tables hold it.
type Held = BTreeMap<i64, String>;

fn rates_text<'a>(rates: impl Iterator<Item = (&'a str, i64, i64)>) -> String {
    let mut v: Vec<String> = rates.map(|(r, g, t)| format!("{r}:{g}:{t}")).collect();
    v.sort();
    v.join(",")
}

fn from_journal(conn: &Connection) -> Result<(Records, Records), LedgerError> {
    let mut stmt = conn.prepare(
        "SELECT seq, sale_id, kind, payload FROM journal
         WHERE kind IN ('sale.taxed', 'refund.taxed') ORDER BY seq",
    )?;
    let (mut sales, mut refunds) = (Records::new(), Records::new());
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (seq, sale, kind, payload): (i64, Option<i64>, String, String) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        let entry = JournalEntry::parse(&kind, &payload)
            .map_err(|e| LedgerError::Corrupt(format!("journal row {seq}: {e}")))?;
        match entry {
            JournalEntry::SaleTaxed(t) => {
                let b = &t.breakdown;
                let lines: Vec<String> = t
                    .lines
                    .iter()
                    .map(|l| format!("{}|{}|{}|{}", l.name, l.qty, l.unit_price, l.rate))
                    .collect();
                let rates = rates_text(b.rates.iter().map(|r| (r.rate.as_str(), r.gross, r.tax)));
                let text = format!(
                    "{} {} [{}] {rates}",
                    b.pricing.as_str(),
                    b.rounding.as_str(),
                    lines.join(";")
                );
                sales.insert(sale.unwrap_or_default(), (seq, text));
            }
            JournalEntry::RefundTaxed(t) => {
                let lines: Vec<String> = t
                    .lines
                    .iter()
                    .map(|l| format!("{}x{}", l.line, l.qty))
                    .collect();
                let rates = rates_text(
                    t.breakdown
                        .rates
                        .iter()
                        .map(|r| (r.rate.as_str(), r.gross, r.tax)),
                );
                refunds.insert(t.refund, (seq, format!("[{}] {rates}", lines.join(";"))));
            }
            _ => {}
        }
    }
    Ok((sales, refunds))
}

/// What the tables hold, read by `sql` as (id, everything but the rates,
/// the rates as `rate:gross:tax,…`).
fn held(conn: &Connection, sql: &str) -> Result<Held, LedgerError> {
    let mut out = Held::new();
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (id, head, rates): (i64, String, Option<String>) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let rates = rates.unwrap_or_default();
        let rates = rates_text(rates.split(',').filter(|s| !s.is_empty()).map(split3));
        out.insert(id, format!("{head} {rates}"));
    }
    Ok(out)
}

fn from_tables(conn: &Connection) -> Result<(Held, Held), LedgerError> {
    let sales = held(
        conn,
        "SELECT s.id,
            coalesce(s.tax_pricing, '') || ' ' || coalesce(s.tax_rounding, '') || ' [' ||
            coalesce((SELECT group_concat(name || '|' || qty || '|' || unit_price || '|' || rate, ';')
               FROM (SELECT * FROM sale_lines l WHERE l.sale_id = s.id ORDER BY line_no)), '') || ']',
            (SELECT group_concat(rate || ':' || gross || ':' || tax, ',') FROM sale_taxes t WHERE t.sale_id = s.id)
         FROM sales s
         WHERE s.tax_pricing IS NOT NULL OR s.tax_rounding IS NOT NULL
            OR EXISTS (SELECT 1 FROM sale_lines l WHERE l.sale_id = s.id)
            OR EXISTS (SELECT 1 FROM sale_taxes t WHERE t.sale_id = s.id)",
    )?;
    let refunds = held(
        conn,
        "SELECT f.id,
            '[' || coalesce((SELECT group_concat(line_no || 'x' || qty, ';')
               FROM (SELECT * FROM refund_lines l WHERE l.refund_id = f.id ORDER BY line_no)), '') || ']',
            (SELECT group_concat(rate || ':' || gross || ':' || tax, ',') FROM refund_taxes t WHERE t.refund_id = f.id)
         FROM refunds f
         WHERE EXISTS (SELECT 1 FROM refund_lines l WHERE l.refund_id = f.id)
            OR EXISTS (SELECT 1 FROM refund_taxes t WHERE t.refund_id = f.id)",
    )?;
    Ok((sales, refunds))
}

fn split3(s: &str) -> (&str, i64, i64) {
    let mut p = s.split(':');
    let rate = p.next().unwrap_or_default();
    let n = |v: Option<&str>| v.and_then(|v| v.parse().ok()).unwrap_or(i64::MIN);
    (rate, n(p.next()), n(p.next()))
}

fn compare(what: &str, journal: &Records, tables: &Held) -> Option<BadRow> {
    for (id, (seq, want)) in journal {
        match tables.get(id) {
            None => {
                return bad(
                    *seq,
                    format!("{what} {id}'s recorded tax is in the journal but not in its tables"),
                )
            }
            Some(have) if have != want => {
                return bad(
                    *seq,
                    format!("{what} {id}'s recorded tax is {have} but its journal says {want}"),
                )
            }
            Some(_) => {}
        }
    }
    tables
        .keys()
        .find(|id| !journal.contains_key(id))
        .and_then(|id| bad(0, format!("{what} {id} has tax rows no journal row wrote")))
}

/// A ledger not migrated yet (read-only check at start) has no tax tables.
fn has_tax_tables(conn: &Connection) -> Result<bool, LedgerError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'shift_rate_totals')",
        [],
        |r| r.get(0),
    )?)
}

pub(crate) fn check_taxes(conn: &Connection) -> Result<Option<BadRow>, LedgerError> {
    if !has_tax_tables(conn)? {
        return Ok(None);
    }
    let (js, jr) = from_journal(conn)?;
    let (ts, tr) = from_tables(conn)?;
    Ok(compare("sale", &js, &ts).or_else(|| compare("refund", &jr, &tr)))
}

/// The running totals by rate must equal a fresh count: paid attempts
/// with their sale's rates (the rest as not recorded), refunds not failed
/// with theirs.
pub(crate) fn check_rate_totals(conn: &Connection) -> Result<Option<BadRow>, LedgerError> {
    if !has_tax_tables(conn)? {
        return Ok(None);
    }
    let fresh = "
        SELECT shift_id, side, rate, sum(gross) AS gross, sum(tax) AS tax FROM (
            SELECT coalesce(s.shift_id, 0) AS shift_id, 'sale' AS side, t.rate, t.gross, t.tax
              FROM attempts a JOIN sales s ON s.id = a.sale_id JOIN sale_taxes t ON t.sale_id = s.id
             WHERE a.state = 'captured'
            UNION ALL
            SELECT coalesce(s.shift_id, 0), 'sale', 'unrecorded',
                   a.amount - (SELECT coalesce(sum(gross), 0) FROM sale_taxes t WHERE t.sale_id = s.id), 0
              FROM attempts a JOIN sales s ON s.id = a.sale_id WHERE a.state = 'captured'
            UNION ALL
            SELECT coalesce(f.shift_id, 0), 'refund', t.rate, t.gross, t.tax
              FROM refunds f JOIN refund_taxes t ON t.refund_id = f.id WHERE f.status != 'failed'
            UNION ALL
            SELECT coalesce(f.shift_id, 0), 'refund', 'unrecorded',
                   f.amount - (SELECT coalesce(sum(gross), 0) FROM refund_taxes t WHERE t.refund_id = f.id), 0
              FROM refunds f WHERE f.status != 'failed'
        ) GROUP BY 1, 2, 3";
    let sql = format!(
        "SELECT shift_id, side FROM (
            SELECT * FROM ({fresh}) WHERE gross != 0 OR tax != 0
            EXCEPT SELECT shift_id, side, rate, gross, tax FROM shift_rate_totals WHERE gross != 0 OR tax != 0
         ) UNION ALL SELECT shift_id, side FROM (
            SELECT shift_id, side, rate, gross, tax FROM shift_rate_totals WHERE gross != 0 OR tax != 0
            EXCEPT SELECT * FROM ({fresh}) WHERE gross != 0 OR tax != 0
         ) LIMIT 1"
    );
    let first: Option<(i64, String)> = conn
        .prepare(&sql)?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .next()
        .transpose()?;
    Ok(first.and_then(|(shift, side)| {
        bad(
            0,
            format!(
                "the running totals by tax rate of shift {shift} ({side}s) differ from its records"
            ),
        )
    }))
}
