//! Sign-in throttling (DESIGN §3): after repeated failures an account is locked
//! for a while, on every node at once. Unknown usernames are counted the same way, so the
//! answer never tells which accounts exist. The password itself is checked by the caller, off
//! the async runtime.

use crate::provider::Provider;
use crate::store::StoreError;

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
pub async fn locked_until(provider: &Provider, username: &str) -> Result<Option<i64>, StoreError> {
    provider
        .store()
        .login_locked_until(&account_key(username), provider.now())
        .await
}

/// Counts a failed attempt; returns the lock's end when this failure locked the account.
pub async fn record_failure(
    provider: &Provider,
    username: &str,
) -> Result<Option<i64>, StoreError> {
    let now = provider.now();
    let key = account_key(username);
    let store = provider.store();
    let failures = store
        .record_login_failure(&key, now, now - FAILURE_WINDOW)
        .await?;
    if failures < MAX_FAILURES {
        return Ok(None);
    }
    let until = now + LOCK_DURATION;
    store.lock_login(&key, until).await?;
    Ok(Some(until))
}

pub async fn record_success(provider: &Provider, username: &str) -> Result<(), StoreError> {
    provider
        .store()
        .clear_login_failures(&account_key(username))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

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
