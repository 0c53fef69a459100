//! `GET` and `POST /authorize` (RFC 6749 §3.1, OIDC Core §3.1.2.1): validate, then hand the
//! browser to the login or consent page, or answer the client at once.

use crate::state::AppState;
use crate::ui::browser::{self, BROWSER_COOKIE, BROWSER_COOKIE_AGE};
use crate::ui::respond;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use sesame_core::authorize::{self, flow};
use sesame_core::params::Params;

pub async fn authorize_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    handle(&state, &headers, query.unwrap_or_default().as_bytes()).await
}

/// OIDC Core §3.1.2.1: POST with a form body means the same as GET with a query. A cross-site
/// POST arrives without Sesame's `SameSite=Lax` cookies, so the browser is sent to the same
/// request as a GET, which carries them (single sign-on, `prompt=none`).
pub async fn authorize_post(State(state): State<AppState>, body: Bytes) -> Response {
    if let Err(e) = Params::parse(&body) {
        return respond::render_error(&e);
    }
    // The form encoding is the query encoding: the body becomes the query as it is.
    match std::str::from_utf8(&body) {
        Ok(query) => respond::see_other(&format!(
            "{}?{query}",
            state.provider.settings().endpoint("/authorize")
        )),
        Err(_) => respond::render_error(&sesame_core::TokenError::invalid_request(
            "the request is not valid UTF-8",
        )),
    }
}

async fn handle(state: &AppState, headers: &HeaderMap, raw: &[u8]) -> Response {
    let params = match Params::parse(raw) {
        Ok(p) => p,
        // A malformed request (a repeated parameter, say) cannot be trusted with a redirect.
        Err(e) => return respond::render_error(&e),
    };
    let provider = &state.provider;
    let (request, client) = match authorize::validate(provider, &params).await {
        Ok(valid) => valid,
        Err(e) => return respond::failure(e),
    };
    let session = match browser::session(state, headers).await {
        Ok(s) => s.map(|(s, _)| s),
        Err(e) => return respond::failure(request.error(&provider.settings().issuer, e)),
    };
    let (browser_id, new_browser) = browser::browser_id(headers);
    let mut response =
        match flow::start(provider, &client, request, session.as_ref(), &browser_id).await {
            Ok(next) => respond::next(provider.settings(), next),
            Err(e) => respond::failure(e),
        };
    if new_browser {
        response.headers_mut().append(
            header::SET_COOKIE,
            browser::set_cookie(state, BROWSER_COOKIE, &browser_id, BROWSER_COOKIE_AGE),
        );
    }
    response
}
