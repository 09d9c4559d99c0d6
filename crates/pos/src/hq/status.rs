//! The HQ link's one status value, and how each thing the link learns
//! moves it. Pure: the tasks call these methods, the tests call them too.

use serde::Serialize;

use super::client::{Diverged, HqError, Me, ShipAnswer};

/// What the header pill and `easyqr-cli hq status` show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkState {
    /// Not enrolled (or DEMO): nothing is shown.
    Off,
    /// Enrolled; the stream or the first shipment is not through yet.
    Connecting,
    /// The event stream is connected and the last shipment succeeded.
    Online,
    /// HQ cannot be reached or refuses; see `lastError` and `since`.
    Offline,
    /// HQ revoked the register: the link stopped.
    Revoked,
    /// HQ's copy of the journal differs from the register's.
    Diverged,
}

/// The link's status. Serialised camelCase; it never holds the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HqStatus {
    pub state: LinkState,
    /// HQ's address.
    pub url: Option<String>,
    /// The register id and store HQ enrolled the token for (from `/me`).
    pub register_id: Option<String>,
    pub store_name: Option<String>,
    /// When the current state began (epoch ms).
    pub since: Option<i64>,
    /// The last failure, in plain words (never a secret).
    pub last_error: Option<String>,
    pub diverged: Option<Diverged>,
    /// The ledger's newest journal `seq`, and the highest HQ holds.
    pub head: i64,
    pub acked: i64,
    /// `head − acked`: rows HQ has not got yet.
    pub backlog: i64,
    pub last_shipped_at: Option<i64>,
    /// The last event HQ's stream delivered and the register acknowledged.
    pub event_cursor: i64,
    /// Counts the changes of the station's status, across restarts of the
    /// link: a command's answer and the feed's messages may cross on their
    /// way to the page, which draws a status only if it is newer than the
    /// one it shows.
    pub version: u64,
    #[serde(skip)]
    facts: Facts,
}

/// What the state is derived from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Facts {
    stream_up: bool,
    shipped_ok: bool,
    revoked: bool,
    ship_error: Option<String>,
    stream_error: Option<String>,
    /// Failure before the link got going (the first `/me`).
    start_error: Option<String>,
}

impl Default for HqStatus {
    fn default() -> Self {
        HqStatus::off()
    }
}

impl HqStatus {
    pub fn off() -> HqStatus {
        HqStatus {
            state: LinkState::Off,
            url: None,
            register_id: None,
            store_name: None,
            since: None,
            last_error: None,
            diverged: None,
            head: 0,
            acked: 0,
            backlog: 0,
            last_shipped_at: None,
            event_cursor: 0,
            version: 0,
            facts: Facts::default(),
        }
    }

    /// A link starting towards `url`.
    pub fn connecting(url: &str, now: i64) -> HqStatus {
        HqStatus {
            state: LinkState::Connecting,
            url: Some(url.to_owned()),
            since: Some(now),
            ..HqStatus::off()
        }
    }

    /// Enrolled with `url` but not linked, for a reason of the register's
    /// own (enrolled in another mode, the token unreadable): offline, and
    /// the reason in `lastError`.
    pub fn held(url: &str, reason: &str, now: i64) -> HqStatus {
        let mut s = HqStatus::connecting(url, now);
        s.facts.start_error = Some(reason.to_owned());
        s.settle(now);
        s
    }

    pub fn is_off(&self) -> bool {
        self.state == LinkState::Off
    }

    /// `/me` answered: who we are at HQ and where to resume.
    pub fn on_me(&mut self, me: &Me, now: i64) {
        self.register_id = Some(me.register_id.clone());
        self.store_name = Some(me.store.name.clone()).filter(|n| !n.is_empty());
        self.acked = me.journal_acked;
        self.event_cursor = self.event_cursor.max(me.event_cursor);
        self.diverged = me.diverged.clone();
        self.facts.start_error = None;
        self.settle(now);
    }

    /// The first `/me` failed (the link keeps trying unless revoked).
    pub fn on_start_failed(&mut self, e: &HqError, now: i64) {
        if *e == HqError::Revoked {
            return self.on_revoked(now);
        }
        self.facts.start_error = Some(e.to_string());
        self.settle(now);
    }

