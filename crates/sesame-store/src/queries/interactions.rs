//! The browser's side of a sign-in: sessions (by the SHA-256 of the cookie), pending
//! authorizations (taken once), and the consents users gave each client.

use super::SqlStore;
use crate::codec::{from_json, hash_bytes, scope, to_json};
use crate::errors::store_error;
use async_trait::async_trait;
use sesame_core::authorize::pending::PendingAuthorization;
use sesame_core::scope::Scopes;
use sesame_core::secret::SecretHash;
use sesame_core::session::BrowserSession;
use sesame_core::store::{Consent, InteractionStore, StoreError};

#[derive(sqlx::FromRow)]
struct SessionRow {
    sid: String,
    user_id: String,
    auth_time: i64,
    expires_at: i64,
    amr: String,
}

impl From<SessionRow> for BrowserSession {
    fn from(row: SessionRow) -> Self {
        BrowserSession {
            sid: row.sid,
            user_id: row.user_id,
            auth_time: row.auth_time,
            expires_at: row.expires_at,
            amr: row.amr.split_whitespace().map(str::to_owned).collect(),
        }
    }
}

fn pending(data: Option<String>) -> Result<Option<PendingAuthorization>, StoreError> {
    data.map(|d| from_json("pending authorization", &d))
        .transpose()
}

#[async_trait]
impl InteractionStore for SqlStore {
    async fn insert_session(
        &self,
        id_hash: &SecretHash,
        s: &BrowserSession,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO browser_sessions (id_hash, sid, user_id, auth_time, expires_at, amr) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(hash_bytes(id_hash))
        .bind(&s.sid)
        .bind(&s.user_id)
        .bind(s.auth_time)
        .bind(s.expires_at)
        .bind(s.amr.join(" "))
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn get_session(
        &self,
        id_hash: &SecretHash,
    ) -> Result<Option<BrowserSession>, StoreError> {
        let row = sqlx::query_as::<_, SessionRow>(
            "SELECT sid, user_id, auth_time, expires_at, amr FROM browser_sessions WHERE id_hash = $1",
        )
        .bind(hash_bytes(id_hash))
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(row.map(BrowserSession::from))
    }

    async fn delete_session(&self, id_hash: &SecretHash) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM browser_sessions WHERE id_hash = $1")
            .bind(hash_bytes(id_hash))
            .execute(self.writes())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn insert_pending(&self, p: &PendingAuthorization) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO pending_authorizations (id, data, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(&p.id)
        .bind(to_json("pending authorization", p)?)
        .bind(p.expires_at)
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn get_pending(&self, id: &str) -> Result<Option<PendingAuthorization>, StoreError> {
        let data = sqlx::query_scalar("SELECT data FROM pending_authorizations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        pending(data)
    }

    async fn update_pending(&self, p: &PendingAuthorization) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE pending_authorizations SET data = $2 WHERE id = $1")
            .bind(&p.id)
            .bind(to_json("pending authorization", p)?)
            .execute(self.writes())
            .await
            .map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn take_pending(&self, id: &str) -> Result<Option<PendingAuthorization>, StoreError> {
        let data =
            sqlx::query_scalar("DELETE FROM pending_authorizations WHERE id = $1 RETURNING data")
                .bind(id)
                .fetch_optional(self.writes())
                .await
                .map_err(store_error)?;
        pending(data)
    }

    async fn get_consent(
        &self,
        user_id: &str,
        client_id: &str,
    ) -> Result<Option<Scopes>, StoreError> {
        let value: Option<String> =
            sqlx::query_scalar("SELECT scope FROM consents WHERE user_id = $1 AND client_id = $2")
                .bind(user_id)
                .bind(client_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(store_error)?;
        value.as_deref().map(scope).transpose()
    }

    async fn put_consent(
        &self,
        user_id: &str,
        client_id: &str,
        consented: &Scopes,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO consents (user_id, client_id, scope, granted_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, client_id) DO UPDATE SET scope = excluded.scope, \
             granted_at = excluded.granted_at",
        )
        .bind(user_id)
        .bind(client_id)
        .bind(consented.to_string())
        .bind(now)
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn list_consents(&self, user_id: &str) -> Result<Vec<Consent>, StoreError> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT client_id, scope, granted_at FROM consents WHERE user_id = $1 \
             ORDER BY client_id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.into_iter()
            .map(|(client_id, granted, granted_at)| {
                Ok(Consent {
                    client_id,
                    scope: scope(&granted)?,
                    granted_at,
                })
            })
            .collect()
    }

    async fn list_sessions(
        &self,
        user_id: &str,
        now: i64,
    ) -> Result<Vec<BrowserSession>, StoreError> {
        let rows = sqlx::query_as::<_, SessionRow>(
            "SELECT sid, user_id, auth_time, expires_at, amr FROM browser_sessions \
             WHERE user_id = $1 AND expires_at > $2 ORDER BY auth_time DESC, sid",
        )
        .bind(user_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(rows.into_iter().map(BrowserSession::from).collect())
    }

    async fn delete_sessions(&self, user_id: &str, sid: Option<&str>) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM browser_sessions WHERE user_id = $1 AND ($2 IS NULL OR sid = $2)",
        )
        .bind(user_id)
        .bind(sid)
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected())
    }
}
