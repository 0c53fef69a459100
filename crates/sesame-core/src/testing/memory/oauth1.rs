use super::MemoryStore;
use crate::oauth1::{Oauth1Token, TokenKind, TokenStatus};
use crate::secret::SecretHash;
use crate::store::{Oauth1Store, StoreError};
use async_trait::async_trait;

#[async_trait]
impl Oauth1Store for MemoryStore {
    async fn put_oauth1_secret(&self, client_id: &str, sealed: &[u8]) -> Result<(), StoreError> {
        let mut t = self.tables();
        t.oauth1_secrets
            .insert(client_id.to_owned(), sealed.to_vec());
        Ok(())
    }

    async fn get_oauth1_secret(&self, client_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.tables().oauth1_secrets.get(client_id).cloned())
    }

    async fn delete_oauth1_secret(&self, client_id: &str) -> Result<(), StoreError> {
        self.tables().oauth1_secrets.remove(client_id);
        Ok(())
    }

    async fn insert_oauth1_token(&self, token: &Oauth1Token) -> Result<(), StoreError> {
        let mut t = self.tables();
        if t.oauth1_tokens.contains_key(&token.token) {
            return Err(StoreError::Backend("duplicate oauth1 token".into()));
        }
        t.oauth1_tokens.insert(token.token.clone(), token.clone());
        Ok(())
    }

    async fn find_oauth1_token(&self, token: &str) -> Result<Option<Oauth1Token>, StoreError> {
        Ok(self.tables().oauth1_tokens.get(token).cloned())
    }

    async fn answer_oauth1_token(
        &self,
        token: &str,
        status: TokenStatus,
        user_id: Option<&str>,
        verifier_hash: Option<&SecretHash>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut t = self.tables();
        Ok(match t.oauth1_tokens.get_mut(token) {
            Some(o)
                if o.kind == TokenKind::Temporary
                    && o.status == TokenStatus::Pending
                    && o.expires_at > now =>
            {
                o.status = status;
                o.user_id = user_id.map(str::to_owned);
                o.verifier_hash = verifier_hash.cloned();
                true
            }
            _ => false,
        })
    }

    async fn exchange_oauth1_token(
        &self,
        token: &str,
        client_id: &str,
        now: i64,
    ) -> Result<Option<Oauth1Token>, StoreError> {
        let mut t = self.tables();
        Ok(match t.oauth1_tokens.get_mut(token) {
            Some(o)
                if o.kind == TokenKind::Temporary
                    && o.status == TokenStatus::Authorized
                    && o.expires_at > now
                    && o.client_id == client_id =>
            {
                o.status = TokenStatus::Used;
                Some(o.clone())
            }
            _ => None,
        })
    }
}
