//! The view's pages. Each reads `crate::books` and renders.

use std::fmt::Write as _;

use super::by_rate::{day_table, DayRow};
use super::html::{esc, page, seg, time, yen};
use super::{Lang, Viewer};
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

pub fn login(l: Lang, off: bool, wrong: bool) -> Html<String> {
    let mut b = String::new();
    if off {
        let _ = write!(b, "<p class=\"error\">{}</p>", l.t("view_off"));
    }
    let _ = write!(
        b,
        "<form class=\"login\" method=\"post\" action=\"/login\"><h1>{t}</h1>{err}\
         <label>{p}<input type=\"password\" name=\"password\" autocomplete=\"current-password\" autofocus></label>\
         <button type=\"submit\" id=\"sign-in\">{t}</button></form>",
        t = l.t("login"),
        p = l.t("password"),
        err = if wrong {
            format!("<p class=\"error\" id=\"login-error\">{}</p>", l.t("wrong_password"))
        } else {
            String::new()
        },
    );
    page(l, l.t("login"), &b)
}

fn status_pill(l: Lang, r: &RegisterSummary) -> String {
    let (class, word) = if r.revoked {
        ("bad", l.t("revoked"))
    } else if r.diverged.is_some() {
        ("bad", l.t("diverged"))
    } else if r.online {
        ("ok", l.t("online"))
    } else {
        ("off", l.t("offline"))
    };
    format!("<span class=\"pill {class}\">{word}</span>")
}

fn registers_table(l: Lang, regs: &[RegisterSummary]) -> String {
    let mut o = format!(
        "<table class=\"registers\"><tr><th>{}</th><th></th><th>{}</th><th>{}</th><th class=\"num\">{}</th></tr>",
        l.t("register"),
        l.t("last_seen"),
        l.t("open_shift"),
        l.t("backlog")
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

pub async fn overview(State(s): State<AppState>, v: Viewer) -> Page {
    let l = v.lang;
    let c = s.db.get().await.map_err(|e| fail(e.into()))?;
    let o = books::overview(&c, &today(&s)).await.map_err(fail)?;
    let mut b = format!(
        "<h1>{}</h1><div class=\"cards\"><div class=\"card\" id=\"brand-total\"><div class=\"muted\">{}</div>\
         <div class=\"big\" data-net=\"{}\">{}</div><div class=\"muted\">{} {} · {} {}</div></div>",
        l.t("stores"),
        l.t("brand_today"),
        o.brand.net_sales,
        yen(o.brand.net_sales),
        l.t("paid"),
        o.brand.paid.count,
        l.t("refunds"),
        yen(o.brand.refunded),
    );
    for st in &o.stores {
        let _ = write!(
            b,
            "<div class=\"card store\" data-location=\"{loc}\"><div><a href=\"/stores/{href}\"><b>{name}</b></a> \
             <span class=\"muted\">{loc}</span></div><div class=\"big\" data-net=\"{net}\">{nety}</div>\
             <div class=\"muted\">{today} · {paid} {count} · {late} {lc}</div></div>",
            loc = esc(&st.location_id),
            href = seg(&st.location_id),
            name = esc(&st.name),
            net = st.day.net_sales,
            nety = yen(st.day.net_sales),
            today = l.t("today"),
            paid = l.t("paid"),
            count = st.day.paid.count,
            late = l.t("late"),
            lc = st.day.late.count,
        );
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
        rows.push(DayRow {
            name: l.t("brand").to_owned(),
            location: None,
            figures: &o.brand.by_rate,
        });
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
    if o.unknown_events > 0 {
        let _ = write!(
            b,
            "<p><a class=\"pill warn\" href=\"/events/unknown\">{} {}</a></p>",
            l.t("unknown_events"),
            o.unknown_events
        );
    }
    Ok(page(l, l.t("stores"), &b))
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
                "<span class=\"pill warn\">{} {}</span>",
                l.t("net_sales"),
                yen(d.net_sales)
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
    let o = books::overview(&c, &today(&s)).await.map_err(fail)?;
    let Some(st) = o.stores.iter().find(|x| x.location_id == loc) else {
        return Err(fail(HqError::NotFound(format!("store {loc}"))));
    };
    let z = books::z_reports(&c, Some(&loc), None, 200)
        .await
        .map_err(fail)?;
    let b = format!(
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
    Ok(page(l, &st.name, &b))
}

pub(super) async fn register_row(
    c: &tokio_postgres::Client,
    register_id: &str,
) -> Result<i64, Response> {
    c.query_opt(
        "SELECT id FROM registers WHERE register_id = $1",
        &[&register_id],
    )
    .await
    .map_err(|e| fail(e.into()))?
    .map(|r| r.get(0))
    .ok_or_else(|| (StatusCode::NOT_FOUND, "no such register").into_response())
}

pub async fn register(State(s): State<AppState>, v: Viewer, Path(rid): Path<String>) -> Page {
    let l = v.lang;
    let c = s.db.get().await.map_err(|e| fail(e.into()))?;
    let id = register_row(&c, &rid).await?;
    let z = books::z_reports(&c, None, Some(id), 500)
        .await
        .map_err(fail)?;
    let b = format!(
        "<h1>{} {}</h1><h2>{}</h2>{}",
        l.t("register"),
        esc(&rid),
        l.t("z_reports"),
        z_table(l, &z)
    );
    Ok(page(l, &rid, &b))
}

pub async fn unknown_events(State(s): State<AppState>, v: Viewer) -> Page {
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
    Ok(page(l, l.t("unknown_events"), &b))
}
