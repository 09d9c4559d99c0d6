//! The running HQ link: one supervisor task that asks `/me` where to
//! resume, then runs the shipper and the event stream side by side until
//! HQ revokes the register (or the link is stopped). Usable without a
//! [`crate::Station`]: a test can start one on any engine.

use std::sync::Arc;
use std::time::Duration;

use easyqr_app_core::secrets::HqToken;
use easyqr_engine::Engine;
use tokio::sync::{watch, Notify};
use tokio::task::{JoinHandle, JoinSet};
use url::Url;

use super::client::{HqClient, HqError};
use super::status::HqStatus;
use super::{shipper, stream};

/// Why a link task ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    Revoked,
}

/// Changes the status, telling watchers only when something changed; each
/// change (a whole new status too) takes the next `version`.
pub(crate) fn update(status: &watch::Sender<HqStatus>, f: impl FnOnce(&mut HqStatus)) {
    status.send_if_modified(|s| {
        let before = s.clone();
        f(s);
        s.version = before.version;
        let changed = *s != before;
        if changed {
            s.version += 1;
        }
        changed
    });
}

/// The pause before trying again: the workspace's one backoff, gentler
/// when HQ said no (the owner has to act; hammering it helps nobody).
pub(crate) fn retry_delay(e: &HqError, failures: u32) -> Duration {
    let (base, cap) = if e.is_refusal() {
        (Duration::from_secs(10), Duration::from_secs(300))
    } else {
        (Duration::from_secs(1), Duration::from_secs(60))
    };
    elepay::backoff(base, cap, failures.saturating_sub(1), None)
}

/// A running link. Dropping it stops it.
#[derive(Debug)]
pub struct HqLink {
    task: JoinHandle<()>,
    status: watch::Receiver<HqStatus>,
    wake: Arc<Notify>,
}

impl HqLink {
    /// Starts a link for `engine`'s ledger and webhook inbox to the HQ at
    /// `base` (a base URL ending in `/`). Needs a tokio runtime.
    pub fn start(engine: Engine, base: Url, token: HqToken) -> Result<HqLink, HqError> {
        let client = HqClient::new(base, token)?;
        let (tx, _) = watch::channel(HqStatus::off());
        Ok(HqLink::start_with(engine, client, tx))
    }

    /// [`HqLink::start`] reporting into an existing status channel (the
    /// station keeps one across restarts of the link).
    pub fn start_with(engine: Engine, client: HqClient, status: watch::Sender<HqStatus>) -> HqLink {
        // Connecting from now on, not once the task first runs: whoever
        // started the link reads its status next.
        let url = client.base().to_string();
        update(&status, |s| {
            *s = HqStatus::connecting(&url, engine.now_ms())
        });
        let rx = status.subscribe();
        let wake = Arc::new(Notify::new());
        let task = tokio::spawn(supervise(engine, client, status, wake.clone()));
        HqLink {
            task,
            status: rx,
            wake,
        }
    }

    pub fn status(&self) -> HqStatus {
        self.status.borrow().clone()
    }

    /// Every change of the status.
    pub fn watch(&self) -> watch::Receiver<HqStatus> {
        self.status.clone()
    }

    /// Looks at the journal now instead of at the next tick.
    pub fn ship_now(&self) {
        self.wake.notify_one();
    }

    /// Whether the link stopped by itself (HQ revoked the register).
    pub fn is_stopped(&self) -> bool {
        self.task.is_finished()
    }

    /// Stops the link and waits until its tasks are gone.
    pub async fn stop(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for HqLink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn supervise(
    engine: Engine,
    client: HqClient,
    status: watch::Sender<HqStatus>,
    wake: Arc<Notify>,
) {
    let mut failures = 0u32;
    let me = loop {
        match client.me().await {
            Ok(me) => break me,
            Err(e) => {
                update(&status, |s| s.on_start_failed(&e, engine.now_ms()));
                if e == HqError::Revoked {
                    tracing::warn!("the head office revoked this register; the link is off");
                    return;
                }
                failures = failures.saturating_add(1);
                if failures == 1 {
                    tracing::warn!(error = %e, "head office not reachable; trying again");
                }
                tokio::time::sleep(retry_delay(&e, failures)).await;
            }
        }
    };
    update(&status, |s| s.on_me(&me, engine.now_ms()));
    tracing::info!(register = %me.register_id, acked = me.journal_acked, cursor = me.event_cursor, "head-office link up");
    // Dropping the set (when this task ends or is aborted) aborts both.
    let mut tasks = JoinSet::new();
    tasks.spawn(shipper::run(
        client.clone(),
        engine.clone(),
        status.clone(),
        wake,
        me.journal_acked,
    ));
    tasks.spawn(stream::run(
        client,
        engine.clone(),
        status.clone(),
        me.event_cursor,
    ));
    if let Some(ended) = tasks.join_next().await {
        match ended {
            Ok(Ended::Revoked) => {
                update(&status, |s| s.on_revoked(engine.now_ms()));
                tracing::warn!("the head office revoked this register; the link stopped");
            }
            Err(e) => tracing::error!(error = %e, "a head-office link task stopped"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::hq::LinkState;

    #[test]
    fn every_change_of_the_status_takes_the_next_version_across_link_restarts() {
        let (tx, rx) = watch::channel(HqStatus::off());
        update(&tx, |s| {
            *s = HqStatus::connecting("https://hq.example.jp/", 1)
        });
        assert_eq!(rx.borrow().version, 1);
        update(&tx, |s| s.on_stream_up(2));
        assert_eq!(rx.borrow().version, 2);
        // Nothing changed: no new version, and watchers are not woken.
        update(&tx, |s| s.on_stream_up(2));
        assert_eq!(rx.borrow().version, 2);
        // A whole new status (the link restarted) keeps counting up, so an
        // older answer can never pass for a newer one.
        update(&tx, |s| *s = HqStatus::off());
        assert_eq!(
            (rx.borrow().version, rx.borrow().state),
            (3, LinkState::Off)
        );
    }

    #[test]
    fn a_stuck_shipment_waits_like_a_refusal_not_like_a_blip() {
        let stuck = HqError::RowTooLarge {
            seq: 7,
            bytes: 2 << 20,
            limit_bytes: Some(1 << 20),
        };
        let redirect = HqError::Redirected {
            status: 302,
            location: None,
        };
        for e in [stuck, redirect] {
            // Equal jitter: at least half the step, 10 s doubling to 300 s.
            assert!(retry_delay(&e, 1) >= Duration::from_secs(5), "{e}");
            assert!(retry_delay(&e, 9) >= Duration::from_secs(150), "{e}");
        }
    }
}
