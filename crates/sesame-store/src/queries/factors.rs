//! Second factors and recovery codes. Spending a TOTP step or a recovery code is one
//! conditional UPDATE, so two nodes checking the same code at once accept it once.

use super::SqlStore;
use crate::codec::{corrupt, hash_bytes};
use crate::errors::store_error;
use async_trait::async_trait;
use sesame_core::mfa::{Factor, FactorKind};
use sesame_core::secret::SecretHash;
use sesame_core::store::{FactorStore, StoreError};

#[derive(sqlx::FromRow)]
struct FactorRow {
    id: String,
    user_id: String,
    kind: String,
    name: String,
    secret: Vec<u8>,
    credential_id: Option<String>,
    created_at: i64,
    last_used_at: Option<i64>,
    last_step: Option<i64>,
}

impl TryFrom<FactorRow> for Factor {
    type Error = StoreError;

    fn try_from(row: FactorRow) -> Result<Self, StoreError> {
        let kind = FactorKind::parse(&row.kind).ok_or_else(|| corrupt("factor kind", &row.kind))?;
        Ok(Factor {
            id: row.id,
            user_id: row.user_id,
            kind,
            name: row.name,
            secret: row.secret,
            credential_id: row.credential_id,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            last_step: row.last_step,
        })
    }
}

/// A factor's columns, in [`FactorRow`]'s order.
macro_rules! columns {
    () => {
        "id, user_id, kind, name, secret, credential_id, created_at, last_used_at, last_step"
    };
}

/// One INSERT; a passkey's keeps out a credential id registered already (its unique index).
async fn insert(store: &SqlStore, f: &Factor) -> Result<bool, StoreError> {
    let done = sqlx::query(concat!(
        "INSERT INTO factors (",
        columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING"
    ))
    .bind(&f.id)
    .bind(&f.user_id)
    .bind(f.kind.as_str())
    .bind(&f.name)
    .bind(&f.secret)
    .bind(&f.credential_id)
    .bind(f.created_at)
    .bind(f.last_used_at)
    .bind(f.last_step)
    .execute(store.writes())
    .await
    .map_err(store_error)?;
    Ok(done.rows_affected() == 1)
}

#[async_trait]
impl FactorStore for SqlStore {
    async fn list_factors(&self, user_id: &str) -> Result<Vec<Factor>, StoreError> {
        sqlx::query_as::<_, FactorRow>(concat!(
            "SELECT ",
            columns!(),
            " FROM factors WHERE user_id = $1 ORDER BY created_at, id"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(Factor::try_from)
        .collect()
    }

    async fn insert_factor(&self, f: &Factor) -> Result<(), StoreError> {
        match insert(self, f).await? {
            true => Ok(()),
            false => Err(StoreError::Backend(format!(
                "factor {} exists already",
                f.id
            ))),
        }
    }

    async fn delete_factor(&self, user_id: &str, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM factors WHERE user_id = $1 AND id = $2")
            .bind(user_id)
            .bind(id)
            .execute(self.writes())
            .await
            .map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn spend_totp_step(
        &self,
        user_id: &str,
        id: &str,
        step: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE factors SET last_step = $3, last_used_at = $4 \
             WHERE user_id = $1 AND id = $2 AND (last_step IS NULL OR last_step < $3)",
        )
        .bind(user_id)
        .bind(id)
        .bind(step)
        .bind(now)
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn replace_recovery_codes(
        &self,
        user_id: &str,
        codes: &[SecretHash],
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        for code in codes {
            sqlx::query(
                "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
            )
            .bind(user_id)
            .bind(hash_bytes(code))
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)
    }

    async fn spend_recovery_code(
        &self,
        user_id: &str,
        code: &SecretHash,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE recovery_codes SET used_at = $3 \
             WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(hash_bytes(code))
        .bind(now)
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn unused_recovery_codes(&self, user_id: &str) -> Result<u64, StoreError> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn find_passkey(&self, credential_id: &str) -> Result<Option<Factor>, StoreError> {
        sqlx::query_as::<_, FactorRow>(concat!(
            "SELECT ",
            columns!(),
            " FROM factors WHERE credential_id = $1"
        ))
        .bind(credential_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .map(Factor::try_from)
        .transpose()
    }

    async fn insert_passkey(&self, factor: &Factor) -> Result<bool, StoreError> {
        insert(self, factor).await
    }

    async fn update_passkey(
        &self,
        user_id: &str,
        id: &str,
        read: &[u8],
        record: &[u8],
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE factors SET secret = $4, last_used_at = $5 \
             WHERE user_id = $1 AND id = $2 AND secret = $3",
        )
        .bind(user_id)
        .bind(id)
        .bind(read)
        .bind(record)
        .bind(now)
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn put_ceremony(&self, id: &str, state: &str, expires_at: i64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO webauthn_ceremonies (id, state, expires_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(state)
            .bind(expires_at)
            .execute(self.writes())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn take_ceremony(&self, id: &str, now: i64) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar(
            "DELETE FROM webauthn_ceremonies WHERE id = $1 AND expires_at > $2 RETURNING state",
        )
        .bind(id)
        .bind(now)
        .fetch_optional(self.writes())
        .await
        .map_err(store_error)
    }
}
