//! Shipping the journal to HQ: rows after what HQ acknowledged, 500 at a
//! time, each batch sent again until HQ answers. Reads are short and run on
//! the blocking pool, so a shipment never holds up a sale.

use std::sync::Arc;
use std::time::Duration;

use easyqr_engine::{Engine, EngineEvent};
use easyqr_ledger::{Ledger, LedgerError};
use serde::Serialize;
use tokio::sync::{broadcast, watch, Notify};

use super::client::{Diverged, HqClient, HqError, ShipAnswer};
use super::link::{retry_delay, update, Ended};
use super::status::HqStatus;

/// The protocol's largest batch.
pub const BATCH: usize = 500;
/// How often a caught-up shipper looks at the journal's head anyway: not
/// every journal write (shifts, refunds requested) is an engine event.
const TICK: Duration = Duration::from_secs(3);
/// A payment writes a few rows in a burst; ship them together.
const DEBOUNCE: Duration = Duration::from_millis(200);
/// HQ stores nothing more of a ledger it found diverged: ask again this
/// seldom (the owner may have sorted it out at HQ), not at every sale.
const DIVERGED_RECHECK: Duration = Duration::from_secs(300);

/// What a shipment achieved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipReport {
    pub head: i64,
    pub acked: i64,
    /// `head − acked`.
    pub backlog: i64,
    /// Rows sent (a row HQ already held counts too).
    pub shipped: usize,
    pub diverged: Option<Diverged>,
}

async fn read<T: Send + 'static>(
    ledger: &Arc<Ledger>,
    f: impl FnOnce(&Ledger) -> Result<T, LedgerError> + Send + 'static,
) -> Result<T, HqError> {
    let ledger = ledger.clone();
    tokio::task::spawn_blocking(move || f(&ledger))
        .await
        .map_err(|e| HqError::Ledger(e.to_string()))?
        .map_err(|e| HqError::Ledger(e.to_string()))
}

/// Ships every row after `acked` and returns once HQ holds the head — or
/// once HQ stops moving its `acked` forward (a divergence, a gap it keeps):
/// sending the same rows again at once would only spin. `on_batch` hears
/// each answer, so progress survives a later failure.
///
/// With `overlap`, the first batch repeats row `acked` (or this ledger's
/// newest row, if it holds fewer): HQ compares it with its copy, so a
/// ledger file replaced by another or by an older copy is found even when
/// there is nothing new to ship.
pub async fn ship_backlog(
    client: &HqClient,
    ledger: &Arc<Ledger>,
    acked: i64,
    overlap: bool,
    mut on_batch: impl FnMut(&ShipAnswer, i64, usize),
) -> Result<ShipReport, HqError> {
    let mut acked = acked;
    let mut overlap = overlap && acked > 0;
    let mut shipped = 0;
    let mut diverged = None;
    loop {
        let head = read(ledger, Ledger::journal_head_seq).await?;
        let from = if overlap {
            (acked.min(head) - 1).max(0)
        } else {
            acked
        };
        let rows = read(ledger, move |l| l.journal_rows_after(from, BATCH)).await?;
        let last = rows.last().map(|r| r.seq);
        let report = move |acked: i64, diverged: Option<Diverged>| ShipReport {
            head,
            acked,
            backlog: (head - acked).max(0),
            shipped,
            diverged,
        };
        if last.is_none() && !overlap {
            return Ok(report(acked, diverged));
        }
        let answer = client.ship(head, acked, &rows).await?;
        on_batch(&answer, head, rows.len());
        overlap = false;
        shipped += rows.len();
        diverged = answer.diverged.clone();
        let progressed = answer.acked > acked && last.is_some_and(|l| answer.acked >= l);
        acked = answer.acked;
        if !progressed {
            return Ok(ShipReport {
                shipped,
                ..report(acked, diverged)
            });
        }
    }
}

/// The shipper task: ships, then waits for the ledger to write (an engine
/// event, a tick, or [`super::HqLink::ship_now`]); on failure backs off and
/// ships the same rows again. Ends only when HQ revokes the register.
pub(crate) async fn run(
    client: HqClient,
    engine: Engine,
    status: watch::Sender<HqStatus>,
    wake: Arc<Notify>,
    acked: i64,
) -> Ended {
    let ledger = engine.ledger().clone();
    let mut events = Some(engine.subscribe());
    let mut acked = acked;
    let mut failures = 0u32;
    // Until HQ has compared a row with its copy once.
    let mut compared = false;
    loop {
        let mut progress = acked;
        let result = ship_backlog(&client, &ledger, acked, !compared, |answer, head, rows| {
            progress = answer.acked;
            update(&status, |s| {
                s.on_shipped(answer, head, rows, engine.now_ms())
            });
        })
        .await;
        acked = progress;
        match result {
            Ok(report) => {
                failures = 0;
                compared = true;
                acked = report.acked;
                update(&status, |s| {
                    s.on_caught_up(report.head, report.acked, engine.now_ms())
                });
                if report.diverged.is_some() {
                    tokio::select! {
                        _ = wake.notified() => {}
                        _ = tokio::time::sleep(DIVERGED_RECHECK) => {}
                    }
                } else {
                    wait_for_rows(&mut events, &wake).await;
                }
            }
            Err(HqError::Revoked) => {
                update(&status, |s| s.on_revoked(engine.now_ms()));
                return Ended::Revoked;
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                if failures == 1 {
                    tracing::warn!(error = %e, "journal not shipped to the head office; trying again");
                }
                update(&status, |s| s.on_ship_failed(&e, engine.now_ms()));
                tokio::time::sleep(retry_delay(&e, failures)).await;
            }
        }
    }
}

/// Until there may be new journal rows.
async fn wait_for_rows(events: &mut Option<broadcast::Receiver<EngineEvent>>, wake: &Notify) {
    let engine_event = async {
        match events {
            Some(rx) => !matches!(rx.recv().await, Err(broadcast::error::RecvError::Closed)),
            None => std::future::pending().await,
        }
    };
    let heard = tokio::select! {
        open = engine_event => Some(open),
        _ = wake.notified() => None,
        _ = tokio::time::sleep(TICK) => None,
    };
    match (heard, events.as_mut()) {
        (Some(true), Some(rx)) => {
            tokio::time::sleep(DEBOUNCE).await;
            // The burst is one shipment: drop what queued meanwhile.
            while !matches!(
                rx.try_recv(),
                Err(broadcast::error::TryRecvError::Empty | broadcast::error::TryRecvError::Closed)
            ) {}
        }
        // The engine is gone; ticks still come.
        (Some(false), _) => *events = None,
        _ => {}
    }
}
