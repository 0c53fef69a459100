//! Registered clients: their metadata as one JSON document, the secret only as its hash.

use super::{Pool, SqlStore};
use crate::codec::{from_json, hash_bytes, optional_hash, to_json};
use crate::errors::store_error;
use async_trait::async_trait;
use sesame_core::client::Client;
use sesame_core::store::{ClientStore, StoreError};

macro_rules! columns {
    () => {
        "client_id, secret_hash, metadata, created_at, updated_at"
    };
}

#[derive(sqlx::FromRow)]
struct ClientRow {
    client_id: String,
    secret_hash: Option<Vec<u8>>,
    metadata: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<ClientRow> for Client {
    type Error = StoreError;

    fn try_from(row: ClientRow) -> Result<Self, StoreError> {
        Ok(Client {
            metadata: from_json("client metadata", &row.metadata)?,
            secret_hash: optional_hash("client secret_hash", row.secret_hash)?,
            client_id: row.client_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// Inserts the client with `sql`, which binds the columns in their order.
async fn write(pool: &Pool, sql: &'static str, client: &Client) -> Result<u64, StoreError> {
    let done = sqlx::query(sql)
        .bind(&client.client_id)
        .bind(client.secret_hash.as_ref().map(hash_bytes))
        .bind(to_json("client metadata", &client.metadata)?)
        .bind(client.created_at)
        .bind(client.updated_at)
        .execute(pool)
        .await
        .map_err(store_error)?;
    Ok(done.rows_affected())
}

#[async_trait]
impl ClientStore for SqlStore {
    async fn get_client(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        sqlx::query_as::<_, ClientRow>(concat!(
            "SELECT ",
            columns!(),
            " FROM clients WHERE client_id = $1"
        ))
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .map(Client::try_from)
        .transpose()
    }

    async fn list_clients(&self) -> Result<Vec<Client>, StoreError> {
        sqlx::query_as::<_, ClientRow>(concat!(
            "SELECT ",
            columns!(),
            " FROM clients ORDER BY client_id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(Client::try_from)
        .collect()
    }

    async fn insert_client(&self, client: &Client) -> Result<bool, StoreError> {
        let sql = concat!(
            "INSERT INTO clients (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5) ON CONFLICT (client_id) DO NOTHING"
        );
        Ok(write(self.writes(), sql, client).await? == 1)
    }

    async fn upsert_client(&self, client: &Client) -> Result<(), StoreError> {
        let sql = concat!(
            "INSERT INTO clients (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5) ON CONFLICT (client_id) DO UPDATE SET \
             secret_hash = excluded.secret_hash, metadata = excluded.metadata, \
             updated_at = CASE WHEN excluded.updated_at > clients.updated_at \
             THEN excluded.updated_at ELSE clients.updated_at + 1 END"
        );
        write(self.writes(), sql, client).await?;
        Ok(())
    }

    async fn update_client(&self, client: &Client) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE clients SET secret_hash = $2, metadata = $3, \
             updated_at = CASE WHEN $4 > updated_at THEN $4 ELSE updated_at + 1 END \
             WHERE client_id = $1",
        )
        .bind(&client.client_id)
        .bind(client.secret_hash.as_ref().map(hash_bytes))
        .bind(to_json("client metadata", &client.metadata)?)
        .bind(client.updated_at)
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn replace_client(&self, client: &Client, read_at: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE clients SET secret_hash = $2, metadata = $3, updated_at = $4 \
             WHERE client_id = $1 AND updated_at = $5",
        )
        .bind(&client.client_id)
        .bind(client.secret_hash.as_ref().map(hash_bytes))
        .bind(to_json("client metadata", &client.metadata)?)
        .bind(client.updated_at)
        .bind(read_at)
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_client(&self, client_id: &str) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        // Everything issued to the client ends with it, and a client made again under this id
        // inherits none of it: JWTs it holds are listed as revoked until they expire; codes,
        // refresh and opaque tokens, device codes, consents and OAuth 1.0a credentials go.
        for sql in [
            "INSERT INTO revoked_jtis (jti, expires_at) SELECT jti, expires_at \
             FROM access_tokens WHERE client_id = $1 ON CONFLICT (jti) DO NOTHING",
            "DELETE FROM access_tokens WHERE client_id = $1",
            "DELETE FROM authorization_codes WHERE client_id = $1",
            "DELETE FROM refresh_tokens WHERE client_id = $1",
            "DELETE FROM device_codes WHERE client_id = $1",
            "DELETE FROM consents WHERE client_id = $1",
            "DELETE FROM oauth1_secrets WHERE client_id = $1",
            "DELETE FROM oauth1_tokens WHERE client_id = $1",
        ] {
            sqlx::query(sql)
                .bind(client_id)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        }
        let done = sqlx::query("DELETE FROM clients WHERE client_id = $1")
            .bind(client_id)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }
}
