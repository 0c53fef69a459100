//! What goes wrong on a page, decided in one place: the status, the heading, the words a person
//! reads, and the log line. A page never answers a client; an OAuth error reaches a page only
//! when it must not be redirected (an unknown client or redirect URI).

use super::error_page;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sesame_core::authorize::pending::PendingError;
use sesame_core::store::StoreError;
use sesame_core::{ErrorCode, TokenError};

#[derive(Debug)]
pub enum PageError {
    /// A form without this browser's CSRF token: refused, nothing done.
    Forgery,
    /// The pending sign-in request is unknown, expired or already completed.
    RequestGone,
    /// The pending sign-in request was started in another browser.
    OtherBrowser,
    /// Something the person sent cannot be used; the message says what to do.
    BadRequest(String),
    NotFound(String),
    /// The request clashes with what exists (an upstream identity with a local account).
    Conflict(String),
    /// An upstream identity provider failed or answered wrongly.
    Upstream(String),
    /// The browser's sign-in is one factor, and this needs two: the page cannot ask for them.
    NeedsSecondFactor,
    /// An authorization request that cannot go back to its client: shown with its error code.
    Protocol(TokenError),
    /// The store cannot be reached; the cause is for the log.
    Unavailable(String),
    /// Sesame failed; the cause is for the log.
    Internal(String),
}

impl PageError {
    fn status(&self) -> StatusCode {
        match self {
            Self::Forgery | Self::NeedsSecondFactor => StatusCode::FORBIDDEN,
            Self::RequestGone | Self::OtherBrowser | Self::BadRequest(_) | Self::Protocol(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Upstream(_) => StatusCode::BAD_GATEWAY,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn message(&self) -> &str {
        match self {
            Self::Forgery => {
                "The form was not sent from this browser's Sesame page (missing or wrong CSRF \
                 token). Reload the page and try again."
            }
            Self::NeedsSecondFactor => {
                "This needs a sign-in with a second factor, which this page cannot ask for. \
                 Sign in on your account page (/account on this Sesame) with your authenticator \
                 or passkey (or add one there), then come back to this page."
            }
            Self::RequestGone => {
                "This sign-in request has expired or was already completed. Start again from \
                 the application."
            }
            Self::OtherBrowser => {
                "This sign-in request was started in another browser. Start again from the \
                 application."
            }
            Self::BadRequest(m) | Self::NotFound(m) | Self::Conflict(m) | Self::Upstream(m) => m,
            Self::Protocol(e) => &e.description,
            Self::Unavailable(_) => {
                "Sesame cannot reach its database right now. Try again shortly."
            }
            Self::Internal(_) => "Sesame could not complete this request.",
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            Self::Internal(cause) => tracing::error!(cause = %cause, "page failed"),
            Self::Unavailable(cause) => tracing::warn!(cause = %cause, "store unavailable"),
            Self::Upstream(message) => {
                tracing::warn!(%message, "upstream sign-in failed");
                metrics::counter!("sesame_upstream_failures_total").increment(1);
            }
            Self::Protocol(e) => {
                tracing::info!(error = %e.code, description = %e.description, "authorization request refused")
            }
            other => tracing::info!(
                status = status.as_u16(),
                message = other.message(),
                "page refused"
            ),
        }
        let code = match &self {
            Self::Protocol(e) => Some(e.code.as_str()),
            _ => None,
        };
        error_page(status, self.message(), code)
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(cause) => Self::Unavailable(cause),
            other => Self::Internal(other.to_string()),
        }
    }
}

/// A protocol error for the person's eyes: Sesame's own failures stay generic.
impl From<TokenError> for PageError {
    fn from(e: TokenError) -> Self {
        let cause = || e.cause.clone().unwrap_or_else(|| e.description.to_string());
        match e.code {
            ErrorCode::TemporarilyUnavailable => Self::Unavailable(cause()),
            ErrorCode::ServerError => Self::Internal(cause()),
            _ => Self::Protocol(e),
        }
    }
}

impl From<PendingError> for PageError {
    fn from(e: PendingError) -> Self {
        match e {
            PendingError::Gone => Self::RequestGone,
            PendingError::OtherBrowser => Self::OtherBrowser,
            PendingError::Store(e) => e.into(),
        }
    }
}
