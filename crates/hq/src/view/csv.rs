//! `GET /export/z.csv[?store=LOC]`: every Z report, UTF-8 with a BOM so a
//! spreadsheet in Japan opens it without mojibake. After the headline
//! columns, the figures at the close by tax rate: per rate (`standard` 10 %,
//! `reduced` 8 %, `free` 0 %) its sales and their tax, then sales whose rate
//! was not recorded (`sales_unrecorded`: no tax known), the same for
//! refunds, and the average sale (客単価). A store user gets its own
//! stores' rows only; every export is written to the audit trail.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use easyqr_ledger::{csv_line, ByRate, TaxFigures};
use serde::Deserialize;

use super::audit::{self, Kind};
use super::client::Client;
use super::html::time;
use super::Viewer;
use crate::books::{self, rates_of, ZRow};
use crate::error::HqError;
use crate::users::Scope;
use crate::AppState;

const COLUMNS: [&str; 12] = [
    "store",
    "register",
    "z_number",
    "cashier",
    "opened",
    "closed",
    "paid_count",
    "paid",
    "refunds",
    "late_count",
    "net_sales",
    "net_sales_since_close",
];

/// Per-rate column names of one side (`sales`, `refunds`), in report order.
fn rate_columns(side: &str) -> Vec<String> {
    let mut o = Vec::new();
    for (key, rate, _) in ByRate::default().buckets() {
        o.push(format!("{side}_{key}"));
        if rate.is_some() {
            o.push(format!("{side}_tax_{key}"));
        }
    }
    o
}

/// The cells of [`rate_columns`]: yen, and tax where the rate is known.
fn rate_cells(side: &ByRate) -> Vec<String> {
    let mut o = Vec::new();
    for (_, rate, a) in side.buckets() {
        o.push(a.gross.to_string());
        if rate.is_some() {
            o.push(a.tax.to_string());
        }
    }
    o
}

fn header() -> Vec<String> {
    let mut h: Vec<String> = COLUMNS.map(str::to_owned).to_vec();
    h.extend(rate_columns("sales"));
    h.extend(rate_columns("refunds"));
    h.push("average_sale".into());
    h
}

fn by_rate_cells(r: &TaxFigures) -> Vec<String> {
    let mut o = rate_cells(&r.sales);
    o.extend(rate_cells(&r.refunds));
    o.push(r.average_sale.to_string());
    o
}

#[derive(Deserialize)]
pub struct Filter {
    store: Option<String>,
}

/// The Z reports of the stores `v` may see (one asked for by `store`).
async fn rows_for(s: &AppState, v: &Viewer, store: Option<&str>) -> Result<Vec<ZRow>, HqError> {
    let stores: Vec<Option<&str>> = match (store, &v.account.scope) {
        (Some(loc), _) => {
            v.may_see(loc)?;
            vec![Some(loc)]
        }
        (None, Scope::All) => vec![None],
        (None, Scope::Stores(locs)) => locs.iter().map(|l| Some(l.as_str())).collect(),
    };
    let c = s.db.get().await?;
    let mut rows = Vec::new();
    for loc in stores {
        rows.extend(books::z_reports(&c, loc, None, i64::MAX).await?);
    }
    Ok(rows)
}

pub async fn z_reports(
    State(s): State<AppState>,
    v: Viewer,
    client: Client,
    Query(f): Query<Filter>,
) -> Response {
    let rows = match rows_for(&s, &v, f.store.as_deref()).await {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let detail = format!(
        "z.csv store={} rows={}",
        f.store.as_deref().unwrap_or("*"),
        rows.len()
    );
    audit::note(&s, Kind::CsvExport, &v.account.name, client, &detail).await;
    let mut o = "\u{feff}".as_bytes().to_vec();
    csv_line(&mut o, &header());
    for z in &rows {
        let f = z.at_close.as_ref().unwrap_or(&z.now);
        let mut line = vec![
            z.store.clone(),
            z.register_id.clone(),
            z.z_number.to_string(),
            z.cashier.clone(),
            time(z.opened_at),
            time(z.closed_at),
            f.paid.count.to_string(),
            f.paid.amount.to_string(),
            f.refunds.deducted().to_string(),
            f.late.count.to_string(),
            f.net_sales.to_string(),
            z.since_close
                .as_ref()
                .map_or(0, |d| d.net_sales)
                .to_string(),
        ];
        line.extend(by_rate_cells(&rates_of(f)));
        csv_line(&mut o, &line);
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"z-reports.csv\"",
            ),
        ],
        o,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use easyqr_ledger::{RateAmount, StateTotal};

    #[test]
    fn every_row_has_a_cell_per_column_and_the_rates_in_report_order() {
        let h = header();
        assert_eq!(
            h[COLUMNS.len()..COLUMNS.len() + 7],
            [
                "sales_standard",
                "sales_tax_standard",
                "sales_reduced",
                "sales_tax_reduced",
                "sales_free",
                "sales_tax_free",
                "sales_unrecorded"
            ]
        );
        assert_eq!(h.last().map(String::as_str), Some("average_sale"));
        let sales = ByRate {
            reduced: RateAmount {
                gross: 1080,
                tax: 80,
            },
            unrecorded: RateAmount { gross: 500, tax: 0 },
            ..ByRate::default()
        };
        let paid = StateTotal {
            count: 2,
            amount: 1580,
        };
        let cells = by_rate_cells(&TaxFigures::assemble(sales, ByRate::default(), paid, 0));
        assert_eq!(cells.len() + COLUMNS.len(), h.len());
        assert_eq!(cells[..7], ["0", "0", "1080", "80", "0", "0", "500"]);
        assert_eq!(cells.last().map(String::as_str), Some("790"));
    }
}
