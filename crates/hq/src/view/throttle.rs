//! Login throttling, per account name and per client address. A few
//! failures are free; after that each failure locks the key for twice as
//! long as the one before (30 s, 1 min, 2 min … up to an hour), and a
//! locked key gets 429 without its password being checked. An attempt
//! counts as a failure from the moment it starts (so a burst of parallel
//! guesses cannot slip past the check); a good password takes it back.
//!
//! The rules are [`Entry::attempt`] and [`Entry::succeeded`]; the counts
//! live in PostgreSQL (`login_throttle`), so every HQ process behind a
//! load balancer sees the same ones. An attempt locks its keys' rows (in
//! key order, so two attempts never deadlock) for one short transaction.

use std::net::IpAddr;

use crate::error::HqError;
use crate::repo::login_throttle::{self, Count};
use crate::Db;

/// Failures a name may have before it is locked.
pub const ACCOUNT_FREE: u32 = 5;
/// Failures an address may have: several people may share one (an office).
pub const ADDRESS_FREE: u32 = 20;
pub const FIRST_LOCK_MS: i64 = 30_000;
pub const MAX_LOCK_MS: i64 = 3_600_000;
/// A key with no failure for this long starts again from zero.
pub const FORGET_MS: i64 = 3_600_000;
/// Rows idle this long are neither locked nor remembered: they may go.
const STALE_MS: i64 = if FORGET_MS > MAX_LOCK_MS {
    FORGET_MS
} else {
    MAX_LOCK_MS
};
/// Old rows dropped per attempt at most (the cleanup never waits).
const CLEANUP_BATCH: i64 = 100;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    Account(String),
    /// IPv4 address, or an IPv6 /64 (one host commonly holds a whole /64).
    Address(IpAddr),
}

impl Key {
    pub fn account(name: &str) -> Key {
        Key::Account(name.chars().take(64).collect())
    }

    pub fn address(ip: IpAddr) -> Key {
        Key::Address(match ip.to_canonical() {
            IpAddr::V6(v6) => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
            v4 => v4,
        })
    }

    fn free(&self) -> u32 {
        match self {
            Key::Account(_) => ACCOUNT_FREE,
            Key::Address(_) => ADDRESS_FREE,
        }
    }

    /// The row's key: a name and an address can never collide.
    fn row(&self) -> String {
        match self {
            Key::Account(n) => format!("name:{n}"),
            Key::Address(ip) => format!("addr:{ip}"),
        }
    }
}

/// One key's count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Entry {
    failures: u32,
    last_ms: i64,
    locked_until: i64,
}

/// How long a locked attempt must wait, in ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked(pub i64);

impl Locked {
    /// For `Retry-After` (whole seconds, rounded up).
    pub fn secs(self) -> i64 {
        (self.0 + 999) / 1000
    }
}

impl Entry {
    /// Starts an attempt on these keys' entries: refused while any is
    /// locked (nothing changes), else each counts one more failure until
    /// [`Entry::succeeded`] takes it back.
    pub fn attempt(entries: &mut [(Key, Entry)], now: i64) -> Result<(), Locked> {
        let wait = entries
            .iter()
            .map(|(_, e)| e.locked_until - now)
            .max()
            .unwrap_or(0);
        if wait > 0 {
            return Err(Locked(wait));
        }
        for (k, e) in entries.iter_mut() {
            if now - e.last_ms > FORGET_MS {
                *e = Entry::default();
            }
            e.failures += 1;
            e.last_ms = now;
            if e.failures >= k.free() {
                let doublings = (e.failures - k.free()).min(20);
                e.locked_until = now + (FIRST_LOCK_MS << doublings).min(MAX_LOCK_MS);
                if e.failures == k.free() {
                    tracing::warn!(key = ?k, "head-office view: login locked after repeated failures");
                }
            }
        }
        Ok(())
    }

    /// The attempt had the right password: the account starts afresh
    /// (`None`: forget it); the address gives back this one attempt.
    pub fn succeeded(self, k: &Key) -> Option<Entry> {
        match k {
            Key::Account(_) => None,
            Key::Address(_) => {
                let failures = self.failures.saturating_sub(1);
                let locked_until = if failures < k.free() {
                    0
                } else {
                    self.locked_until
                };
                Some(Entry {
                    failures,
                    locked_until,
                    ..self
                })
            }
        }
    }
}

/// `keys` once each, in the order their rows are locked.
fn ordered(keys: &[Key]) -> Vec<Key> {
    let mut k = keys.to_vec();
    k.sort();
    k.dedup();
    k
}

impl From<Count> for Entry {
    fn from(c: Count) -> Entry {
        Entry {
            failures: c.failures,
            last_ms: c.last_ms,
            locked_until: c.locked_until,
        }
    }
}

impl From<Entry> for Count {
    fn from(e: Entry) -> Count {
        Count {
            failures: e.failures,
            last_ms: e.last_ms,
            locked_until: e.locked_until,
        }
    }
}

