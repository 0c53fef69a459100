//! Protocol errors become HTTP responses here, in one place, and their causes reach the log once.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sesame_core::{ErrorCode, TokenError};

/// A [`TokenError`] on its way out of the token, introspection or revocation endpoint.
pub struct OAuthError(pub TokenError);

impl From<TokenError> for OAuthError {
    fn from(e: TokenError) -> Self {
        Self(e)
    }
}

/// RFC 6749 §5.2: the status for each error code.
fn status(code: ErrorCode) -> StatusCode {
    match code {
        // RFC 6749 §5.2 allows 401 for invalid_client and requires it when Basic was used;
        // RFC 9110 §15.5.2 then requires a challenge, sent below.
        ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let e = self.0;
        match e.code {
            ErrorCode::ServerError => {
                tracing::error!(error = %e.code, cause = e.cause.as_deref().unwrap_or(""), "request failed");
            }
            ErrorCode::TemporarilyUnavailable => {
                tracing::warn!(error = %e.code, cause = e.cause.as_deref().unwrap_or(""), "store unavailable");
            }
            _ => {
                tracing::info!(error = %e.code, description = %e.description, cause = e.cause.as_deref().unwrap_or(""), "request refused");
            }
        }
        let body = serde_json::json!({
            "error": e.code.as_str(),
            "error_description": e.description,
        });
        let mut response = (status(e.code), no_store_json(body.to_string())).into_response();
        if e.code == ErrorCode::InvalidClient {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"sesame\", charset=\"UTF-8\""),
            );
        }
        if e.code == ErrorCode::TemporarilyUnavailable {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// A JSON body that must not be cached (RFC 6749 §5.1): tokens and everything about them.
pub fn no_store_json(body: String) -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::PRAGMA, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
}
