//! CSV exports of the log and of a shift report, made for Japanese Excel:
//! UTF-8 with a byte-order mark (without it Excel reads the file as
//! Shift_JIS and garbles every Japanese character), CRLF line ends, times
//! as local "YYYY-MM-DD HH:MM:SS" (which Excel reads as a date), and cells
//! that could start a formula defused with a leading apostrophe.
//! Columns are documented in README.md ("CSV exports").

use std::io::Write;

use crate::log::{log_row, log_select, LogFilter, LogRow};
use crate::order_no::{civil_from_days, days_from_civil};
use crate::{Ledger, LedgerError, ShiftReport, StateTotal};

const BOM: &[u8] = "\u{feff}".as_bytes();

/// Header of the log CSV, in column order.
pub const LOG_COLUMNS: &[&str] = &[
    "attempt_id",
    "sale_id",
    "shift_id",
    "order_no",
    "status",
    "amount_jpy",
    "wallet",
    "refunded_jpy",
    "late",
    "rung_up_at",
    "paid_at",
    "charge_id",
    "code_id",
    "error_code",
    "description",
    "sales_10_jpy",
    "tax_10_jpy",
    "sales_8_jpy",
    "tax_8_jpy",
    "sales_0_jpy",
    "rate_not_recorded_jpy",
];

