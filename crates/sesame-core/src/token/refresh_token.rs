//! The refresh token grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2).

use super::{TokenResponse, delegated};
use crate::client::Client;
use crate::delegation::StoredRefreshToken;
use crate::error::TokenError;
use crate::params::Params;
use crate::provider::Provider;
use crate::scope::Scopes;
use crate::secret::SecretHash;

pub async fn exchange(
    provider: &Provider,
    client: &Client,
    params: &Params,
) -> Result<TokenResponse, TokenError> {
    let token = params.require("refresh_token")?;
    let hash = SecretHash::of(token);
    let now = provider.now();
    let store = provider.store();

    let invalid = || {
        TokenError::invalid_grant(
            "the refresh token is invalid, expired, revoked, or was issued to another client",
        )
    };
    let current = store.find_refresh_token(&hash).await?.ok_or_else(invalid)?;
    if current.delegation.client_id != client.client_id
        || current.revoked_at.is_some()
        || current.expires_at <= now
    {
        return Err(invalid());
    }
    if current.used_at.is_some() {
        return Err(reused(provider, &current).await?);
    }
    // RFC 6749 §6: the scope may only narrow. Checked before the token is spent.
    let scope = narrowed_scope(&current.delegation.scope, params.get("scope"))?;
    let user = delegated::user_of(provider, &current.delegation).await?;
    // Rotation is one atomic statement: of two racing uses one wins, the other is reuse.
    if store
        .use_refresh_token(&hash, &client.client_id, now)
        .await?
        .is_none()
    {
        return Err(reused(provider, &current).await?);
    }
    delegated::issue(provider, client, &user, &current.delegation, &scope, None).await
}

/// A rotated token came back: someone holds a copy. The whole family ends.
async fn reused(provider: &Provider, token: &StoredRefreshToken) -> Result<TokenError, TokenError> {
    delegated::revoke(provider, &token.delegation.delegation_id).await?;
    Ok(TokenError::invalid_grant(
        "the refresh token was already used; every token of its grant is revoked",
    ))
}

fn narrowed_scope(granted: &Scopes, requested: Option<&str>) -> Result<Scopes, TokenError> {
    let Some(requested) = requested else {
        return Ok(granted.clone());
    };
    let requested = Scopes::parse(requested)?;
    if let Some(outside) = requested.first_outside(granted) {
        let shown: String = outside.chars().take(64).collect();
        return Err(TokenError::invalid_scope(format!(
            "the scope {shown} was not granted; a refresh can only narrow the scope"
        )));
    }
    Ok(requested)
}
