//! Token revocation (RFC 7009): a client says it no longer needs a token.

use crate::client_auth::authenticate_request;
use crate::error::TokenError;
use crate::params::Params;
use crate::provider::Provider;
use crate::secret::SecretHash;
use crate::token::delegated::REFRESH_PREFIX;
use crate::token::inspect::{TokenHandle, find_active_token};

pub async fn revoke(
    provider: &Provider,
    authorization: Option<&str>,
    mut params: Params,
) -> Result<(), TokenError> {
    // RFC 7009 §2.1: confidential clients authenticate; public clients name themselves.
    let client = authenticate_request(
        provider,
        authorization,
        &mut params,
        crate::endpoints::REVOKE,
    )
    .await?;
    let token = params.require("token")?;
    if token.starts_with(REFRESH_PREFIX) {
        return revoke_refresh_token(provider, &client.client_id, token).await;
    }
    // RFC 7009 §2.2: an invalid, unknown or already expired token is answered with 200 as well.
    let Some(known) = find_active_token(provider, token).await? else {
        return Ok(());
    };
    // RFC 7009 §2.1: the token must have been issued to the client asking.
    if known.claims.client_id != client.client_id {
        return Err(TokenError::unauthorized_client(
            "the token was not issued to this client",
        ));
    }
    match known.handle {
        TokenHandle::Opaque(hash) => {
            provider
                .store()
                .revoke_access_token(&hash, provider.now())
                .await?;
        }
        TokenHandle::Jwt => {
            provider
                .store()
                .revoke_jti(&known.claims.jti, known.claims.exp)
                .await?;
        }
    }
    Ok(())
}

/// RFC 7009 §2.1: revoking a refresh token also invalidates the access tokens of the same
/// grant; here the whole grant ends (every refresh and access token of the family).
async fn revoke_refresh_token(
    provider: &Provider,
    client_id: &str,
    token: &str,
) -> Result<(), TokenError> {
    let store = provider.store();
    let Some(found) = store.find_refresh_token(&SecretHash::of(token)).await? else {
        return Ok(());
    };
    if found.delegation.client_id != client_id {
        return Err(TokenError::unauthorized_client(
            "the token was not issued to this client",
        ));
    }
    crate::token::delegated::revoke(provider, &found.delegation.delegation_id).await?;
    Ok(())
}
