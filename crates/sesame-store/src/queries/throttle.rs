//! Failed sign-ins per account (and the device page's per-browser and per-address keys), counted
//! in one statement so every node sees the same count.

use super::SqlStore;
use crate::errors::store_error;
use async_trait::async_trait;
use sesame_core::store::{LoginThrottle, StoreError};

#[async_trait]
impl LoginThrottle for SqlStore {
    async fn count_attempt(
        &self,
        account: &str,
        now: i64,
        window_start: i64,
    ) -> Result<u32, StoreError> {
        // The row outlives the window it counts.
        let expires_at = now + (now - window_start);
        let failures: i64 = sqlx::query_scalar(
            "INSERT INTO login_failures (account, failures, window_start, locked_until, \
             expires_at) VALUES ($1, 1, $2, 0, $4) ON CONFLICT (account) DO UPDATE SET \
             failures = CASE WHEN login_failures.window_start <= $3 THEN 1 \
                        ELSE login_failures.failures + 1 END, \
             window_start = CASE WHEN login_failures.window_start <= $3 THEN $2 \
                            ELSE login_failures.window_start END, \
             expires_at = CASE WHEN login_failures.expires_at > $4 \
                          THEN login_failures.expires_at ELSE $4 END \
             RETURNING failures",
        )
        .bind(account)
        .bind(now)
        .bind(window_start)
        .bind(expires_at)
        .fetch_one(self.writes())
        .await
        .map_err(store_error)?;
        Ok(u32::try_from(failures).unwrap_or(u32::MAX))
    }

    async fn release_attempt(&self, account: &str, unlock: bool) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE login_failures SET \
             failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END, \
             locked_until = CASE WHEN $2 THEN 0 ELSE locked_until END \
             WHERE account = $1",
        )
        .bind(account)
        .bind(unlock)
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn take_lock(&self, account: &str, now: i64, until: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE login_failures SET locked_until = $3, \
             expires_at = CASE WHEN expires_at > $3 THEN expires_at ELSE $3 END \
             WHERE account = $1 AND locked_until <= $2",
        )
        .bind(account)
        .bind(now)
        .bind(until)
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn login_locked_until(&self, account: &str, now: i64) -> Result<Option<i64>, StoreError> {
        sqlx::query_scalar(
            "SELECT locked_until FROM login_failures WHERE account = $1 AND locked_until > $2",
        )
        .bind(account)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn clear_login_failures(&self, account: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_failures WHERE account = $1")
            .bind(account)
            .execute(self.writes())
            .await
            .map_err(store_error)?;
        Ok(())
    }
}
