//! The view's pages. Each reads `crate::books` and renders.

use axum::extract::{Path, State};
use axum::response::Html;
use maud::{html, Markup};

use super::by_rate::{day_table, DayRow};
use super::html::{seg, signed_yen, time, yen};
use super::{Lang, Viewer};
use crate::books::Overview;
use crate::books::{self, RegisterSummary, ZRow};
use crate::error::HqError;
use crate::AppState;

/// A page, or an error the view shows as a page of its own (`errors`).
pub(super) type Page = Result<Html<String>, HqError>;

fn today(s: &AppState) -> String {
    easyqr_ledger::business_date((s.clock)(), crate::projection::UTC_OFFSET_MINUTES)
}

fn status_pill(l: Lang, r: &RegisterSummary) -> Markup {
    let (class, word) = if r.revoked {
        ("bad", l.t("revoked"))
    } else if r.diverged.is_some() {
        ("bad", l.t("diverged"))
    } else if r.broken.is_some() {
        ("bad", l.t("broken"))
    } else if r.online {
        ("ok", l.t("online"))
    } else {
        ("off", l.t("offline"))
    };
    html! { span class={ "pill " (class) } { (word) } }
}

fn registers_table(l: Lang, regs: &[RegisterSummary]) -> Markup {
    html! {
        table.registers {
            tr {
                th { (l.t("register")) }
                th {}
                th { (l.t("last_seen")) }
                th { (l.t("open_shift")) }
                th.term.num title=(l.explain("backlog")) { (l.t("backlog")) }
            }
            @for r in regs {
                tr data-register=(r.register_id) {
                    td { a href={ "/registers/" (seg(&r.register_id)) } { (r.register_id) } }
                    td {
                        (status_pill(l, r))
                        @if let Some(d) = &r.diverged { div.error { (d) } }
                        @if let Some(b) = &r.broken { div.error.broken { (b) } }
                        @if let Some(e) = &r.unreadable {
                            div.error.unreadable { (l.t("unreadable")) " (" (e) ")" }
                        }
                    }
                    td { (r.last_seen.map_or_else(|| l.t("never").to_owned(), time)) }
                    td {
                        @match &r.open_shift {
                            Some((id, cashier, at)) => {
                                a href={ "/registers/" (seg(&r.register_id)) "/shifts/" (id) } {
                                    "#" (id) " " (cashier) " · " (time(*at))
                                }
                            }
                            None => span.muted { (l.t("no_open_shift")) },
                        }
                    }
                    td.num.backlog { (r.backlog) }
                }
            }
        }
    }
}

/// The books' overview, cut to the stores `v` may see.
async fn overview_for(
    s: &AppState,
    v: &Viewer,
    c: &tokio_postgres::Client,
) -> Result<Overview, HqError> {
    let mut o = books::overview(c, &today(s)).await?;
    o.stores
        .retain(|st| v.account.scope.allows(&st.location_id));
    Ok(o)
}

/// What a day's card is for: the brand, or a store (a link to its page).
#[derive(Clone, Copy)]
enum CardOf<'a> {
    Brand,
    Store { location: &'a str, name: &'a str },
}

/// A day's card: the same figures for a store and for the brand.
fn day_card(l: Lang, of: CardOf<'_>, d: &books::DayTotals, backlog: i64) -> Markup {
    let (id, class, location) = match of {
        CardOf::Brand => (Some("brand-total"), "card", None),
        CardOf::Store { location, .. } => (None, "card store", Some(location)),
    };
    html! {
        div class=(class) id=[id] data-location=[location] {
            div.card-title {
                @match of {
                    CardOf::Brand => b { (l.t("brand_today")) },
                    CardOf::Store { location, name } => {
                        a href={ "/stores/" (seg(location)) } { b { (name) } }
                        " "
                        span.muted { (location) }
                    }
                }
            }
            div.muted { (l.t("net_sales_today")) }
            div.big data-net=(d.net_sales) { (yen(d.net_sales)) }
            dl.figs {
                dt { (l.t("paid")) }
                dd data-k="paid" { (l.count(d.paid.count)) " · " (yen(d.paid.amount)) }
                dt { (l.t("refunds")) }
                dd data-k="refunds" { (yen(d.refunded)) }
                dt.term title=(l.explain("late")) { (l.t("late")) }
                dd data-k="late" { (l.count(d.late.count)) " · " (yen(d.late.amount)) }
                dt.term title=(l.explain("backlog")) { (l.t("backlog")) }
                dd data-k="backlog" { (l.count(backlog)) }
            }
        }
    }
}

