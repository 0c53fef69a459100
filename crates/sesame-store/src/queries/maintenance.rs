//! Readiness, migrations, and the sweep of expired rows of every kind.

use super::SqlStore;
use crate::errors::store_error;
use async_trait::async_trait;
use sesame_core::store::{Maintenance, SPENT_RETENTION, StoreError, Tally};

/// One bounded DELETE per kind (`$1` the cutoff, `$2` the batch size), and how long past expiry
/// the kind is kept: spent single-use records stay [`SPENT_RETENTION`] seconds, so a late replay
/// of a code still revokes what it issued and a late poll still hears `expired_token`.
const SWEEPS: [(&str, i64); 14] = [
    (
        "DELETE FROM access_tokens WHERE token_hash IN \
         (SELECT token_hash FROM access_tokens WHERE expires_at <= $1 LIMIT $2)",
        0,
    ),
    (
        "DELETE FROM revoked_jtis WHERE jti IN \
         (SELECT jti FROM revoked_jtis WHERE expires_at <= $1 LIMIT $2)",
        0,
    ),
    (
        "DELETE FROM assertion_jtis WHERE (client_id, jti) IN \
         (SELECT client_id, jti FROM assertion_jtis WHERE expires_at <= $1 LIMIT $2)",
        0,
    ),
    (
        "DELETE FROM signing_keys WHERE kid IN \
         (SELECT kid FROM signing_keys WHERE publish_until <= $1 LIMIT $2)",
        0,
    ),
    (
        "DELETE FROM authorization_codes WHERE code_hash IN \
         (SELECT code_hash FROM authorization_codes WHERE expires_at <= $1 LIMIT $2)",
        SPENT_RETENTION,
    ),
    (
        "DELETE FROM refresh_tokens WHERE token_hash IN \
         (SELECT token_hash FROM refresh_tokens WHERE expires_at <= $1 LIMIT $2)",
        0,
    ),
    (
        "DELETE FROM browser_sessions WHERE id_hash IN \
         (SELECT id_hash FROM browser_sessions WHERE expires_at <= $1 LIMIT $2)",
        0,
    ),
    (
        "DELETE FROM pending_authorizations WHERE id IN \
         (SELECT id FROM pending_authorizations WHERE expires_at <= $1 LIMIT $2)",
        0,
    ),
    (
        "DELETE FROM login_failures WHERE account IN \
         (SELECT account FROM login_failures WHERE expires_at <= $1 LIMIT $2)",
        0,
    ),
    (
        "DELETE FROM revoked_delegations WHERE delegation_id IN \
         (SELECT delegation_id FROM revoked_delegations WHERE expires_at <= $1 LIMIT $2)",
        0,
    ),
    (
        "DELETE FROM device_codes WHERE device_code_hash IN \
         (SELECT device_code_hash FROM device_codes WHERE expires_at <= $1 LIMIT $2)",
        SPENT_RETENTION,
    ),
    (
        "DELETE FROM federation_states WHERE state IN \
         (SELECT state FROM federation_states WHERE expires_at <= $1 LIMIT $2)",
        0,
    ),
    (
        "DELETE FROM oauth1_tokens WHERE token IN \
         (SELECT token FROM oauth1_tokens WHERE expires_at <= $1 LIMIT $2)",
        SPENT_RETENTION,
    ),
    (
        "DELETE FROM webauthn_ceremonies WHERE id IN \
         (SELECT id FROM webauthn_ceremonies WHERE expires_at <= $1 LIMIT $2)",
        0,
    ),
];

#[async_trait]
impl Maintenance for SqlStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn tally(&self, now: i64) -> Result<Tally, StoreError> {
        let (clients, users, sessions): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM clients), (SELECT COUNT(*) FROM users), \
             (SELECT COUNT(*) FROM browser_sessions WHERE expires_at > $1)",
        )
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(store_error)?;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(Tally {
            clients: count(clients),
            users: count(users),
            sessions: count(sessions),
        })
    }

    async fn sweep_expired(&self, now: i64, batch: u32) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        // With several nodes, one sweeps and the others skip this round.
        if !SqlStore::try_sweep_lock(&mut tx).await? {
            return Ok(0);
        }
        let mut deleted = 0;
        // Bounded batches keep each delete short, so sweeping never stalls requests.
        for (sql, keep) in SWEEPS {
            deleted += sqlx::query(sql)
                .bind(now - keep)
                .bind(i64::from(batch))
                .execute(&mut *tx)
                .await
                .map_err(store_error)?
                .rows_affected();
        }
        tx.commit().await.map_err(store_error)?;
        Ok(deleted)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        SqlStore::migrator()
            .run(self.writes())
            .await
            .map_err(crate::errors::migrate_error)
    }
}
