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

    let invalid = || {
        TokenError::invalid_grant(
            "the authorization code is invalid, expired, or was issued to another client",
        )
    };
    let stored = store.find_code(&hash).await?.ok_or_else(invalid)?;
    if stored.used_at.is_some() {
        return Err(replayed(provider, &stored).await?);
    }
    if stored.delegation.client_id != client.client_id || stored.expires_at <= now {
        return Err(invalid());
    }
    // Checked before the code is spent, so a guess cannot burn the rightful client's code.
    check_request(&stored, redirect_uri, params.get("code_verifier"))?;
    let user = delegated::user_of(provider, &stored.delegation).await?;
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