    /// The ledger's head, read while caught up.
    pub fn on_head(&mut self, head: i64, now: i64) {
        self.head = head;
        self.settle(now);
    }

    /// A shipment went through (`rows` shipped; 0 when there was nothing).
    pub fn on_shipped(&mut self, answer: &ShipAnswer, head: i64, rows: usize, now: i64) {
        self.head = head;
        self.acked = answer.acked;
        self.diverged = answer.diverged.clone();
        if rows > 0 {
            self.last_shipped_at = Some(now);
        }
        self.facts.shipped_ok = true;
        self.facts.ship_error = None;
        self.settle(now);
    }

    /// Nothing (more) to ship: HQ holds everything up to `acked`.
    pub fn on_caught_up(&mut self, head: i64, acked: i64, now: i64) {
        self.head = head;
        self.acked = acked;
        self.facts.shipped_ok = true;
        self.facts.ship_error = None;
        self.settle(now);
    }

    /// A one-shot look (`easyqr-cli hq status`): HQ answered `/me`, and
    /// the ledger's head is `head`. There is no stream to wait for.
    pub fn on_probe(&mut self, me: &Me, head: i64, now: i64) {
        self.head = head;
        self.facts.stream_up = true;
        self.facts.shipped_ok = true;
        self.on_me(me, now);
    }

    pub fn on_ship_failed(&mut self, e: &HqError, now: i64) {
        if *e == HqError::Revoked {
            return self.on_revoked(now);
        }
        self.facts.shipped_ok = false;
        self.facts.ship_error = Some(e.to_string());
        self.settle(now);
    }

    pub fn on_stream_up(&mut self, now: i64) {
        self.facts.stream_up = true;
        self.facts.stream_error = None;
        self.settle(now);
    }

    pub fn on_stream_down(&mut self, e: &HqError, now: i64) {
        if *e == HqError::Revoked {
            return self.on_revoked(now);
        }
        self.facts.stream_up = false;
        self.facts.stream_error = Some(e.to_string());
        self.settle(now);
    }

    /// HQ took the acknowledgement of events up to `cursor`.
    pub fn on_acked(&mut self, cursor: i64) {
        self.event_cursor = self.event_cursor.max(cursor);
    }

    pub fn on_revoked(&mut self, now: i64) {
        self.facts.revoked = true;
        self.facts.stream_up = false;
        self.settle(now);
    }