/// The short legend under a page: each term and what it means.
pub(super) fn legend(l: Lang, keys: &[&'static str]) -> Markup {
    html! {
        section.legend #legend {
            h2 { (l.t("legend")) }
            dl {
                @for k in keys.iter().copied() {
                    dt { (l.t(k)) }
                    dd { (l.explain(k)) }
                }
            }
        }
    }
}

/// Events naming no known store, at the top where a brand user sees them
/// first: how many, and the newest few with amount, store id and time.
async fn unknown_banner(
    l: Lang,
    c: &tokio_postgres::Client,
    count: i64,
) -> Result<Markup, HqError> {
    if count == 0 {
        return Ok(html! {});
    }
    let newest = books::unknown_events(c, 3).await?;
    Ok(html! {
        div.banner.warn #unknown-banner {
            div {
                b { (l.t("unknown_banner")) }
                " "
                span.count { (l.t("count_of").replace("{n}", &count.to_string())) }
            }
            ul {
                @for e in &newest {
                    li {
                        b.amount { (e.amount.map_or_else(|| "—".to_owned(), yen)) }
                        " · " (e.location_id.as_deref().unwrap_or(l.t("no_location")))
                        " · " span.muted { (l.event_type(&e.event_type)) }
                        " · " (time(e.received_at))
                    }
                }
            }
            div.muted {
                (l.t("unknown_next")) " "
                a href="/events/unknown" { (l.t("see_all")) }
            }
        }
    })
}

pub async fn overview(State(s): State<AppState>, v: Viewer) -> Page {
    let l = v.lang;
    let c = s.db.get().await?;
    let o = overview_for(&s, &v, &c).await?;
    let banner = if v.brand() {
        unknown_banner(l, &c, o.unknown_events).await?
    } else {
        html! {}
    };
    let backlog = |regs: &[RegisterSummary]| regs.iter().map(|r| r.backlog).sum::<i64>();
    let mut rows: Vec<DayRow<'_>> = o
        .stores
        .iter()
        .map(|st| DayRow {
            name: &st.name,
            location: Some(&st.location_id),
            figures: &st.day.by_rate,
        })
        .collect();
    if v.brand() {
        rows.push(DayRow {
            name: l.t("brand"),
            location: None,
            figures: &o.brand.by_rate,
        });
    }
    let body = html! {
        h1 { (l.t("stores")) }
        (banner)
        div.cards {
            // The brand's figures are for brand users: a store user sees its own.
            @if v.brand() {
                (day_card(l, CardOf::Brand, &o.brand,
                    o.stores.iter().map(|st| backlog(&st.registers)).sum()))
            }
            @for st in &o.stores {
                (day_card(l, CardOf::Store { location: &st.location_id, name: &st.name },
                    &st.day, backlog(&st.registers)))
            }
        }
        @if o.stores.is_empty() {
            p.muted { (l.t("no_stores")) }
        } @else {
            h2 #by-rate { (l.t("by_rate_today")) }
            (day_table(l, &rows))
        }
        @for st in &o.stores {
            h2 { (st.name) " " span.muted { (st.location_id) } }
            (registers_table(l, &st.registers))
        }
        (legend(l, &["backlog", "late"]))
    };
    Ok(v.page(l.t("stores"), body))
}

fn z_table(l: Lang, rows: &[ZRow]) -> Markup {
    html! {
        table.z {
            tr {
                th { (l.t("register")) }
                th { (l.t("z_no")) }
                th { (l.t("cashier")) }
                th { (l.t("opened")) }
                th { (l.t("closed")) }
                th.num { (l.t("paid")) }
                th.num { (l.t("refunds")) }
                th.num { (l.t("net_sales")) }
                th { (l.t("since_close")) }
            }
            @for z in rows {
                @let f = z.at_close.as_ref().unwrap_or(&z.now);
                tr {
                    td { (z.register_id) }
                    td {
                        a href={ "/registers/" (seg(&z.register_id)) "/shifts/" (z.shift_id) } {
                            "Z" (z.z_number)
                        }
                    }
                    td { (z.cashier) }
                    td { (time(z.opened_at)) }
                    td { (time(z.closed_at)) }
                    td.num { (yen(f.paid.amount)) }
                    td.num { (yen(f.refunds.deducted())) }
                    td.num.z-net data-net=(f.net_sales) { (yen(f.net_sales)) }
                    td {
                        @if let Some(d) = &z.since_close {
                            span.pill.warn.since title=(l.explain("since_close")) {
                                (l.t("since_close_short")) " " (signed_yen(d.net_sales))
                            }
                        }
                    }
                }
            }
            @if rows.is_empty() {
                tr { td colspan="9" class="muted" { (l.t("none")) } }
            }
        }
    }
}

