//! One round trip to an upstream provider: [`start`] sends the browser off with `state`, `nonce`
//! and PKCE (RFC 7636, S256), and [`finish`] accepts the callback once, from the same browser,
//! within [`STATE_TTL`], from the right issuer (RFC 9207), and signs the upstream identity in.

use super::upstream::{self, Upstream, UpstreamError};
use super::{Connection, ConnectionKind, MappingError, STATE_TTL, id_token, map_identity};
use crate::authorize::pending::PendingAuthorization;
use crate::endpoints;
use crate::error::TokenError;
use crate::pkce;
use crate::provider::Provider;
use crate::secret::random_token;
use crate::store::StoreError;
use crate::user::User;
use serde::{Deserialize, Serialize};

/// A round trip in flight, bound to the browser and the pending authorization; single use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FederationState {
    pub state: String,
    pub connection_id: String,
    pub pending_id: String,
    /// base64url SHA-256 of the browser cookie (as for pending authorizations).
    pub browser: String,
    pub nonce: String,
    pub code_verifier: String,
    pub expires_at: i64,
}

impl FederationState {
    pub fn new(connection_id: &str, pending_id: &str, browser: String, now: i64) -> Self {
        Self {
            state: random_token(24),
            connection_id: connection_id.to_owned(),
            pending_id: pending_id.to_owned(),
            browser,
            nonce: random_token(24),
            code_verifier: random_token(48),
            expires_at: now + STATE_TTL,
        }
    }
}

/// Why a round trip cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    #[error("there is no such sign-in provider")]
    UnknownConnection,
    #[error("this sign-in attempt is unknown, expired or already used; start again")]
    Gone,
    #[error("this sign-in was started in another browser; start again")]
    OtherBrowser,
    /// The upstream answered the authorization request with an error.
    #[error("{provider} did not sign you in ({error}). Try again, or sign in another way.")]
    Refused { provider: String, error: String },
    #[error("the identity provider sent no code")]
    NoCode,
    #[error("Signing in with {provider} failed: {error}. Try again, or sign in another way.")]
    Upstream {
        provider: String,
        error: UpstreamError,
    },
    /// The upstream identity cannot sign in here (an email conflict, a disabled account).
    #[error(transparent)]
    Refusal(MappingError),
    #[error(transparent)]
    Failed(#[from] TokenError),
}

impl From<StoreError> for FederationError {
    fn from(e: StoreError) -> Self {
        Self::Failed(e.into())
    }
}

impl From<MappingError> for FederationError {
    fn from(e: MappingError) -> Self {
        match e {
            MappingError::Store(e) => e.into(),
            other => Self::Refusal(other),
        }
    }
}

/// The connection and its client secret, opened.
async fn connection(
    provider: &Provider,
    id: &str,
) -> Result<(Connection, String), FederationError> {
    let (connection, sealed) = provider
        .store()
        .get_connection(id)
        .await?
        .ok_or(FederationError::UnknownConnection)?;
    let secret = crate::sealed::open(provider.master_key(), &connection.id, &sealed)?;
    Ok((connection, secret))
}

/// Where the upstream sends the browser back: registered there as our redirect URI.
pub fn callback_uri(provider: &Provider, connection_id: &str) -> String {
    let path = endpoints::for_connection(endpoints::FEDERATION_CALLBACK, connection_id);
    provider.settings().endpoint(&path)
}

fn failed(c: &Connection) -> impl Fn(UpstreamError) -> FederationError + '_ {
    |error| FederationError::Upstream {
        provider: c.display_name.clone(),
        error,
    }
}

