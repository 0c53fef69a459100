use super::MemoryStore;
use crate::store::{ReplayStore, StoreError};
use async_trait::async_trait;

#[async_trait]
impl ReplayStore for MemoryStore {
    async fn record_assertion_jti(
        &self,
        client_id: &str,
        jti: &str,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let key = (client_id.to_owned(), jti.to_owned());
        let mut t = self.tables();
        if t.assertion_jtis.contains_key(&key) {
            return Ok(false);
        }
        t.assertion_jtis.insert(key, expires_at);
        Ok(true)
    }
}
