//! One brake for every watcher of the app: elepay's throttling answer
//! (`M005000`) is about the app's key, not one code, so when any poll gets
//! it, every poller of this register waits out the same backoff before its
//! next request, instead of each hammering on at its own pace.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::decision;

#[derive(Debug, Default)]
pub(crate) struct Throttle {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Throttling answers in a row, app-wide.
    strikes: u32,
    until: Option<Instant>,
}

impl Throttle {
    /// A throttling answer: every watcher holds off until the backoff for
    /// the strikes so far (at least elepay's Retry-After) has passed.
    pub(crate) fn hit(&self, interval: Duration, cap: Duration, retry_after: Option<Duration>) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.strikes = s.strikes.saturating_add(1);
        let wait = decision::next_check_delay(interval, cap, s.strikes, retry_after);
        let until = Instant::now() + wait;
        s.until = Some(s.until.map_or(until, |u| u.max(until)));
    }

    /// A request went through: the strikes start again from none.
    pub(crate) fn clear(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).strikes = 0;
    }

    /// How long a watcher must still hold off (zero when it need not).
    pub(crate) fn remaining(&self) -> Duration {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.until.map_or(Duration::ZERO, |u| {
            u.saturating_duration_since(Instant::now())
        })
    }

    /// Waits out the app-wide hold, if any.
    pub(crate) async fn wait(&self) {
        let left = self.remaining();
        if !left.is_zero() {
            tokio::time::sleep(left).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn one_throttled_answer_holds_every_watcher_and_grows_with_strikes() {
        let t = Throttle::default();
        assert_eq!(t.remaining(), Duration::ZERO);
        let (i, cap) = (Duration::from_secs(1), Duration::from_secs(15));
        t.hit(i, cap, None);
        let first = t.remaining();
        assert!(first >= i, "{first:?}");
        t.hit(i, cap, None);
        assert!(
            t.remaining() >= first,
            "a second strike holds at least as long"
        );
        // elepay's Retry-After is honoured.
        let t2 = Throttle::default();
        t2.hit(i, cap, Some(Duration::from_secs(10)));
        assert!(t2.remaining() >= Duration::from_secs(10));
        // Time passes: the hold ends; a success forgets the strikes.
        tokio::time::advance(cap * 2).await;
        assert_eq!(t.remaining(), Duration::ZERO);
        t.clear();
        t.hit(i, cap, None);
        assert!(t.remaining() <= first * 2);
    }
}
