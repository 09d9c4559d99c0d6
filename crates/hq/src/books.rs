//! What the head-office view reads: stores and their registers, a day's
//! sales per store and for the brand, Z reports, a shift's payments,
//! refunds, late payments and reconciliation finds, events for no known
//! store. A shift's figures are assembled by the ledger's own rule
//! (`Figures::assemble`) from HQ's copy, so HQ and the register count alike;
//! by tax rate too, from the per-shift rate sums (`crate::tax`).

mod day;
mod detail;

use std::collections::BTreeMap;

use easyqr_ledger::{AttemptState, Figures, RefundState, RefundTotals, ShiftTotals, StateTotal};
use serde::Serialize;
use tokio_postgres::types::ToSql;
use tokio_postgres::Client;

pub use day::{rates_of, DayTotals};
pub use detail::{shift_detail, unknown_events, PaymentRow, RefundRow, UnknownEvent};

use crate::error::HqError;
use crate::tax::{rate_sums, ShiftKey};

/// A register counts as online when seen (a stream keep-alive, a batch)
/// this recently: a little over two keep-alives.
pub const ONLINE_SECS: f64 = 40.0;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterSummary {
    pub id: i64,
    pub register_id: String,
    pub online: bool,
    /// Unix ms, or `None` when never seen.
    pub last_seen: Option<i64>,
    pub revoked: bool,
    pub backlog: i64,
    pub acked: i64,
    pub diverged: Option<String>,
    /// A journal row that breaks the ledger's rules: none of this
    /// register's figures count (`crate::projection::rules`).
    pub broken: Option<String>,
    /// A journal row this HQ cannot read yet (its figures stop before it).
    pub unreadable: Option<String>,
    /// (shift id, cashier, opened at) of the open shift.
    pub open_shift: Option<(i64, String, i64)>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreSummary {
    pub id: i64,
    pub location_id: String,
    pub name: String,
    pub registers: Vec<RegisterSummary>,
    /// Shifts opened on the day (business date, JST).
    pub day: DayTotals,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    pub stores: Vec<StoreSummary>,
    pub brand: DayTotals,
    pub unknown_events: i64,
}

/// `expr` (a numeric sum) as a bigint, held at bigint's bounds: a sum
/// PostgreSQL keeps as numeric never fails the page that reads it.
pub(crate) fn saturating_bigint(expr: &str) -> String {
    format!(
        "least(greatest({expr}, {}), {})::bigint",
        i64::MIN,
        i64::MAX
    )
}

/// Registers whose figures count: not flagged for breaking the ledger's
/// rules (their rows are kept, never counted).
const COUNTED: &str = "r.broken_seq IS NULL";

/// The selected shifts, as a join source `sh (register, shift_id)`.
const KEYS: &str = "unnest($1::bigint[], $2::bigint[]) AS sh (register, shift_id)";

/// Raw totals of the given shifts, assembled into figures per shift.
async fn shift_figures(
    c: &Client,
    keys: &[ShiftKey],
) -> Result<BTreeMap<ShiftKey, Figures>, HqError> {
    let regs: Vec<i64> = keys.iter().map(|k| k.0).collect();
    let ids: Vec<i64> = keys.iter().map(|k| k.1).collect();
    let params: [&(dyn ToSql + Sync); 2] = [&regs, &ids];
    let mut totals: BTreeMap<ShiftKey, ShiftTotals> =
        keys.iter().map(|k| (*k, ShiftTotals::default())).collect();
    let mut refunds: BTreeMap<ShiftKey, RefundTotals> = BTreeMap::new();
    let mut late: BTreeMap<ShiftKey, StateTotal> = BTreeMap::new();
    // Sorted as the ledger sorts (byte order), whatever the collation.
    let rows = c
        .query(
            &format!(
                "SELECT a.register, a.shift_id, a.state, coalesce(a.payment_method, ''),
                        count(*), {paid}, count(*) FILTER (WHERE a.late), {late}
                 FROM {KEYS} JOIN attempts a
                   ON a.register = sh.register AND a.shift_id = sh.shift_id
                 GROUP BY 1, 2, 3, 4
                 ORDER BY 1, 2, a.state COLLATE \"C\", coalesce(a.payment_method, '') COLLATE \"C\"",
                paid = saturating_bigint("sum(a.amount)"),
                late = saturating_bigint("coalesce(sum(a.amount) FILTER (WHERE a.late), 0)"),
            ),
            &params,
        )
        .await?;
    for r in &rows {
        let key = (r.get(0), r.get(1));
        let state: AttemptState = r.get::<_, String>(2).parse().map_err(HqError::Invalid)?;
        let t = StateTotal {
            count: r.get(4),
            amount: r.get(5),
        };
        if let Some(s) = totals.get_mut(&key) {
            s.add(state, r.get(3), t);
        }
        let l = late.entry(key).or_default();
        l.count = l.count.saturating_add(r.get(6));
        l.amount = l.amount.saturating_add(r.get(7));
    }
    let rows = c
        .query(
            &format!(
                "SELECT f.register, f.shift_id, f.status, count(*), {}
                 FROM {KEYS} JOIN refunds f
                   ON f.register = sh.register AND f.shift_id = sh.shift_id
                 GROUP BY 1, 2, 3",
                saturating_bigint("sum(f.amount)")
            ),
            &params,
        )
        .await?;
    for r in &rows {
        let status: RefundState = r.get::<_, String>(2).parse().map_err(HqError::Invalid)?;
        let t = StateTotal {
            count: r.get(3),
            amount: r.get(4),
        };
        refunds
            .entry((r.get(0), r.get(1)))
            .or_default()
            .add(status, t);
    }
    let mut rates = rate_sums(c, keys).await?;
    Ok(totals
        .into_iter()
        .map(|(k, t)| {
            let f = Figures::assemble(
                &t,
                refunds.remove(&k).unwrap_or_default(),
                late.remove(&k).unwrap_or_default(),
                rates.remove(&k).unwrap_or_default(),
            );
            (k, f)
        })
        .collect())
}

fn keys_of(rows: &[tokio_postgres::Row]) -> Vec<ShiftKey> {
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

/// Stores, registers and the day's totals. `day`: `YYYYMMDD`.
pub async fn overview(c: &Client, day: &str) -> Result<Overview, HqError> {
    let stores = c
        .query(
            "SELECT id, location_id, name FROM stores ORDER BY location_id",
            &[],
        )
        .await?;
    let regs = c
        .query(
            &format!(
                "SELECT r.id, r.store_id, r.register_id,
                    coalesce(extract(epoch FROM now() - r.last_seen) < {ONLINE_SECS}, false),
                    (extract(epoch FROM r.last_seen) * 1000)::bigint,
                    r.revoked_at IS NOT NULL, greatest(r.head_seq - r.acked_seq, 0), r.acked_seq,
                    r.diverged_reason, sh.shift_id, sh.cashier, sh.opened_at,
                    r.projection_error, r.broken_reason
                 FROM registers r
                 LEFT JOIN LATERAL (SELECT shift_id, cashier, opened_at FROM shifts
                     WHERE register = r.id AND closed_at IS NULL
                     ORDER BY shift_id DESC LIMIT 1) sh ON true
                 ORDER BY r.register_id"
            ),
            &[],
        )
        .await?;
    let today = c
        .query(
            &format!(
                "SELECT sh.register, sh.shift_id FROM shifts sh JOIN registers r ON r.id = sh.register
                 WHERE sh.business_date = to_date($1, 'YYYYMMDD') AND {COUNTED}"
            ),
            &[&day],
        )
        .await?;
    let figures = shift_figures(c, &keys_of(&today)).await?;
    let mut out = Overview {
        stores: Vec::new(),
        brand: DayTotals::default(),
        unknown_events: c
            .query_one(
                "SELECT count(*) FROM inbox i WHERE NOT EXISTS
                     (SELECT 1 FROM stores s WHERE s.location_id = i.location_id)",
                &[],
            )
            .await?
            .get(0),
    };
    for s in &stores {
        let id: i64 = s.get(0);
        let registers: Vec<RegisterSummary> = regs
            .iter()
            .filter(|r| r.get::<_, i64>(1) == id)
            .map(|r| RegisterSummary {
                id: r.get(0),
                register_id: r.get(2),
                online: r.get(3),
                last_seen: r.get(4),
                revoked: r.get(5),
                backlog: r.get(6),
                acked: r.get(7),
                diverged: r.get(8),
                unreadable: r.get(12),
                broken: r.get(13),
                open_shift: r
                    .get::<_, Option<i64>>(9)
                    .map(|sid| (sid, r.get(10), r.get(11))),
            })
            .collect();
        let mut day = DayTotals::default();
        for ((reg, _), f) in &figures {
            if registers.iter().any(|r| r.id == *reg) {
                day.add(f);
                out.brand.add(f);
            }
        }
        out.stores.push(StoreSummary {
            id,
            location_id: s.get(1),
            name: s.get(2),
            registers,
            day,
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ZRow {
    pub register: i64,
    pub register_id: String,
    pub store: String,
    pub shift_id: i64,
    pub z_number: i64,
    pub cashier: String,
    pub opened_at: i64,
    pub closed_at: i64,
    /// As the register journaled them at the close (`None`: before schema
    /// v5); closed before rates were recorded (v6), every yen of it counts
    /// as "rate not recorded" (`Figures::fill_unrecorded`, as the register).
    pub at_close: Option<Figures>,
    /// Figures now, from HQ's copy.
    pub now: Figures,
    /// What changed since the close (late payments, refunds finished).
    pub since_close: Option<Figures>,
}

/// Z reports, newest first: of one store (`location_id`), one register, or
/// the whole brand; at most `limit`.
pub async fn z_reports(
    c: &Client,
    location_id: Option<&str>,
    register: Option<i64>,
    limit: i64,
) -> Result<Vec<ZRow>, HqError> {
    let rows = c
        .query(
            &format!(
                "SELECT sh.register, sh.shift_id, r.register_id, s.name, sh.z_number, sh.cashier,
                        sh.opened_at, sh.closed_at, sh.z_figures
                 FROM shifts sh JOIN registers r ON r.id = sh.register
                 JOIN stores s ON s.id = r.store_id
                 WHERE sh.closed_at IS NOT NULL AND {COUNTED}
                   AND ($1::text IS NULL OR s.location_id = $1)
                   AND ($2::bigint IS NULL OR sh.register = $2)
                 ORDER BY sh.closed_at DESC LIMIT $3"
            ),
            &[&location_id, &register, &limit],
        )
        .await?;
    let mut figures = shift_figures(c, &keys_of(&rows)).await?;
    rows.iter()
        .map(|r| {
            let key: ShiftKey = (r.get(0), r.get(1));
            let at_close: Option<Figures> = r
                .get::<_, Option<serde_json::Value>>(8)
                .map(serde_json::from_value::<Figures>)
                .transpose()
                .map_err(|e| HqError::Invalid(format!("stored Z figures: {e}")))?
                .map(|mut f| {
                    f.fill_unrecorded();
                    f
                });
            let now = figures.remove(&key).unwrap_or_default();
            Ok(ZRow {
                register: key.0,
                register_id: r.get(2),
                store: r.get(3),
                shift_id: key.1,
                z_number: r.get::<_, Option<i64>>(4).unwrap_or_default(),
                cashier: r.get(5),
                opened_at: r.get(6),
                closed_at: r.get::<_, Option<i64>>(7).unwrap_or_default(),
                since_close: at_close.as_ref().and_then(|z| now.since(z)),
                at_close,
                now,
            })
        })
        .collect()
}
