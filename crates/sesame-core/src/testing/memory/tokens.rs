use super::MemoryStore;
use crate::secret::SecretHash;
use crate::store::{OpaqueAccessToken, StoreError, TokenStore};
use async_trait::async_trait;

#[async_trait]
impl TokenStore for MemoryStore {
    async fn insert_access_token(&self, token: &OpaqueAccessToken) -> Result<(), StoreError> {
        let mut t = self.tables();
        if t.tokens.contains_key(&token.token_hash.0) {
            return Err(StoreError::Backend("duplicate access token hash".into()));
        }
        t.tokens.insert(token.token_hash.0, token.clone());
        Ok(())
    }

    async fn find_access_token(
        &self,
        token_hash: &SecretHash,
    ) -> Result<Option<OpaqueAccessToken>, StoreError> {
        Ok(self.tables().tokens.get(&token_hash.0).cloned())
    }

    async fn revoke_access_token(
        &self,
        token_hash: &SecretHash,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut t = self.tables();
        let Some(token) = t.tokens.get_mut(&token_hash.0) else {
            return Ok(false);
        };
        token.revoked_at.get_or_insert(now);
        Ok(true)
    }

    async fn revoke_jti(&self, jti: &str, expires_at: i64) -> Result<(), StoreError> {
        let mut t = self.tables();
        t.revoked_jtis.entry(jti.to_owned()).or_insert(expires_at);
        Ok(())
    }

    async fn is_jti_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        Ok(self.tables().revoked_jtis.contains_key(jti))
    }
}
