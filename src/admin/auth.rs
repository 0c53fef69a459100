//! Who may use the admin API: a bearer access token (RFC 6750) granted the `sesame:admin`
//! scope, held by a client still registered as `admin`. The token is checked on every request,
//! so revoking it or the client's admin mark ends its access at once.

use super::problem::Problem;
use crate::client_address::ClientAddress;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use sesame_core::audit::{Actor, Origin};
use sesame_core::bearer::{self, BearerError};
use sesame_core::client::ADMIN_SCOPE;
use sesame_core::token::inspect::find_active_token;

/// The authenticated caller of an admin route, as the audit trail records it.
pub struct Admin(pub Origin);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        // No text Sesame keeps may hold a NUL (PostgreSQL refuses it): a path or query that
        // would put one in an identifier or a search is refused before anything reads it.
        let uri = parts.uri.to_string();
        if uri.to_ascii_lowercase().contains("%00") {
            return Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "the request's path or query holds a NUL character",
            ));
        }
        let authorization = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        // RFC 6750 §3.1: another scheme (Basic, say) is no token at all, a bare challenge.
        let bearer = authorization.filter(|v| {
            v.split_once(' ')
                .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        });
        let token = bearer::token_of(bearer, None).map_err(refused)?;
        let provider = &state.provider;
        let known = find_active_token(provider, &token)
            .await
            .map_err(Problem::from)?
            .ok_or_else(|| refused(invalid_token()))?;
        let claims = known.claims;
        if !claims.scope.split(' ').any(|s| s == ADMIN_SCOPE) {
            return Err(refused(BearerError::InsufficientScope(
                format!("the admin API needs a token granted the {ADMIN_SCOPE} scope").into(),
            )));
        }
        // The scope is granted by client_credentials alone (see `Client::validate`): the token
        // speaks for its client, which must still be an admin client.
        let client = provider
            .client(&claims.client_id)
            .await
            .map_err(Problem::from)?;
        if claims.sub != claims.client_id || !client.is_some_and(|c| c.metadata.admin) {
            return Err(refused(BearerError::InsufficientScope(
                "the token's client is not an admin client".into(),
            )));
        }
        let ClientAddress(address) = ClientAddress::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|never| match never {});
        Ok(Self(Origin {
            actor: Actor::Client(claims.client_id),
            address: Some(address.to_string()),
        }))
    }
}

fn invalid_token() -> BearerError {
    BearerError::InvalidToken("the access token is invalid, expired or revoked".into())
}

/// The RFC 6750 §3 challenge, as a problem with the matching status.
fn refused(e: BearerError) -> Problem {
    let (status, detail) = match &e {
        BearerError::Missing => (
            StatusCode::UNAUTHORIZED,
            "the admin API needs a bearer access token".to_owned(),
        ),
        BearerError::InsufficientScope(d) => (StatusCode::FORBIDDEN, d.to_string()),
        BearerError::InvalidRequest(d) => (StatusCode::BAD_REQUEST, d.to_string()),
        other => (
            StatusCode::UNAUTHORIZED,
            other.description().unwrap_or_default().to_owned(),
        ),
    };
    let mut challenge = format!("Bearer realm=\"sesame-admin\", scope=\"{ADMIN_SCOPE}\"");
    if let (Some(code), Some(description)) = (e.code(), e.description()) {
        challenge.push_str(&format!(
            ", error=\"{code}\", error_description=\"{}\"",
            description.replace(['"', '\\'], "'")
        ));
    }
    let mut problem = Problem::new(status, detail);
    problem.challenge = Some(challenge);
    problem
}
