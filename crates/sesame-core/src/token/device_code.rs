//! The device code delegation (RFC 8628 §3.4, §3.5): the device polls until the user has answered.

use super::{TokenResponse, delegated};
use crate::client::Client;
use crate::device::{DeviceStatus, SLOW_DOWN_STEP};
use crate::error::{ErrorCode, TokenError};
use crate::params::Params;
use crate::provider::Provider;
use crate::secret::SecretHash;

pub async fn exchange(
    provider: &Provider,
    client: &Client,
    params: &Params,
) -> Result<TokenResponse, TokenError> {
    let hash = SecretHash::of(params.require("device_code")?);
    let now = provider.now();
    let store = provider.store();
    let invalid =
        || TokenError::invalid_grant("the device_code is invalid or was issued to another client");
    let code = store.find_device_code(&hash).await?.ok_or_else(invalid)?;
    if code.client_id != client.client_id {
        return Err(invalid());
    }
    if code.status == DeviceStatus::Redeemed {
        return Err(TokenError::invalid_grant(
            "the device_code was already used",
        ));
    }
    if code.expires_at <= now {
        return Err(TokenError::with_code(
            ErrorCode::ExpiredToken,
            "the device_code has expired; start again",
        ));
    }
    match code.status {
        DeviceStatus::Pending => {
            // RFC 8628 §3.5: polling faster than the interval earns slow_down and 5 s more.
            let too_fast = code.last_polled_at.is_some_and(|t| now - t < code.interval);
            let interval = if too_fast {
                code.interval + SLOW_DOWN_STEP
            } else {
                code.interval
            };
            store.poll_device_code(&hash, now, interval).await?;
            Err(if too_fast {
                TokenError::with_code(
                    ErrorCode::SlowDown,
                    format!("polling too fast; wait {interval} seconds between requests"),
                )
            } else {
                TokenError::with_code(
                    ErrorCode::AuthorizationPending,
                    "the user has not answered yet",
                )
            })
        }
        DeviceStatus::Denied => Err(TokenError::with_code(
            ErrorCode::AccessDenied,
            "the user denied the request",
        )),
        DeviceStatus::Redeemed => Err(TokenError::invalid_grant(
            "the device_code was already used",
        )),
        DeviceStatus::Approved => {
            // One atomic statement: of two racing polls (or nodes) one gets the tokens.
            let Some(approved) = store
                .redeem_device_code(&hash, &client.client_id, now)
                .await?
            else {
                return Err(TokenError::invalid_grant(
                    "the device_code was already used",
                ));
            };
            let delegation = approved.delegation.ok_or_else(|| {
                TokenError::server_error("an approved device code has no delegation")
            })?;
            let user = delegated::user_of(provider, &delegation).await?;
            delegated::issue(
                provider,
                client,
                &user,
                &delegation,
                &delegation.scope,
                None,
            )
            .await
        }
    }
}
