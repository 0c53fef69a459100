//! The token endpoint (RFC 6749 §3.2): authenticate the client, then one grant per module.

mod access_token;
pub mod authorization_code;
pub mod client_credentials;
pub mod delegated;
pub mod device_code;
pub mod inspect;
pub mod password;
pub mod refresh_token;

pub use access_token::{AccessTokenClaims, IssuedAccessToken, OPAQUE_PREFIX, issue_access_token};

use crate::client::GrantType;
use crate::client_auth::{Caller, authenticate_request};
use crate::error::TokenError;
use crate::params::Params;
use crate::provider::Provider;
use serde::Serialize;

/// The grants this token endpoint serves; any other `grant_type` is `unsupported_grant_type`.
pub const SUPPORTED_GRANTS: [GrantType; 5] = [
    GrantType::AuthorizationCode,
    GrantType::RefreshToken,
    GrantType::ClientCredentials,
    GrantType::DeviceCode,
    GrantType::Password,
];

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    /// Always sent, so the client never has to guess what it was granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

/// Handles a token request end to end; returns the response and the grant that produced it.
pub async fn exchange(
    provider: &Provider,
    caller: Caller<'_>,
    mut params: Params,
) -> Result<(TokenResponse, GrantType), TokenError> {
    let client =
        authenticate_request(provider, caller, &mut params, crate::endpoints::TOKEN).await?;
    let grant_type = params.require("grant_type")?;
    let grant = GrantType::parse(grant_type)
        .filter(|g| SUPPORTED_GRANTS.contains(g))
        .ok_or_else(|| TokenError::unsupported_grant_type("this grant_type is not supported"))?;
    // RFC 6749 §5.2: the client is authenticated but not allowed this grant.
    if !client.allows_grant(grant) {
        return Err(TokenError::unauthorized_client(format!(
            "the client is not allowed the {grant} grant"
        )));
    }

    let response = match grant {
        GrantType::ClientCredentials => {
            client_credentials::exchange(provider, &client, &params).await?
        }
        GrantType::AuthorizationCode => {
            authorization_code::exchange(provider, &client, &params).await?
        }
        GrantType::RefreshToken => refresh_token::exchange(provider, &client, &params).await?,
        GrantType::DeviceCode => device_code::exchange(provider, &client, &params).await?,
        GrantType::Password => {
            password::exchange(provider, &client, &params, caller.address).await?
        }
        other => {
            return Err(TokenError::unsupported_grant_type(format!(
                "{other} is not supported"
            )));
        }
    };
    Ok((response, grant))
}

#[cfg(test)]
mod tests;
