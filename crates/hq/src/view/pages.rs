//! The view's pages. Each reads `crate::books` and renders.

use std::fmt::Write as _;

use super::by_rate::{day_table, DayRow};
use super::html::{esc, seg, signed_yen, time, yen};
use super::{Lang, Viewer};
use crate::books::Overview;
use crate::books::{self, RegisterSummary, ZRow};
use crate::error::HqError;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

pub(super) type Page = Result<Html<String>, Response>;

pub(super) fn fail(e: HqError) -> Response {
    e.into_response()
}

fn today(s: &AppState) -> String {
    easyqr_ledger::business_date((s.clock)(), crate::projection::UTC_OFFSET_MINUTES)
}

fn status_pill(l: Lang, r: &RegisterSummary) -> String {
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
    format!("<span class=\"pill {class}\">{word}</span>")
}

fn registers_table(l: Lang, regs: &[RegisterSummary]) -> String {
    let mut o = format!(
        "<table class=\"registers\"><tr><th>{}</th><th></th><th>{}</th><th>{}</th>{}</tr>",
        l.t("register"),
        l.t("last_seen"),
        l.t("open_shift"),
        term(l, "th", "backlog").replace("class=\"term\"", "class=\"term num\"")
    );
    for r in regs {
        let shift = r.open_shift.as_ref().map_or_else(
            || format!("<span class=\"muted\">{}</span>", l.t("no_open_shift")),
            |(id, cashier, at)| {
                format!(
                    "<a href=\"/registers/{}/shifts/{id}\">#{id} {} · {}</a>",
                    seg(&r.register_id),
                    esc(cashier),
                    time(*at)
                )
            },
        );
        let _ = write!(
            o,
            "<tr data-register=\"{rid}\"><td><a href=\"/registers/{href}\">{rid}</a></td><td>{pill}{div}</td>\
             <td>{seen}</td><td>{shift}</td><td class=\"num backlog\">{backlog}</td></tr>",
            rid = esc(&r.register_id),
            href = seg(&r.register_id),
            pill = status_pill(l, r),
            div = r
                .diverged
                .as_deref()
                .map(|d| format!("<div class=\"error\">{}</div>", esc(d)))
                .into_iter()
                .chain(
                    r.broken
                        .as_deref()
                        .map(|b| format!("<div class=\"error broken\">{}</div>", esc(b))),
                )
                .chain(r.unreadable.as_deref().map(|e| {
                    format!(
                        "<div class=\"error unreadable\">{} ({})</div>",
                        l.t("unreadable"),
                        esc(e)
                    )
                }))
                .collect::<String>(),
            seen = r.last_seen.map_or_else(|| l.t("never").to_owned(), time),
            backlog = r.backlog,
        );
    }
    o.push_str("</table>");
    o
}

/// The books' overview, cut to the stores `v` may see.
async fn overview_for(
    s: &AppState,
    v: &Viewer,
    c: &tokio_postgres::Client,
) -> Result<Overview, Response> {
    let mut o = books::overview(c, &today(s)).await.map_err(fail)?;
    o.stores
        .retain(|st| v.account.scope.allows(&st.location_id));
    Ok(o)
}

/// A day's card: the same figures for a store and for the brand.
fn day_card(l: Lang, attrs: &str, title: &str, d: &books::DayTotals, backlog: i64) -> String {
    format!(
        "<div class=\"card{extra}\"{attrs}><div class=\"card-title\">{title}</div>\
         <div class=\"muted\">{net_word}</div><div class=\"big\" data-net=\"{net}\">{nety}</div>\
         <dl class=\"figs\"><dt>{paid}</dt><dd data-k=\"paid\">{pc} · {pa}</dd>\
         <dt>{refunds}</dt><dd data-k=\"refunds\">{ra}</dd>\
         {late_dt}<dd data-k=\"late\">{lc} · {la}</dd>\
         {backlog_dt}<dd data-k=\"backlog\">{backlog}</dd></dl></div>",
        extra = if attrs.contains("data-location") {
            " store"
        } else {
            ""
        },
        net_word = l.t("net_sales_today"),
        net = d.net_sales,
        nety = yen(d.net_sales),
        paid = l.t("paid"),
        pc = l.count(d.paid.count),
        pa = yen(d.paid.amount),
        refunds = l.t("refunds"),
        ra = yen(d.refunded),
        late_dt = term(l, "dt", "late"),
        lc = l.count(d.late.count),
        la = yen(d.late.amount),
        backlog_dt = term(l, "dt", "backlog"),
        backlog = l.count(backlog),
    )
}

/// A term the legend explains, with its explanation as a tooltip.
pub(super) fn term(l: Lang, tag: &str, key: &'static str) -> String {
    format!(
        "<{tag} class=\"term\" title=\"{}\">{}</{tag}>",
        esc(l.explain(key)),
        l.t(key)
    )
}

