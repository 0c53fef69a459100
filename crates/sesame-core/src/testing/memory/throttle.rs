use super::{Failures, MemoryStore};
use crate::store::{LoginThrottle, StoreError};
use async_trait::async_trait;

#[async_trait]
impl LoginThrottle for MemoryStore {
    async fn count_attempt(
        &self,
        account: &str,
        now: i64,
        window_start: i64,
    ) -> Result<u32, StoreError> {
        // The row outlives the window it counts.
        let expires_at = now + (now - window_start);
        let mut t = self.tables();
        let entry = t
            .login_failures
            .entry(account.to_owned())
            .or_insert(Failures {
                count: 0,
                window_start: now,
                locked_until: 0,
                expires_at,
            });
        if entry.window_start <= window_start {
            entry.count = 0;
            entry.window_start = now;
        }
        entry.count += 1;
        entry.expires_at = entry.expires_at.max(expires_at);
        Ok(entry.count)
    }

    async fn release_attempt(&self, account: &str, unlock: bool) -> Result<(), StoreError> {
        if let Some(entry) = self.tables().login_failures.get_mut(account) {
            entry.count = entry.count.saturating_sub(1);
            if unlock {
                entry.locked_until = 0;
            }
        }
        Ok(())
    }

    async fn take_lock(&self, account: &str, now: i64, until: i64) -> Result<bool, StoreError> {
        // Like the SQL UPDATE: only a key with attempts on record, and not locked now.
        let mut t = self.tables();
        let Some(entry) = t.login_failures.get_mut(account) else {
            return Ok(false);
        };
        if entry.locked_until > now {
            return Ok(false);
        }
        entry.locked_until = until;
        entry.expires_at = entry.expires_at.max(until);
        Ok(true)
    }

    async fn login_locked_until(&self, account: &str, now: i64) -> Result<Option<i64>, StoreError> {
        let t = self.tables();
        Ok(t.login_failures
            .get(account)
            .map(|e| e.locked_until)
            .filter(|until| *until > now))
    }

    async fn clear_login_failures(&self, account: &str) -> Result<(), StoreError> {
        self.tables().login_failures.remove(account);
        Ok(())
    }
}