/// [`Entry::attempt`] on the shared counts. The outer error is the
/// database's (answered 503: no attempt is let through unthrottled).
pub async fn begin(db: &Db, keys: &[Key], now: i64) -> Result<Result<(), Locked>, HqError> {
    let mut c = db.get().await?;
    let tx = c.transaction().await?;
    // Creates a missing row and locks each, one at a time in key order.
    let mut entries = Vec::new();
    for k in ordered(keys) {
        let e = login_throttle::lock(&tx, &k.row(), now).await?.into();
        entries.push((k, e));
    }
    if let Err(wait) = Entry::attempt(&mut entries, now) {
        tx.rollback().await?;
        return Ok(Err(wait));
    }
    for (k, e) in &entries {
        login_throttle::save(&tx, &k.row(), &(*e).into()).await?;
    }
    tx.commit().await?;
    cleanup(&c, now).await;
    Ok(Ok(()))
}

/// [`Entry::succeeded`] on the shared counts.
pub async fn succeeded(db: &Db, keys: &[Key]) -> Result<(), HqError> {
    let mut c = db.get().await?;
    let tx = c.transaction().await?;
    for k in ordered(keys) {
        let Some(count) = login_throttle::lock_held(&tx, &k.row()).await? else {
            continue;
        };
        match Entry::from(count).succeeded(&k) {
            None => login_throttle::forget(&tx, &k.row()).await?,
            Some(e) => login_throttle::set_failures(&tx, &k.row(), &e.into()).await?,
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Drops a few rows idle past [`STALE_MS`]; rows another attempt holds are
/// skipped, so this never waits. A failure only leaves them for later.
async fn cleanup(c: &deadpool_postgres::Client, now: i64) {
    if let Err(e) = login_throttle::drop_stale(c, now - STALE_MS, CLEANUP_BATCH).await {
        tracing::warn!(error = %e, "login throttle: old rows not dropped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rules on counts kept in a map, as the table keeps them.
    #[derive(Default)]
    struct Counts(std::collections::HashMap<Key, Entry>);

    impl Counts {
        fn begin(&mut self, keys: &[Key], now: i64) -> Result<(), Locked> {
            let mut e: Vec<(Key, Entry)> = ordered(keys)
                .into_iter()
                .map(|k| {
                    let e = self.0.get(&k).copied().unwrap_or_default();
                    (k, e)
                })
                .collect();
            Entry::attempt(&mut e, now)?;
            self.0.extend(e);
            Ok(())
        }

        fn succeeded(&mut self, keys: &[Key]) {
            for k in keys {
                if let Some(e) = self.0.remove(k) {
                    if let Some(e) = e.succeeded(k) {
                        self.0.insert(k.clone(), e);
                    }
                }
            }
        }
    }

    #[test]
    fn failures_lock_a_name_for_longer_and_longer() {
        let mut t = Counts::default();
        let keys = [Key::account("shibuya")];
        let mut now = 1_000_000;
        for _ in 0..ACCOUNT_FREE - 1 {
            t.begin(&keys, now).unwrap();
        }
        t.begin(&keys, now).unwrap();
        assert_eq!(t.begin(&keys, now), Err(Locked(FIRST_LOCK_MS)));
        now += FIRST_LOCK_MS;
        t.begin(&keys, now).unwrap();
        assert_eq!(t.begin(&keys, now + 1), Err(Locked(2 * FIRST_LOCK_MS - 1)));
        assert_eq!(Locked(2 * FIRST_LOCK_MS - 1).secs(), 60);
        // Another name is not locked; the right password clears the name.
        t.begin(&[Key::account("umeda")], now).unwrap();
        t.succeeded(&keys);
        t.begin(&keys, now).unwrap();
    }

    #[test]
    fn an_address_is_locked_across_names_and_an_ipv6_host_by_its_64() {
        let mut t = Counts::default();
        let a: IpAddr = "2001:db8:1:2::10".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        for i in 0..ADDRESS_FREE {
            t.begin(&[Key::account(&format!("u{i}")), Key::address(a)], 0)
                .unwrap();
        }
        assert!(t.begin(&[Key::account("new"), Key::address(b)], 1).is_err());
        // Forgotten after an hour without failures (once unlocked).
        t.begin(&[Key::address(b)], FORGET_MS + 1).unwrap();
    }

    #[test]
    fn a_good_password_gives_an_address_back_one_attempt() {
        let mut t = Counts::default();
        let a = Key::address("198.51.100.7".parse().unwrap());
        for i in 0..ADDRESS_FREE {
            t.begin(&[Key::account(&format!("u{i}")), a.clone()], 0)
                .unwrap();
        }
        t.succeeded(std::slice::from_ref(&a));
        t.begin(&[Key::account("x"), a.clone()], 1).unwrap();
        assert_eq!(
            Key::address("::ffff:10.0.0.1".parse().unwrap()).row(),
            "addr:10.0.0.1"
        );
        assert_eq!(Key::account("a:b").row(), "name:a:b");
    }
}
