//! HQ's event stream: each `webhook` event goes to the engine's durable
//! webhook inbox (`Engine::take_webhook`), which re-reads the code from
//! elepay before believing it; only then is the event acknowledged. Events
//! of codes this register does not know are ignored by the engine (no
//! elepay call), so another register's webhooks are harmless here.

use std::time::Duration;

use easyqr_engine::Engine;
use elepay::webhook::Event;
use tokio::sync::watch;

use super::client::{HqClient, HqError};
use super::link::{retry_delay, update, Ended};
use super::sse::SseParser;
use super::status::HqStatus;

/// HQ sends a keep-alive every 15 s; three missed mean the connection is
/// dead even if TCP has not noticed. (The engine already stopped counting
/// on push after two: `easyqr_engine::PUSH_SILENCE_LIMIT`.)
const IDLE: Duration = Duration::from_secs(45);

/// Push for the engine while one connection lasts: live from the moment
/// the stream is up, kept live by each chunk (a keep-alive or an event),
/// and lost whenever the connection ends, whatever ends it (an error, HQ
/// closing it, the link stopped and its task aborted). A connection that
/// stays open but stops beating is left to the engine's silence limit.
struct Push<'a>(&'a Engine);

impl<'a> Push<'a> {
    fn up(engine: &'a Engine) -> Push<'a> {
        engine.push_beat();
        Push(engine)
    }

    fn beat(&self) {
        self.0.push_beat();
    }
}

impl Drop for Push<'_> {
    fn drop(&mut self) {
        self.0.push_lost();
    }
}

/// The stream task: follows the stream from `cursor`, reconnecting with
/// backoff after any failure. Ends only when HQ revokes the register.
pub(crate) async fn run(
    client: HqClient,
    engine: Engine,
    status: watch::Sender<HqStatus>,
    cursor: i64,
) -> Ended {
    let mut cursor = cursor;
    let mut failures = 0u32;
    loop {
        let e = match follow(&client, &engine, &status, &mut cursor, &mut failures).await {
            Ok(()) => HqError::Unreachable("the head office closed the event stream".into()),
            Err(e) => e,
        };
        if e == HqError::Revoked {
            update(&status, |s| s.on_revoked(engine.now_ms()));
            return Ended::Revoked;
        }
        failures = failures.saturating_add(1);
        if failures == 1 {
            tracing::warn!(error = %e, "head-office event stream lost; reconnecting");
        }
        update(&status, |s| s.on_stream_down(&e, engine.now_ms()));
        tokio::time::sleep(retry_delay(&e, failures)).await;
    }
}

/// One connection: `Ok` when HQ ended it, `Err` on any failure. `cursor`
/// is the last event taken, so a reconnect resumes right after it.
async fn follow(
    client: &HqClient,
    engine: &Engine,
    status: &watch::Sender<HqStatus>,
    cursor: &mut i64,
    failures: &mut u32,
) -> Result<(), HqError> {
    let mut resp = client.events(*cursor).await?;
    let sse = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if !sse {
        // A proxy's or portal's page, not HQ's stream.
        return Err(HqError::BadAnswer(
            "the head office's event stream answered something else".into(),
        ));
    }
    update(status, |s| s.on_stream_up(engine.now_ms()));
    let push = Push::up(engine);
    let mut parser = SseParser::new();
    // Taken but not yet acknowledged (an ack that failed is sent again
    // with the next chunk, keep-alives included).
    let mut unacked: Option<i64> = None;
    loop {
        let chunk = match tokio::time::timeout(IDLE, resp.chunk()).await {
            Err(_) => {
                return Err(HqError::Unreachable(format!(
                    "no keep-alive from the head office for {} s",
                    IDLE.as_secs()
                )))
            }
            Ok(Err(e)) => return Err(HqError::transport(&e)),
            Ok(Ok(None)) => return Ok(()),
            Ok(Ok(Some(bytes))) => bytes,
        };
        push.beat();
        // The stream works once something came through it: only then is
        // the backoff over (a stream that opens and drops at once backs off).
        *failures = 0;
        let events = parser
            .push(&chunk)
            .map_err(|e| HqError::BadAnswer(e.to_string()))?;
        let mut failed = None;
        for ev in events {
            let Some(id) = ev.id.as_deref().and_then(|i| i.trim().parse::<i64>().ok()) else {
                tracing::warn!(event = %ev.event, "head-office event without a numeric id; skipped");
                continue;
            };
            if id <= *cursor {
                continue; // already taken
            }
            if ev.event == "webhook" {
                if let Err(e) = take(engine, ev.data).await {
                    failed = Some(e);
                    break;
                }
            }
            *cursor = id;
            unacked = Some(id);
        }
        if let Some(c) = unacked {
            match client.ack(c).await {
                Ok(()) => {
                    unacked = None;
                    update(status, |s| s.on_acked(c));
                }
                Err(HqError::Revoked) => return Err(HqError::Revoked),
                Err(e) => {
                    tracing::debug!(error = %e, "event acknowledgement not taken; sent again later")
                }
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
    }
}

/// Hands one webhook to the engine's inbox. `Ok` means stored durably (or
/// unusable and skipped): only then may it be acknowledged.
async fn take(engine: &Engine, data: String) -> Result<(), HqError> {
    let event = match Event::parse(data.as_bytes()) {
        Ok(e) => e,
        Err(e) => {
            // It would never parse; holding the cursor on it would stall
            // every later event.
            tracing::error!(error = %e, "a head-office webhook is not an elepay event; skipped");
            return Ok(());
        }
    };
    let engine = engine.clone();
    // One SQLite write (fsynced): off the async workers.
    tokio::task::spawn_blocking(move || engine.take_webhook(event, &data))
        .await
        .map_err(|e| HqError::Ledger(e.to_string()))?
        .map_err(|e| HqError::Ledger(e.to_string()))
}
