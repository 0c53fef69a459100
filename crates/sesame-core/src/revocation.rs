//! Token revocation (RFC 7009): a client says it no longer needs a token.

use crate::client_auth::{Caller, authenticate_request};
use crate::error::TokenError;
use crate::params::Params;
use crate::provider::Provider;
use crate::secret::SecretHash;
use crate::token::delegated::REFRESH_PREFIX;
use crate::token::inspect::{TokenHandle, find_active_token};

pub async fn revoke(
    provider: &Provider,
    caller: Caller<'_>,
    mut params: Params,
) -> Result<(), TokenError> {
    // RFC 7009 §2.1: confidential clients authenticate; public clients name themselves.
    let client =
        authenticate_request(provider, caller, &mut params, crate::endpoints::REVOKE).await?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use crate::introspection::introspect;
    use crate::testing::{self, basic, form, register, rejected, token_request, user_tokens};

    async fn active(p: &Provider, auth: &str, token: &str) -> bool {
        let body = form(&format!("token={token}"));
        introspect(p, testing::caller(Some(auth)), body)
            .await
            .unwrap()
            .active
    }

    #[tokio::test]
    async fn rfc7009_2_2_an_unknown_or_invalid_token_is_revoked_successfully() {
        let (p, store, _) = testing::provider().await;
        let web = register(&store, "web", true).await.unwrap();
        for token in ["made-up", "sat_x", "srt_x", "a.b.c"] {
            let body = form(&format!("token={token}&token_type_hint=refresh_token"));
            assert!(
                revoke(&p, testing::caller(Some(&basic("web", &web))), body)
                    .await
                    .is_ok(),
                "{token}"
            );
        }
        let r = revoke(&p, testing::caller(Some(&basic("web", &web))), form("")).await;
        rejected(r, ErrorCode::InvalidRequest, "token");
    }

    #[tokio::test]
    async fn rfc7009_2_1_a_client_revokes_only_its_own_tokens() {
        let (p, store, _) = testing::provider().await;
        let web = register(&store, "web", true).await.unwrap();
        let other = register(&store, "other", true).await.unwrap();
        let alice = testing::user(&store, "alice").await;
        let tokens = user_tokens(&p, "web", &web, &alice, "openid offline_access").await;
        let auth = basic("web", &web);
        for token in [&tokens.access_token, tokens.refresh_token.as_ref().unwrap()] {
            let body = form(&format!("token={token}"));
            let r = revoke(&p, testing::caller(Some(&basic("other", &other))), body).await;
            rejected(
                r,
                ErrorCode::UnauthorizedClient,
                "not issued to this client",
            );
            assert!(active(&p, &auth, token).await, "still active");
        }
    }

    #[tokio::test]
    async fn rfc7009_2_1_revoking_an_access_token_ends_that_token() {
        let testing::Web { p, web, alice, .. } = testing::web_and_alice().await;
        let tokens = user_tokens(&p, "web", &web, &alice, "openid offline_access").await;
        let auth = basic("web", &web);
        let body = form(&format!("token={}", tokens.access_token));
        revoke(&p, testing::caller(Some(&auth)), body)
            .await
            .unwrap();
        assert!(!active(&p, &auth, &tokens.access_token).await);
        let refresh = tokens.refresh_token.unwrap();
        assert!(
            active(&p, &auth, &refresh).await,
            "the refresh token lives on"
        );
    }

    #[tokio::test]
    async fn rfc7009_2_1_revoking_a_refresh_token_ends_its_whole_delegation() {
        let testing::Web { p, web, alice, .. } = testing::web_and_alice().await;
        let tokens = user_tokens(&p, "web", &web, &alice, "openid offline_access").await;
        let auth = basic("web", &web);
        let refresh = tokens.refresh_token.unwrap();
        revoke(
            &p,
            testing::caller(Some(&auth)),
            form(&format!("token={refresh}")),
        )
        .await
        .unwrap();
        assert!(!active(&p, &auth, &tokens.access_token).await);
        let body = format!("grant_type=refresh_token&refresh_token={refresh}");
        let r = token_request(&p, Some(&auth), &body).await;
        rejected(r, ErrorCode::InvalidGrant, "invalid");
    }
}
