//! The device authorization grant (RFC 8628): a device without a browser shows a short code, the
//! user approves it on another device at `/device`, and the device polls `/token` meanwhile.

pub mod user_code;

use crate::client::GrantType;
use crate::client_auth::authenticate_request;
use crate::delegation::Delegation;
use crate::error::TokenError;
use crate::params::Params;
use crate::provider::Provider;
use crate::scope::Scopes;
use crate::secret::{SecretHash, random_token};
use crate::session::BrowserSession;
use crate::user::User;
use serde::{Deserialize, Serialize};

/// How long the user has to approve, in seconds (RFC 8628 §3.2 `expires_in`).
pub const DEVICE_CODE_TTL: i64 = 600;
/// The polling interval first given to the device, in seconds (RFC 8628 §3.2 `interval`).
pub const POLL_INTERVAL: i64 = 5;
/// RFC 8628 §3.5: each `slow_down` adds 5 seconds.
pub const SLOW_DOWN_STEP: i64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    Pending,
    Approved,
    Denied,
    Redeemed,
}

impl DeviceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Redeemed => "redeemed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Pending, Self::Approved, Self::Denied, Self::Redeemed]
            .into_iter()
            .find(|s| s.as_str() == value)
    }
}

/// A device authorization as stored: the device code only as its SHA-256.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceCode {
    pub device_code_hash: SecretHash,
    /// Normalised (8 letters, no dash).
    pub user_code: String,
    pub client_id: String,
    pub scope: Scopes,
    pub status: DeviceStatus,
    /// Set when the user approves.
    pub delegation: Option<Delegation>,
    pub interval: i64,
    pub last_polled_at: Option<i64>,
    pub expires_at: i64,
}

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
        "/device_authorization",
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
                verification_uri: settings.endpoint("/device"),
                verification_uri_complete: format!(
                    "{}?user_code={shown}",
                    settings.endpoint("/device")
                ),
                user_code: shown,
                expires_in: DEVICE_CODE_TTL,
                interval: POLL_INTERVAL,
            });
        }
    }
    Err(TokenError::server_error("no free user code after 5 draws"))
}

/// The live, undecided request a user code names; `None` for an unknown, expired or already
/// answered code (the page says so, and counts it as a wrong guess).
pub async fn find_pending(
    provider: &Provider,
    typed: &str,
) -> Result<Option<DeviceCode>, TokenError> {
    let Some(code) = user_code::normalize(typed) else {
        return Ok(None);
    };
    Ok(provider
        .store()
        .find_device_code_by_user_code(&code)
        .await?
        .filter(|d| d.status == DeviceStatus::Pending && d.expires_at > provider.now()))
}

/// The user's answer. `Ok(false)` when the code was answered meanwhile or has expired.
pub async fn decide(
    provider: &Provider,
    code: &DeviceCode,
    user: &User,
    session: &BrowserSession,
    allow: bool,
) -> Result<bool, TokenError> {
    let now = provider.now();
    let (status, delegation) = if allow {
        let delegation = Delegation {
            delegation_id: random_token(16),
            client_id: code.client_id.clone(),
            user_id: user.id.clone(),
            scope: code.scope.clone(),
            auth_time: session.auth_time,
            sid: Some(session.sid.clone()),
            claims: Default::default(),
        };
        (DeviceStatus::Approved, Some(delegation))
    } else {
        (DeviceStatus::Denied, None)
    };
    Ok(provider
        .store()
        .settle_device_code(&code.user_code, status, delegation.as_ref(), now)
        .await?)
}
