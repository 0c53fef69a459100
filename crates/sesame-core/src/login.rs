//! Signing in with a username and password, shared by the login page, the device page, the
//! OAuth 1.0a approval page and the password grant. After repeated failures an account is locked
//! for a while, on every node at once (the counts live in the store). Unknown usernames are
//! counted and timed the same way, so the answer never tells which accounts exist.

use crate::events::{Event, Guess, Refusal};
use crate::provider::Provider;
use crate::store::StoreError;
use crate::user::User;
use std::sync::LazyLock;

/// Why a sign-in was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginFailure {
    /// Wrong username or password; the caller must not say which.
    Invalid,
    /// Too many failures: refused until then.
    Locked { until: i64 },
    /// The password was right but the account is disabled.
    Disabled,
}

/// An argon2id hash of a random password, checked when the username is unknown so the answer
/// takes as long as for a real account.
static DECOY_HASH: LazyLock<String> = LazyLock::new(|| {
    crate::password::hash_password(&crate::secret::random_token(16)).unwrap_or_default()
});

/// Checks a username and password with the lockout rules; a success clears the failures.
pub async fn authenticate(
    provider: &Provider,
    username: &str,
    password: &str,
) -> Result<Result<User, LoginFailure>, StoreError> {
    let username = username.trim();
    let account = account_key(username);
    let refused = |why| {
        provider.record(Event::SignInRefused {
            account: account.clone(),
            why,
        })
    };
    if let Some(until) = throttle_locked(provider, &account).await? {
        refused(Refusal::Locked);
        return Ok(Err(LoginFailure::Locked { until }));
    }
    let user = provider.store().get_user_by_username(username).await?;
    let hash = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| DECOY_HASH.clone());
    let verified = provider.passwords().verify(hash, password.to_owned()).await;
    match user {
        Some(user) if verified => {
            provider.store().clear_login_failures(&account).await?;
            if !user.may_sign_in() {
                refused(Refusal::Disabled);
                return Ok(Err(LoginFailure::Disabled));
            }
            Ok(Ok(user))
        }
        _ => {
            refused(Refusal::Invalid);
            let lock = throttle_failure(provider, Guess::Password, &account, MAX_FAILURES).await?;
            Ok(Err(match lock {
                Some(until) => LoginFailure::Locked { until },
                None => LoginFailure::Invalid,
            }))
        }
    }
}

/// Failures within [`FAILURE_WINDOW`] that lock the account.
pub const MAX_FAILURES: u32 = 5;
/// Seconds over which failures are counted.
pub const FAILURE_WINDOW: i64 = 15 * 60;
/// Seconds an account stays locked.
pub const LOCK_DURATION: i64 = 15 * 60;

/// The key failures are counted under: usernames compare case-insensitively here, so changing
/// the case does not earn new attempts.
pub fn account_key(username: &str) -> String {
    username.trim().to_lowercase()
}

/// Until when the throttle `key` refuses attempts, if it does now. Keys other than accounts
/// contain a space, which usernames cannot, so they never collide with one.
pub async fn throttle_locked(provider: &Provider, key: &str) -> Result<Option<i64>, StoreError> {
    provider
        .store()
        .login_locked_until(key, provider.now())
        .await
}

/// Counts a wrong `guess` under `key`; the `max`-th within [`FAILURE_WINDOW`] locks it for
/// [`LOCK_DURATION`], reports it, and returns the lock's end.
pub async fn throttle_failure(
    provider: &Provider,
    guess: Guess,
    key: &str,
    max: u32,
) -> Result<Option<i64>, StoreError> {
    let now = provider.now();
    let store = provider.store();
    let failures = store
        .record_login_failure(key, now, now - FAILURE_WINDOW)
        .await?;
    if failures < max {
        return Ok(None);
    }
    let until = now + LOCK_DURATION;
    store.lock_login(key, until).await?;
    provider.record(Event::Locked {
        guess,
        key: key.to_owned(),
        until,
    });
    Ok(Some(until))
}

