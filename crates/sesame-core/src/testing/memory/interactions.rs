use super::MemoryStore;
use crate::authorize::pending::PendingAuthorization;
use crate::scope::Scopes;
use crate::secret::SecretHash;
use crate::session::BrowserSession;
use crate::store::{Consent, InteractionStore, StoreError};
use async_trait::async_trait;

#[async_trait]
impl InteractionStore for MemoryStore {
    async fn insert_session(
        &self,
        id_hash: &SecretHash,
        session: &BrowserSession,
    ) -> Result<(), StoreError> {
        let mut t = self.tables();
        if t.sessions.contains_key(&id_hash.0) {
            return Err(StoreError::Backend("duplicate session id".into()));
        }
        t.sessions.insert(id_hash.0, session.clone());
        Ok(())
    }

    async fn get_session(
        &self,
        id_hash: &SecretHash,
    ) -> Result<Option<BrowserSession>, StoreError> {
        Ok(self.tables().sessions.get(&id_hash.0).cloned())
    }

    async fn delete_session(&self, id_hash: &SecretHash) -> Result<(), StoreError> {
        self.tables().sessions.remove(&id_hash.0);
        Ok(())
    }

    async fn insert_pending(&self, pending: &PendingAuthorization) -> Result<(), StoreError> {
        let mut t = self.tables();
        if t.pending.contains_key(&pending.id) {
            return Err(StoreError::Backend(
                "duplicate pending authorization id".into(),
            ));
        }
        t.pending.insert(pending.id.clone(), pending.clone());
        Ok(())
    }

    async fn get_pending(&self, id: &str) -> Result<Option<PendingAuthorization>, StoreError> {
        Ok(self.tables().pending.get(id).cloned())
    }

    async fn update_pending(&self, pending: &PendingAuthorization) -> Result<bool, StoreError> {
        let mut t = self.tables();
        let Some(p) = t.pending.get_mut(&pending.id) else {
            return Ok(false);
        };
        *p = pending.clone();
        Ok(true)
    }

    async fn take_pending(&self, id: &str) -> Result<Option<PendingAuthorization>, StoreError> {
        Ok(self.tables().pending.remove(id))
    }

    async fn get_consent(
        &self,
        user_id: &str,
        client_id: &str,
    ) -> Result<Option<Scopes>, StoreError> {
        let key = (user_id.to_owned(), client_id.to_owned());
        Ok(self.tables().consents.get(&key).map(|(s, _)| s.clone()))
    }

    async fn put_consent(
        &self,
        user_id: &str,
        client_id: &str,
        scope: &Scopes,
        now: i64,
    ) -> Result<(), StoreError> {
        let key = (user_id.to_owned(), client_id.to_owned());
        self.tables().consents.insert(key, (scope.clone(), now));
        Ok(())
    }

    async fn list_consents(&self, user_id: &str) -> Result<Vec<Consent>, StoreError> {
        let mut v: Vec<Consent> = self
            .tables()
            .consents
            .iter()
            .filter(|((u, _), _)| u == user_id)
            .map(|((_, c), (scope, at))| Consent {
                client_id: c.clone(),
                scope: scope.clone(),
                granted_at: *at,
            })
            .collect();
        v.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        Ok(v)
    }

    async fn list_sessions(
        &self,
        user_id: &str,
        now: i64,
    ) -> Result<Vec<BrowserSession>, StoreError> {
        let mut v: Vec<BrowserSession> = self
            .tables()
            .sessions
            .values()
            .filter(|s| s.user_id == user_id && s.expires_at > now)
            .cloned()
            .collect();
        v.sort_by(|a, b| b.auth_time.cmp(&a.auth_time).then(a.sid.cmp(&b.sid)));
        Ok(v)
    }

    async fn delete_sessions(&self, user_id: &str, sid: Option<&str>) -> Result<u64, StoreError> {
        let mut t = self.tables();
        let before = t.sessions.len();
        t.sessions
            .retain(|_, s| !(s.user_id == user_id && sid.is_none_or(|sid| s.sid == sid)));
        Ok((before - t.sessions.len()) as u64)
    }
}
