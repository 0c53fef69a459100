//! Signing keys: PKCS#8, sealed when a master key is set; at most one latest (unretired) key per
//! algorithm (a partial unique index), so nodes starting at once agree on one.

use super::{Db, SqlStore};
use crate::codec::parse;
use crate::errors::store_error;
use async_trait::async_trait;
use sesame_core::keys::{Algorithm, StoredKey};
use sesame_core::store::{KeyStore, StoreError};

macro_rules! columns {
    () => {
        "kid, alg, private_key, encrypted, created_at, activates_at, retired_at, publish_until"
    };
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    kid: String,
    alg: String,
    private_key: Vec<u8>,
    encrypted: bool,
    created_at: i64,
    activates_at: i64,
    retired_at: Option<i64>,
    publish_until: Option<i64>,
}

impl TryFrom<KeyRow> for StoredKey {
    type Error = StoreError;

    fn try_from(row: KeyRow) -> Result<Self, StoreError> {
        Ok(StoredKey {
            alg: parse("signing key alg", &row.alg, Algorithm::parse)?,
            kid: row.kid,
            private_key: row.private_key,
            encrypted: row.encrypted,
            created_at: row.created_at,
            activates_at: row.activates_at,
            retired_at: row.retired_at,
            publish_until: row.publish_until,
        })
    }
}

/// `Ok(false)` when the algorithm has a latest key already (the partial unique index).
async fn insert<'e, E>(executor: E, key: &StoredKey) -> Result<bool, StoreError>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    let done = sqlx::query(concat!(
        "INSERT INTO signing_keys (",
        columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (alg) WHERE retired_at IS NULL DO NOTHING"
    ))
    .bind(&key.kid)
    .bind(key.alg.as_str())
    .bind(&key.private_key)
    .bind(key.encrypted)
    .bind(key.created_at)
    .bind(key.activates_at)
    .bind(key.retired_at)
    .bind(key.publish_until)
    .execute(executor)
    .await
    .map_err(store_error)?;
    Ok(done.rows_affected() == 1)
}

#[async_trait]
impl KeyStore for SqlStore {
    async fn list_signing_keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        sqlx::query_as::<_, KeyRow>(concat!(
            "SELECT ",
            columns!(),
            " FROM signing_keys ORDER BY created_at, kid"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(StoredKey::try_from)
        .collect()
    }

    async fn insert_signing_key(&self, key: &StoredKey) -> Result<bool, StoreError> {
        insert(self.writes(), key).await
    }

    async fn rotate_signing_keys(
        &self,
        new_keys: &[StoredKey],
        retired_at: i64,
        publish_until: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for key in new_keys {
            sqlx::query(
                "UPDATE signing_keys SET retired_at = $1, publish_until = $2 \
                 WHERE alg = $3 AND retired_at IS NULL",
            )
            .bind(retired_at)
            .bind(publish_until)
            .bind(key.alg.as_str())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
            if !insert(&mut *tx, key).await? {
                return Err(StoreError::Backend(format!(
                    "another rotation of the {} key ran at the same time; nothing was changed",
                    key.alg
                )));
            }
        }
        tx.commit().await.map_err(store_error)
    }

    async fn server_secret(&self, name: &str, candidate: &[u8]) -> Result<Vec<u8>, StoreError> {
        sqlx::query(
            "INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(candidate)
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        // Read back from the writer: whichever node inserted first, every node gets its value.
        sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(self.writes())
            .await
            .map_err(store_error)
    }
}
