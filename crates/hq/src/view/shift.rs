//! A shift's page: its Z report (figures and figures by tax rate at the
//! close, now and since the close), its payments, late payments,
//! reconciliation finds and refunds.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use easyqr_ledger::Figures;

use super::by_rate;
use super::html::{esc, seg, time, yen};
use super::pages::{fail, legend, register_row, term, Page};
use super::{Lang, Viewer};
use crate::books::{self, rates_of, PaymentRow};
use crate::AppState;

fn figures_table(l: Lang, at_close: Option<&Figures>, now: &Figures) -> String {
    let mut o = format!(
        "<table class=\"figures\"><tr><th></th><th class=\"num\">{}</th><th class=\"num\">{}</th></tr>",
        l.t("at_close"),
        l.t("now")
    );
    type Row = (&'static str, fn(&Figures) -> i64);
    let rows: [Row; 4] = [
        ("paid", |f| f.paid.amount),
        ("refunds", |f| f.refunds.deducted()),
        ("late", |f| f.late.amount),
        ("net_sales", |f| f.net_sales),
    ];
    for (k, get) in rows {
        let _ = write!(
            o,
            "<tr><th>{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            l.t(k),
            at_close.map_or_else(|| "—".to_owned(), |f| yen(get(f))),
            yen(get(now))
        );
    }
    o.push_str("</table>");
    o
}

fn payments_table(l: Lang, rows: &[&PaymentRow]) -> String {
    if rows.is_empty() {
        return format!("<p class=\"muted\">{}</p>", l.t("none"));
    }
    let mut o = format!(
        "<table class=\"payments\"><tr><th>{}</th><th class=\"num\">{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th class=\"num\">{}</th></tr>",
        l.t("order_no"), l.t("amount"), l.t("state"), l.t("method"), l.t("paid_at"), l.t("source"), l.t("refunded")
    );
    for p in rows {
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"num\">{}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            esc(&p.order_no),
            yen(p.amount),
            esc(l.state(&p.state)),
            if p.late { format!(" <span class=\"pill warn\">{}</span>", l.t("late")) } else { String::new() },
            esc(&p.payment_method.as_deref().map(|m| elepay::PaymentMethod::new(m).display_name().to_owned()).unwrap_or_default()),
            p.paid_time.map(time).unwrap_or_default(),
            esc(p.paid_source.as_deref().map_or("", |s| l.source(s))),
            if p.refunded > 0 { yen(p.refunded) } else { String::new() },
        );
    }
    o.push_str("</table>");
    o
}

pub async fn shift(
    State(s): State<AppState>,
    v: Viewer,
    Path((rid, shift)): Path<(String, i64)>,
) -> Page {
    let l = v.lang;
    let c = s.db.get().await.map_err(|e| fail(e.into()))?;
    let id = register_row(&c, &v, &rid).await?;
    let z = books::z_reports(&c, None, Some(id), 10_000)
        .await
        .map_err(fail)?
        .into_iter()
        .find(|z| z.shift_id == shift);
    let (payments, refunds) = books::shift_detail(&c, id, shift).await.map_err(fail)?;
    let mut b = format!(
        "<p><a href=\"/registers/{}\">← {}</a></p>",
        seg(&rid),
        l.t("back")
    );
    match &z {
        Some(z) => {
            let _ = write!(
                b,
                "<h1>{} {} · Z{} <span class=\"muted\">{} · {} – {}</span></h1>{}",
                l.t("register"),
                esc(&rid),
                z.z_number,
                esc(&z.cashier),
                time(z.opened_at),
                time(z.closed_at),
                figures_table(l, z.at_close.as_ref(), &z.now)
            );
            let _ = write!(
                b,
                "<h2>{}</h2>{}",
                l.t("by_rate"),
                by_rate::z_table(
                    l,
                    z.at_close.as_ref().map(rates_of).as_ref(),
                    &rates_of(&z.now),
                    z.since_close.as_ref().and_then(|d| d.by_rate.as_ref()),
                )
            );
        }
        None => {
            let _ = write!(
                b,
                "<h1>{} {} · {} #{shift}</h1>",
                l.t("register"),
                esc(&rid),
                l.t("open_shift")
            );
        }
    }
    let all: Vec<&PaymentRow> = payments.iter().collect();
    let late: Vec<&PaymentRow> = payments.iter().filter(|p| p.late).collect();
    let found: Vec<&PaymentRow> = payments
        .iter()
        .filter(|p| {
            p.paid_source
                .as_deref()
                .is_some_and(|s| s.starts_with("reconcil"))
        })
        .collect();
    let _ = write!(b, "<h2>{}</h2>{}", l.t("payments"), payments_table(l, &all));
    let _ = write!(b, "{}{}", term(l, "h2", "late"), payments_table(l, &late));
    let _ = write!(
        b,
        "<h2>{}</h2>{}",
        l.t("reconciliation"),
        payments_table(l, &found)
    );
    let _ = write!(b, "<h2>{}</h2>", l.t("refunds"));
    if refunds.is_empty() {
        let _ = write!(b, "<p class=\"muted\">{}</p>", l.t("none"));
    } else {
        let _ = write!(
            b,
            "<table class=\"refunds\"><tr><th>{}</th><th class=\"num\">{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            l.t("order_no"), l.t("amount"), l.t("status"), l.t("reason"), l.t("received")
        );
        for r in &refunds {
            let _ = write!(
                b,
                "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(r.order_no.as_deref().unwrap_or("")),
                yen(r.amount),
                esc(l.state(&r.status)),
                esc(r.reason.as_deref().unwrap_or("")),
                time(r.created_at)
            );
        }
        b.push_str("</table>");
    }
    b.push_str(&legend(l, &["late", "poll", "since_close"]));
    Ok(v.page(&rid, &b))
}
