use super::MemoryStore;
use crate::keys::StoredKey;
use crate::store::{KeyStore, StoreError};
use async_trait::async_trait;

#[async_trait]
impl KeyStore for MemoryStore {
    async fn list_signing_keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        let mut keys = self.tables().keys.clone();
        keys.sort_by(|a, b| (a.created_at, &a.kid).cmp(&(b.created_at, &b.kid)));
        Ok(keys)
    }

    async fn insert_signing_key(&self, key: &StoredKey) -> Result<bool, StoreError> {
        let mut t = self.tables();
        if t.keys.iter().any(|k| k.kid == key.kid) {
            return Err(StoreError::Backend("duplicate kid".into()));
        }
        if key.is_latest() && t.keys.iter().any(|k| k.alg == key.alg && k.is_latest()) {
            return Ok(false);
        }
        t.keys.push(key.clone());
        Ok(true)
    }

    async fn rotate_signing_keys(
        &self,
        new_keys: &[StoredKey],
        retired_at: i64,
        publish_until: i64,
    ) -> Result<(), StoreError> {
        let mut t = self.tables();
        // All or nothing, as in the one SQL transaction.
        if new_keys
            .iter()
            .any(|n| t.keys.iter().any(|k| k.kid == n.kid))
        {
            return Err(StoreError::Backend("a new key's kid is taken".into()));
        }
        for k in t.keys.iter_mut() {
            if k.retired_at.is_none() && new_keys.iter().any(|n| n.alg == k.alg) {
                k.retired_at = Some(retired_at);
                k.publish_until = Some(publish_until);
            }
        }
        t.keys.extend(new_keys.iter().cloned());
        Ok(())
    }

    async fn server_secret(&self, name: &str, candidate: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut t = self.tables();
        let value = t
            .server_secrets
            .entry(name.to_owned())
            .or_insert_with(|| candidate.to_vec());
        Ok(value.clone())
    }
}