/// When a lock ends, in words: "in 1 minute", "in 15 minutes" (rounded up).
pub fn retry_in(until: i64, now: i64) -> String {
    let minutes = ((until - now).max(1) + 59) / 60;
    format!("in {minutes} minute{}", if minutes == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::UserStore;
    use crate::testing::{self, T0};

    async fn alice(store: &testing::MemoryStore, disabled: bool) {
        let mut user = User::new("alice", Default::default(), T0).unwrap();
        user.password_hash = Some(crate::password::hash_password("right password").unwrap());
        user.disabled = disabled;
        store.insert_user(&user).await.unwrap();
    }

    #[tokio::test]
    async fn the_fifth_failure_locks_the_account_even_against_the_right_password() {
        let (provider, store, _, events) = testing::provider_with_recorder().await;
        alice(&store, false).await;
        for _ in 1..MAX_FAILURES {
            let r = authenticate(&provider, "alice", "wrong").await.unwrap();
            assert_eq!(r.unwrap_err(), LoginFailure::Invalid);
        }
        let r = authenticate(&provider, "ALICE", "wrong").await.unwrap();
        let until = T0 + LOCK_DURATION;
        assert_eq!(r.unwrap_err(), LoginFailure::Locked { until });
        let r = authenticate(&provider, "alice", "right password").await;
        assert_eq!(r.unwrap().unwrap_err(), LoginFailure::Locked { until });
        let recorded = events.take();
        let locks: Vec<&Event> = recorded
            .iter()
            .filter(|e| matches!(e, Event::Locked { .. }))
            .collect();
        assert_eq!(
            locks,
            [&Event::Locked {
                guess: Guess::Password,
                key: "alice".into(),
                until
            }]
        );
        assert_eq!(recorded.len(), MAX_FAILURES as usize + 2);
        assert_eq!(
            recorded.last(),
            Some(&Event::SignInRefused {
                account: "alice".into(),
                why: Refusal::Locked
            })
        );
    }

    #[tokio::test]
    async fn a_success_clears_the_count_and_the_lock_ends_on_time() {
        let (provider, store, clock) = testing::provider().await;
        alice(&store, false).await;
        for _ in 1..MAX_FAILURES {
            let _ = authenticate(&provider, "alice", "wrong").await.unwrap();
        }
        assert!(
            authenticate(&provider, "alice", "right password")
                .await
                .unwrap()
                .is_ok()
        );
        let r = authenticate(&provider, "alice", "wrong").await.unwrap();
        assert_eq!(
            r.unwrap_err(),
            LoginFailure::Invalid,
            "counting starts over"
        );
        for _ in 1..MAX_FAILURES {
            let _ = authenticate(&provider, "alice", "wrong").await.unwrap();
        }
        clock.advance(LOCK_DURATION);
        assert!(
            authenticate(&provider, "alice", "right password")
                .await
                .unwrap()
                .is_ok()
        );
    }

    #[tokio::test]
    async fn unknown_usernames_are_refused_and_counted_like_real_ones() {
        let (provider, _, _) = testing::provider().await;
        for _ in 1..MAX_FAILURES {
            let r = authenticate(&provider, "nobody", "x").await.unwrap();
            assert_eq!(r.unwrap_err(), LoginFailure::Invalid);
        }
        let r = authenticate(&provider, " nobody ", "x").await.unwrap();
        assert!(matches!(r, Err(LoginFailure::Locked { .. })), "{r:?}");
    }

    #[tokio::test]
    async fn a_disabled_account_is_refused_only_after_the_right_password() {
        let (provider, store, _, events) = testing::provider_with_recorder().await;
        alice(&store, true).await;
        let r = authenticate(&provider, "alice", "wrong").await.unwrap();
        assert_eq!(
            r.unwrap_err(),
            LoginFailure::Invalid,
            "no hint that it exists"
        );
        let r = authenticate(&provider, "alice", "right password")
            .await
            .unwrap();
        assert_eq!(r.unwrap_err(), LoginFailure::Disabled);
        assert_eq!(
            events.take().last(),
            Some(&Event::SignInRefused {
                account: "alice".into(),
                why: Refusal::Disabled
            })
        );
    }

    #[test]
    fn retry_in_rounds_up_to_whole_minutes() {
        assert_eq!(retry_in(T0 + 1, T0), "in 1 minute");
        assert_eq!(retry_in(T0 + 61, T0), "in 2 minutes");
        assert_eq!(retry_in(T0 + LOCK_DURATION, T0), "in 15 minutes");
        assert_eq!(retry_in(T0, T0), "in 1 minute");
    }
}
