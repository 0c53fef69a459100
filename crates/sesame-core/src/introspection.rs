//! Token introspection (RFC 7662): a resource server asks whether a token is active.

use crate::client::Client;
use crate::client_auth::{Caller, authenticate_request};
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
    caller: Caller<'_>,
    mut params: Params,
) -> Result<IntrospectionResponse, TokenError> {
    let client =
        authenticate_request(provider, caller, &mut params, crate::endpoints::INTROSPECT).await?;
    // RFC 7662 §2.1: the caller must be authorized; a public client proves nothing.
    if client.is_public() {
        return Err(TokenError::invalid_client("client authentication failed")
            .with_cause("public clients may not introspect"));
    }
    let token = params.require("token")?;
    // token_type_hint (RFC 7662 §2.1) is only a hint: every kind of token is looked up anyway.
    if token.starts_with(REFRESH_PREFIX) {
        return refresh_token(provider, &client, token).await;
    }
    let Some(known) = find_active_token(provider, token).await? else {
        return Ok(IntrospectionResponse::inactive());
    };
    let mut claims = known.claims;
    if claims.sub != claims.client_id {
        // A user's token stops being active when the user is disabled or deleted, as at UserInfo.
        if !user_is_active(provider, &claims.sub).await? {
            return Ok(IntrospectionResponse::inactive());
        }
        // The subject as the token's client knows it, pairwise or not (OIDC Core §8).
        let Some(owner) = provider.client(&claims.client_id).await? else {
            return Ok(IntrospectionResponse::inactive());
        };
        claims.sub = provider.subject_for(&owner, &claims.sub);
    }
    Ok(IntrospectionResponse {
        active: true,
        claims: Some(claims),
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
    client: &Client,
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
        && delegation.client_id == client.client_id
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
            sub: provider.subject_for(client, &delegation.user_id),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use crate::store::UserStore;
    use crate::testing::{self, basic, form, register, rejected, user_tokens};

    #[tokio::test]
    async fn rfc7662_2_2_an_active_user_token_describes_itself() {
        let testing::Web { p, web, alice, .. } = testing::web_and_alice().await;
        let tokens = user_tokens(&p, "web", &web, &alice, "openid api:read").await;
        let body = format!("token={}&token_type_hint=access_token", tokens.access_token);
        let r = introspect(&p, testing::caller(Some(&basic("web", &web))), form(&body))
            .await
            .unwrap();
        assert!(r.active);
        let claims = r.claims.unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.client_id.as_str()),
            (alice.id.as_str(), "web")
        );
        assert_eq!(claims.scope, "openid api:read");
        assert_eq!(claims.exp, testing::T0 + p.settings().access_token_ttl);
    }

    #[tokio::test]
    async fn rfc7662_2_2_anything_else_is_only_inactive() {
        let testing::Web {
            p,
            clock,
            web,
            alice,
            ..
        } = testing::web_and_alice().await;
        let tokens = user_tokens(&p, "web", &web, &alice, "openid").await;
        let auth = basic("web", &web);
        for unknown in ["made-up", "sat_made-up", "srt_made-up", "a.b.c"] {
            let r = introspect(
                &p,
                testing::caller(Some(&auth)),
                form(&format!("token={unknown}")),
            )
            .await;
            assert_eq!(r.unwrap(), IntrospectionResponse::inactive(), "{unknown}");
        }
        clock.advance(p.settings().access_token_ttl);
        let body = format!("token={}", tokens.access_token);
        let r = introspect(&p, testing::caller(Some(&auth)), form(&body))
            .await
            .unwrap();
        assert_eq!(r, IntrospectionResponse::inactive(), "expired");
    }

    #[tokio::test]
    async fn rfc7662_2_1_the_caller_must_authenticate_and_be_confidential() {
        let (p, store, _) = testing::provider().await;
        register(&store, "spa", false).await;
        let r = introspect(&p, testing::caller(None), form("client_id=spa&token=x")).await;
        rejected(r, ErrorCode::InvalidClient, "authentication failed");
        let r = introspect(&p, testing::caller(None), form("token=x")).await;
        rejected(r, ErrorCode::InvalidClient, "authentication failed");
        let web = register(&store, "web", true).await.unwrap();
        let r = introspect(&p, testing::caller(Some(&basic("web", &web))), form("")).await;
        rejected(r, ErrorCode::InvalidRequest, "token");
    }

    #[tokio::test]
    async fn rfc7662_2_1_a_refresh_token_is_described_to_its_own_client_only() {
        let (p, store, _) = testing::provider().await;
        let web = register(&store, "web", true).await.unwrap();
        let rs = register(&store, "rs", true).await.unwrap();
        let alice = testing::user(&store, "alice").await;
        let tokens = user_tokens(&p, "web", &web, &alice, "openid offline_access").await;
        let body = format!("token={}", tokens.refresh_token.unwrap());
        let own = introspect(&p, testing::caller(Some(&basic("web", &web))), form(&body))
            .await
            .unwrap();
        assert_eq!((own.active, own.token_type), (true, Some("refresh_token")));
        let other = introspect(&p, testing::caller(Some(&basic("rs", &rs))), form(&body))
            .await
            .unwrap();
        assert!(!other.active);
    }

    #[tokio::test]
    async fn a_disabled_users_tokens_are_inactive() {
        let testing::Web {
            p,
            store,
            web,
            mut alice,
            ..
        } = testing::web_and_alice().await;
        let tokens = user_tokens(&p, "web", &web, &alice, "openid offline_access").await;
        alice.disabled = true;
        store.update_user(&alice).await.unwrap();
        let auth = basic("web", &web);
        for token in [tokens.access_token, tokens.refresh_token.unwrap()] {
            let r = introspect(
                &p,
                testing::caller(Some(&auth)),
                form(&format!("token={token}")),
            )
            .await;
            assert!(!r.unwrap().active);
        }
    }
}
