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
                tracing::warn!(error = %e.code, description = %e.description, cause = e.cause.as_deref().unwrap_or(""), "temporarily unavailable");
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

#[cfg(test)]
mod tests {
    use super::*;

    /// An error response as a client sees it: status, the headers that matter, the body.
    fn seen(e: TokenError) -> String {
        let response = OAuthError(e).into_response();
        let header = |name| {
            response
                .headers()
                .get(name)
                .map_or("-", |v| v.to_str().unwrap_or("?"))
                .to_owned()
        };
        let (www, retry, cache) = (
            header(header::WWW_AUTHENTICATE),
            header(header::RETRY_AFTER),
            header(header::CACHE_CONTROL),
        );
        let status = response.status().as_u16();
        let body = body_text(response);
        format!(
            "{status}\nwww-authenticate: {www}\nretry-after: {retry}\ncache-control: {cache}\n{body}"
        )
    }

    fn body_text(response: Response) -> String {
        let bytes = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(axum::body::to_bytes(response.into_body(), 4096))
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn rfc6749_5_2_error_responses_as_the_client_sees_them() {
        insta::assert_snapshot!(
            "invalid_client",
            seen(TokenError::invalid_client("client authentication failed").with_cause("secret"))
        );
        insta::assert_snapshot!(
            "invalid_grant",
            seen(TokenError::invalid_grant(
                "the authorization code was already used"
            ))
        );
        insta::assert_snapshot!(
            "temporarily_unavailable",
            seen(TokenError::temporarily_unavailable("connection refused"))
        );
        insta::assert_snapshot!(
            "server_error",
            seen(TokenError::server_error("a secret cause never sent"))
        );
    }
}
