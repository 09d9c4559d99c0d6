//! Login throttling, per account name and per client address. A few
//! failures are free; after that each failure locks the key for twice as
//! long as the one before (30 s, 1 min, 2 min … up to an hour), and a
//! locked key gets 429 without its password being checked. An attempt
//! counts as a failure from the moment it starts (so a burst of parallel
//! guesses cannot slip past the check); a good password takes it back.
//! Kept in memory: one HQ process per brand, and a restart is no help to a
//! guesser that a few free attempts would not give anyway.

use std::collections::HashMap;
use std::net::IpAddr;

/// Failures a name may have before it is locked.
pub const ACCOUNT_FREE: u32 = 5;
/// Failures an address may have: several people may share one (an office).
pub const ADDRESS_FREE: u32 = 20;
pub const FIRST_LOCK_MS: i64 = 30_000;
pub const MAX_LOCK_MS: i64 = 3_600_000;
/// A key with no failure for this long starts again from zero.
pub const FORGET_MS: i64 = 3_600_000;
/// Past this many keys, forgotten and unlocked keys are dropped first.
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
}

#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    failures: u32,
    last_ms: i64,
    locked_until: i64,
}

#[derive(Debug, Default)]
pub struct Throttle {
    keys: HashMap<Key, Entry>,
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

impl Throttle {
    /// Starts an attempt: refused while any key is locked, else counted as
    /// a failure until [`Throttle::succeeded`] takes it back.
    pub fn begin(&mut self, keys: &[Key], now: i64) -> Result<(), Locked> {
        let wait = keys
            .iter()
            .filter_map(|k| self.keys.get(k))
            .map(|e| e.locked_until - now)
            .max()
            .unwrap_or(0);
        if wait > 0 {
            return Err(Locked(wait));
        }
        self.prune(now);
        for k in keys {
            let e = self.keys.entry(k.clone()).or_default();
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

    /// The attempt begun with `keys` had the right password: the account
    /// starts afresh; the address gives back this one attempt.
    pub fn succeeded(&mut self, keys: &[Key]) {
        for k in keys {
            match k {
                Key::Account(_) => {
                    self.keys.remove(k);
                }
                Key::Address(_) => {
                    if let Some(e) = self.keys.get_mut(k) {
                        e.failures = e.failures.saturating_sub(1);
                        if e.failures < k.free() {
                            e.locked_until = 0;
                        }
                    }
                }
            }
        }
    }

    fn prune(&mut self, now: i64) {
        if self.keys.len() < MAX_KEYS {
            return;
        }
        self.keys
            .retain(|_, e| e.locked_until > now || now - e.last_ms <= FORGET_MS);
        if self.keys.len() >= MAX_KEYS {
            self.keys.retain(|_, e| e.locked_until > now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_lock_a_name_for_longer_and_longer() {
        let mut t = Throttle::default();
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
        let mut t = Throttle::default();
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
}
