use super::{MemoryStore, Tables, next_updated_at};
use crate::client::Client;
use crate::store::{ClientStore, StoreError};
use async_trait::async_trait;

#[async_trait]
impl ClientStore for MemoryStore {
    async fn get_client(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        Ok(self.tables().clients.get(client_id).cloned())
    }

    async fn list_clients(&self) -> Result<Vec<Client>, StoreError> {
        let mut v: Vec<Client> = self.tables().clients.values().cloned().collect();
        v.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        Ok(v)
    }

    async fn insert_client(&self, client: &Client) -> Result<bool, StoreError> {
        let mut t = self.tables();
        if t.clients.contains_key(&client.client_id) {
            return Ok(false);
        }
        t.clients.insert(client.client_id.clone(), client.clone());
        Ok(true)
    }

    async fn upsert_client(&self, client: &Client) -> Result<(), StoreError> {
        let mut t = self.tables();
        let mut kept = client.clone();
        // An upsert replaces the metadata and secret; the row keeps when it was created.
        if let Some(c) = t.clients.get(&client.client_id) {
            kept.created_at = c.created_at;
            kept.updated_at = next_updated_at(client.updated_at, c.updated_at);
        }
        t.clients.insert(client.client_id.clone(), kept);
        Ok(())
    }

    async fn update_client(&self, client: &Client) -> Result<bool, StoreError> {
        Ok(replace(&mut self.tables(), client, None))
    }

    async fn replace_client(&self, client: &Client, read_at: i64) -> Result<bool, StoreError> {
        Ok(replace(&mut self.tables(), client, Some(read_at)))
    }

    async fn delete_client(&self, client_id: &str) -> Result<bool, StoreError> {
        let mut t = self.tables();
        let jtis: Vec<(String, i64)> = t
            .tokens
            .values()
            .filter(|a| a.client_id == client_id)
            .map(|a| (a.jti.clone(), a.expires_at))
            .collect();
        for (jti, expires_at) in jtis {
            t.revoked_jtis.entry(jti).or_insert(expires_at);
        }
        t.tokens.retain(|_, a| a.client_id != client_id);
        t.codes.retain(|_, c| c.delegation.client_id != client_id);
        t.refresh_tokens
            .retain(|_, r| r.delegation.client_id != client_id);
        t.device_codes.retain(|_, d| d.client_id != client_id);
        t.consents.retain(|(_, c), _| c != client_id);
        t.oauth1_secrets.remove(client_id);
        t.oauth1_tokens.retain(|_, o| o.client_id != client_id);
        Ok(t.clients.remove(client_id).is_some())
    }
}

/// Replaces a stored client (only if its `updated_at` is still `read_at`, when given), keeping
/// when it was created.
fn replace(t: &mut Tables, client: &Client, read_at: Option<i64>) -> bool {
    let Some(c) = t.clients.get_mut(&client.client_id) else {
        return false;
    };
    if read_at.is_some_and(|r| r != c.updated_at) {
        return false;
    }
    let (created_at, stored) = (c.created_at, c.updated_at);
    *c = client.clone();
    c.created_at = created_at;
    c.updated_at = next_updated_at(client.updated_at, stored);
    true
}
