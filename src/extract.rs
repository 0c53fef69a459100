//! Extractors for the form-encoded endpoints: content type, size limit and RFC 6749 parameter
//! rules, with failures answered as OAuth errors rather than axum's plain-text rejections.

use crate::error::OAuthError;
use axum::body::to_bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use sesame_core::TokenError;
use sesame_core::params::{MAX_FORM_BYTES, Params};

/// The parameters of an `application/x-www-form-urlencoded` POST body and the raw
/// `Authorization` header (client authentication is the core's business).
pub struct OAuthForm {
    pub params: Params,
    pub authorization: Option<String>,
}

impl<S: Send + Sync> FromRequest<S> for OAuthForm {
    type Rejection = OAuthError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            return Err(TokenError::invalid_request(
                "the request body must be application/x-www-form-urlencoded",
            )
            .into());
        }
        let authorization = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| {
                v.to_str().map(str::to_owned).map_err(|_| {
                    TokenError::invalid_request("the Authorization header is not ASCII")
                })
            })
            .transpose()?;
        let body = to_bytes(req.into_body(), MAX_FORM_BYTES)
            .await
            .map_err(|_| {
                TokenError::invalid_request("the request body is too large or unreadable")
            })?;
        Ok(Self {
            params: Params::parse(&body)?,
            authorization,
        })
    }
}
