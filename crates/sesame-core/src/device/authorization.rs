//! The device authorization endpoint (RFC 8628 §3.1, §3.2): a device asks for a device code
//! and a user code to show.

use super::{DEVICE_CODE_TTL, DeviceCode, DeviceStatus, POLL_INTERVAL, user_code};
use crate::client::GrantType;
use crate::client_auth::authenticate_request;
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
    authorization: Option<&str>,
    mut params: Params,
) -> Result<DeviceAuthorizationResponse, TokenError> {
    // Confidential clients authenticate as at the token endpoint; public ones send client_id.
    let client = authenticate_request(
        provider,
        authorization,
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