/// Local wall-clock time at a fixed UTC offset.
pub fn local_time(ms: i64, utc_offset_minutes: i32) -> String {
    let local = ms + i64::from(utc_offset_minutes) * 60_000;
    let (y, m, d) = civil_from_days(local.div_euclid(86_400_000));
    let secs = local.rem_euclid(86_400_000) / 1000;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Parses a local "YYYY-MM-DD" (midnight) or "YYYY-MM-DD HH:MM" at a fixed
/// UTC offset into epoch ms. `field` names the input in the error.
pub fn parse_local_time(
    field: &'static str,
    s: &str,
    utc_offset_minutes: i32,
) -> Result<i64, LedgerError> {
    let invalid = || LedgerError::Invalid {
        field,
        allowed: format!("a local date YYYY-MM-DD or date and time YYYY-MM-DD HH:MM, not {s:?}"),
    };
    let s = s.trim();
    let (date, time) = match s.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let num = |v: &str, lo: i64, hi: i64| -> Result<i64, LedgerError> {
        v.parse::<i64>()
            .ok()
            .filter(|n| (lo..=hi).contains(n) && v.chars().all(|c| c.is_ascii_digit()))
            .ok_or_else(invalid)
    };
    let mut parts = date.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    let (y, m, d) = (num(y, 1970, 9999)?, num(m, 1, 12)?, num(d, 1, 31)?);
    let days = days_from_civil(y, m as u32, d as u32);
    // Refuse 2026-02-30 rather than rolling it into March.
    if civil_from_days(days) != (y, m as u32, d as u32) {
        return Err(invalid());
    }
    let mut ms = days * 86_400_000;
    if let Some(t) = time {
        let (h, mi) = t.split_once(':').ok_or_else(invalid)?;
        ms += num(h, 0, 23)? * 3_600_000 + num(mi, 0, 59)? * 60_000;
    }
    Ok(ms - i64::from(utc_offset_minutes) * 60_000)
}

/// One CSV cell: quoted when needed, formula-looking text defused.
fn cell(out: &mut Vec<u8>, v: &str) {
    // A negative amount is a number, not a formula: left as is.
    let risky = v.starts_with(['=', '+', '-', '@', '\t', '\r']) && v.parse::<i64>().is_err();
    if risky || v.contains([',', '"', '\n', '\r']) {
        out.push(b'"');
        if risky {
            out.push(b'\'');
        }
        out.extend_from_slice(v.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(v.as_bytes());
    }
}

/// One CSV line (CRLF) of cells: the one CSV rule of every export, the
/// head office's included.
pub fn csv_line(out: &mut Vec<u8>, cells: &[String]) {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        cell(out, c);
    }
    out.extend_from_slice(b"\r\n");
}

fn io_err(e: std::io::Error) -> LedgerError {
    LedgerError::Io {
        path: "CSV output".into(),
        reason: e.to_string(),
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

impl Ledger {
    /// Writes the log rows the filter selects, oldest first, as CSV;
    /// returns the number of rows written. Reads a page at a time and
    /// writes it with the ledger free, so a long export never holds up a
    /// payment being recorded.
    pub fn export_log_csv(
        &self,
        filter: &LogFilter,
        utc_offset_minutes: i32,
        out: &mut (impl Write + ?Sized),
    ) -> Result<u64, LedgerError> {
        const PAGE: i64 = 1000;
        let (cond, mut p) = filter.to_sql()?;
        let after = p.len() + 1;
        let sql = format!(
            "{} AND a.id > ?{after} ORDER BY a.id LIMIT {PAGE}",
            log_select(&cond)
        );
        p.push(rusqlite::types::Value::Integer(0));
        let mut buf = Vec::with_capacity(64 * 1024);
        buf.extend_from_slice(BOM);
        csv_line(
            &mut buf,
            &LOG_COLUMNS
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>(),
        );
        let mut n = 0;
        loop {
            let page: Vec<LogRow> = {
                let conn = self.conn();
                let mut stmt = conn.prepare_cached(&sql)?;
                let rows = stmt.query_map(rusqlite::params_from_iter(p.iter()), log_row)?;
                rows.collect::<Result<_, _>>()?
            };
            let Some(last) = page.last() else { break };
            p[after - 1] = rusqlite::types::Value::Integer(last.attempt.id);
            let full = page.len() as i64 == PAGE;
            for row in &page {
                log_line(&mut buf, row, utc_offset_minutes);
                n += 1;
                if buf.len() >= 60 * 1024 {
                    out.write_all(&buf).map_err(io_err)?;
                    buf.clear();
                }
            }
            if !full {
                break;
            }
        }
        out.write_all(&buf).map_err(io_err)?;
        out.flush().map_err(io_err)?;
        Ok(n)
    }
}

/// One log row as a CSV line.
fn log_line(buf: &mut Vec<u8>, row: &LogRow, utc_offset_minutes: i32) {
    let time = |ms: Option<i64>| opt(ms.map(|t| local_time(t, utc_offset_minutes)));
    let a = &row.attempt;
    csv_line(
        buf,
        &[
            a.id.to_string(),
            a.sale_id.to_string(),
            opt(a.shift_id),
            a.order_no.clone(),
            a.state.as_str().to_owned(),
            a.amount.to_string(),
            opt(a.payment_method.as_deref()),
            row.refunded.to_string(),
            if row.late { "yes" } else { "" }.to_owned(),
            time(Some(a.created_at)),
            // When elepay says it was paid; our own record otherwise.
            time(
                a.paid_time
                    .or((a.state == crate::AttemptState::Captured).then_some(a.updated_at)),
            ),
            opt(a.charge_id.as_deref()),
            opt(a.code_id.as_deref()),
            opt(a.error_code.as_deref()),
            opt(row.description.as_deref()),
        ]
        .into_iter()
        .chain(rate_cells(row))
        .collect::<Vec<_>>(),
    );
}

/// The sale's amount and tax by rate as recorded; an older sale's whole
/// amount under "rate not recorded".
fn rate_cells(row: &LogRow) -> [String; 6] {
    let Some(r) = &row.rates else {
        let none = String::new;
        return [
            none(),
            none(),
            none(),
            none(),
            none(),
            row.attempt.amount.to_string(),
        ];
    };
    let recorded = r.standard.gross + r.reduced.gross + r.free.gross;
    [
        r.standard.gross.to_string(),
        r.standard.tax.to_string(),
        r.reduced.gross.to_string(),
        r.reduced.tax.to_string(),
        r.free.gross.to_string(),
        (row.attempt.amount - recorded).to_string(),
    ]
}

/// 税率別: per rate, sales and their tax, refunds and theirs, net; then
/// 総売上 / 返金 / 純売上, 客数 and 客単価 (value: count; amount_jpy: yen).
fn by_rate_rows(rows: &mut Vec<[String; 3]>, prefix: &str, t: &crate::TaxFigures) {
    let mut yen =
        |name: String, v: i64| rows.push([format!("{prefix}{name}"), String::new(), v.to_string()]);
    for (side, by) in [
        ("sales", &t.sales),
        ("refunds", &t.refunds),
        ("net", &t.net),
    ] {
        for (key, _, a) in by.buckets() {
            let key = match key {
                "standard" => "10",
                "reduced" => "8",
                "free" => "0",
                _ => "rate_not_recorded",
            };
            yen(format!("{side}_{key}_jpy"), a.gross);
            if !matches!(key, "0" | "rate_not_recorded") {
                yen(format!("{side}_tax_{key}_jpy"), a.tax);
            }
        }
    }
    yen("gross_sales_jpy".into(), t.gross_sales);
    yen("refunds_jpy".into(), t.refunded);
    yen("net_sales_total_jpy".into(), t.net_sales);
    yen("average_sale_jpy".into(), t.average_sale);
    rows.push([
        format!("{prefix}customers"),
        t.customers.to_string(),
        String::new(),
    ]);
}

/// A shift report as a two-column CSV (item, value), amounts in yen.
pub fn report_csv(
    report: &ShiftReport,
    utc_offset_minutes: i32,
    out: &mut (impl Write + ?Sized),
) -> Result<(), LedgerError> {
    let mut buf = Vec::new();
    buf.extend_from_slice(BOM);
    let time = |ms: Option<i64>| opt(ms.map(|t| local_time(t, utc_offset_minutes)));
    let s = &report.shift;
    let mut rows: Vec<[String; 3]> = vec![
        ["report".into(), report.kind().into(), String::new()],
        ["z_number".into(), opt(s.z_number), String::new()],
        ["shift_id".into(), s.id.to_string(), String::new()],
        ["register".into(), s.register_id.clone(), String::new()],
        ["cashier".into(), s.cashier.clone(), String::new()],
        ["opened_at".into(), time(Some(s.opened_at)), String::new()],
        ["closed_at".into(), time(s.closed_at), String::new()],
        ["printed_at".into(), time(Some(report.at)), String::new()],
        [
            "first_order_no".into(),
            opt(report.first_order_no.as_deref()),
            String::new(),
        ],
        [
            "last_order_no".into(),
            opt(report.last_order_no.as_deref()),
            String::new(),
        ],
        // What `easyqr-cli verify-journal --head` checks the ledger against.
        [
            "journal_head".into(),
            opt(s.journal_head.as_ref().map(|h| h.printed.as_str())),
            String::new(),
        ],
    ];
    let mut total = |name: &str, t: StateTotal| {
        rows.push([name.to_owned(), t.count.to_string(), t.amount.to_string()]);
    };
    total("paid", report.paid);
    total("paid_late", report.late);
    total("cancelled", report.cancelled);
    total("expired", report.expired);
    total("burned", report.burned);
    total("rejected", report.rejected);
    total("unresolved", report.unresolved);
    for (wallet, t) in &report.paid_by_wallet {
        let name = if wallet.is_empty() { "unknown" } else { wallet };
        total(&format!("paid_by_wallet:{name}"), *t);
    }
    total("refunded", report.refunds.refunded);
    total("refund_in_progress", report.refunds.in_progress);
    total("refund_failed", report.refunds.failed);
    rows.push([
        "net_sales_jpy".into(),
        String::new(),
        report.net_sales.to_string(),
    ]);
    if let Some(t) = &report.by_rate {
        by_rate_rows(&mut rows, "", t);
    }
    // A Z's figures are as closed; what changed since comes after them.
    if let Some(d) = &report.since_close {
        let mut since = |name: &str, t: StateTotal| {
            if t.count != 0 || t.amount != 0 {
                rows.push([
                    format!("since_close:{name}"),
                    t.count.to_string(),
                    t.amount.to_string(),
                ]);
            }
        };
        since("paid", d.paid);
        since("paid_late", d.late);
        since("cancelled", d.cancelled);
        since("expired", d.expired);
        since("unresolved", d.unresolved);
        since("refunded", d.refunds.refunded);
        since("refund_in_progress", d.refunds.in_progress);
        since("refund_failed", d.refunds.failed);
        rows.push([
            "since_close:net_sales_jpy".into(),
            String::new(),
            d.net_sales.to_string(),
        ]);
        if let Some(t) = &d.by_rate {
            by_rate_rows(&mut rows, "since_close:", t);
        }
    }
    csv_line(
        &mut buf,
        &["item".into(), "value".into(), "amount_jpy".into()],
    );
    for r in &rows {
        csv_line(&mut buf, r);
    }
    out.write_all(&buf).map_err(io_err)?;
    out.flush().map_err(io_err)
}
