//! Token introspection (RFC 7662): a resource server asks whether a token is active.

use crate::client_auth::authenticate_request;
use crate::error::TokenError;
use crate::params::Params;
use crate::provider::Provider;
use crate::secret::SecretHash;
use crate::token::AccessTokenClaims;
use crate::token::delegated::REFRESH_PREFIX;
use crate::token::inspect::find_active_token;
use crate::user::active_user;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

/// RFC 7662 §2.2. Inactive tokens say only `{"active": false}`.
#[derive(Debug, Serialize, PartialEq)]
pub struct IntrospectionResponse {
    pub active: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub claims: Option<AccessTokenClaims>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
}

impl IntrospectionResponse {
    pub fn inactive() -> Self {
        Self {
            active: false,
            claims: None,
            token_type: None,
        }
    }
}

pub async fn introspect(
    provider: &Provider,
    authorization: Option<&str>,
    mut params: Params,
) -> Result<IntrospectionResponse, TokenError> {
    let client = authenticate_request(
        provider,
        authorization,
        &mut params,
        crate::endpoints::INTROSPECT,
    )
    .await?;
    // RFC 7662 §2.1: the caller must be authorized; a public client proves nothing.
    if client.is_public() {
        return Err(TokenError::invalid_client("client authentication failed")
            .with_cause("public clients may not introspect"));
    }
    let token = params.require("token")?;
    // token_type_hint (RFC 7662 §2.1) is only a hint: every kind of token is looked up anyway.
    if token.starts_with(REFRESH_PREFIX) {
        return refresh_token(provider, &client.client_id, token).await;
    }
    let Some(known) = find_active_token(provider, token).await? else {
        return Ok(IntrospectionResponse::inactive());
    };
    // A user's token stops being active when the user is disabled or deleted, as at UserInfo.
    if known.claims.sub != known.claims.client_id
        && !user_is_active(provider, &known.claims.sub).await?
    {
        return Ok(IntrospectionResponse::inactive());
    }
    Ok(IntrospectionResponse {
        active: true,
        claims: Some(known.claims),
        token_type: Some("Bearer"),
    })
}

async fn user_is_active(provider: &Provider, user_id: &str) -> Result<bool, TokenError> {
    Ok(active_user(provider.store(), user_id).await?.is_some())
}

/// A refresh token is described only to the client it was issued to (RFC 7662 §2.1 lets the
/// server decide who may see what); to anyone else it is inactive.
async fn refresh_token(
    provider: &Provider,
    client_id: &str,
    token: &str,
) -> Result<IntrospectionResponse, TokenError> {
    let hash = SecretHash::of(token);
    let Some(found) = provider.store().find_refresh_token(&hash).await? else {
        return Ok(IntrospectionResponse::inactive());
    };
    let delegation = &found.delegation;
    let live = found.used_at.is_none()
        && found.revoked_at.is_none()
        && found.expires_at > provider.now()
        && delegation.client_id == client_id
        && !provider
            .store()
            .is_delegation_revoked(&delegation.delegation_id)
            .await?
        && user_is_active(provider, &delegation.user_id).await?;
    if !live {
        return Ok(IntrospectionResponse::inactive());
    }
    Ok(IntrospectionResponse {
        active: true,
        claims: Some(AccessTokenClaims {
            iss: provider.settings().issuer.clone(),
            sub: delegation.user_id.clone(),
            aud: delegation.client_id.clone(),
            exp: found.expires_at,
            iat: found.issued_at,
            // Identifies this token without revealing it: its hash, shortened.
            jti: URL_SAFE_NO_PAD.encode(&hash.0[..12]),
            client_id: delegation.client_id.clone(),
            scope: delegation.scope.to_string(),
        }),
        token_type: Some("refresh_token"),
    })
}
