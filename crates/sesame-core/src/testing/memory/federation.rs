use super::{MemoryStore, user_taken};
use crate::federation::{Connection, FederationState};
use crate::store::{FederationStore, StoreError};
use crate::user::User;
use async_trait::async_trait;

#[async_trait]
impl FederationStore for MemoryStore {
    async fn upsert_connection(
        &self,
        connection: &Connection,
        sealed_secret: &[u8],
    ) -> Result<(), StoreError> {
        let entry = (connection.clone(), sealed_secret.to_vec());
        self.tables()
            .connections
            .insert(connection.id.clone(), entry);
        Ok(())
    }

    async fn list_connections(&self) -> Result<Vec<Connection>, StoreError> {
        let t = self.tables();
        let mut v: Vec<Connection> = t.connections.values().map(|(c, _)| c.clone()).collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(v)
    }

    async fn get_connection(&self, id: &str) -> Result<Option<(Connection, Vec<u8>)>, StoreError> {
        Ok(self.tables().connections.get(id).cloned())
    }

    async fn delete_connection(&self, id: &str) -> Result<bool, StoreError> {
        let mut t = self.tables();
        t.links.retain(|(connection, _), _| connection != id);
        Ok(t.connections.remove(id).is_some())
    }

    async fn find_linked_user(
        &self,
        connection_id: &str,
        subject: &str,
    ) -> Result<Option<String>, StoreError> {
        let key = (connection_id.to_owned(), subject.to_owned());
        Ok(self.tables().links.get(&key).cloned())
    }

    async fn link_identity(
        &self,
        connection_id: &str,
        subject: &str,
        user_id: &str,
        _now: i64,
    ) -> Result<bool, StoreError> {
        let key = (connection_id.to_owned(), subject.to_owned());
        let mut t = self.tables();
        if t.links.contains_key(&key) {
            return Ok(false);
        }
        t.links.insert(key, user_id.to_owned());
        Ok(true)
    }

    async fn create_linked_user(
        &self,
        user: &User,
        connection_id: &str,
        subject: &str,
        _now: i64,
    ) -> Result<bool, StoreError> {
        let key = (connection_id.to_owned(), subject.to_owned());
        let mut t = self.tables();
        if user_taken(&t, user) || t.links.contains_key(&key) {
            return Ok(false);
        }
        t.users.insert(user.id.clone(), user.clone());
        t.links.insert(key, user.id.clone());
        Ok(true)
    }

    async fn list_linked_identities(
        &self,
        user_id: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let t = self.tables();
        let mut v: Vec<(String, String)> = t
            .links
            .iter()
            .filter(|(_, u)| *u == user_id)
            .map(|(k, _)| k.clone())
            .collect();
        v.sort();
        Ok(v)
    }

    async fn unlink_identity(
        &self,
        user_id: &str,
        connection_id: &str,
    ) -> Result<bool, StoreError> {
        let mut t = self.tables();
        let before = t.links.len();
        t.links
            .retain(|(c, _), u| !(u == user_id && c == connection_id));
        Ok(t.links.len() != before)
    }

    async fn insert_federation_state(&self, state: &FederationState) -> Result<(), StoreError> {
        let mut t = self.tables();
        if t.federation_states.contains_key(&state.state) {
            return Err(StoreError::Backend("duplicate federation state".into()));
        }
        t.federation_states
            .insert(state.state.clone(), state.clone());
        Ok(())
    }

    async fn take_federation_state(
        &self,
        state: &str,
    ) -> Result<Option<FederationState>, StoreError> {
        Ok(self.tables().federation_states.remove(state))
    }
}
