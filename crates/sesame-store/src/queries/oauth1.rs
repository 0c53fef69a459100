//! OAuth 1.0a (RFC 5849): consumer secrets and token secrets, sealed; temporary credentials are
//! answered once and exchanged once.

use super::SqlStore;
use crate::codec::{hash_bytes, optional_hash, parse};
use crate::errors::store_error;
use async_trait::async_trait;
use sesame_core::oauth1::{Oauth1Token, TokenKind, TokenStatus};
use sesame_core::secret::SecretHash;
use sesame_core::store::{Oauth1Store, StoreError};

macro_rules! columns {
    () => {
        "token, kind, client_id, sealed_secret, callback, verifier_hash, user_id, status, \
         expires_at"
    };
}

#[derive(sqlx::FromRow)]
struct Oauth1Row {
    token: String,
    kind: String,
    client_id: String,
    sealed_secret: Vec<u8>,
    callback: Option<String>,
    verifier_hash: Option<Vec<u8>>,
    user_id: Option<String>,
    status: String,
    expires_at: i64,
}

impl TryFrom<Oauth1Row> for Oauth1Token {
    type Error = StoreError;

    fn try_from(row: Oauth1Row) -> Result<Self, StoreError> {
        Ok(Oauth1Token {
            kind: parse("oauth1 token kind", &row.kind, TokenKind::parse)?,
            status: parse("oauth1 token status", &row.status, TokenStatus::parse)?,
            verifier_hash: optional_hash("oauth1 verifier_hash", row.verifier_hash)?,
            token: row.token,
            client_id: row.client_id,
            sealed_secret: row.sealed_secret,
            callback: row.callback,
            user_id: row.user_id,
            expires_at: row.expires_at,
        })
    }
}

#[async_trait]
impl Oauth1Store for SqlStore {
    async fn put_oauth1_secret(&self, client_id: &str, sealed: &[u8]) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO oauth1_secrets (client_id, sealed) VALUES ($1, $2) \
             ON CONFLICT (client_id) DO UPDATE SET sealed = excluded.sealed",
        )
        .bind(client_id)
        .bind(sealed.to_vec())
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn get_oauth1_secret(&self, client_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        sqlx::query_scalar("SELECT sealed FROM oauth1_secrets WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)
    }

    async fn delete_oauth1_secret(&self, client_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM oauth1_secrets WHERE client_id = $1")
            .bind(client_id)
            .execute(self.writes())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn insert_oauth1_token(&self, t: &Oauth1Token) -> Result<(), StoreError> {
        sqlx::query(concat!(
            "INSERT INTO oauth1_tokens (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(&t.token)
        .bind(t.kind.as_str())
        .bind(&t.client_id)
        .bind(&t.sealed_secret)
        .bind(&t.callback)
        .bind(t.verifier_hash.as_ref().map(hash_bytes))
        .bind(&t.user_id)
        .bind(t.status.as_str())
        .bind(t.expires_at)
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn find_oauth1_token(&self, token: &str) -> Result<Option<Oauth1Token>, StoreError> {
        sqlx::query_as::<_, Oauth1Row>(concat!(
            "SELECT ",
            columns!(),
            " FROM oauth1_tokens WHERE token = $1"
        ))
        .bind(token)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .map(Oauth1Token::try_from)
        .transpose()
    }

    async fn answer_oauth1_token(
        &self,
        token: &str,
        status: TokenStatus,
        user_id: Option<&str>,
        verifier_hash: Option<&SecretHash>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE oauth1_tokens SET status = $2, user_id = $3, verifier_hash = $4 \
             WHERE token = $1 AND kind = 'temporary' AND status = 'pending' AND expires_at > $5",
        )
        .bind(token)
        .bind(status.as_str())
        .bind(user_id)
        .bind(verifier_hash.map(hash_bytes))
        .bind(now)
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn exchange_oauth1_token(
        &self,
        token: &str,
        client_id: &str,
        now: i64,
    ) -> Result<Option<Oauth1Token>, StoreError> {
        sqlx::query_as::<_, Oauth1Row>(concat!(
            "UPDATE oauth1_tokens SET status = 'used' WHERE token = $1 AND client_id = $2 \
             AND kind = 'temporary' AND status = 'authorized' AND expires_at > $3 RETURNING ",
            columns!()
        ))
        .bind(token)
        .bind(client_id)
        .bind(now)
        .fetch_optional(self.writes())
        .await
        .map_err(store_error)?
        .map(Oauth1Token::try_from)
        .transpose()
    }
}
