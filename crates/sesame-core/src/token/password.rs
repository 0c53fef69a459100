//! The resource owner password credentials grant (RFC 6749 §4.3): off unless a client's
//! `grant_types` include `password` (RFC 9700 §2.4: only for highly trusted first-party clients).

use super::{TokenResponse, delegated};
use crate::client::Client;
use crate::delegation::Delegation;
use crate::error::TokenError;
use crate::login::{self, LoginFailure};
use crate::params::Params;
use crate::provider::Provider;
use crate::secret::random_token;

pub async fn exchange(
    provider: &Provider,
    client: &Client,
    params: &Params,
    address: std::net::IpAddr,
) -> Result<TokenResponse, TokenError> {
    let username = params.require("username")?;
    let password = params.require("password")?;
    let scope = client.scope_within(params.get("scope"))?;
    // RFC 6749 §5.2: invalid_grant, and never which part was wrong. The refusal itself is
    // reported (and counted) by `login::authenticate`.
    let requires_mfa = client.metadata.require_mfa;
    let signed_in =
        login::authenticate_password_only(provider, address, username, password, requires_mfa);
    let user = match signed_in.await? {
        Ok(user) => user,
        // The grant has no way to ask for the second factor.
        Err(LoginFailure::NeedsSecondFactor) => {
            return Err(TokenError::invalid_grant(
                "this sign-in needs a second factor, which the password grant cannot check; \
                 sign in through the browser (the authorization code flow) instead",
            ));
        }
        Err(LoginFailure::Invalid | LoginFailure::Disabled) => {
            return Err(TokenError::invalid_grant(
                "the username or password is not correct",
            ));
        }
        Err(LoginFailure::Locked { until }) => {
            return Err(TokenError::invalid_grant(format!(
                "too many failed attempts: this account is locked; try again {}",
                login::retry_in(until, provider.now())
            )));
        }
        Err(LoginFailure::Busy) => {
            return Err(TokenError::temporarily_unavailable(
                "every password check is taken; retry in a few seconds",
            ));
        }
    };
    let delegation = Delegation {
        delegation_id: random_token(16),
        client_id: client.client_id.clone(),
        user_id: user.id.clone(),
        scope,
        auth_time: provider.now(),
        sid: None,
        claims: Default::default(),
        amr: vec![crate::mfa::amr::PWD.to_owned()],
    };
    delegated::issue_all(provider, client, &user, &delegation).await
}

#[cfg(test)]
mod tests {
    use crate::ErrorCode;
    use crate::store::UserStore;
    use crate::testing::{self, PASSWORD, basic, register, rejected, token_request};

    fn body(username: &str, password: &str, scope: &str) -> String {
        format!("grant_type=password&username={username}&password={password}&scope={scope}")
    }

    #[tokio::test]
    async fn rfc6749_4_3_3_the_right_password_gets_tokens_for_the_user() {
        let (p, store, _) = testing::provider().await;
        let web = register(&store, "web", true).await.unwrap();
        let alice = testing::user(&store, "alice").await;
        let password = PASSWORD.replace(' ', "+");
        let r = token_request(
            &p,
            Some(&basic("web", &web)),
            &body("alice", &password, "openid"),
        )
        .await
        .unwrap();
        assert_eq!(r.scope.as_deref(), Some("openid"));
        let id = p
            .key_ring()
            .verify_jws(&r.id_token.unwrap(), "JWT")
            .unwrap();
        let claims: serde_json::Value = serde_json::from_slice(&id).unwrap();
        assert_eq!(claims["sub"], alice.id.as_str());
    }

    #[tokio::test]
    async fn rfc6749_5_2_a_wrong_password_an_unknown_user_and_a_disabled_one_answer_alike() {
        let (p, store, _) = testing::provider().await;
        let web = register(&store, "web", true).await.unwrap();
        let mut bob = testing::user(&store, "bob").await;
        bob.disabled = true;
        store.update_user(&bob).await.unwrap();
        testing::user(&store, "alice").await;
        let auth = basic("web", &web);
        let password = PASSWORD.replace(' ', "+");
        for attempt in [
            body("alice", "wrong", "openid"),
            body("nobody", "wrong", "openid"),
            body("bob", &password, "openid"),
        ] {
            let r = token_request(&p, Some(&auth), &attempt).await;
            rejected(
                r,
                ErrorCode::InvalidGrant,
                "the username or password is not correct",
            );
        }
    }

    #[tokio::test]
    async fn rfc6749_4_3_2_a_locked_account_is_invalid_grant_saying_when_to_retry() {
        let (p, store, _) = testing::provider().await;
        let web = register(&store, "web", true).await.unwrap();
        testing::user(&store, "alice").await;
        let auth = basic("web", &web);
        for _ in 1..crate::throttle::Target::Account("alice").policy().max {
            let _ = token_request(&p, Some(&auth), &body("alice", "wrong", "openid")).await;
        }
        let r = token_request(&p, Some(&auth), &body("alice", "wrong", "openid")).await;
        rejected(r, ErrorCode::InvalidGrant, "locked; try again in 1 minute");
        let password = PASSWORD.replace(' ', "+");
        let r = token_request(&p, Some(&auth), &body("alice", &password, "openid")).await;
        rejected(r, ErrorCode::InvalidGrant, "locked");
    }

    #[tokio::test]
    async fn rfc6749_4_3_2_username_password_and_a_scope_within_the_clients_are_required() {
        let (p, store, _) = testing::provider().await;
        let web = register(&store, "web", true).await.unwrap();
        testing::user(&store, "alice").await;
        let auth = basic("web", &web);
        let r = token_request(&p, Some(&auth), "grant_type=password&username=alice").await;
        rejected(r, ErrorCode::InvalidRequest, "password");
        let r = token_request(&p, Some(&auth), "grant_type=password&password=x").await;
        rejected(r, ErrorCode::InvalidRequest, "username");
        let r = token_request(&p, Some(&auth), &body("alice", "x", "admin")).await;
        rejected(r, ErrorCode::InvalidScope, "admin");
    }
}
