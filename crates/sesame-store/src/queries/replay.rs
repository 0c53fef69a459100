//! Single-use identifiers of client assertions (RFC 7523 `jti`) and OAuth 1.0a nonces.

use super::SqlStore;
use crate::errors::store_error;
use async_trait::async_trait;
use sesame_core::store::{ReplayStore, StoreError};

#[async_trait]
impl ReplayStore for SqlStore {
    async fn record_assertion_jti(
        &self,
        client_id: &str,
        jti: &str,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO assertion_jtis (client_id, jti, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (client_id, jti) DO NOTHING",
        )
        .bind(client_id)
        .bind(jti)
        .bind(expires_at)
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }
}
