//! Delegations and what carries them: authorization codes (single use), refresh tokens
//! (rotated), and delegations revoked after a replay, until their last token would expire.

use super::SqlStore;
use crate::codec::{from_json, hash, hash_bytes, to_json};
use crate::errors::store_error;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sesame_core::delegation::{CodeData, Delegation, StoredCode, StoredRefreshToken};
use sesame_core::secret::SecretHash;
use sesame_core::store::{DelegationStore, StoreError, Withdrawn};

macro_rules! code_columns {
    () => {
        "code_hash, data, expires_at, used_at"
    };
}

macro_rules! refresh_columns {
    () => {
        "token_hash, delegation, issued_at, expires_at, used_at, revoked_at"
    };
}

/// A code's `data` column: its delegation and what the token request is checked against.
#[derive(Serialize, Deserialize)]
struct CodeDocument {
    /// Rows written before the rename call it `grant`.
    #[serde(alias = "grant")]
    delegation: Delegation,
    data: CodeData,
}

#[derive(sqlx::FromRow)]
struct CodeRow {
    code_hash: Vec<u8>,
    data: String,
    expires_at: i64,
    used_at: Option<i64>,
}

impl TryFrom<CodeRow> for StoredCode {
    type Error = StoreError;

    fn try_from(row: CodeRow) -> Result<Self, StoreError> {
        let document: CodeDocument = from_json("authorization code", &row.data)?;
        Ok(StoredCode {
            code_hash: hash("code_hash", row.code_hash)?,
            delegation: document.delegation,
            data: document.data,
            expires_at: row.expires_at,
            used_at: row.used_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct RefreshRow {
    token_hash: Vec<u8>,
    delegation: String,
    issued_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TryFrom<RefreshRow> for StoredRefreshToken {
    type Error = StoreError;

    fn try_from(row: RefreshRow) -> Result<Self, StoreError> {
        Ok(StoredRefreshToken {
            token_hash: hash("refresh token_hash", row.token_hash)?,
            delegation: from_json("delegation", &row.delegation)?,
            issued_at: row.issued_at,
            expires_at: row.expires_at,
            used_at: row.used_at,
            revoked_at: row.revoked_at,
        })
    }
}

/// Runs a query that returns at most one row of `R` for a hash, and maps it.
async fn one<R, T>(
    pool: &super::Pool,
    sql: &'static str,
    hash: &SecretHash,
    client_and_now: Option<(&str, i64)>,
) -> Result<Option<T>, StoreError>
where
    R: for<'r> sqlx::FromRow<'r, <super::Db as sqlx::Database>::Row> + Send + Unpin,
    T: TryFrom<R, Error = StoreError>,
{
    let mut query = sqlx::query_as::<_, R>(sql).bind(hash_bytes(hash));
    if let Some((client_id, now)) = client_and_now {
        query = query.bind(client_id).bind(now);
    }
    query
        .fetch_optional(pool)
        .await
        .map_err(store_error)?
        .map(T::try_from)
        .transpose()
}

#[async_trait]
impl DelegationStore for SqlStore {
    async fn insert_code(&self, code: &StoredCode) -> Result<(), StoreError> {
        let document = CodeDocument {
            delegation: code.delegation.clone(),
            data: code.data.clone(),
        };
        sqlx::query(
            "INSERT INTO authorization_codes \
             (code_hash, delegation_id, client_id, data, expires_at, used_at, user_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(hash_bytes(&code.code_hash))
        .bind(&code.delegation.delegation_id)
        .bind(&code.delegation.client_id)
        .bind(to_json("authorization code", &document)?)
        .bind(code.expires_at)
        .bind(code.used_at)
        .bind(&code.delegation.user_id)
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn find_code(&self, code_hash: &SecretHash) -> Result<Option<StoredCode>, StoreError> {
        let sql = concat!(
            "SELECT ",
            code_columns!(),
            " FROM authorization_codes WHERE code_hash = $1"
        );
        one::<CodeRow, _>(&self.pool, sql, code_hash, None).await
    }

    async fn consume_code(
        &self,
        code_hash: &SecretHash,
        client_id: &str,
        now: i64,
    ) -> Result<Option<StoredCode>, StoreError> {
        let sql = concat!(
            "UPDATE authorization_codes SET used_at = $3 WHERE code_hash = $1 AND client_id = $2 \
             AND used_at IS NULL AND expires_at > $3 RETURNING ",
            code_columns!()
        );
        one::<CodeRow, _>(self.writes(), sql, code_hash, Some((client_id, now))).await
    }

    async fn insert_refresh_token(&self, t: &StoredRefreshToken) -> Result<(), StoreError> {
        sqlx::query(concat!(
            "INSERT INTO refresh_tokens (delegation_id, client_id, user_id, ",
            refresh_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(&t.delegation.delegation_id)
        .bind(&t.delegation.client_id)
        .bind(&t.delegation.user_id)
        .bind(hash_bytes(&t.token_hash))
        .bind(to_json("delegation", &t.delegation)?)
        .bind(t.issued_at)
        .bind(t.expires_at)
        .bind(t.used_at)
        .bind(t.revoked_at)
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn find_refresh_token(
        &self,
        token_hash: &SecretHash,
    ) -> Result<Option<StoredRefreshToken>, StoreError> {
        let sql = concat!(
            "SELECT ",
            refresh_columns!(),
            " FROM refresh_tokens WHERE token_hash = $1"
        );
        one::<RefreshRow, _>(&self.pool, sql, token_hash, None).await
    }

    async fn use_refresh_token(
        &self,
        token_hash: &SecretHash,
        client_id: &str,
        now: i64,
    ) -> Result<Option<StoredRefreshToken>, StoreError> {
        let sql = concat!(
            "UPDATE refresh_tokens SET used_at = $3 WHERE token_hash = $1 AND client_id = $2 \
             AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $3 RETURNING ",
            refresh_columns!()
        );
        one::<RefreshRow, _>(self.writes(), sql, token_hash, Some((client_id, now))).await
    }

    async fn revoke_delegation(
        &self,
        delegation_id: &str,
        now: i64,
        keep_until: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        revoke(&mut tx, delegation_id, now, keep_until).await?;
        tx.commit().await.map_err(store_error)
    }

    async fn is_delegation_revoked(&self, delegation_id: &str) -> Result<bool, StoreError> {
        let found = sqlx::query_scalar::<_, i32>(
            "SELECT 1 FROM revoked_delegations WHERE delegation_id = $1",
        )
        .bind(delegation_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(found.is_some())
    }

    async fn revoke_consent(
        &self,
        user_id: &str,
        client_id: &str,
        now: i64,
        keep_until: i64,
    ) -> Result<Withdrawn, StoreError> {
        let mut tx = self.begin_write().await?;
        let deleted = sqlx::query("DELETE FROM consents WHERE user_id = $1 AND client_id = $2")
            .bind(user_id)
            .bind(client_id)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        let delegations = revoke_of(&mut tx, user_id, Some(client_id), now, keep_until).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(Withdrawn {
            consent: deleted.rows_affected() == 1,
            delegations,
        })
    }

    async fn revoke_user_delegations(
        &self,
        user_id: &str,
        now: i64,
        keep_until: i64,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let revoked = revoke_of(&mut tx, user_id, None, now, keep_until).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(revoked)
    }
}

/// Revokes, inside the caller's transaction, every delegation of the user (to `client_id`, or to
/// anyone) that any record names: a code (a used one too: its tokens may be being minted right
/// now, and the revoked delegation is what catches them), a refresh token, a recorded access
/// token (JWTs included), or an approved device code its device has not polled for yet.
/// Returns how many were not revoked already.
async fn revoke_of(
    tx: &mut sqlx::Transaction<'_, super::Db>,
    user_id: &str,
    client_id: Option<&str>,
    now: i64,
    keep_until: i64,
) -> Result<u64, StoreError> {
    let delegations: Vec<String> = sqlx::query_scalar(
        "SELECT delegation_id FROM (\
         SELECT delegation_id FROM authorization_codes \
         WHERE user_id = $1 AND ($2 IS NULL OR client_id = $2) \
         UNION SELECT delegation_id FROM refresh_tokens \
         WHERE user_id = $1 AND ($2 IS NULL OR client_id = $2) \
         UNION SELECT delegation_id FROM access_tokens \
         WHERE subject = $1 AND ($2 IS NULL OR client_id = $2) AND delegation_id IS NOT NULL \
         UNION SELECT delegation_id FROM device_codes \
         WHERE user_id = $1 AND ($2 IS NULL OR client_id = $2) AND delegation_id IS NOT NULL\
         ) AS named WHERE NOT EXISTS (SELECT 1 FROM revoked_delegations r \
         WHERE r.delegation_id = named.delegation_id)",
    )
    .bind(user_id)
    .bind(client_id)
    .fetch_all(&mut **tx)
    .await
    .map_err(store_error)?;
    for id in &delegations {
        revoke(tx, id, now, keep_until).await?;
    }
    Ok(delegations.len() as u64)
}

/// [`DelegationStore::revoke_delegation`] inside a caller's transaction.
async fn revoke(
    tx: &mut sqlx::Transaction<'_, super::Db>,
    delegation_id: &str,
    now: i64,
    keep_until: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO revoked_delegations (delegation_id, expires_at) VALUES ($1, $2) \
         ON CONFLICT (delegation_id) DO NOTHING",
    )
    .bind(delegation_id)
    .bind(keep_until)
    .execute(&mut **tx)
    .await
    .map_err(store_error)?;
    // JWT access tokens cannot be changed, only listed as revoked by jti.
    sqlx::query(
        "INSERT INTO revoked_jtis (jti, expires_at) SELECT jti, expires_at \
         FROM access_tokens WHERE delegation_id = $1 ON CONFLICT (jti) DO NOTHING",
    )
    .bind(delegation_id)
    .execute(&mut **tx)
    .await
    .map_err(store_error)?;
    for sql in [
        "UPDATE refresh_tokens SET revoked_at = COALESCE(revoked_at, $2) \
         WHERE delegation_id = $1",
        "UPDATE access_tokens SET revoked_at = COALESCE(revoked_at, $2) \
         WHERE delegation_id = $1",
    ] {
        sqlx::query(sql)
            .bind(delegation_id)
            .bind(now)
            .execute(&mut **tx)
            .await
            .map_err(store_error)?;
    }
    Ok(())
}
