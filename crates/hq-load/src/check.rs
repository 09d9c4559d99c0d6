//! Exactly-once: every register got every event of its store once (by
//! event id, and in rising seq order by its cursor), none of another
//! store's; and every webhook HQ answered 2xx is stored. The inbox is the
//! truth.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::db::Stored;

/// What one register received: (seq, event id, the event's locationId).
pub type Got<'a> = &'a [(i64, &'a str, Option<&'a str>)];

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    /// (event, register) pairs due.
    pub expected: u64,
    pub received: u64,
    /// Due but never received.
    pub lost: u64,
    /// Received again (same event id).
    pub duplicates: u64,
    /// A seq not above the register's previous one.
    pub out_of_order: u64,
    /// Of another store, or no event of this run's stored.
    pub foreign: u64,
    /// Received under a seq other than the one it is stored with.
    pub wrong_seq: u64,
    /// Answered 2xx but not in the inbox.
    pub accepted_not_stored: u64,
    /// The first few findings, for a reader.
    pub examples: Vec<String>,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.lost
            + self.duplicates
            + self.out_of_order
            + self.foreign
            + self.wrong_seq
            + self.accepted_not_stored
            == 0
    }

    fn example(&mut self, s: impl FnOnce() -> String) {
        if self.examples.len() < 10 {
            self.examples.push(s());
        }
    }
}

/// `registers`: each register's locationId, name and what it received.
pub fn check<'a>(
    stored: &[Stored],
    accepted: impl IntoIterator<Item = &'a str>,
    registers: impl IntoIterator<Item = (&'a str, &'a str, Got<'a>)>,
) -> Verdict {
    let mut v = Verdict::default();
    let by_id: HashMap<&str, &Stored> = stored.iter().map(|s| (s.event_id.as_str(), s)).collect();
    let mut by_store: HashMap<&str, Vec<&Stored>> = HashMap::new();
    for s in stored {
        if let Some(loc) = s.location_id.as_deref() {
            by_store.entry(loc).or_default().push(s);
        }
    }
    for id in accepted {
        if !by_id.contains_key(id) {
            v.accepted_not_stored += 1;
            v.example(|| format!("{id} was answered 2xx but is not stored"));
        }
    }
    for (location, register, got) in registers {
        let due = by_store.get(location).map_or(&[][..], Vec::as_slice);
        v.expected += due.len() as u64;
        v.received += got.len() as u64;
        let mut seen = HashSet::new();
        let mut last = i64::MIN;
        for &(seq, id, loc) in got {
            if seq <= last {
                v.out_of_order += 1;
                v.example(|| format!("{register}: seq {seq} after {last}"));
            }
            last = last.max(seq);
            if !seen.insert(id) {
                v.duplicates += 1;
                v.example(|| format!("{register}: {id} again"));
                continue;
            }
            match by_id.get(id) {
                Some(s) if s.location_id.as_deref() == Some(location) && loc == Some(location) => {
                    if s.seq != seq {
                        v.wrong_seq += 1;
                        v.example(|| format!("{register}: {id} as seq {seq}, stored as {}", s.seq));
                    }
                }
                _ => {
                    v.foreign += 1;
                    v.example(|| format!("{register} ({location}): {id} of {loc:?}"));
                }
            }
        }
        for s in due {
            if !seen.contains(s.event_id.as_str()) {
                v.lost += 1;
                v.example(|| format!("{register}: never got {} (seq {})", s.event_id, s.seq));
            }
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(seq: i64, id: &str, loc: &str) -> Stored {
        Stored {
            seq,
            event_id: id.into(),
            location_id: Some(loc.into()),
        }
    }

    #[test]
    fn loss_duplicates_order_and_foreign_events_are_found() {
        let inbox = [
            stored(5, "e5", "a"),
            stored(6, "e6", "b"),
            stored(7, "e7", "a"),
        ];
        let good: Got = &[(5, "e5", Some("a")), (7, "e7", Some("a"))];
        let b: Got = &[(6, "e6", Some("b"))];
        let v = check(
            &inbox,
            ["e5", "e6"],
            [("a", "A1", good), ("a", "A2", good), ("b", "B1", b)],
        );
        assert!(v.ok(), "{v:?}");
        assert_eq!((v.expected, v.received), (5, 5));

        let lost: Got = &[(5, "e5", Some("a"))];
        let again: Got = &[
            (5, "e5", Some("a")),
            (7, "e7", Some("a")),
            (5, "e5", Some("a")),
        ];
        let other: Got = &[(6, "e6", Some("b"))];
        let v = check(
            &inbox,
            ["e5", "e9"],
            [
                ("a", "A1", lost),
                ("a", "A2", again),
                ("b", "B1", other),
                ("b", "B2", good),
            ],
        );
        assert!(!v.ok());
        assert_eq!(v.lost, 1 + 1, "A1 misses e7, B2 misses e6");
        assert_eq!(v.duplicates, 1);
        assert_eq!(v.out_of_order, 1, "A2's replay of seq 5");
        assert_eq!(v.foreign, 2, "B2 got a's two events");
        assert_eq!(v.accepted_not_stored, 1);
    }

    #[test]
    fn an_event_under_another_seq_is_found() {
        let inbox = [stored(5, "e5", "a")];
        let got: Got = &[(9, "e5", Some("a"))];
        let v = check(&inbox, [], [("a", "A1", got)]);
        assert_eq!(v.wrong_seq, 1);
    }
}
