//! The authorization code grant (RFC 6749 §4.1.3, RFC 7636 §4.6, OIDC Core §3.1.3).

use super::{TokenResponse, delegated};
use crate::client::Client;
use crate::delegation::StoredCode;
use crate::error::TokenError;
use crate::params::Params;
use crate::pkce;
use crate::provider::Provider;
use crate::secret::SecretHash;

pub async fn exchange(
    provider: &Provider,
    client: &Client,
    params: &Params,
) -> Result<TokenResponse, TokenError> {
    let code = params.require("code")?;
    let redirect_uri = params.require("redirect_uri")?;
    let hash = SecretHash::of(code);
    let now = provider.now();
    let store = provider.store();

    // One description for every reason, so a guesser learns nothing; the cause says which.
    let invalid = |cause: &str| {
        TokenError::invalid_grant(
            "the authorization code is invalid, expired, or was issued to another client",
        )
        .with_cause(cause)
    };
    let stored = store
        .find_code(&hash)
        .await?
        .ok_or_else(|| invalid("unknown code"))?;
    if stored.used_at.is_some() {
        return Err(replayed(provider, &stored).await?);
    }
    // RFC 6749 §4.1.3: the code must have been issued to this client.
    if stored.delegation.client_id != client.client_id {
        return Err(invalid("code issued to another client"));
    }
    if stored.expires_at <= now {
        return Err(invalid("code expired"));
    }
    // Checked before the code is spent, so a guess cannot burn the rightful client's code.
    check_request(&stored, redirect_uri, params.get("code_verifier"))?;
    let user = delegated::user_of(provider, &stored.delegation).await?;
    // Before the code is spent: a racing replay revokes the delegation too, and the redemption
    // that wins still gets its (revoked) answer, as `issue` says.
    delegated::still_granted(provider, &stored.delegation).await?;
    // One atomic statement: of two racing redemptions exactly one wins; the loser is a replay.
    if store
        .consume_code(&hash, &client.client_id, now)
        .await?
        .is_none()
    {
        return Err(replayed(provider, &stored).await?);
    }
    delegated::issue(
        provider,
        client,
        &user,
        &stored.delegation,
        &stored.delegation.scope,
        stored.data.nonce.as_deref(),
    )
    .await
}

/// RFC 6749 §4.1.2 and RFC 9700 §4.14: a code used twice is stolen or replayed; every token
/// issued from it is revoked.
async fn replayed(provider: &Provider, stored: &StoredCode) -> Result<TokenError, TokenError> {
    delegated::revoke(provider, &stored.delegation.delegation_id).await?;
    Ok(TokenError::invalid_grant(
        "the authorization code was already used; the tokens issued from it are revoked",
    ))
}

