//! Shipping the journal to HQ: rows after what HQ acknowledged, in batches
//! sized by bytes ([`super::batch`]), each batch sent again until HQ
//! answers; one HQ refuses as too large is split, never sent again as it
//! was. Reads are short and run on the blocking pool, so a shipment never
//! holds up a sale.

use std::sync::Arc;
use std::time::Duration;

use easyqr_engine::{Engine, EngineEvent};
use easyqr_ledger::wire::{Diverged, ShipAnswer};
use easyqr_ledger::{Ledger, LedgerError};
use serde::Serialize;
use tokio::sync::{broadcast, watch, Notify};

use super::batch::{BatchLimit, MAX_BATCH_ROWS};
use super::client::{envelope_len, row_len, HqClient, HqError};
use super::link::{retry_delay, update, Ended};
use super::status::HqStatus;
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
    on_batch: impl FnMut(&ShipAnswer, i64, usize),
) -> Result<ShipReport, HqError> {
    let mut limit = BatchLimit::default();
    ship_backlog_within(client, ledger, acked, overlap, &mut limit, on_batch).await
}

/// [`ship_backlog`] in batches of at most `limit` bytes. A batch HQ refuses
/// as too large (413) lowers `limit` and is sent again split; a single row
/// HQ refuses is [`HqError::RowTooLarge`]: shipping is stuck at it.
pub async fn ship_backlog_within(
    client: &HqClient,
    ledger: &Arc<Ledger>,
    acked: i64,
    overlap: bool,
    limit: &mut BatchLimit,
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
        let mut rows = read(ledger, move |l| l.journal_rows_after(from, MAX_BATCH_ROWS)).await?;
        let sizes: Vec<usize> = rows.iter().map(row_len).collect();
        let (n, bytes) = limit.fit(envelope_len(head, acked), &sizes);
        rows.truncate(n);
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
        let answer = match client.ship(head, acked, &rows).await {
            Err(HqError::TooLarge { limit_bytes }) => {
                let first = rows.first().map_or(from + 1, |r| r.seq);
                // One row alone: no split helps (the shipper task logs it
                // once and shows it in the status line).
                limit
                    .refused(n, bytes, limit_bytes)
                    .map_err(|_| HqError::RowTooLarge {
                        seq: first,
                        bytes,
                        limit_bytes,
                    })?;
                tracing::warn!(
                    rows = n,
                    bytes,
                    ?limit_bytes,
                    next = limit.bytes(),
                    "the head office refused a batch as too large; splitting it"
                );
                continue;
            }
            answer => answer?,
        };
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
    // What HQ's refusals taught: kept while the link runs.
    let mut limit = BatchLimit::default();
    let mut failures = 0u32;
    // Until HQ has compared a row with its copy once.
    let mut compared = false;
    loop {
        let mut progress = acked;
        let result = ship_backlog_within(
            &client,
            &ledger,
            acked,
            !compared,
            &mut limit,
            |answer, head, rows| {
                progress = answer.acked;
                update(&status, |s| {
                    s.on_shipped(answer, head, rows, engine.now_ms())
                });
            },
        )
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
