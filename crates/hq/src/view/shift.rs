//! A shift's page: its Z report (figures and figures by tax rate at the
//! close, now and since the close), its payments, late payments,
//! reconciliation finds and refunds.

use axum::extract::{Path, State};
use easyqr_ledger::Figures;
use maud::{html, Markup};

use super::by_rate;
use super::html::{seg, time, yen};
use super::pages::{legend, register_row, Page};
use super::{Lang, Viewer};
use crate::books::{self, rates_of, PaymentRow};
use crate::AppState;

fn figures_table(l: Lang, at_close: Option<&Figures>, now: &Figures) -> Markup {
    type Row = (&'static str, fn(&Figures) -> i64);
    let rows: [Row; 4] = [
        ("paid", |f| f.paid.amount),
        ("refunds", |f| f.refunds.deducted()),
        ("late", |f| f.late.amount),
        ("net_sales", |f| f.net_sales),
    ];
    html! {
        table.figures {
            tr { th {} th.num { (l.t("at_close")) } th.num { (l.t("now")) } }
            @for (k, get) in rows {
                tr {
                    th { (l.t(k)) }
                    td.num { (at_close.map_or_else(|| "—".to_owned(), |f| yen(get(f)))) }
                    td.num { (yen(get(now))) }
                }
            }
        }
    }
}

fn payments_table(l: Lang, rows: &[&PaymentRow]) -> Markup {
    if rows.is_empty() {
        return html! { p.muted { (l.t("none")) } };
    }
    html! {
        table.payments {
            tr {
                th { (l.t("order_no")) }
                th.num { (l.t("amount")) }
                th { (l.t("state")) }
                th { (l.t("method")) }
                th { (l.t("paid_at")) }
                th { (l.t("source")) }
                th.num { (l.t("refunded")) }
            }
            @for p in rows {
                tr {
                    td { (p.order_no) }
                    td.num { (yen(p.amount)) }
                    td {
                        (l.state(&p.state))
                        @if p.late { " " span.pill.warn { (l.t("late")) } }
                    }
                    td {
                        @if let Some(m) = &p.payment_method {
                            (elepay::PaymentMethod::new(m).display_name())
                        }
                    }
                    td { (p.paid_time.map(time).unwrap_or_default()) }
                    td { (p.paid_source.as_deref().map_or("", |s| l.source(s))) }
                    td.num { @if p.refunded > 0 { (yen(p.refunded)) } }
                }
            }
        }
    }
}

pub async fn shift(
    State(s): State<AppState>,
    v: Viewer,
    Path((rid, shift)): Path<(String, i64)>,
) -> Page {
    let l = v.lang;
    let c = s.db.get().await?;
    let id = register_row(&c, &v, &rid).await?;
    let z = books::z_reports(&c, None, Some(id), 10_000)
        .await?
        .into_iter()
        .find(|z| z.shift_id == shift);
    let (payments, refunds) = books::shift_detail(&c, id, shift).await?;
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
    let body = html! {
        p { a href={ "/registers/" (seg(&rid)) } { "← " (l.t("back")) } }
        @match &z {
            Some(z) => {
                h1 {
                    (l.t("register")) " " (rid) " · Z" (z.z_number) " "
                    span.muted { (z.cashier) " · " (time(z.opened_at)) " – " (time(z.closed_at)) }
                }
                (figures_table(l, z.at_close.as_ref(), &z.now))
                h2 { (l.t("by_rate")) }
                (by_rate::z_table(
                    l,
                    z.at_close.as_ref().map(rates_of).as_ref(),
                    &rates_of(&z.now),
                    z.since_close.as_ref().and_then(|d| d.by_rate.as_ref()),
                ))
            }
            None => {
                h1 { (l.t("register")) " " (rid) " · " (l.t("open_shift")) " #" (shift) }
            }
        }
        h2 { (l.t("payments")) }
        (payments_table(l, &all))
        h2.term title=(l.explain("late")) { (l.t("late")) }
        (payments_table(l, &late))
        h2 { (l.t("reconciliation")) }
        (payments_table(l, &found))
        h2 { (l.t("refunds")) }
        @if refunds.is_empty() {
            p.muted { (l.t("none")) }
        } @else {
            table.refunds {
                tr {
                    th { (l.t("order_no")) }
                    th.num { (l.t("amount")) }
                    th { (l.t("status")) }
                    th { (l.t("reason")) }
                    th { (l.t("received")) }
                }
                @for r in &refunds {
                    tr {
                        td { (r.order_no.as_deref().unwrap_or("")) }
                        td.num { (yen(r.amount)) }
                        td { (l.state(&r.status)) }
                        td { (r.reason.as_deref().unwrap_or("")) }
                        td { (time(r.created_at)) }
                    }
                }
            }
        }
        (legend(l, &["late", "poll", "since_close"]))
    };
    Ok(v.page(&rid, body))
}
