//! Device authorizations (RFC 8628): the device code by its hash, the user code normalised;
//! settling and redeeming are each one conditional statement.

use super::SqlStore;
use crate::codec::{from_json, hash, hash_bytes, parse, scope, to_json};
use crate::errors::store_error;
use async_trait::async_trait;
use sesame_core::delegation::Delegation;
use sesame_core::device::{DeviceCode, DeviceStatus};
use sesame_core::secret::SecretHash;
use sesame_core::store::{DeviceStore, StoreError};

macro_rules! columns {
    () => {
        "device_code_hash, user_code, client_id, scope, status, delegation, poll_interval, \
         last_polled_at, expires_at"
    };
}

#[derive(sqlx::FromRow)]
struct DeviceRow {
    device_code_hash: Vec<u8>,
    user_code: String,
    client_id: String,
    scope: String,
    status: String,
    delegation: Option<String>,
    poll_interval: i64,
    last_polled_at: Option<i64>,
    expires_at: i64,
}

impl TryFrom<DeviceRow> for DeviceCode {
    type Error = StoreError;

    fn try_from(row: DeviceRow) -> Result<Self, StoreError> {
        Ok(DeviceCode {
            device_code_hash: hash("device_code_hash", row.device_code_hash)?,
            scope: scope(&row.scope)?,
            status: parse("device status", &row.status, DeviceStatus::parse)?,
            delegation: row
                .delegation
                .map(|d| from_json("delegation", &d))
                .transpose()?,
            user_code: row.user_code,
            client_id: row.client_id,
            interval: row.poll_interval,
            last_polled_at: row.last_polled_at,
            expires_at: row.expires_at,
        })
    }
}

fn delegation_json(delegation: Option<&Delegation>) -> Result<Option<String>, StoreError> {
    delegation.map(|d| to_json("delegation", d)).transpose()
}

#[async_trait]
impl DeviceStore for SqlStore {
    async fn insert_device_code(&self, d: &DeviceCode) -> Result<bool, StoreError> {
        let done = sqlx::query(concat!(
            "INSERT INTO device_codes (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (user_code) DO NOTHING"
        ))
        .bind(hash_bytes(&d.device_code_hash))
        .bind(&d.user_code)
        .bind(&d.client_id)
        .bind(d.scope.to_string())
        .bind(d.status.as_str())
        .bind(delegation_json(d.delegation.as_ref())?)
        .bind(d.interval)
        .bind(d.last_polled_at)
        .bind(d.expires_at)
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn find_device_code(&self, h: &SecretHash) -> Result<Option<DeviceCode>, StoreError> {
        sqlx::query_as::<_, DeviceRow>(concat!(
            "SELECT ",
            columns!(),
            " FROM device_codes WHERE device_code_hash = $1"
        ))
        .bind(hash_bytes(h))
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .map(DeviceCode::try_from)
        .transpose()
    }

    async fn find_device_code_by_user_code(
        &self,
        user_code: &str,
    ) -> Result<Option<DeviceCode>, StoreError> {
        sqlx::query_as::<_, DeviceRow>(concat!(
            "SELECT ",
            columns!(),
            " FROM device_codes WHERE user_code = $1"
        ))
        .bind(user_code)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .map(DeviceCode::try_from)
        .transpose()
    }

    async fn poll_device_code(
        &self,
        h: &SecretHash,
        now: i64,
        interval: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE device_codes SET last_polled_at = $2, poll_interval = $3 \
             WHERE device_code_hash = $1",
        )
        .bind(hash_bytes(h))
        .bind(now)
        .bind(interval)
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn settle_device_code(
        &self,
        user_code: &str,
        status: DeviceStatus,
        delegation: Option<&Delegation>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE device_codes SET status = $2, delegation = $3, user_id = $5, \
             delegation_id = $6 WHERE user_code = $1 AND status = 'pending' AND expires_at > $4",
        )
        .bind(user_code)
        .bind(status.as_str())
        .bind(delegation_json(delegation)?)
        .bind(now)
        .bind(delegation.map(|d| d.user_id.as_str()))
        .bind(delegation.map(|d| d.delegation_id.as_str()))
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn redeem_device_code(
        &self,
        h: &SecretHash,
        client_id: &str,
        now: i64,
    ) -> Result<Option<DeviceCode>, StoreError> {
        sqlx::query_as::<_, DeviceRow>(concat!(
            "UPDATE device_codes SET status = 'redeemed' WHERE device_code_hash = $1 \
             AND client_id = $2 AND status = 'approved' AND expires_at > $3 RETURNING ",
            columns!()
        ))
        .bind(hash_bytes(h))
        .bind(client_id)
        .bind(now)
        .fetch_optional(self.writes())
        .await
        .map_err(store_error)?
        .map(DeviceCode::try_from)
        .transpose()
    }
}