/// Starts a round trip for the pending authorization: returns the upstream authorization URL
/// the browser goes to (RFC 6749 §4.1.1 with PKCE, and a nonce for OpenID Connect).
pub async fn start(
    provider: &Provider,
    network: &dyn Upstream,
    connection_id: &str,
    pending: &PendingAuthorization,
) -> Result<String, FederationError> {
    let (c, _) = connection(provider, connection_id).await?;
    let found = upstream::endpoints(network, &c).await.map_err(failed(&c))?;
    let round_trip =
        FederationState::new(&c.id, &pending.id, pending.browser.clone(), provider.now());
    provider
        .store()
        .insert_federation_state(&round_trip)
        .await?;
    let mut scopes = c.scopes.clone();
    if c.kind == ConnectionKind::Oidc && !scopes.iter().any(|s| s == "openid") {
        scopes.insert(0, "openid".into());
    }
    let mut url = url::Url::parse(&found.authorization).map_err(|_| {
        failed(&c)(UpstreamError::Protocol(
            "the authorization endpoint is not a URL".into(),
        ))
    })?;
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &c.client_id)
            .append_pair("redirect_uri", &callback_uri(provider, &c.id))
            .append_pair("scope", &scopes.join(" "))
            .append_pair("state", &round_trip.state)
            .append_pair("code_challenge", &pkce::s256(&round_trip.code_verifier))
            .append_pair("code_challenge_method", "S256");
        if c.kind == ConnectionKind::Oidc {
            query.append_pair("nonce", &round_trip.nonce);
        }
    }
    Ok(url.into())
}

/// The parameters of the upstream's authorization response (RFC 6749 §4.1.2, RFC 9207).
#[derive(Debug, Default, Clone, Copy)]
pub struct Callback<'a> {
    pub state: Option<&'a str>,
    pub code: Option<&'a str>,
    pub error: Option<&'a str>,
    pub iss: Option<&'a str>,
}

/// A finished round trip: who signed in, and the pending authorization to continue.
#[derive(Debug)]
pub struct Arrival {
    pub user: User,
    pub connection: Connection,
    pub pending_id: String,
}

/// Accepts the upstream's answer for `connection_id`, from the browser with this binding
/// cookie, and maps the identity it vouches for to a user.
pub async fn finish(
    provider: &Provider,
    network: &dyn Upstream,
    connection_id: &str,
    callback: Callback<'_>,
    browser_cookie: Option<&str>,
) -> Result<Arrival, FederationError> {
    let state = callback
        .state
        .filter(|s| s.len() <= 64)
        .ok_or(FederationError::Gone)?;
    // Single use: a replayed callback finds nothing.
    let round_trip = provider
        .store()
        .take_federation_state(state)
        .await?
        .filter(|r| r.connection_id == connection_id && r.expires_at > provider.now())
        .ok_or(FederationError::Gone)?;
    let bound = PendingAuthorization::binding_matches(&round_trip.browser, browser_cookie);
    if !bound {
        return Err(FederationError::OtherBrowser);
    }
    let (c, secret) = connection(provider, connection_id).await?;
    if let Some(error) = callback.error {
        return Err(FederationError::Refused {
            provider: c.display_name.clone(),
            error: error.chars().take(64).collect(),
        });
    }
    let code = callback.code.ok_or(FederationError::NoCode)?;
    let found = upstream::endpoints(network, &c).await.map_err(failed(&c))?;
    upstream::check_issuer(&found, callback.iss).map_err(failed(&c))?;
    let redirect_uri = callback_uri(provider, &c.id);
    let sent = (
        code,
        redirect_uri.as_str(),
        round_trip.code_verifier.as_str(),
    );
    let tokens = upstream::exchange(network, &found, &c, &secret, sent)
        .await
        .map_err(failed(&c))?;
    let expected = id_token::Expected {
        issuer: found.issuer.as_deref().unwrap_or_default(),
        client_id: &c.client_id,
        nonce: &round_trip.nonce,
        now: provider.now(),
    };
    let identity = upstream::identity(network, &found, &c, &tokens, expected)
        .await
        .map_err(failed(&c))?;
    let user = map_identity(provider, &c, &identity).await?;
    Ok(Arrival {
        user,
        connection: c,
        pending_id: round_trip.pending_id,
    })
}
