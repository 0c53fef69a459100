//! The client credentials grant (RFC 6749 §4.4): a confidential client gets a token for itself.

use super::{TokenResponse, issue_access_token};
use crate::client::Client;
use crate::error::TokenError;
use crate::params::Params;
use crate::provider::Provider;
use crate::scope::{Scopes, USER_SCOPES};

pub async fn exchange(
    provider: &Provider,
    client: &Client,
    params: &Params,
) -> Result<TokenResponse, TokenError> {
    // RFC 6749 §4.4: only confidential clients may use this grant.
    if client.is_public() {
        return Err(TokenError::unauthorized_client(
            "client_credentials needs a confidential client",
        ));
    }
    let scope = granted_scope(client, params.get("scope"))?;
    // RFC 9068 §2.2: with no resource owner, the subject is the client itself.
    let issued = issue_access_token(provider, client, &client.client_id, &scope, None).await?;
    // RFC 6749 §4.4.3: no refresh token for this grant.
    Ok(TokenResponse {
        access_token: issued.token,
        token_type: "Bearer",
        expires_in: issued.expires_in,
        scope: Some(scope.to_string()),
        refresh_token: None,
        id_token: None,
    })
}

/// RFC 6749 §3.3: the requested scope must lie within the client's; when none is requested, the
/// client's registered scope is the default. Scopes about a user mean nothing without one.
fn granted_scope(client: &Client, requested: Option<&str>) -> Result<Scopes, TokenError> {
    let allowed = client.metadata.scope.without(&USER_SCOPES);
    let Some(requested) = requested else {
        return Ok(allowed);
    };
    let requested = Scopes::parse(requested)?;
    if let Some(user_scope) = requested.iter().find(|s| USER_SCOPES.contains(s)) {
        return Err(TokenError::invalid_scope(format!(
            "{user_scope} needs a user and cannot be granted to a client alone"
        )));
    }
    if let Some(outside) = requested.first_outside(&allowed) {
        let shown: String = outside.chars().take(64).collect();
        return Err(TokenError::invalid_scope(format!(
            "the client may not request the scope {shown}"
        )));
    }
    Ok(requested)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ClientMetadata;
    use crate::error::ErrorCode;

    fn client(scope: &str) -> Client {
        Client {
            client_id: "svc".into(),
            secret_hash: None,
            metadata: ClientMetadata {
                scope: Scopes::parse(scope).unwrap(),
                ..Default::default()
            },
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn defaults_to_the_registered_scope_without_user_scopes() {
        let s = granted_scope(&client("openid api:read api:write"), None).unwrap();
        assert_eq!(s.to_string(), "api:read api:write");
    }

    #[test]
    fn narrows_to_what_was_asked() {
        let s = granted_scope(&client("api:read api:write"), Some("api:read")).unwrap();
        assert_eq!(s.to_string(), "api:read");
    }

    #[test]
    fn wider_or_user_scopes_are_invalid_scope() {
        let c = client("openid api:read");
        assert_eq!(
            granted_scope(&c, Some("api:write")).unwrap_err().code,
            ErrorCode::InvalidScope
        );
        assert_eq!(
            granted_scope(&c, Some("openid")).unwrap_err().code,
            ErrorCode::InvalidScope
        );
        assert_eq!(
            granted_scope(&c, Some("a\"b")).unwrap_err().code,
            ErrorCode::InvalidScope
        );
    }
}
