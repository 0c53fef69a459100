use super::MemoryStore;
use crate::mfa::Factor;
use crate::secret::SecretHash;
use crate::store::{FactorStore, StoreError};
use async_trait::async_trait;

#[async_trait]
impl FactorStore for MemoryStore {
    async fn list_factors(&self, user_id: &str) -> Result<Vec<Factor>, StoreError> {
        let t = self.tables();
        let mut v: Vec<Factor> = t
            .factors
            .iter()
            .filter(|f| f.user_id == user_id)
            .cloned()
            .collect();
        v.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(v)
    }

    async fn insert_factor(&self, factor: &Factor) -> Result<(), StoreError> {
        self.tables().factors.push(factor.clone());
        Ok(())
    }

    async fn delete_factor(&self, user_id: &str, id: &str) -> Result<bool, StoreError> {
        let mut t = self.tables();
        let before = t.factors.len();
        t.factors.retain(|f| !(f.user_id == user_id && f.id == id));
        Ok(t.factors.len() < before)
    }

    async fn spend_totp_step(
        &self,
        user_id: &str,
        id: &str,
        step: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut t = self.tables();
        let Some(f) = t
            .factors
            .iter_mut()
            .find(|f| f.user_id == user_id && f.id == id)
        else {
            return Ok(false);
        };
        if f.last_step.is_some_and(|last| last >= step) {
            return Ok(false);
        }
        f.last_step = Some(step);
        f.last_used_at = Some(now);
        Ok(true)
    }

    async fn replace_recovery_codes(
        &self,
        user_id: &str,
        codes: &[SecretHash],
        _now: i64,
    ) -> Result<(), StoreError> {
        let mut t = self.tables();
        t.recovery_codes.retain(|(user, _), _| user != user_id);
        for code in codes {
            t.recovery_codes.insert((user_id.to_owned(), code.0), None);
        }
        Ok(())
    }

    async fn spend_recovery_code(
        &self,
        user_id: &str,
        code: &SecretHash,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut t = self.tables();
        match t.recovery_codes.get_mut(&(user_id.to_owned(), code.0)) {
            Some(used) if used.is_none() => {
                *used = Some(now);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn unused_recovery_codes(&self, user_id: &str) -> Result<u64, StoreError> {
        let t = self.tables();
        Ok(t.recovery_codes
            .iter()
            .filter(|((user, _), used)| user == user_id && used.is_none())
            .count() as u64)
    }

    async fn find_passkey(&self, credential_id: &str) -> Result<Option<Factor>, StoreError> {
        let t = self.tables();
        Ok(t.factors
            .iter()
            .find(|f| f.credential_id.as_deref() == Some(credential_id))
            .cloned())
    }

    async fn insert_passkey(&self, factor: &Factor) -> Result<bool, StoreError> {
        let mut t = self.tables();
        if t.factors
            .iter()
            .any(|f| f.credential_id.is_some() && f.credential_id == factor.credential_id)
        {
            return Ok(false);
        }
        t.factors.push(factor.clone());
        Ok(true)
    }

    async fn update_passkey(
        &self,
        user_id: &str,
        id: &str,
        read: &[u8],
        record: &[u8],
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut t = self.tables();
        match t
            .factors
            .iter_mut()
            .find(|f| f.user_id == user_id && f.id == id && f.secret == read)
        {
            Some(f) => {
                f.secret = record.to_vec();
                f.last_used_at = Some(now);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn put_ceremony(&self, id: &str, state: &str, expires_at: i64) -> Result<(), StoreError> {
        self.tables()
            .ceremonies
            .insert(id.to_owned(), (state.to_owned(), expires_at));
        Ok(())
    }

    async fn take_ceremony(&self, id: &str, now: i64) -> Result<Option<String>, StoreError> {
        let taken = self.tables().ceremonies.remove(id);
        Ok(taken.filter(|(_, expires)| *expires > now).map(|(s, _)| s))
    }
}
