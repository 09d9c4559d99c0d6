//! `GET /export/z.csv[?store=LOC]`: every Z report, UTF-8 with a BOM so a
//! spreadsheet in Japan opens it without mojibake.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use easyqr_ledger::csv_line;
use serde::Deserialize;

use super::html::time;
use super::Viewer;
use crate::books;
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

#[derive(Deserialize)]
pub struct Filter {
    store: Option<String>,
}

pub async fn z_reports(State(s): State<AppState>, _v: Viewer, Query(f): Query<Filter>) -> Response {
    let rows = match s.db.get().await {
        Ok(c) => books::z_reports(&c, f.store.as_deref(), None, i64::MAX).await,
        Err(e) => Err(e.into()),
    };
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let mut o = "\u{feff}".as_bytes().to_vec();
    csv_line(&mut o, &COLUMNS.map(str::to_owned));
    for z in &rows {
        let f = z.at_close.as_ref().unwrap_or(&z.now);
        let line = [
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
