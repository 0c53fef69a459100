//! Token introspection (RFC 7662): a resource server asks whether a token is active.

use crate::client_auth::authenticate_request;
use crate::error::TokenError;
use crate::params::Params;
use crate::provider::Provider;
use crate::token::AccessTokenClaims;
use crate::token::inspect::find_active_token;
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
    let client = authenticate_request(provider, authorization, &mut params, "/introspect").await?;
    // RFC 7662 §2.1: the caller must be authorized; a public client proves nothing.
    if client.is_public() {
        return Err(TokenError::invalid_client("client authentication failed")
            .with_cause("public clients may not introspect"));
    }
    let token = params.require("token")?;
    // token_type_hint (RFC 7662 §2.1) is only a hint: every kind of token is looked up anyway.
    Ok(match find_active_token(provider, token).await? {
        Some(known) => IntrospectionResponse {
            active: true,
            claims: Some(known.claims),
            token_type: Some("Bearer"),
        },
        None => IntrospectionResponse::inactive(),
    })
}