    /// Recomputes `state` and `backlog`; `since` moves only when the state
    /// changes, so "offline since 10:02" stays put while retries fail.
    fn settle(&mut self, now: i64) {
        let f = &self.facts;
        let state = if f.revoked {
            LinkState::Revoked
        } else if self.diverged.is_some() {
            LinkState::Diverged
        } else if f.start_error.is_some() || f.ship_error.is_some() || f.stream_error.is_some() {
            LinkState::Offline
        } else if f.stream_up && f.shipped_ok {
            LinkState::Online
        } else {
            LinkState::Connecting
        };
        self.last_error = match state {
            LinkState::Revoked => Some(HqError::Revoked.to_string()),
            _ => f
                .start_error
                .clone()
                .or_else(|| f.ship_error.clone())
                .or_else(|| f.stream_error.clone()),
        };
        if state != self.state {
            self.state = state;
            self.since = Some(now);
        }
        self.backlog = (self.head - self.acked).max(0);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::hq::client::MeStore;

    fn me(acked: i64, diverged: Option<Diverged>) -> Me {
        Me {
            register_id: "S01R1".into(),
            store: MeStore {
                name: "Shibuya".into(),
                location_id: Some("loc_shibuya".into()),
            },
            journal_acked: acked,
            event_cursor: 35,
            diverged,
            broken: None,
        }
    }

    fn answer(acked: i64) -> ShipAnswer {
        ShipAnswer {
            acked,
            diverged: None,
        }
    }

    #[test]
    fn online_needs_both_the_stream_and_a_shipment() {
        let mut s = HqStatus::connecting("https://hq.example.jp/", 1);
        s.on_me(&me(120, None), 2);
        assert_eq!(
            (s.state, s.register_id.as_deref(), s.event_cursor),
            (LinkState::Connecting, Some("S01R1"), 35)
        );
        s.on_stream_up(3);
        assert_eq!(s.state, LinkState::Connecting);
        s.on_shipped(&answer(130), 130, 10, 4);
        assert_eq!(
            (s.state, s.since, s.backlog, s.last_shipped_at),
            (LinkState::Online, Some(4), 0, Some(4))
        );
        s.on_head(135, 5);
        assert_eq!((s.state, s.backlog), (LinkState::Online, 5));
    }

    #[test]
    fn offline_since_the_first_failure_until_both_recover() {
        let mut s = HqStatus::connecting("u", 1);
        s.on_me(&me(0, None), 1);
        s.on_stream_up(1);
        s.on_shipped(&answer(10), 10, 10, 2);
        s.on_ship_failed(&HqError::Server { status: 503 }, 10);
        s.on_ship_failed(&HqError::Unreachable("could not connect".into()), 20);
        assert_eq!((s.state, s.since), (LinkState::Offline, Some(10)));
        assert_eq!(
            s.last_error.as_deref(),
            Some("the head office could not be reached (could not connect)")
        );
        s.on_stream_down(&HqError::Unreachable("x".into()), 25);
        s.on_shipped(&answer(12), 15, 2, 30);
        assert_eq!(
            (s.state, s.backlog),
            (LinkState::Offline, 3),
            "the stream is still down"
        );
        s.on_stream_up(40);
        assert_eq!(
            (s.state, s.since, s.last_error.clone()),
            (LinkState::Online, Some(40), None)
        );
    }

    #[test]
    fn a_start_failure_is_offline_and_me_clears_it() {
        let mut s = HqStatus::connecting("u", 1);
        s.on_start_failed(&HqError::Unauthorized, 2);
        assert_eq!(s.state, LinkState::Offline);
        assert!(s.last_error.as_deref().unwrap().contains("401"));
        s.on_me(&me(0, None), 3);
        assert_eq!(
            (s.state, s.last_error.clone()),
            (LinkState::Connecting, None)
        );
    }

    #[test]
    fn diverged_is_kept_until_hq_says_otherwise() {
        let d = Diverged {
            seq: 7,
            reason: "hash differs".into(),
        };
        let mut s = HqStatus::connecting("u", 1);
        s.on_me(&me(6, Some(d.clone())), 2);
        s.on_stream_up(2);
        assert_eq!(
            (s.state, s.diverged.clone()),
            (LinkState::Diverged, Some(d.clone()))
        );
        s.on_ship_failed(&HqError::Server { status: 500 }, 3);
        assert_eq!(s.state, LinkState::Diverged, "diverged outranks offline");
        s.on_shipped(
            &ShipAnswer {
                acked: 6,
                diverged: Some(d),
            },
            9,
            3,
            4,
        );
        assert_eq!((s.state, s.backlog), (LinkState::Diverged, 3));
        s.on_shipped(&answer(9), 9, 3, 5);
        assert_eq!(s.state, LinkState::Online);
    }

    #[test]
    fn revoked_wins_from_any_side_and_stays() {
        for hit in 0..3 {
            let mut s = HqStatus::connecting("u", 1);
            s.on_me(&me(0, None), 1);
            match hit {
                0 => s.on_ship_failed(&HqError::Revoked, 5),
                1 => s.on_stream_down(&HqError::Revoked, 5),
                _ => s.on_start_failed(&HqError::Revoked, 5),
            }
            s.on_stream_up(6);
            s.on_shipped(&answer(1), 1, 1, 7);
            assert_eq!((s.state, s.since), (LinkState::Revoked, Some(5)));
            assert_eq!(
                s.last_error.as_deref(),
                Some("the head office revoked this register")
            );
        }
    }

    #[test]
    fn the_status_serialises_camel_case_without_internals() {
        let mut s = HqStatus::connecting("https://hq.example.jp/", 1);
        s.on_me(&me(3, None), 1);
        s.on_head(5, 1);
        let j = serde_json::to_value(&s).unwrap();
        assert_eq!(j["state"], "connecting");
        assert_eq!(j["registerId"], "S01R1");
        assert_eq!(j["backlog"], 2);
        assert!(j.get("lastShippedAt").is_some() && j.get("facts").is_none());
        assert_eq!(
            serde_json::to_value(HqStatus::off()).unwrap()["state"],
            "off"
        );
    }
}
