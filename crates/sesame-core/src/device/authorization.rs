//! The device authorization endpoint (RFC 8628 §3.1, §3.2): a device asks for a device code
//! and a user code to show.

use super::{DEVICE_CODE_TTL, DeviceCode, DeviceStatus, POLL_INTERVAL, user_code};
use crate::client::GrantType;
use crate::client_auth::{Caller, authenticate_request};
use crate::error::TokenError;
use crate::params::Params;
use crate::provider::Provider;
use crate::secret::{SecretHash, random_token};
use serde::Serialize;

/// RFC 8628 §3.2.
#[derive(Debug, Serialize)]
pub struct DeviceAuthorizationResponse {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// `POST /device_authorization` (RFC 8628 §3.1).
pub async fn authorize(
    provider: &Provider,
    caller: Caller<'_>,
    mut params: Params,
) -> Result<DeviceAuthorizationResponse, TokenError> {
    // Confidential clients authenticate as at the token endpoint; public ones send client_id.
    let client = authenticate_request(
        provider,
        caller,
        &mut params,
        crate::endpoints::DEVICE_AUTHORIZATION,
    )
    .await?;
    if !client.allows_grant(GrantType::DeviceCode) {
        return Err(TokenError::unauthorized_client(
            "the client is not allowed the device_code grant",
        ));
    }
    let scope = client.scope_within(params.get("scope"))?;
    let now = provider.now();
    let device_code = format!("sdc_{}", random_token(32));
    // A fresh user code; on the rare collision with a live one, draw again.
    for _ in 0..5 {
        let code = user_code::generate().map_err(TokenError::server_error)?;
        let record = DeviceCode {
            device_code_hash: SecretHash::of(&device_code),
            user_code: code.clone(),
            client_id: client.client_id.clone(),
            scope: scope.clone(),
            status: DeviceStatus::Pending,
            delegation: None,
            interval: POLL_INTERVAL,
            last_polled_at: None,
            expires_at: now + DEVICE_CODE_TTL,
        };
        if provider.store().insert_device_code(&record).await? {
            let settings = provider.settings();
            let shown = user_code::display(&code);
            return Ok(DeviceAuthorizationResponse {
                device_code,
                verification_uri: settings.endpoint(crate::endpoints::DEVICE),
                verification_uri_complete: format!(
                    "{}?user_code={shown}",
                    settings.endpoint(crate::endpoints::DEVICE)
                ),
                user_code: shown,
                expires_in: DEVICE_CODE_TTL,
                interval: POLL_INTERVAL,
            });
        }
    }
    Err(TokenError::server_error("no free user code after 5 draws"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use crate::store::{ClientStore, DeviceStore};
    use crate::testing::{self, basic, form, register, rejected};

    #[tokio::test]
    async fn rfc8628_3_2_the_answer_carries_both_codes_the_verification_uris_and_the_interval() {
        let (p, store, _) = testing::provider().await;
        let tv = register(&store, "tv", true).await.unwrap();
        let r = authorize(
            &p,
            testing::caller(Some(&basic("tv", &tv))),
            form("scope=openid"),
        )
        .await
        .unwrap();
        assert!(r.device_code.starts_with("sdc_"));
        assert_eq!(r.user_code.len(), 9, "XXXX-XXXX: {}", r.user_code);
        assert_eq!(r.verification_uri, "https://id.test/device");
        assert_eq!(
            r.verification_uri_complete,
            format!("https://id.test/device?user_code={}", r.user_code)
        );
        assert_eq!((r.expires_in, r.interval), (DEVICE_CODE_TTL, POLL_INTERVAL));
        let stored = store
            .find_device_code(&SecretHash::of(&r.device_code))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.status, DeviceStatus::Pending);
    }

    #[tokio::test]
    async fn rfc8628_3_1_a_public_client_starts_with_its_client_id() {
        let (p, store, _) = testing::provider().await;
        register(&store, "cli", false).await;
        assert!(
            authorize(&p, testing::caller(None), form("client_id=cli"))
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn rfc6749_5_2_a_client_without_the_device_grant_is_unauthorized_client() {
        let (p, store, _) = testing::provider().await;
        let tv = register(&store, "tv", true).await.unwrap();
        let mut client = store.get_client("tv").await.unwrap().unwrap();
        client
            .metadata
            .grant_types
            .retain(|g| *g != GrantType::DeviceCode);
        store.update_client(&client).await.unwrap();
        let r = authorize(
            &p,
            testing::caller(Some(&basic("tv", &tv))),
            form("scope=openid"),
        )
        .await;
        rejected(r, ErrorCode::UnauthorizedClient, "device_code");
    }

    #[tokio::test]
    async fn rfc6749_3_3_a_scope_beyond_the_clients_is_invalid_scope() {
        let (p, store, _) = testing::provider().await;
        let tv = register(&store, "tv", true).await.unwrap();
        let r = authorize(
            &p,
            testing::caller(Some(&basic("tv", &tv))),
            form("scope=admin"),
        )
        .await;
        rejected(r, ErrorCode::InvalidScope, "admin");
    }
}
