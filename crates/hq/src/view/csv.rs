//! `GET /export/z.csv[?store=LOC]`: every Z report, UTF-8 with a BOM so a
//! spreadsheet in Japan opens it without mojibake.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::html::time;
use super::Viewer;
use crate::books;
use crate::AppState;

#[derive(Deserialize)]
pub struct Filter {
    store: Option<String>,
}

fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
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
    let mut o = String::from(
        "\u{feff}store,register,z_number,cashier,opened,closed,paid_count,paid,refunds,late_count,net_sales,net_sales_since_close\r\n",
    );
    for z in &rows {
        let f = z.at_close.as_ref().unwrap_or(&z.now);
        let line = [
            field(&z.store),
            field(&z.register_id),
            z.z_number.to_string(),
            field(&z.cashier),
            time(z.opened_at),
            time(z.closed_at),
            f.paid.count.to_string(),
            f.paid.amount.to_string(),
            (f.refunds.refunded.amount + f.refunds.in_progress.amount).to_string(),
            f.late.count.to_string(),
            f.net_sales.to_string(),
            z.since_close
                .as_ref()
                .map_or(0, |d| d.net_sales)
                .to_string(),
        ]
        .join(",");
        o.push_str(&line);
        o.push_str("\r\n");
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