/// The short legend under a page: each term and what it means.
pub(super) fn legend(l: Lang, keys: &[&'static str]) -> String {
    let mut o = format!(
        "<section class=\"legend\" id=\"legend\"><h2>{}</h2><dl>",
        l.t("legend")
    );
    for k in keys {
        let _ = write!(o, "<dt>{}</dt><dd>{}</dd>", l.t(k), esc(l.explain(k)));
    }
    o.push_str("</dl></section>");
    o
}

/// Events naming no known store, at the top where a brand user sees them
/// first: how many, and the newest few with amount, store id and time.
async fn unknown_banner(
    l: Lang,
    c: &tokio_postgres::Client,
    count: i64,
) -> Result<String, Response> {
    if count == 0 {
        return Ok(String::new());
    }
    let newest = books::unknown_events(c, 3).await.map_err(fail)?;
    let mut o = format!(
        "<div class=\"banner warn\" id=\"unknown-banner\"><div><b>{}</b> <span class=\"count\">{}</span></div><ul>",
        l.t("unknown_banner"),
        l.t("count_of").replace("{n}", &count.to_string()),
    );
    for e in &newest {
        let _ = write!(
            o,
            "<li><b class=\"amount\">{}</b> · {} · <span class=\"muted\">{}</span> · {}</li>",
            e.amount.map_or_else(|| "—".to_owned(), yen),
            esc(e.location_id.as_deref().unwrap_or(l.t("no_location"))),
            esc(l.event_type(&e.event_type)),
            time(e.received_at),
        );
    }
    let _ = write!(
        o,
        "</ul><div class=\"muted\">{} <a href=\"/events/unknown\">{}</a></div></div>",
        l.t("unknown_next"),
        l.t("see_all")
    );
    Ok(o)
}

pub async fn overview(State(s): State<AppState>, v: Viewer) -> Page {
    let l = v.lang;
    let c = s.db.get().await.map_err(|e| fail(e.into()))?;
    let o = overview_for(&s, &v, &c).await?;
    let mut b = format!("<h1>{}</h1>", l.t("stores"));
    if v.brand() {
        b.push_str(&unknown_banner(l, &c, o.unknown_events).await?);
    }
    let backlog = |regs: &[RegisterSummary]| regs.iter().map(|r| r.backlog).sum::<i64>();
    b.push_str("<div class=\"cards\">");
    // The brand's figures are for brand users: a store user sees its own.
    if v.brand() {
        let all: i64 = o.stores.iter().map(|st| backlog(&st.registers)).sum();
        b.push_str(&day_card(
            l,
            " id=\"brand-total\"",
            &format!("<b>{}</b>", l.t("brand_today")),
            &o.brand,
            all,
        ));
    }
    for st in &o.stores {
        b.push_str(&day_card(
            l,
            &format!(" data-location=\"{}\"", esc(&st.location_id)),
            &format!(
                "<a href=\"/stores/{}\"><b>{}</b></a> <span class=\"muted\">{}</span>",
                seg(&st.location_id),
                esc(&st.name),
                esc(&st.location_id)
            ),
            &st.day,
            backlog(&st.registers),
        ));
    }
    b.push_str("</div>");
    if o.stores.is_empty() {
        let _ = write!(b, "<p class=\"muted\">{}</p>", l.t("no_stores"));
    } else {
        let mut rows: Vec<DayRow<'_>> = o
            .stores
            .iter()
            .map(|st| DayRow {
                name: esc(&st.name),
                location: Some(&st.location_id),
                figures: &st.day.by_rate,
            })
            .collect();
        if v.brand() {
            rows.push(DayRow {
                name: l.t("brand").to_owned(),
                location: None,
                figures: &o.brand.by_rate,
            });
        }
        let _ = write!(
            b,
            "<h2 id=\"by-rate\">{}</h2>{}",
            l.t("by_rate_today"),
            day_table(l, &rows)
        );
    }
    for st in &o.stores {
        let _ = write!(
            b,
            "<h2>{} <span class=\"muted\">{}</span></h2>",
            esc(&st.name),
            esc(&st.location_id)
        );
        b.push_str(&registers_table(l, &st.registers));
    }
    b.push_str(&legend(l, &["backlog", "late"]));
    Ok(v.page(l.t("stores"), &b))
}

fn z_table(l: Lang, rows: &[ZRow]) -> String {
    let mut o = format!(
        "<table class=\"z\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>\
         <th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th>{}</th></tr>",
        l.t("register"),
        l.t("z_no"),
        l.t("cashier"),
        l.t("opened"),
        l.t("closed"),
        l.t("paid"),
        l.t("refunds"),
        l.t("net_sales"),
        l.t("since_close"),
    );
    for z in rows {
        let f = z.at_close.as_ref().unwrap_or(&z.now);
        let _ = write!(
            o,
            "<tr><td>{rid}</td><td><a href=\"/registers/{href}/shifts/{sid}\">Z{zn}</a></td><td>{cashier}</td>\
             <td>{opened}</td><td>{closed}</td><td class=\"num\">{paid}</td><td class=\"num\">{refunds}</td>\
             <td class=\"num z-net\" data-net=\"{net}\">{nety}</td><td>{since}</td></tr>",
            rid = esc(&z.register_id),
            href = seg(&z.register_id),
            sid = z.shift_id,
            zn = z.z_number,
            cashier = esc(&z.cashier),
            opened = time(z.opened_at),
            closed = time(z.closed_at),
            paid = yen(f.paid.amount),
            refunds = yen(f.refunds.deducted()),
            net = f.net_sales,
            nety = yen(f.net_sales),
            since = z.since_close.as_ref().map_or_else(String::new, |d| format!(
                "<span class=\"pill warn since\" title=\"{}\">{} {}</span>",
                esc(l.explain("since_close")),
                l.t("since_close_short"),
                signed_yen(d.net_sales)
            )),
        );
    }
    if rows.is_empty() {
        let _ = write!(
            o,
            "<tr><td colspan=\"9\" class=\"muted\">{}</td></tr>",
            l.t("none")
        );
    }
    o.push_str("</table>");
    o
}

pub async fn store(State(s): State<AppState>, v: Viewer, Path(loc): Path<String>) -> Page {
    let l = v.lang;
    let c = s.db.get().await.map_err(|e| fail(e.into()))?;
    v.may_see(&loc).map_err(fail)?;
    let o = overview_for(&s, &v, &c).await?;
    let Some(st) = o.stores.iter().find(|x| x.location_id == loc) else {
        return Err(fail(HqError::NotFound(format!("store {loc}"))));
    };
    let z = books::z_reports(&c, Some(&loc), None, 200)
        .await
        .map_err(fail)?;
    let mut b = format!(
        "<h1>{name} <span class=\"muted\">{loc}</span></h1><p>{today}: <b data-net=\"{net}\">{nety}</b> \
         <a class=\"button\" href=\"/export/z.csv?store={href}\">{csv}</a></p>\
         <h2 id=\"by-rate\">{by_rate}</h2>{rates}<h2>{rt}</h2>{regs}<h2>{zt}</h2>{ztable}",
        name = esc(&st.name),
        loc = esc(&loc),
        today = l.t("today"),
        net = st.day.net_sales,
        nety = yen(st.day.net_sales),
        href = seg(&loc),
        csv = l.t("csv"),
        by_rate = l.t("by_rate_today"),
        rates = day_table(
            l,
            &[DayRow {
                name: esc(&st.name),
                location: Some(&st.location_id),
                figures: &st.day.by_rate,
            }]
        ),
        rt = l.t("registers"),
        regs = registers_table(l, &st.registers),
        zt = l.t("z_reports"),
        ztable = z_table(l, &z),
    );
    b.push_str(&legend(l, &["backlog", "since_close", "late"]));
    Ok(v.page(&st.name, &b))
}

/// HQ's row id of a register `v` may see; 404 alike for one of another
/// store and for none.
pub(super) async fn register_row(
    c: &tokio_postgres::Client,
    v: &Viewer,
    register_id: &str,
) -> Result<i64, Response> {
    let not_found = || (StatusCode::NOT_FOUND, "no such register").into_response();
    let row = c
        .query_opt(
            "SELECT r.id, s.location_id FROM registers r JOIN stores s ON s.id = r.store_id
             WHERE r.register_id = $1",
            &[&register_id],
        )
        .await
        .map_err(|e| fail(e.into()))?
        .ok_or_else(not_found)?;
    if !v.account.scope.allows(row.get(1)) {
        return Err(not_found());
    }
    Ok(row.get(0))
}

pub async fn register(State(s): State<AppState>, v: Viewer, Path(rid): Path<String>) -> Page {
    let l = v.lang;
    let c = s.db.get().await.map_err(|e| fail(e.into()))?;
    let id = register_row(&c, &v, &rid).await?;
    let z = books::z_reports(&c, None, Some(id), 500)
        .await
        .map_err(fail)?;
    let b = format!(
        "<h1>{} {}</h1><h2>{}</h2>{}{}",
        l.t("register"),
        esc(&rid),
        l.t("z_reports"),
        z_table(l, &z),
        legend(l, &["since_close", "late"])
    );
    Ok(v.page(&rid, &b))
}

pub async fn unknown_events(State(s): State<AppState>, v: Viewer) -> Page {
    v.brand_only().map_err(fail)?;
    let l = v.lang;
    let c = s.db.get().await.map_err(|e| fail(e.into()))?;
    let rows = books::unknown_events(&c, 500).await.map_err(fail)?;
    let mut b = format!(
        "<h1>{}</h1><p class=\"muted\">{}</p><table class=\"unknown\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th class=\"num\">{}</th></tr>",
        l.t("unknown_events"), l.t("unknown_hint"), l.t("event"), l.t("event_type"), l.t("location"), l.t("code"), l.t("received"), l.t("deliveries")
    );
    for e in &rows {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            esc(&e.event_id),
            esc(&e.event_type),
            esc(e.location_id.as_deref().unwrap_or("—")),
            esc(e.code_id.as_deref().unwrap_or("")),
            time(e.received_at),
            e.deliveries
        );
    }
    if rows.is_empty() {
        let _ = write!(
            b,
            "<tr><td colspan=\"6\" class=\"muted\">{}</td></tr>",
            l.t("none")
        );
    }
    b.push_str("</table>");
    Ok(v.page(l.t("unknown_events"), &b))
}
