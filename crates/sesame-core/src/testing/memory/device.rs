use super::MemoryStore;
use crate::delegation::Delegation;
use crate::device::{DeviceCode, DeviceStatus};
use crate::secret::SecretHash;
use crate::store::{DeviceStore, StoreError};
use async_trait::async_trait;

#[async_trait]
impl DeviceStore for MemoryStore {
    async fn insert_device_code(&self, code: &DeviceCode) -> Result<bool, StoreError> {
        let mut t = self.tables();
        if t.device_codes
            .values()
            .any(|d| d.user_code == code.user_code)
        {
            return Ok(false);
        }
        if t.device_codes.contains_key(&code.device_code_hash.0) {
            return Err(StoreError::Backend("duplicate device code hash".into()));
        }
        t.device_codes.insert(code.device_code_hash.0, code.clone());
        Ok(true)
    }

    async fn find_device_code(&self, hash: &SecretHash) -> Result<Option<DeviceCode>, StoreError> {
        Ok(self.tables().device_codes.get(&hash.0).cloned())
    }

    async fn find_device_code_by_user_code(
        &self,
        user_code: &str,
    ) -> Result<Option<DeviceCode>, StoreError> {
        let t = self.tables();
        Ok(t.device_codes
            .values()
            .find(|d| d.user_code == user_code)
            .cloned())
    }

    async fn poll_device_code(
        &self,
        hash: &SecretHash,
        now: i64,
        interval: i64,
    ) -> Result<(), StoreError> {
        if let Some(d) = self.tables().device_codes.get_mut(&hash.0) {
            d.last_polled_at = Some(now);
            d.interval = interval;
        }
        Ok(())
    }

    async fn settle_device_code(
        &self,
        user_code: &str,
        status: DeviceStatus,
        delegation: Option<&Delegation>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut t = self.tables();
        let Some(d) = t.device_codes.values_mut().find(|d| {
            d.user_code == user_code && d.status == DeviceStatus::Pending && d.expires_at > now
        }) else {
            return Ok(false);
        };
        d.status = status;
        d.delegation = delegation.cloned();
        Ok(true)
    }

    async fn redeem_device_code(
        &self,
        hash: &SecretHash,
        client_id: &str,
        now: i64,
    ) -> Result<Option<DeviceCode>, StoreError> {
        let mut t = self.tables();
        Ok(match t.device_codes.get_mut(&hash.0) {
            Some(d)
                if d.status == DeviceStatus::Approved
                    && d.expires_at > now
                    && d.client_id == client_id =>
            {
                d.status = DeviceStatus::Redeemed;
                Some(d.clone())
            }
            _ => None,
        })
    }
}
