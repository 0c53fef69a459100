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

/// The cause logged for a refused password grant, read by the server's metrics.
pub const CAUSE_INVALID: &str = "password grant: wrong username or password";
pub const CAUSE_LOCKED_NOW: &str = "password grant: account locked after repeated failures";

pub async fn exchange(
    provider: &Provider,
    client: &Client,
    params: &Params,
) -> Result<TokenResponse, TokenError> {
    let username = params.require("username")?;
    let password = params.require("password")?;
    let scope = client.scope_within(params.get("scope"))?;
    let user = match login::authenticate(provider, username, password).await? {
        Ok(user) => user,
        // RFC 6749 §5.2: invalid_grant, and never which part was wrong.
        Err(LoginFailure::Invalid) => {
            return Err(
                TokenError::invalid_grant("the username or password is not correct")
                    .with_cause(CAUSE_INVALID),
            );
        }
        Err(LoginFailure::Disabled) => {
            return Err(
                TokenError::invalid_grant("the username or password is not correct")
                    .with_cause("password grant: the account is disabled"),
            );
        }
        Err(LoginFailure::Locked { now, .. }) => {
            let e = TokenError::invalid_grant(
                "too many failed attempts: this account is locked for a while",
            );
            return Err(if now {
                e.with_cause(CAUSE_LOCKED_NOW)
            } else {
                e.with_cause(CAUSE_INVALID)
            });
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
