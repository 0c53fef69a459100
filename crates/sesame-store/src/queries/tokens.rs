//! Access tokens: opaque ones (and the JWTs of a delegation) by their SHA-256, and the `jti`s of
//! revoked JWTs until they would have expired.

use super::{Pool, SqlStore};
use crate::codec::{hash, hash_bytes, names, names_json, scope};
use crate::errors::store_error;
use async_trait::async_trait;
use sesame_core::secret::SecretHash;
use sesame_core::store::{OpaqueAccessToken, StoreError, TokenStore};

macro_rules! columns {
    () => {
        "token_hash, jti, client_id, subject, scope, audience, issued_at, expires_at, \
         revoked_at, delegation_id, userinfo_claims"
    };
}

#[derive(sqlx::FromRow)]
struct AccessTokenRow {
    token_hash: Vec<u8>,
    jti: String,
    client_id: String,
    subject: String,
    scope: String,
    audience: String,
    issued_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
    delegation_id: Option<String>,
    userinfo_claims: Option<String>,
}

impl TryFrom<AccessTokenRow> for OpaqueAccessToken {
    type Error = StoreError;

    fn try_from(row: AccessTokenRow) -> Result<Self, StoreError> {
        Ok(OpaqueAccessToken {
            token_hash: hash("access token_hash", row.token_hash)?,
            scope: scope(&row.scope)?,
            userinfo_claims: names("userinfo_claims", row.userinfo_claims)?,
            jti: row.jti,
            client_id: row.client_id,
            subject: row.subject,
            audience: row.audience,
            issued_at: row.issued_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
            delegation_id: row.delegation_id,
        })
    }
}

impl SqlStore {
    /// Inserts access tokens in one statement (SQLite batches concurrent issuance through it;
    /// PostgreSQL inserts one at a time).
    pub(crate) async fn insert_access_token_rows(
        pool: &Pool,
        tokens: &[OpaqueAccessToken],
    ) -> Result<(), StoreError> {
        let mut insert =
            sqlx::QueryBuilder::new(concat!("INSERT INTO access_tokens (", columns!(), ") "));
        insert.push_values(tokens, |mut row, t| {
            row.push_bind(hash_bytes(&t.token_hash))
                .push_bind(t.jti.clone())
                .push_bind(t.client_id.clone())
                .push_bind(t.subject.clone())
                .push_bind(t.scope.to_string())
                .push_bind(t.audience.clone())
                .push_bind(t.issued_at)
                .push_bind(t.expires_at)
                .push_bind(t.revoked_at)
                .push_bind(t.delegation_id.clone())
                .push_bind(names_json(&t.userinfo_claims));
        });
        insert.build().execute(pool).await.map_err(store_error)?;
        Ok(())
    }
}

#[async_trait]
impl TokenStore for SqlStore {
    async fn insert_access_token(&self, t: &OpaqueAccessToken) -> Result<(), StoreError> {
        self.store_access_token(t).await
    }

    async fn find_access_token(
        &self,
        token_hash: &SecretHash,
    ) -> Result<Option<OpaqueAccessToken>, StoreError> {
        sqlx::query_as::<_, AccessTokenRow>(concat!(
            "SELECT ",
            columns!(),
            " FROM access_tokens WHERE token_hash = $1"
        ))
        .bind(hash_bytes(token_hash))
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .map(OpaqueAccessToken::try_from)
        .transpose()
    }

    async fn revoke_access_token(
        &self,
        token_hash: &SecretHash,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE access_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE token_hash = $1",
        )
        .bind(hash_bytes(token_hash))
        .bind(now)
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn revoke_jti(&self, jti: &str, expires_at: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO revoked_jtis (jti, expires_at) VALUES ($1, $2) \
             ON CONFLICT (jti) DO NOTHING",
        )
        .bind(jti)
        .bind(expires_at)
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn is_jti_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        let found = sqlx::query_scalar::<_, i32>("SELECT 1 FROM revoked_jtis WHERE jti = $1")
            .bind(jti)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(found.is_some())
    }
}
