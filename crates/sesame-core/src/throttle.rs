//! Guess throttling: every secret a person types (a password, a device's user code) is limited
//! per target and per client address, in the store, so every node counts the same guesses
//! (RFC 6749 §10.10, RFC 8628 §5.1, RFC 9700 §4.x).
//!
//! An attempt is counted *before* its guess is checked, so attempts racing each other cannot all
//! pass the check: of many at once, at most the limit are ever checked. A right guess gives its
//! own attempt back (and only its own). An account is slowed down with a doubling lock rather
//! than locked for long, since anyone can type wrong passwords for it; the hard limits are per
//! client address. Keys have a namespace per kind, so no typed value can name another kind's key.

use crate::events::{Event, Guess};
use crate::provider::Provider;
use crate::secret::SecretHash;
use crate::store::{Store, StoreError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Seconds over which attempts are counted.
pub const WINDOW: i64 = 15 * 60;
/// The longest lock, in seconds.
pub const MAX_LOCK: i64 = 15 * 60;

/// What is being guessed at, and from where.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// Passwords of one account (its lower-cased username): from anywhere.
    Account(&'a str),
    /// Passwords of any account from one client address.
    PasswordsFrom(IpAddr),
    /// Device user codes from one browser (its binding cookie).
    UserCodesIn(&'a str),
    /// Device user codes from one client address.
    UserCodesFrom(IpAddr),
    /// Device user codes from everyone: a ceiling on guessing however it is spread.
    AllUserCodes,
}

/// How many attempts a target allows within [`WINDOW`], and how it is locked after that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub max: u32,
    /// The first lock, in seconds; each further failure doubles it, up to [`MAX_LOCK`].
    pub first_lock: i64,
}

impl Target<'_> {
    pub fn policy(&self) -> Policy {
        match self {
            // Five guesses, then 30 s, 1 min, 2 min, ... 15 min: slow for a guesser, a short
            // wait for the owner that a guesser cannot stretch past 15 minutes.
            Self::Account(_) => Policy {
                max: 5,
                first_lock: 30,
            },
            // Generous: an office behind one address signs in from it all day.
            Self::PasswordsFrom(_) => Policy {
                max: 100,
                first_lock: MAX_LOCK,
            },
            Self::UserCodesIn(_) | Self::UserCodesFrom(_) => Policy {
                max: 10,
                first_lock: MAX_LOCK,
            },
            // 20^8 codes with a few live ones: a thousand guesses find one with odds of about
            // one in 10^7; a short lock, so the ceiling cannot shut everyone out for long.
            Self::AllUserCodes => Policy {
                max: 1000,
                first_lock: 60,
            },
        }
    }

    /// The store key: a namespace per kind, then a value that cannot contain the separator's
    /// meaning for another kind (addresses and hashes, or a username after `account:`).
    pub fn key(&self) -> String {
        match self {
            Self::Account(name) => format!("account:{}", name.trim().to_lowercase()),
            Self::PasswordsFrom(ip) => format!("password-address:{}", network(*ip)),
            Self::UserCodesIn(browser) => {
                let hash = URL_SAFE_NO_PAD.encode(SecretHash::of(browser).0);
                format!("user-code-browser:{hash}")
            }
            Self::UserCodesFrom(ip) => format!("user-code-address:{}", network(*ip)),
            Self::AllUserCodes => "user-code-all".to_owned(),
        }
    }
}

/// Until when an account's sign-ins are held back after wrong passwords, if they are now.
pub async fn account_locked_until(
    store: &dyn Store,
    username: &str,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    store
        .login_locked_until(&Target::Account(username).key(), now)
        .await
}

/// An operator's unlock (or a new password): the account's failures and lock are forgotten.
/// Per-address counts stay: they are about the address, not the account.
pub async fn unlock_account(store: &dyn Store, username: &str) -> Result<(), StoreError> {
    store
        .clear_login_failures(&Target::Account(username).key())
        .await
}

/// The unit an address is counted in: an IPv4 address, or the /64 of an IPv6 address (one
/// customer's network; an attacker gets billions of addresses inside it for free).
pub fn network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// An attempt counted against its targets, waiting for the verdict on its guess.
#[derive(Debug)]
#[must_use = "an attempt is settled by succeeded() or failed()"]
pub struct Attempt {
    guess: Guess,
    /// Each target's key, and whether this attempt holds its lock (taken because the attempt
    /// came at or past the target's limit).
    counted: Vec<(String, bool)>,
    /// When the locks this attempt took end.
    holds_until: Option<i64>,
}

/// Refused before the guess was checked: a target is locked until then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked {
    pub until: i64,
}

