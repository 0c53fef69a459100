//! `GET` and `POST /authorize` (RFC 6749 §3.1, OIDC Core §3.1.2.1): validate, then hand the
//! browser to the login or consent page, or answer the client at once.

use crate::state::AppState;
use crate::ui::browser::Browser;
use crate::ui::error::PageError;
use crate::ui::respond;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use sesame_core::authorize::{self, flow};
use sesame_core::params::Params;
use sesame_core::{endpoints, session};

pub async fn authorize_get(
    State(state): State<AppState>,
    browser: Browser,
    RawQuery(query): RawQuery,
) -> Response {
    handle(&state, &browser, query.unwrap_or_default().as_bytes()).await
}

/// OIDC Core §3.1.2.1: POST with a form body means the same as GET with a query. A cross-site
/// POST arrives without Sesame's `SameSite=Lax` cookies, so the browser is sent to the same
/// request as a GET, which carries them (single sign-on, `prompt=none`).
pub async fn authorize_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    if !crate::extract::is_form(&headers) {
        return Err(PageError::BadRequest(
            "An authorization request sent by POST must be application/x-www-form-urlencoded."
                .into(),
        ));
    }
    Params::parse(&body)?;
    // The form encoding is the query encoding: the body becomes the query as it is.
    let query = std::str::from_utf8(&body)
        .map_err(|_| PageError::BadRequest("The request is not valid UTF-8.".into()))?;
    let authorize = state.provider.settings().endpoint(endpoints::AUTHORIZE);
    Ok(respond::see_other(&format!("{authorize}?{query}")))
}

async fn handle(state: &AppState, browser: &Browser, raw: &[u8]) -> Response {
    let params = match Params::parse(raw) {
        Ok(p) => p,
        // A malformed request (a repeated parameter, say) cannot be trusted with a redirect.
        Err(e) => return PageError::from(e).into_response(),
    };
    if let Some(id) = params.get("client_id") {
        crate::ops::name_client(id);
    }
    let provider = &state.provider;
    let (request, client) = match authorize::validate(provider, &params).await {
        Ok(valid) => valid,
        Err(e) => return respond::failure(e),
    };
    let session = match session::find(provider, browser.session()).await {
        Ok(s) => s.map(|s| s.session),
        Err(e) => return respond::failure(request.error(&provider.settings().issuer, e.into())),
    };
    let started = flow::start(provider, &client, request, session.as_ref(), browser.id()).await;
    let response = match started {
        Ok(next) => respond::next(provider.settings(), next),
        Err(e) => respond::failure(e),
    };
    browser.keep(response)
}