pub async fn store(State(s): State<AppState>, v: Viewer, Path(loc): Path<String>) -> Page {
    let l = v.lang;
    v.may_see(&loc)?;
    let c = s.db.get().await?;
    let o = overview_for(&s, &v, &c).await?;
    let Some(st) = o.stores.iter().find(|x| x.location_id == loc) else {
        return Err(HqError::NotFound(format!("store {loc}")));
    };
    let z = books::z_reports(&c, Some(&loc), None, 200).await?;
    let rates = [DayRow {
        name: &st.name,
        location: Some(&st.location_id),
        figures: &st.day.by_rate,
    }];
    let body = html! {
        h1 { (st.name) " " span.muted { (loc) } }
        p {
            (l.t("today")) ": "
            b data-net=(st.day.net_sales) { (yen(st.day.net_sales)) }
            " "
            a.button href={ "/export/z.csv?store=" (seg(&loc)) } { (l.t("csv")) }
        }
        h2 #by-rate { (l.t("by_rate_today")) }
        (day_table(l, &rates))
        h2 { (l.t("registers")) }
        (registers_table(l, &st.registers))
        h2 { (l.t("z_reports")) }
        (z_table(l, &z))
        (legend(l, &["backlog", "since_close", "late"]))
    };
    Ok(v.page(&st.name, body))
}

/// HQ's row id of a register `v` may see; 404 alike for one of another
/// store and for none.
pub(super) async fn register_row(
    c: &tokio_postgres::Client,
    v: &Viewer,
    register_id: &str,
) -> Result<i64, HqError> {
    let row = c
        .query_opt(
            "SELECT r.id, s.location_id FROM registers r JOIN stores s ON s.id = r.store_id
             WHERE r.register_id = $1",
            &[&register_id],
        )
        .await?
        .filter(|row| v.account.scope.allows(row.get(1)))
        .ok_or_else(|| HqError::NotFound(format!("register {register_id}")))?;
    Ok(row.get(0))
}

pub async fn register(State(s): State<AppState>, v: Viewer, Path(rid): Path<String>) -> Page {
    let l = v.lang;
    let c = s.db.get().await?;
    let id = register_row(&c, &v, &rid).await?;
    let z = books::z_reports(&c, None, Some(id), 500).await?;
    let body = html! {
        h1 { (l.t("register")) " " (rid) }
        h2 { (l.t("z_reports")) }
        (z_table(l, &z))
        (legend(l, &["since_close", "late"]))
    };
    Ok(v.page(&rid, body))
}

pub async fn unknown_events(State(s): State<AppState>, v: Viewer) -> Page {
    v.brand_only()?;
    let l = v.lang;
    let c = s.db.get().await?;
    let rows = books::unknown_events(&c, 500).await?;
    let body = html! {
        h1 { (l.t("unknown_events")) }
        p.muted { (l.t("unknown_hint")) }
        table.unknown {
            tr {
                th { (l.t("event")) }
                th { (l.t("event_type")) }
                th { (l.t("location")) }
                th { (l.t("code")) }
                th { (l.t("received")) }
                th.num { (l.t("deliveries")) }
            }
            @for e in &rows {
                tr {
                    td { (e.event_id) }
                    td { (e.event_type) }
                    td { (e.location_id.as_deref().unwrap_or("—")) }
                    td { (e.code_id.as_deref().unwrap_or("")) }
                    td { (time(e.received_at)) }
                    td.num { (e.deliveries) }
                }
            }
            @if rows.is_empty() {
                tr { td colspan="6" class="muted" { (l.t("none")) } }
            }
        }
    };
    Ok(v.page(l.t("unknown_events"), body))
}
