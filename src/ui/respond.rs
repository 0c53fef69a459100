//! Delivering the outcome of an authorization request: a redirect to the client (query or
//! fragment), an auto-submitting form (form_post), a page, or the next page for the user.

use super::error::PageError;
use super::{error_page, page_with_script, with_headers};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sesame_core::Settings;
use sesame_core::authorize::AuthorizeError;
use sesame_core::authorize::flow::Next;
use sesame_core::authorize::response::AuthorizationResponse;
use sesame_core::endpoints;
use sesame_core::response_type::ResponseMode;

/// The form_post page's script; its CSP allows exactly this text by its hash.
const FORM_POST_SCRIPT: &str = "document.forms[0].submit();";

/// The next page for the user, as an absolute URL under the issuer (which may have a path).
pub fn next(settings: &Settings, next: Next) -> Response {
    match next {
        Next::Login(id) => see_other(&with_id(settings, endpoints::LOGIN, &id)),
        Next::Consent(id) => see_other(&with_id(settings, endpoints::CONSENT, &id)),
        Next::Respond(r) => deliver(&r),
    }
}

/// A page of a pending authorization request, by its id.
pub fn with_id(settings: &Settings, path: &str, id: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("id", id)
        .finish();
    format!("{}?{query}", settings.endpoint(path))
}

/// An authorization error: redirected to the client when its redirect URI is trusted, shown
/// otherwise.
pub fn failure(e: AuthorizeError) -> Response {
    match e {
        AuthorizeError::Redirect(r) => deliver(&r),
        AuthorizeError::Render(e) => PageError::from(e).into_response(),
    }
}

pub fn deliver(r: &AuthorizationResponse) -> Response {
    if r.is_error() {
        tracing::info!(redirect_uri = %r.redirect_uri, "authorization error sent to the client");
    }
    match r.mode {
        ResponseMode::FormPost => form_post(r),
        ResponseMode::Query | ResponseMode::Fragment => see_other(&r.location()),
    }
}

/// OAuth 2.0 Form Post Response Mode §2: an HTML form that posts itself to the redirect URI.
fn form_post(r: &AuthorizationResponse) -> Response {
    let params: Vec<(&str, &str)> = r.params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    page_with_script(
        StatusCode::OK,
        "form_post.html",
        minijinja::context! { redirect_uri => r.redirect_uri, params },
        FORM_POST_SCRIPT,
    )
}

/// 303: the browser follows with a GET whatever the method was (RFC 9110 §15.4.4).
pub fn see_other(location: &str) -> Response {
    let mut response = with_headers(
        StatusCode::SEE_OTHER,
        String::new(),
        "frame-ancestors 'none'",
    );
    match HeaderValue::from_str(location) {
        Ok(v) => {
            response.headers_mut().insert(header::LOCATION, v);
            response
        }
        Err(_) => error_page(
            StatusCode::BAD_REQUEST,
            "the redirect address is not valid",
            None,
        )
        .into_response(),
    }
}
