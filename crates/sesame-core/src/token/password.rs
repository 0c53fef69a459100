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
) -> Result<TokenResponse, TokenError> {
    let username = params.require("username")?;
    let password = params.require("password")?;
    let scope = client.scope_within(params.get("scope"))?;
    // RFC 6749 §5.2: invalid_grant, and never which part was wrong. The refusal itself is
    // reported (and counted) by `login::authenticate`.
    let user = match login::authenticate(provider, username, password).await? {
        Ok(user) => user,
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
    };
    let delegation = Delegation {
        delegation_id: random_token(16),
        client_id: client.client_id.clone(),
        user_id: user.id.clone(),
        scope,
        auth_time: provider.now(),
        sid: None,
        claims: Default::default(),
    };
    delegated::issue(
        provider,
        client,
        &user,
        &delegation,
        &delegation.scope,
        None,
    )
    .await
}
