//! Bearer tokens at a protected resource (RFC 6750): where the token may come from, and the
//! errors a resource answers with (§3.1). UserInfo is Sesame's protected resource.

use crate::error::{ErrorCode, TokenError};
use crate::store::StoreError;
use std::borrow::Cow;

#[derive(Debug)]
pub enum BearerError {
    /// No token at all: a bare challenge, without an error code (§3.1).
    Missing,
    /// `invalid_request`: the token was sent in a way §2 does not allow.
    InvalidRequest(Cow<'static, str>),
    /// `invalid_token`: expired, revoked, malformed or unknown.
    InvalidToken(Cow<'static, str>),
    /// `insufficient_scope`: the token is good but was not granted what this resource needs.
    InsufficientScope(Cow<'static, str>),
    /// Sesame failed while checking the token (the store): not a bearer problem.
    Server(TokenError),
}

impl BearerError {
    /// The `error` of the challenge; `None` for [`BearerError::Missing`] and server failures.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::InvalidRequest(_) => Some(ErrorCode::InvalidRequest),
            Self::InvalidToken(_) => Some(ErrorCode::InvalidToken),
            Self::InsufficientScope(_) => Some(ErrorCode::InsufficientScope),
            Self::Missing | Self::Server(_) => None,
        }
    }

    pub fn description(&self) -> Option<&str> {
        match self {
            Self::InvalidRequest(d) | Self::InvalidToken(d) | Self::InsufficientScope(d) => Some(d),
            Self::Missing | Self::Server(_) => None,
        }
    }
}

impl From<StoreError> for BearerError {
    fn from(e: StoreError) -> Self {
        Self::Server(e.into())
    }
}

/// The token of a request (RFC 6750 §2): from `Authorization: Bearer` (§2.1) or the
/// `access_token` form parameter of a form-encoded body (§2.2), and from exactly one of them.
/// The query parameter (§2.3) is not accepted: URLs end up in logs.
pub fn token_of(
    authorization: Option<&str>,
    form_token: Option<&str>,
) -> Result<String, BearerError> {
    let header = authorization
        .map(|v| match v.split_once(' ') {
            // RFC 9110 §11.1: the scheme is case-insensitive.
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                Ok(token.trim().to_owned())
            }
            _ => Err(BearerError::InvalidRequest(
                "the Authorization header must use the Bearer scheme".into(),
            )),
        })
        .transpose()?
        .filter(|t| !t.is_empty());
    match (header, form_token) {
        (Some(_), Some(_)) => Err(BearerError::InvalidRequest(
            "the access token was sent in more than one way".into(),
        )),
        (Some(t), None) => Ok(t),
        (None, Some(t)) => Ok(t.to_owned()),
        (None, None) => Err(BearerError::Missing),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6750_2_1_the_header_scheme_is_case_insensitive() {
        assert_eq!(token_of(Some("Bearer abc"), None).unwrap(), "abc");
        assert_eq!(token_of(Some("bearer abc"), None).unwrap(), "abc");
        assert_eq!(token_of(Some("BEARER  abc "), None).unwrap(), "abc");
    }

    #[test]
    fn rfc6750_2_2_the_form_parameter_is_a_token_too() {
        assert_eq!(token_of(None, Some("abc")).unwrap(), "abc");
    }

    #[test]
    fn rfc6750_2_exactly_one_method_is_used() {
        let e = token_of(Some("Bearer abc"), Some("abc")).unwrap_err();
        assert_eq!(e.code(), Some(ErrorCode::InvalidRequest));
        assert!(e.description().unwrap().contains("more than one"));
    }

    #[test]
    fn rfc6750_3_1_no_credentials_is_a_bare_challenge_and_other_schemes_are_invalid_requests() {
        let e = token_of(None, None).unwrap_err();
        assert!(matches!(e, BearerError::Missing));
        assert_eq!(e.code(), None);
        let e = token_of(Some("Basic dXNlcjpwYXNz"), None).unwrap_err();
        assert_eq!(e.code(), Some(ErrorCode::InvalidRequest));
        assert!(matches!(
            token_of(Some("Bearer "), None),
            Err(BearerError::InvalidRequest(_) | BearerError::Missing)
        ));
    }
}