/// Counts one attempt against every target, or refuses it (unchecked) when a target is locked.
///
/// Under its limit an attempt is simply let through. At or past it, an attempt is let through
/// only if it can take the target's lock (for the policy's lock, doubled for each attempt past
/// the limit): one at a time, with the lock held while its guess is checked. So racing attempts
/// past the limit are refused, and one attempt is checked after each lock ends.
pub async fn attempt(
    provider: &Provider,
    guess: Guess,
    targets: &[Target<'_>],
) -> Result<Result<Attempt, Locked>, StoreError> {
    let store = provider.store();
    let now = provider.now();
    let keys: Vec<(String, Policy)> = targets.iter().map(|t| (t.key(), t.policy())).collect();
    let mut locked = None;
    for (key, _) in &keys {
        locked = locked.max(store.login_locked_until(key, now).await?);
    }
    if let Some(until) = locked {
        return Ok(Err(Locked { until }));
    }
    let mut attempt = Attempt {
        guess,
        counted: Vec::with_capacity(keys.len()),
        holds_until: None,
    };
    let mut refused = None;
    for (key, policy) in keys {
        let count = store.count_attempt(&key, now, now - WINDOW).await?;
        let holds = if count >= policy.max && refused.is_none() {
            let doublings = (count - policy.max).min(16);
            let until = now + (policy.first_lock << doublings).min(MAX_LOCK);
            if store.take_lock(&key, now, until).await? {
                attempt.holds_until = attempt.holds_until.max(Some(until));
                true
            } else {
                let until = store.login_locked_until(&key, now).await?;
                refused = Some(until.unwrap_or(now));
                false
            }
        } else {
            false
        };
        attempt.counted.push((key, holds));
    }
    if let Some(until) = refused {
        // Another attempt holds a lock: this one goes unchecked, and gives back what it took.
        for (key, holds) in &attempt.counted {
            if *holds {
                store.release_attempt(key, true).await?;
            }
        }
        return Ok(Err(Locked { until }));
    }
    Ok(Ok(attempt))
}

impl Attempt {
    /// The guess was right: this attempt is given back (only this one: wrong guesses made
    /// meanwhile stay counted), and the locks it held are lifted.
    pub async fn succeeded(self, provider: &Provider) -> Result<(), StoreError> {
        for (key, holds) in &self.counted {
            provider.store().release_attempt(key, *holds).await?;
        }
        Ok(())
    }

    /// The guess could not be checked (the server is busy): given back as if never made, the
    /// locks it took too (a lock is only ever taken by the attempt that reached the limit, so
    /// the next attempt takes it again: still one checked guess per lock at most).
    pub async fn abandoned(self, provider: &Provider) -> Result<(), StoreError> {
        for (key, holds) in &self.counted {
            provider.store().release_attempt(key, *holds).await?;
        }
        Ok(())
    }

    /// The guess was wrong: it stays counted and the locks it holds stay. Returns when they
    /// end, if this attempt locked something (and reports each lock).
    pub async fn failed(self, provider: &Provider) -> Result<Option<i64>, StoreError> {
        let Some(until) = self.holds_until else {
            return Ok(None);
        };
        for (key, holds) in self.counted {
            if holds {
                provider.record(Event::Locked {
                    guess: self.guess,
                    key,
                    until,
                });
            }
        }
        Ok(Some(until))
    }
}

/// Failed client authentications per client address, counted by each node in memory. A client
/// secret has 256 bits, so this is not about guessing it: it bounds the work one address can
/// cause (assertions to verify) and slows the enumeration of client ids, without a store round
/// trip on the token endpoint's hot path. Past its limit an address is refused outright.
pub struct NodeLimit {
    max: u32,
    entries: Mutex<HashMap<String, NodeEntry>>,
}

#[derive(Debug, Clone, Copy)]
struct NodeEntry {
    failures: u32,
    window_start: i64,
    locked_until: i64,
}

/// Enough addresses for a busy node; past it the counts start over.
const NODE_CAPACITY: usize = 100_000;

impl NodeLimit {
    pub fn new(max: u32) -> Self {
        Self {
            max,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, NodeEntry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Until when `address` is refused, if it is now.
    pub fn locked_until(&self, address: IpAddr, now: i64) -> Option<i64> {
        let entries = self.entries();
        let entry = entries.get(&network(address))?;
        (entry.locked_until > now).then_some(entry.locked_until)
    }

    /// Counts a failure from `address`; returns the lock's end when this one locked it.
    pub fn failed(&self, address: IpAddr, now: i64) -> Option<i64> {
        let mut entries = self.entries();
        if entries.len() >= NODE_CAPACITY {
            entries.clear();
        }
        let entry = entries.entry(network(address)).or_insert(NodeEntry {
            failures: 0,
            window_start: now,
            locked_until: 0,
        });
        if entry.window_start <= now - WINDOW {
            *entry = NodeEntry {
                failures: 0,
                window_start: now,
                locked_until: entry.locked_until,
            };
        }
        entry.failures += 1;
        if entry.failures < self.max {
            return None;
        }
        entry.locked_until = now + MAX_LOCK;
        Some(entry.locked_until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{self, T0};
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn keys_of_different_kinds_never_meet() {
        let ip = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let keys = [
            Target::Account("password-address:192.0.2.1").key(),
            Target::PasswordsFrom(ip).key(),
            Target::UserCodesFrom(ip).key(),
            Target::UserCodesIn("x").key(),
            Target::AllUserCodes.key(),
        ];
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(Target::Account(" Alice ").key(), "account:alice");
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_slash_64() {
        let a = IpAddr::V6("2001:db8:1:2:aaaa::1".parse::<Ipv6Addr>().unwrap());
        let b = IpAddr::V6("2001:db8:1:2:ffff::9".parse::<Ipv6Addr>().unwrap());
        let other = IpAddr::V6("2001:db8:1:3::1".parse::<Ipv6Addr>().unwrap());
        assert_eq!(network(a), network(b));
        assert_ne!(network(a), network(other));
        assert_eq!(network(a), "2001:db8:1:2::/64");
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped());
        assert_eq!(network(mapped), "192.0.2.7");
    }

    #[tokio::test]
    async fn the_account_lock_doubles_and_a_guesser_gets_few_guesses_an_hour() {
        let (p, _, clock) = testing::provider().await;
        let targets = [Target::Account("alice")];
        let (mut locks, mut checked) = (Vec::new(), 0);
        while p.now() < T0 + 3600 {
            match attempt(&p, Guess::Password, &targets).await.unwrap() {
                Ok(a) => {
                    checked += 1;
                    if let Some(until) = a.failed(&p).await.unwrap() {
                        locks.push(until - p.now());
                    }
                }
                // The guesser comes back the moment the lock ends.
                Err(Locked { until }) => clock.advance((until - p.now()).max(1)),
            }
        }
        assert_eq!(&locks[..4], [30, 60, 120, 240], "{locks:?}");
        assert!(locks.iter().all(|l| *l <= MAX_LOCK));
        assert!(checked <= 50, "{checked} guesses checked in an hour");
    }

    #[test]
    fn a_node_refuses_an_address_after_its_limit_of_failures() {
        let limit = NodeLimit::new(3);
        let ip = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        assert_eq!(limit.failed(ip, T0), None);
        assert_eq!(limit.failed(ip, T0), None);
        assert_eq!(limit.failed(ip, T0), Some(T0 + MAX_LOCK));
        assert_eq!(limit.locked_until(ip, T0 + 1), Some(T0 + MAX_LOCK));
        assert_eq!(limit.locked_until(ip, T0 + MAX_LOCK), None);
        let other = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
        assert_eq!(limit.locked_until(other, T0), None);
        assert_eq!(limit.failed(ip, T0 + WINDOW + 1), None, "a new window");
    }

    #[tokio::test]
    async fn racing_attempts_past_the_limit_are_refused_before_their_check() {
        let (p, _, _) = testing::provider().await;
        let p = std::sync::Arc::new(p);
        let racers: Vec<_> = (0..20)
            .map(|_| {
                let p = std::sync::Arc::clone(&p);
                tokio::spawn(async move {
                    let targets = [Target::Account("alice")];
                    attempt(&p, Guess::Password, &targets)
                        .await
                        .unwrap()
                        .is_ok()
                })
            })
            .collect();
        let mut admitted = 0;
        for r in racers {
            admitted += usize::from(r.await.unwrap());
        }
        assert_eq!(admitted, 5, "only the limit may be checked");
    }

    #[tokio::test]
    async fn a_right_guess_gives_back_its_own_attempt_only() {
        let (p, _, _) = testing::provider().await;
        let targets = [Target::Account("alice")];
        for _ in 0..3 {
            let wrong = attempt(&p, Guess::Password, &targets)
                .await
                .unwrap()
                .unwrap();
            wrong.failed(&p).await.unwrap();
        }
        let right = attempt(&p, Guess::Password, &targets)
            .await
            .unwrap()
            .unwrap();
        right.succeeded(&p).await.unwrap();
        // Three wrong ones stay counted: two more and the account waits.
        for _ in 0..2 {
            let wrong = attempt(&p, Guess::Password, &targets)
                .await
                .unwrap()
                .unwrap();
            let _ = wrong.failed(&p).await.unwrap();
        }
        let r = attempt(&p, Guess::Password, &targets).await.unwrap();
        assert!(matches!(r, Err(Locked { .. })), "{r:?}");
    }
}
