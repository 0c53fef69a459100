//! Tokens under a user's delegation, shared by every grant that has a user (authorization code, refresh
//! token; later device code and password): an access token, an ID token with `openid`, and a
//! refresh token when the client and scope allow one.

use super::{TokenResponse, issue_access_token};
use crate::client::{Client, GrantType};
use crate::delegation::{Delegation, StoredRefreshToken};
use crate::error::TokenError;
use crate::oidc::id_token::{self, IdTokenRequest};
use crate::provider::Provider;
use crate::scope::Scopes;
use crate::secret::{SecretHash, random_token};
use crate::user::User;

/// Refresh tokens start with this, so a leaked one is recognisable.
pub const REFRESH_PREFIX: &str = "srt_";

/// OIDC Core §11: with `openid`, a refresh token needs `offline_access`; a plain OAuth 2.0
/// grant gets one whenever the client may refresh.
pub fn allows_refresh(client: &Client, scope: &Scopes) -> bool {
    client.allows_grant(GrantType::RefreshToken)
        && (scope.contains("offline_access") || !scope.contains("openid"))
}

/// The user behind a delegation, if they may still receive tokens.
pub async fn user_of(provider: &Provider, delegation: &Delegation) -> Result<User, TokenError> {
    crate::user::active_user(provider.store(), &delegation.user_id)
        .await?
        .ok_or_else(|| {
            TokenError::invalid_grant("the user of this grant no longer exists or is disabled")
        })
}

/// Refuses a delegation revoked since its code or device code was issued (a consent withdrawn,
/// the user disabled or given a new password): RFC 6749 §5.2 `invalid_grant`, before anything
/// is minted. (`issue` checks again afterwards, for a revocation racing the minting.)
pub async fn still_granted(provider: &Provider, delegation: &Delegation) -> Result<(), TokenError> {
    if provider
        .store()
        .is_delegation_revoked(&delegation.delegation_id)
        .await?
    {
        return Err(TokenError::invalid_grant("the grant was revoked"));
    }
    Ok(())
}

/// Ends a delegation: every token issued under it, now and by requests racing this one.
pub async fn revoke(provider: &Provider, delegation_id: &str) -> Result<(), TokenError> {
    let now = provider.now();
    let keep_until = now + provider.settings().revocation_memory();
    provider
        .store()
        .revoke_delegation(delegation_id, now, keep_until)
        .await?;
    Ok(())
}

/// Issues the tokens for the delegation's whole scope, with no nonce to echo (the device and
/// password grants).
pub async fn issue_all(
    provider: &Provider,
    client: &Client,
    user: &User,
    delegation: &Delegation,
) -> Result<TokenResponse, TokenError> {
    issue(provider, client, user, delegation, &delegation.scope, None).await
}

/// Issues the tokens. `access_scope` may be narrower than the delegation (refresh, RFC 6749 §6);
/// the refresh token always carries the delegation's full scope.
pub async fn issue(
    provider: &Provider,
    client: &Client,
    user: &User,
    delegation: &Delegation,
    access_scope: &Scopes,
    nonce: Option<&str>,
) -> Result<TokenResponse, TokenError> {
    let access =
        issue_access_token(provider, client, &user.id, access_scope, Some(delegation)).await?;
    let id_token = if access_scope.contains("openid") {
        Some(
            id_token::issue(
                provider,
                client,
                user,
                delegation,
                IdTokenRequest {
                    nonce,
                    access_token: Some(&access.token),
                    ..Default::default()
                },
            )
            .await?,
        )
    } else {
        None
    };
    let refresh_token = if allows_refresh(client, &delegation.scope) {
        new_refresh_token(provider, delegation).await?
    } else {
        None
    };
    // A replay or reuse that revoked the delegation while these were minted must not miss them.
    // The request that consumed the code or refresh token still gets its answer (exactly one
    // redemption wins, on every backend), but what it carries is revoked with the rest: the
    // policy is that a replay, even a concurrent one, ends everything issued from the
    // credential (RFC 6749 §4.1.2, RFC 9700 §4.14; SECURITY.md).
    if provider
        .store()
        .is_delegation_revoked(&delegation.delegation_id)
        .await?
    {
        revoke(provider, &delegation.delegation_id).await?;
    }
    Ok(TokenResponse {
        access_token: access.token,
        token_type: "Bearer",
        expires_in: access.expires_in,
        scope: Some(access_scope.to_string()),
        refresh_token,
        id_token,
    })
}

/// A new refresh token of the delegation's family, unless the family has reached its absolute end
/// (`refresh_token_max_lifetime` after the user signed in): then the client must sign in again.
async fn new_refresh_token(
    provider: &Provider,
    delegation: &Delegation,
) -> Result<Option<String>, TokenError> {
    let now = provider.now();
    let settings = provider.settings();
    let expires_at = (now + settings.refresh_token_ttl)
        .min(delegation.auth_time + settings.refresh_token_max_lifetime);
    if expires_at <= now {
        return Ok(None);
    }
    let token = format!("{REFRESH_PREFIX}{}", random_token(32));
    let stored = StoredRefreshToken {
        token_hash: SecretHash::of(&token),
        delegation: delegation.clone(),
        issued_at: now,
        expires_at,
        used_at: None,
        revoked_at: None,
    };
    provider.store().insert_refresh_token(&stored).await?;
    Ok(Some(token))
}
