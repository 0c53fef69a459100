//! Extractors for form-encoded requests: one content-type check, the size limit and the RFC 6749
//! parameter rules, with failures answered in the endpoint's own terms (OAuth errors for the
//! protocol endpoints, a page for the pages) rather than axum's plain-text rejections.

use crate::client_address::ClientAddress;
use crate::error::OAuthError;
use crate::state::AppState;
use crate::ui::error::PageError;
use axum::body::to_bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;
use sesame_core::TokenError;
use sesame_core::client_auth::Caller;
use sesame_core::params::{MAX_FORM_BYTES, Params};
use std::net::IpAddr;

/// Whether the body is `application/x-www-form-urlencoded` (media types are case-insensitive,
/// RFC 9110 §8.3.1; parameters such as `charset` are allowed).
pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// The `Authorization` header, which client authentication reads; it must be ASCII.
pub fn authorization(headers: &HeaderMap) -> Result<Option<String>, TokenError> {
    headers
        .get(header::AUTHORIZATION)
        .map(|v| {
            v.to_str()
                .map(str::to_owned)
                .map_err(|_| TokenError::invalid_request("the Authorization header is not ASCII"))
        })
        .transpose()
}

/// The parameters of an `application/x-www-form-urlencoded` POST body, and who sent it: the
/// raw `Authorization` header and the client address (client authentication is the core's
/// business).
pub struct OAuthForm {
    pub params: Params,
    pub sender: Sender,
}

/// The sender of an [`OAuthForm`].
pub struct Sender {
    authorization: Option<String>,
    address: IpAddr,
}

impl Sender {
    pub fn caller(&self) -> Caller<'_> {
        Caller {
            authorization: self.authorization.as_deref(),
            address: self.address,
        }
    }
}

impl FromRequest<AppState> for OAuthForm {
    type Rejection = OAuthError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let Ok(ClientAddress(address)) = ClientAddress::from_request_parts(&mut parts, state).await;
        let req = Request::from_parts(parts, body);
        if !is_form(req.headers()) {
            return Err(TokenError::invalid_request(
                "the request body must be application/x-www-form-urlencoded",
            )
            .into());
        }
        let authorization = authorization(req.headers())?;
        let body = to_bytes(req.into_body(), MAX_FORM_BYTES)
            .await
            .map_err(|_| {
                TokenError::invalid_request("the request body is too large or unreadable")
            })?;
        let params = Params::parse(&body)?;
        if let Some(id) =
            sesame_core::client_auth::named_client_id(authorization.as_deref(), &params)
        {
            crate::ops::name_client(&id);
        }
        Ok(Self {
            params,
            sender: Sender {
                authorization,
                address,
            },
        })
    }
}

/// A form submitted from one of Sesame's pages.
pub struct PageForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for PageForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, PageError> {
        if !is_form(req.headers()) {
            return Err(PageError::BadRequest(
                "The form must be sent as application/x-www-form-urlencoded.".into(),
            ));
        }
        let axum::Form(form) = axum::Form::<T>::from_request(req, state)
            .await
            .map_err(|e| {
                tracing::info!(error = %e, "unreadable form");
                PageError::BadRequest(
                    "The form could not be read. Reload the page and try again.".into(),
                )
            })?;
        Ok(Self(form))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_type(value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn the_form_media_type_is_matched_case_insensitively_with_parameters() {
        assert!(is_form(&with_type("application/x-www-form-urlencoded")));
        assert!(is_form(&with_type("Application/X-WWW-Form-Urlencoded")));
        assert!(is_form(&with_type(
            "application/x-www-form-urlencoded; charset=UTF-8"
        )));
        assert!(!is_form(&with_type("application/json")));
        assert!(!is_form(&with_type("application/x-www-form-urlencodedx")));
        assert!(!is_form(&HeaderMap::new()));
    }
}
