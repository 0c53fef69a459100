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

    // One description for every reason, so a guesser learns nothing; the cause says which.
    let invalid = |cause: &str| {
        TokenError::invalid_grant(
            "the refresh token is invalid, expired, revoked, or was issued to another client",
        )
        .with_cause(cause)
    };
    let current = store
        .find_refresh_token(&hash)
        .await?
        .ok_or_else(|| invalid("unknown refresh token"))?;
    // RFC 6749 §6: the refresh token must have been issued to this client.
    if current.delegation.client_id != client.client_id {
        return Err(invalid("refresh token issued to another client"));
    }
    if current.revoked_at.is_some() {
        return Err(invalid("refresh token revoked"));
    }
    if current.expires_at <= now {
        return Err(invalid("refresh token expired"));
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

#[cfg(test)]
mod tests {
    use crate::ErrorCode;
    use crate::Provider;
    use crate::clock::Clock;
    use crate::secret::Secret;
    use crate::store::UserStore;
    use crate::testing::{
        self, REDIRECT_URI, VERIFIER, basic, register, rejected, rejected_because, token_request,
    };
    use crate::token::TokenResponse;

    /// Tokens for alice at `web` with `openid offline_access api:read`.
    async fn signed_in_tokens(
        p: &Provider,
        store: &testing::MemoryStore,
    ) -> (Secret, TokenResponse) {
        let web = register(store, "web", true).await.unwrap();
        let alice = testing::user(store, "alice").await;
        let code = testing::code(p, "web", &alice, "openid offline_access api:read").await;
        let body = format!(
            "grant_type=authorization_code&code={code}&redirect_uri={REDIRECT_URI}\
             &code_verifier={VERIFIER}"
        );
        let tokens = token_request(p, Some(&basic("web", &web)), &body)
            .await
            .unwrap();
        (web, tokens)
    }

    /// A refresh request by the client with this `Authorization`.
    async fn refresh(
        p: &Provider,
        auth: &str,
        token: &str,
        scope: Option<&str>,
    ) -> Result<TokenResponse, crate::TokenError> {
        token_request(p, Some(auth), &refresh_body(token, scope)).await
    }

    fn refresh_body(token: &str, scope: Option<&str>) -> String {
        let scope = scope.map(|s| format!("&scope={}", s.replace(' ', "+")));
        format!(
            "grant_type=refresh_token&refresh_token={token}{}",
            scope.unwrap_or_default()
        )
    }

    #[tokio::test]
    async fn rfc6749_6_a_refresh_rotates_the_token_and_spends_the_old_one() {
        let (p, store, _) = testing::provider().await;
        let (web, first) = signed_in_tokens(&p, &store).await;
        let auth = basic("web", &web);
        let old = first.refresh_token.unwrap();
        let next = refresh(&p, &auth, &old, None).await.unwrap();
        let new = next.refresh_token.unwrap();
        assert_ne!(new, old);
        assert_eq!(
            next.scope.as_deref(),
            Some("openid offline_access api:read")
        );
        assert!(
            next.id_token.is_some(),
            "OIDC Core §12.2: a new ID token with openid"
        );
        assert!(refresh(&p, &auth, &new, None).await.is_ok());
    }

    #[tokio::test]
    async fn rfc9700_4_14_2_reusing_a_rotated_token_revokes_the_whole_family() {
        let (p, store, _) = testing::provider().await;
        let (web, first) = signed_in_tokens(&p, &store).await;
        let auth = basic("web", &web);
        let old = first.refresh_token.unwrap();
        let next = refresh(&p, &auth, &old, None).await.unwrap();
        let reuse = refresh(&p, &auth, &old, None).await;
        rejected(reuse, ErrorCode::InvalidGrant, "already used");
        // The attacker's copy and the rightful holder's new token are both dead now.
        let new = next.refresh_token.unwrap();
        let r = refresh(&p, &auth, &new, None).await;
        rejected_because(r, ErrorCode::InvalidGrant, "refresh token revoked");
    }

    #[tokio::test]
    async fn rfc6749_6_the_scope_may_only_narrow_and_the_family_keeps_the_whole() {
        let (p, store, _) = testing::provider().await;
        let (web, first) = signed_in_tokens(&p, &store).await;
        let auth = basic("web", &web);
        let token = first.refresh_token.unwrap();
        let wider = refresh_body(&token, Some("openid offline_access api:read profile"));
        let r = token_request(&p, Some(&auth), &wider).await;
        rejected(r, ErrorCode::InvalidScope, "profile");
        let narrow = refresh(&p, &auth, &token, Some("api:read")).await.unwrap();
        assert_eq!(narrow.scope.as_deref(), Some("api:read"));
        assert!(narrow.id_token.is_none(), "no openid, no ID token");
        let again = refresh_body(&narrow.refresh_token.unwrap(), None);
        let whole = token_request(&p, Some(&auth), &again).await.unwrap();
        assert_eq!(
            whole.scope.as_deref(),
            Some("openid offline_access api:read")
        );
    }

    #[tokio::test]
    async fn rfc6749_6_another_clients_refresh_token_is_invalid_grant_and_not_spent() {
        let (p, store, _) = testing::provider().await;
        let (web, first) = signed_in_tokens(&p, &store).await;
        let other = register(&store, "other", true).await.unwrap();
        let token = first.refresh_token.unwrap();
        let r = token_request(
            &p,
            Some(&basic("other", &other)),
            &refresh_body(&token, None),
        )
        .await;
        rejected_because(
            r,
            ErrorCode::InvalidGrant,
            "refresh token issued to another client",
        );
        let own = token_request(&p, Some(&basic("web", &web)), &refresh_body(&token, None)).await;
        assert!(own.is_ok(), "{own:?}");
    }

    #[tokio::test]
    async fn rfc6749_6_an_expired_or_unknown_refresh_token_is_invalid_grant() {
        let (p, store, clock) = testing::provider().await;
        let (web, first) = signed_in_tokens(&p, &store).await;
        let auth = basic("web", &web);
        let r = refresh(&p, &auth, "srt_made_up", None).await;
        rejected_because(r, ErrorCode::InvalidGrant, "unknown refresh token");
        clock.advance(p.settings().refresh_token_ttl);
        let token = first.refresh_token.unwrap();
        let r = refresh(&p, &auth, &token, None).await;
        rejected_because(r, ErrorCode::InvalidGrant, "refresh token expired");
    }

    #[tokio::test]
    async fn rfc9700_4_14_2_a_family_ends_at_its_absolute_lifetime() {
        use crate::store::DelegationStore;
        let (p, store, clock) = testing::provider().await;
        let (web, first) = signed_in_tokens(&p, &store).await;
        let auth = basic("web", &web);
        let mut token = first.refresh_token.unwrap();
        let (ttl, max) = (
            p.settings().refresh_token_ttl,
            p.settings().refresh_token_max_lifetime,
        );
        // Rotated within each token's life, the newest token still ends `max` after sign-in.
        while clock.now() + ttl < testing::T0 + max {
            clock.advance(ttl - 1);
            let r = refresh(&p, &auth, &token, None).await;
            token = r.unwrap().refresh_token.unwrap();
        }
        let hash = crate::secret::SecretHash::of(&token);
        let last = store.find_refresh_token(&hash).await.unwrap().unwrap();
        assert_eq!(last.expires_at, testing::T0 + max, "capped, not now + ttl");
        clock.advance(testing::T0 + max - clock.now());
        let r = refresh(&p, &auth, &token, None).await;
        rejected_because(r, ErrorCode::InvalidGrant, "refresh token expired");
    }

    #[tokio::test]
    async fn a_disabled_users_refresh_token_gives_nothing() {
        let (p, store, _) = testing::provider().await;
        let (web, first) = signed_in_tokens(&p, &store).await;
        let mut alice = store.get_user_by_username("alice").await.unwrap().unwrap();
        alice.disabled = true;
        store.update_user(&alice).await.unwrap();
        let token = first.refresh_token.unwrap();
        let r = token_request(&p, Some(&basic("web", &web)), &refresh_body(&token, None)).await;
        rejected(r, ErrorCode::InvalidGrant, "disabled");
    }
}
