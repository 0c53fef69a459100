//! Upstream identity providers (connections, their client secrets sealed), the identities
//! linked to users, and round trips in flight (taken once).

use super::{Db, SqlStore};
use crate::codec::{from_json, to_json};
use crate::errors::store_error;
use async_trait::async_trait;
use sesame_core::federation::{Connection, FederationState};
use sesame_core::store::{FederationStore, StoreError};
use sesame_core::user::User;

#[derive(sqlx::FromRow)]
struct ConnectionRow {
    data: String,
    sealed_secret: Vec<u8>,
}

impl TryFrom<ConnectionRow> for (Connection, Vec<u8>) {
    type Error = StoreError;

    fn try_from(row: ConnectionRow) -> Result<Self, StoreError> {
        Ok((from_json("connection", &row.data)?, row.sealed_secret))
    }
}

/// Inserts a link; `Ok(false)` if this upstream subject is linked already.
async fn insert_link<'e, E>(
    executor: E,
    connection_id: &str,
    subject: &str,
    user_id: &str,
    now: i64,
) -> Result<bool, StoreError>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    let done = sqlx::query(
        "INSERT INTO identity_links (connection_id, subject, user_id, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(connection_id)
    .bind(subject)
    .bind(user_id)
    .bind(now)
    .execute(executor)
    .await
    .map_err(store_error)?;
    Ok(done.rows_affected() == 1)
}

#[async_trait]
impl FederationStore for SqlStore {
    async fn upsert_connection(&self, c: &Connection, sealed: &[u8]) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO connections (id, data, sealed_secret) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, \
             sealed_secret = excluded.sealed_secret",
        )
        .bind(&c.id)
        .bind(to_json("connection", c)?)
        .bind(sealed.to_vec())
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn list_connections(&self) -> Result<Vec<Connection>, StoreError> {
        sqlx::query_as::<_, ConnectionRow>(
            "SELECT data, sealed_secret FROM connections ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(|row| <(Connection, Vec<u8>)>::try_from(row).map(|(c, _)| c))
        .collect()
    }

    async fn get_connection(&self, id: &str) -> Result<Option<(Connection, Vec<u8>)>, StoreError> {
        sqlx::query_as::<_, ConnectionRow>(
            "SELECT data, sealed_secret FROM connections WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .map(TryFrom::try_from)
        .transpose()
    }

    async fn delete_connection(&self, id: &str) -> Result<bool, StoreError> {
        // A connection made again under this id may be another issuer: its subjects must not
        // land on the old users.
        let unlink = "DELETE FROM identity_links WHERE connection_id = $1";
        let delete = "DELETE FROM connections WHERE id = $1";
        delete_with_links(self, unlink, delete, id).await
    }

    async fn find_linked_user(
        &self,
        connection_id: &str,
        subject: &str,
    ) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT user_id FROM identity_links WHERE connection_id = $1 AND subject = $2",
        )
        .bind(connection_id)
        .bind(subject)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn link_identity(
        &self,
        connection_id: &str,
        subject: &str,
        user_id: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        insert_link(self.writes(), connection_id, subject, user_id, now).await
    }

    async fn create_linked_user(
        &self,
        user: &User,
        connection_id: &str,
        subject: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        // Both or neither: a failed login never leaves a user without its link.
        let created = super::users::insert(&mut *tx, user).await?
            && insert_link(&mut *tx, connection_id, subject, &user.id, now).await?;
        if !created {
            tx.rollback().await.map_err(store_error)?;
            return Ok(false);
        }
        tx.commit().await.map_err(store_error)?;
        Ok(true)
    }

    async fn list_linked_identities(
        &self,
        user_id: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        sqlx::query_as(
            "SELECT connection_id, subject FROM identity_links WHERE user_id = $1 \
             ORDER BY connection_id, subject",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn unlink_identity(
        &self,
        user_id: &str,
        connection_id: &str,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("DELETE FROM identity_links WHERE user_id = $1 AND connection_id = $2")
                .bind(user_id)
                .bind(connection_id)
                .execute(self.writes())
                .await
                .map_err(store_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn insert_federation_state(&self, f: &FederationState) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO federation_states (state, data, expires_at) VALUES ($1, $2, $3)")
            .bind(&f.state)
            .bind(to_json("federation state", f)?)
            .bind(f.expires_at)
            .execute(self.writes())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn take_federation_state(
        &self,
        state: &str,
    ) -> Result<Option<FederationState>, StoreError> {
        let data: Option<String> =
            sqlx::query_scalar("DELETE FROM federation_states WHERE state = $1 RETURNING data")
                .bind(state)
                .fetch_optional(self.writes())
                .await
                .map_err(store_error)?;
        data.map(|d| from_json("federation state", &d)).transpose()
    }
}

/// Deletes a connection (`delete`, binding its id) and, in the same transaction, the identity
/// links that name it (`unlink`).
async fn delete_with_links(
    store: &SqlStore,
    unlink: &'static str,
    delete: &'static str,
    id: &str,
) -> Result<bool, StoreError> {
    let mut tx = store.begin_write().await?;
    sqlx::query(unlink)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
    let done = sqlx::query(delete)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
    tx.commit().await.map_err(store_error)?;
    Ok(done.rows_affected() == 1)
}
