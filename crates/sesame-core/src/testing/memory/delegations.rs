use super::{MemoryStore, Tables};
use crate::delegation::{StoredCode, StoredRefreshToken};
use crate::secret::SecretHash;
use crate::store::{DelegationStore, StoreError, Withdrawn};
use async_trait::async_trait;

#[async_trait]
impl DelegationStore for MemoryStore {
    async fn insert_code(&self, code: &StoredCode) -> Result<(), StoreError> {
        let mut t = self.tables();
        if t.codes.contains_key(&code.code_hash.0) {
            return Err(StoreError::Backend("duplicate code hash".into()));
        }
        t.codes.insert(code.code_hash.0, code.clone());
        Ok(())
    }

    async fn find_code(&self, code_hash: &SecretHash) -> Result<Option<StoredCode>, StoreError> {
        Ok(self.tables().codes.get(&code_hash.0).cloned())
    }

    async fn consume_code(
        &self,
        code_hash: &SecretHash,
        client_id: &str,
        now: i64,
    ) -> Result<Option<StoredCode>, StoreError> {
        let mut t = self.tables();
        Ok(match t.codes.get_mut(&code_hash.0) {
            Some(c)
                if c.used_at.is_none()
                    && c.expires_at > now
                    && c.delegation.client_id == client_id =>
            {
                c.used_at = Some(now);
                Some(c.clone())
            }
            _ => None,
        })
    }

    async fn insert_refresh_token(&self, token: &StoredRefreshToken) -> Result<(), StoreError> {
        let mut t = self.tables();
        if t.refresh_tokens.contains_key(&token.token_hash.0) {
            return Err(StoreError::Backend("duplicate refresh token hash".into()));
        }
        t.refresh_tokens.insert(token.token_hash.0, token.clone());
        Ok(())
    }

    async fn find_refresh_token(
        &self,
        token_hash: &SecretHash,
    ) -> Result<Option<StoredRefreshToken>, StoreError> {
        Ok(self.tables().refresh_tokens.get(&token_hash.0).cloned())
    }

    async fn use_refresh_token(
        &self,
        token_hash: &SecretHash,
        client_id: &str,
        now: i64,
    ) -> Result<Option<StoredRefreshToken>, StoreError> {
        let mut t = self.tables();
        Ok(match t.refresh_tokens.get_mut(&token_hash.0) {
            Some(r)
                if r.used_at.is_none()
                    && r.revoked_at.is_none()
                    && r.expires_at > now
                    && r.delegation.client_id == client_id =>
            {
                r.used_at = Some(now);
                Some(r.clone())
            }
            _ => None,
        })
    }

    async fn revoke_delegation(
        &self,
        delegation_id: &str,
        now: i64,
        keep_until: i64,
    ) -> Result<(), StoreError> {
        revoke(&mut self.tables(), delegation_id, now, keep_until);
        Ok(())
    }

    async fn is_delegation_revoked(&self, delegation_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .tables()
            .revoked_delegations
            .contains_key(delegation_id))
    }

    async fn revoke_consent(
        &self,
        user_id: &str,
        client_id: &str,
        now: i64,
        keep_until: i64,
    ) -> Result<Withdrawn, StoreError> {
        let mut t = self.tables();
        let had = t
            .consents
            .remove(&(user_id.to_owned(), client_id.to_owned()))
            .is_some();
        let delegations = revoke_of(&mut t, user_id, Some(client_id), now, keep_until);
        Ok(Withdrawn {
            consent: had,
            delegations,
        })
    }

    async fn revoke_user_delegations(
        &self,
        user_id: &str,
        now: i64,
        keep_until: i64,
    ) -> Result<u64, StoreError> {
        Ok(revoke_of(
            &mut self.tables(),
            user_id,
            None,
            now,
            keep_until,
        ))
    }
}

/// Revokes every delegation of the user (to `client_id`, or to anyone) a record names and that
/// is not revoked already; returns how many.
fn revoke_of(
    t: &mut Tables,
    user_id: &str,
    client_id: Option<&str>,
    now: i64,
    keep_until: i64,
) -> u64 {
    let ours = |user: &str, client: &str| user == user_id && client_id.is_none_or(|c| c == client);
    let mut ids: Vec<String> = t
        .codes
        .values()
        .map(|c| &c.delegation)
        .chain(t.refresh_tokens.values().map(|r| &r.delegation))
        .chain(
            t.device_codes
                .values()
                .filter_map(|c| c.delegation.as_ref()),
        )
        .filter(|d| ours(&d.user_id, &d.client_id))
        .map(|d| d.delegation_id.clone())
        .collect();
    ids.extend(
        t.tokens
            .values()
            .filter(|a| ours(&a.subject, &a.client_id))
            .filter_map(|a| a.delegation_id.clone()),
    );
    ids.retain(|id| !t.revoked_delegations.contains_key(id));
    ids.sort();
    ids.dedup();
    for id in &ids {
        revoke(t, id, now, keep_until);
    }
    ids.len() as u64
}

fn revoke(t: &mut Tables, delegation_id: &str, now: i64, keep_until: i64) {
    t.revoked_delegations
        .entry(delegation_id.to_owned())
        .or_insert(keep_until);
    for r in t.refresh_tokens.values_mut() {
        if r.delegation.delegation_id == delegation_id {
            r.revoked_at.get_or_insert(now);
        }
    }
    let mut jtis = Vec::new();
    for a in t.tokens.values_mut() {
        if a.delegation_id.as_deref() == Some(delegation_id) {
            a.revoked_at.get_or_insert(now);
            jtis.push((a.jti.clone(), a.expires_at));
        }
    }
    for (jti, expires_at) in jtis {
        t.revoked_jtis.entry(jti).or_insert(expires_at);
    }
}
