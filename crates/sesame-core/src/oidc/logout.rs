//! RP-Initiated Logout 1.0: who is asking to log the user out, and where to send them after.

use super::id_token::{IdTokenClaims, read_hint};
use crate::authorize::redirect_uri::{self, Purpose};
use crate::client::Client;
use crate::error::TokenError;
use crate::params::Params;
use crate::provider::Provider;
use std::sync::Arc;

#[derive(Debug)]
pub struct LogoutRequest {
    /// The valid `id_token_hint`, if one was given.
    pub hint: Option<IdTokenClaims>,
    pub client: Option<Arc<Client>>,
    /// A registered post-logout redirect URI, with `state` added.
    pub redirect: Option<String>,
}

/// Validates the request (§2, §3). Every error is for the user's eyes: nothing is redirected to
/// a URI that is not registered.
pub async fn validate(provider: &Provider, params: &Params) -> Result<LogoutRequest, TokenError> {
    let hint = match params.get("id_token_hint") {
        None => None,
        Some(h) => Some(read_hint(provider, h).ok_or_else(|| {
            TokenError::invalid_request("id_token_hint is not an ID token issued by this server")
        })?),
    };
    let client_id = match (params.get("client_id"), &hint) {
        (Some(id), Some(h)) if id != h.aud => {
            return Err(TokenError::invalid_request(
                "client_id does not match the id_token_hint",
            ));
        }
        (Some(id), _) => Some(id.to_owned()),
        (None, Some(h)) => Some(h.aud.clone()),
        (None, None) => None,
    };
    let client = match &client_id {
        None => None,
        Some(id) => Some(
            provider
                .client(id)
                .await?
                .ok_or_else(|| TokenError::invalid_request("the client_id is not registered"))?,
        ),
    };
    let redirect = match params.get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let client = client.as_ref().ok_or_else(|| {
                TokenError::invalid_request(
                    "post_logout_redirect_uri needs an id_token_hint or a client_id",
                )
            })?;
            // §3: exact match with a registered value (the one matcher of every redirect).
            if !redirect_uri::is_registered(uri, client, Purpose::PostLogout) {
                return Err(TokenError::invalid_request(
                    "post_logout_redirect_uri is not registered for this client",
                ));
            }
            Some(with_state(uri, params.get("state")))
        }
    };
    Ok(LogoutRequest {
        hint,
        client,
        redirect,
    })
}

fn with_state(uri: &str, state: Option<&str>) -> String {
    let Some(state) = state else {
        return uri.to_owned();
    };
    let encoded = form_urlencoded::Serializer::new(String::new())
        .append_pair("state", state)
        .finish();
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{encoded}")
}
