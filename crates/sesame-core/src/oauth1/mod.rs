//! OAuth 1.0a three-legged flow (RFC 5849) for legacy clients: temporary credentials, the
//! user's approval, token credentials, and a protected resource to check them. Clients opt in
//! with `oauth1 = true`; the client_id is the consumer key and the client secret the consumer
//! secret. HMAC needs that secret itself, not a hash of it: it is kept sealed with the master
//! key (in clear only without one, like signing keys).

pub mod error;
pub mod flow;
pub mod request;
pub mod signature;

use crate::error::TokenError;
use crate::provider::Provider;
use crate::secret::{SecretHash, random_token};
use serde::Serialize;

/// Temporary credentials must be approved and exchanged within this many seconds.
pub const TEMPORARY_TTL: i64 = 600;
/// How far `oauth_timestamp` may be from the server's clock (RFC 5849 §3.3), in seconds.
pub const TIMESTAMP_WINDOW: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Temporary,
    Access,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Temporary => "temporary",
            Self::Access => "access",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Temporary, Self::Access]
            .into_iter()
            .find(|k| k.as_str() == value)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    /// Temporary credentials waiting for the user.
    Pending,
    /// Approved: a verifier was issued.
    Authorized,
    Denied,
    /// Temporary credentials exchanged; never again.
    Used,
    /// Token credentials in force.
    Active,
}

impl TokenStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Authorized => "authorized",
            Self::Denied => "denied",
            Self::Used => "used",
            Self::Active => "active",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Authorized,
            Self::Denied,
            Self::Used,
            Self::Active,
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
    }
}

/// Temporary or token credentials as stored. The token is public (it travels in every request);
/// its secret is sealed like the consumer secret.
#[derive(Debug, Clone, PartialEq)]
pub struct Oauth1Token {
    pub token: String,
    pub kind: TokenKind,
    pub client_id: String,
    pub sealed_secret: Vec<u8>,
    /// The callback of the temporary credentials: a registered redirect URI or `oob`.
    pub callback: Option<String>,
    pub verifier_hash: Option<SecretHash>,
    pub user_id: Option<String>,
    pub status: TokenStatus,
    pub expires_at: i64,
}

pub use crate::sealed::{open, seal};

/// New credentials (RFC 5849 §2.1 and §2.3): a token and its secret.
pub fn new_credentials(
    provider: &Provider,
    kind: TokenKind,
    client_id: &str,
) -> Result<(Oauth1Token, String), TokenError> {
    let token = random_token(24);
    let secret = random_token(32);
    let now = provider.now();
    let expires_at = match kind {
        TokenKind::Temporary => now + TEMPORARY_TTL,
        TokenKind::Access => now + provider.settings().refresh_token_max_lifetime,
    };
    let record = Oauth1Token {
        sealed_secret: seal(provider.master_key(), &token, &secret)?,
        token,
        kind,
        client_id: client_id.to_owned(),
        callback: None,
        verifier_hash: None,
        user_id: None,
        status: match kind {
            TokenKind::Temporary => TokenStatus::Pending,
            TokenKind::Access => TokenStatus::Active,
        },
        expires_at,
    };
    Ok((record, secret))
}

/// A form-encoded answer (RFC 5849 §2.1, §2.3).
#[derive(Debug, Serialize)]
pub struct CredentialsResponse {
    pub oauth_token: String,
    pub oauth_token_secret: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth_callback_confirmed: Option<&'static str>,
}

impl CredentialsResponse {
    pub fn form_encoded(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        out.append_pair("oauth_token", &self.oauth_token);
        out.append_pair("oauth_token_secret", &self.oauth_token_secret);
        if let Some(c) = self.oauth_callback_confirmed {
            out.append_pair("oauth_callback_confirmed", c);
        }
        out.finish()
    }
}

#[cfg(test)]
mod tests;
