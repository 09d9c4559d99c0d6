//! The open event streams: one per register. Each register row carries a
//! stream generation (`registers.stream_gen`) that opening a stream,
//! enrolling and revoking all bump; a stream whose generation is no longer
//! its register's ends. So a register that reconnects after a network blip
//! ends its own half-dead stream instead of being locked out by it, and a
//! revocation or a new token ends the old token's stream — also when the
//! `easyqr-hq register` command changed the row from another process.
//!
//! In this process a newer stream ends the older at once. Every move of a
//! generation is also notified by the database (migration 0009), and
//! [`crate::relay`] ends the older stream in any process on that note; its
//! periodic sweep checks every open stream's register in one query, the
//! safety net for a note lost while the listener was down.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::watch;

#[derive(Debug, Default)]
pub struct Streams {
    /// Register row id → the open stream's generation and its end switch.
    open: Mutex<HashMap<i64, Open>>,
}

#[derive(Debug)]
struct Open {
    generation: i64,
    end: watch::Sender<bool>,
}

/// An open stream's place in [`Streams`]; `ended` turns true (or closes)
/// when the stream must end. Dropping it frees the place.
#[derive(Debug)]
pub struct Ticket {
    streams: Weak<Streams>,
    register: i64,
    generation: i64,
    pub ended: watch::Receiver<bool>,
}

impl Streams {
    pub fn new() -> Arc<Streams> {
        Arc::new(Streams::default())
    }

    fn open_map(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Open>> {
        // A panic while holding the map cannot leave it inconsistent (each
        // step is one insert or remove), so a poisoned lock is still usable.
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes the register's place for a stream of `generation` (just bumped
    /// in the database), ending an older stream of it in this process. A
    /// stream that lost a race to a newer one is ended at once.
    pub fn open(self: &Arc<Self>, register: i64, generation: i64) -> Ticket {
        let (end, ended) = watch::channel(false);
        let mut open = self.open_map();
        match open.get(&register) {
            Some(newer) if newer.generation > generation => {
                end.send_replace(true);
            }
            _ => {
                if let Some(older) = open.insert(register, Open { generation, end }) {
                    older.end.send_replace(true);
                }
            }
        }
        Ticket {
            streams: Arc::downgrade(self),
            register,
            generation,
            ended,
        }
    }

    /// How many streams are open in this process.
    pub fn len(&self) -> usize {
        self.open_map().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The registers with a stream open here.
    pub fn ids(&self) -> Vec<i64> {
        self.open_map().keys().copied().collect()
    }

    /// Ends every stream whose generation is older than its register's as
    /// `current` read it (a register missing from it is gone); answers
    /// how many it ended.
    pub fn end_outdated(&self, asked: &[i64], current: &HashMap<i64, i64>) -> usize {
        let mut open = self.open_map();
        let stale: Vec<i64> = asked
            .iter()
            .filter(|id| {
                open.get(*id)
                    .is_some_and(|o| outdated(current.get(*id).copied(), o.generation))
            })
            .copied()
            .collect();
        for id in &stale {
            if let Some(o) = open.remove(id) {
                o.end.send_replace(true);
            }
        }
        stale.len()
    }

    /// A register's generation moved to `generation` (another process's
    /// notification): ends an older stream of it here.
    pub fn end_older(&self, register: i64, generation: i64) -> bool {
        let mut open = self.open_map();
        if open
            .get(&register)
            .is_some_and(|o| outdated(Some(generation), o.generation))
        {
            if let Some(o) = open.remove(&register) {
                o.end.send_replace(true);
            }
            return true;
        }
        false
    }

    /// Ends every stream (the process drains).
    pub fn end_all(&self) {
        for (_, o) in self.open_map().drain() {
            o.end.send_replace(true);
        }
    }
}

/// Whether a stream of `generation` must end, given its register's
/// generation as the check read it (`None`: the register is gone).
/// Generations only grow, so a lower one read is not news: a newer stream
/// opened while the check's query ran, after it read the row.
fn outdated(read: Option<i64>, generation: i64) -> bool {
    read.is_none_or(|g| g > generation)
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Some(s) = self.streams.upgrade() {
            let mut open = s.open_map();
            if open
                .get(&self.register)
                .is_some_and(|o| o.generation == self.generation)
            {
                open.remove(&self.register);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_that_read_the_row_before_a_newer_stream_opened_leaves_it_open() {
        assert!(!outdated(Some(4), 4));
        assert!(outdated(Some(5), 4), "re-enrolled, revoked or replaced");
        assert!(outdated(None, 4), "the register is gone");
        assert!(!outdated(Some(3), 4), "read before this stream's bump");
    }

    #[test]
    fn a_newer_stream_ends_the_older_and_a_late_older_one_ends_at_once() {
        let s = Streams::new();
        let first = s.open(7, 1);
        assert!(!*first.ended.borrow());
        let second = s.open(7, 2);
        assert!(*first.ended.borrow(), "the newer stream ends the older");
        assert!(!*second.ended.borrow());
        // The older one going away does not free the newer one's place.
        drop(first);
        assert_eq!(s.len(), 1);
        let late = s.open(7, 1);
        assert!(*late.ended.borrow(), "a stream that lost the race ends");
        assert!(!*second.ended.borrow());
        drop(late);
        drop(second);
        assert!(s.is_empty());
    }
}
