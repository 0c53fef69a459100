//! Signing in with a username and password, shared by the login page, the device page and the
//! password grant. After repeated failures an account is locked for a while, on every node at
//! once (DESIGN §3). Unknown usernames are counted and timed the same way, so the answer never
//! tells which accounts exist.

use crate::provider::Provider;
use crate::store::StoreError;
use crate::user::User;
use std::sync::LazyLock;

/// Why a sign-in was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginFailure {
    /// Wrong username or password; the caller must not say which.
    Invalid,
    /// Too many failures: refused until then. `now` is true when this attempt locked it.
    Locked { until: i64, now: bool },
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
    if let Some(until) = locked_until(provider, username).await? {
        return Ok(Err(LoginFailure::Locked { until, now: false }));
    }
    let user = provider.store().get_user_by_username(username).await?;
    let hash = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| DECOY_HASH.clone());
    let verified = provider.passwords().verify(hash, password.to_owned()).await;
    match user {
        Some(user) if verified => {
            record_success(provider, username).await?;
            if user.disabled {
                return Ok(Err(LoginFailure::Disabled));
            }
            Ok(Ok(user))
        }
        _ => Ok(Err(match record_failure(provider, username).await? {
            Some(until) => LoginFailure::Locked { until, now: true },
            None => LoginFailure::Invalid,
        })),
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

/// Until when sign-in to this account is refused, if it is locked now.
async fn locked_until(provider: &Provider, username: &str) -> Result<Option<i64>, StoreError> {
    throttle_locked(provider, &account_key(username)).await
}

/// Counts a failed attempt; returns the lock's end when this failure locked the account.
async fn record_failure(provider: &Provider, username: &str) -> Result<Option<i64>, StoreError> {
    throttle_failure(provider, &account_key(username), MAX_FAILURES).await
}

async fn record_success(provider: &Provider, username: &str) -> Result<(), StoreError> {
    provider
        .store()
        .clear_login_failures(&account_key(username))
        .await
}

/// Until when the throttle `key` refuses attempts, if it does now. Keys other than accounts
/// contain a space, which usernames cannot, so they never collide with one.
pub async fn throttle_locked(provider: &Provider, key: &str) -> Result<Option<i64>, StoreError> {
    provider
        .store()
        .login_locked_until(key, provider.now())
        .await
}

/// Counts a failure under `key`; the `max`-th within [`FAILURE_WINDOW`] locks it for
/// [`LOCK_DURATION`] and returns the lock's end.
pub async fn throttle_failure(
    provider: &Provider,
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
    Ok(Some(until))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::UserStore;
    use crate::testing;

    #[tokio::test]
    async fn authenticate_locks_after_repeated_failures_even_for_the_right_password() {
        let (provider, store, _) = testing::provider().await;
        let mut user = User::new("alice", Default::default(), testing::T0).unwrap();
        user.password_hash = Some(crate::password::hash_password("right password").unwrap());
        store.insert_user(&user).await.unwrap();
        assert!(
            authenticate(&provider, "alice", "right password")
                .await
                .unwrap()
                .is_ok()
        );
        for _ in 1..MAX_FAILURES {
            let r = authenticate(&provider, "alice", "wrong").await.unwrap();
            assert_eq!(r.unwrap_err(), LoginFailure::Invalid);
        }
        let r = authenticate(&provider, "alice", "wrong").await.unwrap();
        assert!(matches!(r, Err(LoginFailure::Locked { now: true, .. })));
        let r = authenticate(&provider, "alice", "right password")
            .await
            .unwrap();
        assert!(matches!(r, Err(LoginFailure::Locked { now: false, .. })));
        let unknown = authenticate(&provider, "nobody", "whatever").await.unwrap();
        assert_eq!(unknown.unwrap_err(), LoginFailure::Invalid);
    }

    #[tokio::test]
    async fn fifth_failure_locks_and_success_clears() {
        let (provider, _, _) = testing::provider().await;
        for _ in 1..MAX_FAILURES {
            assert_eq!(record_failure(&provider, "Alice").await.unwrap(), None);
        }
        assert_eq!(locked_until(&provider, "alice").await.unwrap(), None);
        let until = record_failure(&provider, "ALICE").await.unwrap().unwrap();
        assert_eq!(until, testing::T0 + LOCK_DURATION);
        assert_eq!(locked_until(&provider, "alice").await.unwrap(), Some(until));
        record_success(&provider, "alice").await.unwrap();
        assert_eq!(record_failure(&provider, "alice").await.unwrap(), None);
    }
}