/// RFC 6749 §4.1.3: the same redirect_uri; RFC 7636 §4.6: the verifier matches the challenge.
fn check_request(
    stored: &StoredCode,
    redirect_uri: &str,
    verifier: Option<&str>,
) -> Result<(), TokenError> {
    if stored.data.redirect_uri != redirect_uri {
        return Err(TokenError::invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    match (&stored.data.code_challenge, verifier) {
        (Some(challenge), Some(v)) if pkce::verify_s256(v, challenge) => Ok(()),
        (Some(_), Some(_)) => Err(TokenError::invalid_grant(
            "code_verifier does not match the code_challenge",
        )),
        (Some(_), None) => Err(TokenError::invalid_grant("code_verifier is required")),
        // RFC 9700 §4.8.2: a verifier for a code issued without a challenge is a downgrade.
        (None, Some(_)) => Err(TokenError::invalid_grant(
            "code_verifier was sent, but the authorization request had no code_challenge",
        )),
        (None, None) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use crate::ErrorCode;
    use crate::oidc::id_token::IdTokenClaims;
    use crate::store::{DelegationStore, UserStore};
    use crate::testing::{
        self, REDIRECT_URI, VERIFIER, basic, form, register, rejected, rejected_because,
        token_request as redeem,
    };

    fn redeem_body(code: &str, verifier: &str) -> String {
        format!(
            "grant_type=authorization_code&code={code}&redirect_uri={REDIRECT_URI}\
             &code_verifier={verifier}"
        )
    }

    #[tokio::test]
    async fn rfc6749_4_1_3_code_issued_to_another_client_is_invalid_grant() {
        let (p, store, _) = testing::provider().await;
        let web = register(&store, "web", true).await.unwrap();
        let other = register(&store, "other", true).await.unwrap();
        let alice = testing::user(&store, "alice").await;
        let code = testing::code(&p, "web", &alice, "openid").await;
        let body = redeem_body(&code, VERIFIER);
        let stolen = redeem(&p, Some(&basic("other", &other)), &body).await;
        rejected_because(
            stolen,
            ErrorCode::InvalidGrant,
            "code issued to another client",
        );
        // The rightful client can still redeem it: the failed attempt spent nothing.
        let ok = redeem(&p, Some(&basic("web", &web)), &redeem_body(&code, VERIFIER)).await;
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[tokio::test]
    async fn a_code_whose_consent_was_revoked_gets_nothing() {
        let testing::Web {
            p,
            web,
            alice,
            store,
            ..
        } = testing::web_and_alice().await;
        let code = testing::code(&p, "web", &alice, "openid").await;
        store
            .revoke_user_delegations(&alice.id, testing::T0, testing::T0 + 3600)
            .await
            .unwrap();
        let r = redeem(&p, Some(&basic("web", &web)), &redeem_body(&code, VERIFIER)).await;
        rejected(r, ErrorCode::InvalidGrant, "revoked");
    }

    #[tokio::test]
    async fn rfc6749_4_1_3_redirect_uri_must_be_the_authorization_requests() {
        let testing::Web { p, web, alice, .. } = testing::web_and_alice().await;
        let code = testing::code(&p, "web", &alice, "openid").await;
        let body = redeem_body(&code, VERIFIER).replace("/cb", "/other");
        let r = redeem(&p, Some(&basic("web", &web)), &body).await;
        rejected(r, ErrorCode::InvalidGrant, "redirect_uri");
        let missing = format!("grant_type=authorization_code&code={code}");
        let r = redeem(&p, Some(&basic("web", &web)), &missing).await;
        rejected(r, ErrorCode::InvalidRequest, "redirect_uri");
    }

    #[tokio::test]
    async fn rfc7636_4_6_the_verifier_must_match_the_challenge_and_is_required() {
        let testing::Web { p, web, alice, .. } = testing::web_and_alice().await;
        let code = testing::code(&p, "web", &alice, "openid").await;
        let auth = basic("web", &web);
        let wrong = redeem_body(&code, &"x".repeat(43));
        rejected(
            redeem(&p, Some(&auth), &wrong).await,
            ErrorCode::InvalidGrant,
            "does not match",
        );
        let without = redeem_body(&code, "").replace("&code_verifier=", "");
        rejected(
            redeem(&p, Some(&auth), &without).await,
            ErrorCode::InvalidGrant,
            "required",
        );
        // Neither guess burned the code.
        assert!(
            redeem(&p, Some(&auth), &redeem_body(&code, VERIFIER))
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn rfc9700_4_8_2_a_verifier_for_a_code_without_a_challenge_is_a_downgrade() {
        let testing::Web { p, web, alice, .. } = testing::web_and_alice().await;
        let session = testing::signed_in(&p, &alice).await;
        let query =
            format!("response_type=code&client_id=web&redirect_uri={REDIRECT_URI}&scope=openid");
        let answer = testing::answered(testing::authorize(&p, &query, Some(&session)).await);
        let code = testing::param(&answer, "code").unwrap();
        let r = redeem(&p, Some(&basic("web", &web)), &redeem_body(code, VERIFIER)).await;
        rejected(r, ErrorCode::InvalidGrant, "no code_challenge");
    }

    #[tokio::test]
    async fn rfc6749_4_1_2_a_code_used_twice_revokes_every_token_issued_from_it() {
        let testing::Web { p, web, alice, .. } = testing::web_and_alice().await;
        let code = testing::code(&p, "web", &alice, "openid offline_access").await;
        let auth = basic("web", &web);
        let first = redeem(&p, Some(&auth), &redeem_body(&code, VERIFIER))
            .await
            .unwrap();
        let again = redeem(&p, Some(&auth), &redeem_body(&code, VERIFIER)).await;
        rejected(again, ErrorCode::InvalidGrant, "already used");
        let refresh = first.refresh_token.unwrap();
        let body = format!("grant_type=refresh_token&refresh_token={refresh}");
        let r = redeem(&p, Some(&auth), &body).await;
        rejected(r, ErrorCode::InvalidGrant, "refresh token");
        let introspected = crate::introspection::introspect(
            &p,
            testing::caller(Some(&auth)),
            form(&format!("token={}", first.access_token)),
        )
        .await
        .unwrap();
        assert!(!introspected.active, "the access token is revoked too");
    }

    #[tokio::test]
    async fn rfc6749_4_1_2_a_late_replay_after_expiry_still_revokes() {
        let testing::Web {
            p,
            store,
            clock,
            web,
            alice,
            ..
        } = testing::web_and_alice().await;
        let code = testing::code(&p, "web", &alice, "openid offline_access").await;
        let auth = basic("web", &web);
        let first = redeem(&p, Some(&auth), &redeem_body(&code, VERIFIER))
            .await
            .unwrap();
        // Past the code's 60 s, and past a sweep: spent codes are kept SPENT_RETENTION.
        clock.advance(crate::authorize::response::CODE_TTL + 60);
        use crate::store::Maintenance;
        store.sweep_expired(p.now(), 100).await.unwrap();
        let late = redeem(&p, Some(&auth), &redeem_body(&code, VERIFIER)).await;
        rejected(late, ErrorCode::InvalidGrant, "already used");
        let hash = crate::secret::SecretHash::of(&first.refresh_token.unwrap());
        let refresh = store.find_refresh_token(&hash).await.unwrap().unwrap();
        assert!(refresh.revoked_at.is_some());
    }

    #[tokio::test]
    async fn rfc6749_4_1_2_an_expired_code_is_invalid_grant() {
        let testing::Web {
            p,
            clock,
            web,
            alice,
            ..
        } = testing::web_and_alice().await;
        let code = testing::code(&p, "web", &alice, "openid").await;
        clock.advance(crate::authorize::response::CODE_TTL);
        let r = redeem(&p, Some(&basic("web", &web)), &redeem_body(&code, VERIFIER)).await;
        rejected_because(r, ErrorCode::InvalidGrant, "code expired");
        let r = redeem(
            &p,
            Some(&basic("web", &web)),
            &redeem_body("made-up", VERIFIER),
        )
        .await;
        rejected_because(r, ErrorCode::InvalidGrant, "unknown code");
    }

    #[tokio::test]
    async fn oidc_core_3_1_3_3_the_id_token_names_the_user_the_client_and_the_nonce() {
        let testing::Web { p, web, alice, .. } = testing::web_and_alice().await;
        let code = testing::code(&p, "web", &alice, "openid email").await;
        let r = redeem(&p, Some(&basic("web", &web)), &redeem_body(&code, VERIFIER))
            .await
            .unwrap();
        assert_eq!(r.scope.as_deref(), Some("openid email"));
        assert!(
            r.refresh_token.is_none(),
            "OIDC Core §11: no offline_access, no refresh token"
        );
        let id_token = r.id_token.unwrap();
        let payload = p.key_ring().verify_jws(&id_token, "JWT").unwrap();
        let claims: IdTokenClaims = serde_json::from_slice(&payload).unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.aud.as_str()),
            (alice.id.as_str(), "web")
        );
        assert_eq!(claims.nonce.as_deref(), Some("n1"));
        assert_eq!(claims.iss, "https://id.test");
        let at_hash =
            crate::oidc::id_token::half_hash(crate::keys::Algorithm::RS256, &r.access_token);
        assert_eq!(claims.at_hash.as_deref(), Some(at_hash.as_str()));
    }

    #[tokio::test]
    async fn a_disabled_user_gets_no_tokens_from_an_earlier_code() {
        let testing::Web {
            p,
            store,
            web,
            mut alice,
            ..
        } = testing::web_and_alice().await;
        let code = testing::code(&p, "web", &alice, "openid").await;
        alice.disabled = true;
        store.update_user(&alice).await.unwrap();
        let r = redeem(&p, Some(&basic("web", &web)), &redeem_body(&code, VERIFIER)).await;
        rejected(r, ErrorCode::InvalidGrant, "disabled");
    }

    #[tokio::test]
    async fn rfc7636_4_5_a_public_client_redeems_with_its_verifier_alone() {
        let (p, store, _) = testing::provider().await;
        register(&store, "spa", false).await;
        let alice = testing::user(&store, "alice").await;
        let code = testing::code(&p, "spa", &alice, "openid").await;
        let body = format!("{}&client_id=spa", redeem_body(&code, VERIFIER));
        assert!(redeem(&p, None, &body).await.is_ok());
    }
}
