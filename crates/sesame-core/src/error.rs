//! Protocol errors with a public description (sent to the client) and a private cause (logged).
//!
//! RFC 6749 §5.2 defines the token endpoint's error codes; RFC 7009 §2.2.1 adds
//! `unsupported_token_type` and RFC 8707 §2 `invalid_target`.

use std::borrow::Cow;
use std::fmt;

/// The `error` value of an OAuth 2.0 error response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    InvalidTarget,
    UnsupportedTokenType,
    ServerError,
    TemporarilyUnavailable,
    // RFC 6749 §4.1.2.1: errors of the authorization endpoint.
    AccessDenied,
    UnsupportedResponseType,
    // OpenID Connect Core §3.1.2.6.
    LoginRequired,
    ConsentRequired,
    InteractionRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    // OpenID Connect Core Unmet Authentication Requirements 1.0 §2.
    UnmetAuthenticationRequirements,
    // RFC 6750 §3.1: errors of a protected resource (UserInfo).
    InvalidToken,
    InsufficientScope,
    // RFC 8628 §3.5: the device code grant's polling answers.
    AuthorizationPending,
    SlowDown,
    ExpiredToken,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidTarget => "invalid_target",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::InteractionRequired => "interaction_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::UnmetAuthenticationRequirements => "unmet_authentication_requirements",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::ExpiredToken => "expired_token",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A protocol error: answered by the token, introspection or revocation endpoint as JSON, by the
/// authorization endpoint as redirect parameters, by UserInfo in `WWW-Authenticate`.
#[derive(Debug)]
pub struct TokenError {
    pub code: ErrorCode,
    /// Safe to show the client: says what was wrong with the request, never a secret.
    pub description: Cow<'static, str>,
    /// For the log only (a backend failure, say); never sent.
    pub cause: Option<String>,
}

impl TokenError {
    fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            description: description.into(),
            cause: None,
        }
    }

    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }
    pub fn invalid_client(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidClient, description)
    }
    pub fn invalid_grant(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidGrant, description)
    }
    pub fn unauthorized_client(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::UnauthorizedClient, description)
    }
    pub fn unsupported_grant_type(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::UnsupportedGrantType, description)
    }
    pub fn invalid_scope(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidScope, description)
    }
    pub fn invalid_target(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidTarget, description)
    }
    /// Any code with a description, for the authorization endpoint's and UserInfo's errors.
    pub fn with_code(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(code, description)
    }

    /// Adds a cause for the log, keeping the public description as it is.
    pub fn with_cause(mut self, cause: impl Into<String>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// A failure of Sesame itself: the client sees a generic description, the log the cause.
    pub fn server_error(cause: impl fmt::Display) -> Self {
        Self {
            code: ErrorCode::ServerError,
            description: Cow::Borrowed("the authorization server encountered an unexpected error"),
            cause: Some(cause.to_string()),
        }
    }

    /// The store is unreachable: the request may succeed if retried (HTTP 503).
    pub fn temporarily_unavailable(cause: impl fmt::Display) -> Self {
        Self {
            code: ErrorCode::TemporarilyUnavailable,
            description: Cow::Borrowed("the authorization server is temporarily unavailable"),
            cause: Some(cause.to_string()),
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
    }
}

impl std::error::Error for TokenError {}

impl From<crate::store::StoreError> for TokenError {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            crate::store::StoreError::Unavailable(cause) => Self::temporarily_unavailable(cause),
            other => Self::server_error(other),
        }
    }
}
