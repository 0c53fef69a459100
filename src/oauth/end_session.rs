//! `/logout` (OpenID Connect RP-Initiated Logout 1.0): end the browser session, then return to
//! a registered post-logout redirect URI or show the signed-out page.

use crate::state::AppState;
use crate::ui::browser::{self, BROWSER_COOKIE, BROWSER_COOKIE_AGE, SESSION_COOKIE};
use crate::ui::login::forbidden;
use crate::ui::{page, respond};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use sesame_core::oidc::logout::{self, LogoutRequest};
use sesame_core::params::Params;

/// The request parameters carried through the confirmation form.
const CARRIED: [&str; 5] = [
    "id_token_hint",
    "post_logout_redirect_uri",
    "state",
    "client_id",
    "ui_locales",
];

pub async fn logout_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    handle(&state, &headers, q.unwrap_or_default().as_bytes(), false).await
}

pub async fn logout_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(&state, &headers, &body, true).await
}

async fn handle(state: &AppState, headers: &HeaderMap, raw: &[u8], is_post: bool) -> Response {
    let params = match Params::parse(raw) {
        Ok(p) => p,
        Err(e) => return respond::render_error(&e),
    };
    let request = match logout::validate(&state.provider, &params).await {
        Ok(r) => r,
        Err(e) => return respond::render_error(&e),
    };
    let session = match browser::session(state, headers).await {
        Ok(s) => s,
        Err(e) => return respond::render_error(&e),
    };
    // Our own confirmation form answered.
    if is_post && params.get("decision").is_some() {
        if !browser::csrf_ok(headers, params.get("csrf_token")) {
            return forbidden();
        }
        if params.get("decision") != Some("logout") {
            return done(
                "Still signed in",
                "You are still signed in to Sesame.",
                None,
            );
        }
        return end(state, &request, session.map(|(_, h)| h)).await;
    }
    // §2: with a valid hint for this very session (or none left), no need to ask.
    let hinted = request.hint.as_ref().is_some_and(|h| match &session {
        Some((s, _)) => h.sid.as_deref() == Some(s.sid.as_str()) && h.sub == s.user_id,
        None => true,
    });
    if hinted || session.is_none() {
        return end(state, &request, session.map(|(_, h)| h)).await;
    }
    confirm(state, headers, &params, &request)
}

/// Deletes the session row and the cookie, then goes where the client asked.
async fn end(
    state: &AppState,
    request: &LogoutRequest,
    session: Option<sesame_core::secret::SecretHash>,
) -> Response {
    if let Some(hash) = session
        && let Err(e) = state.provider.store().delete_session(&hash).await
    {
        return respond::render_error(&e.into());
    }
    let cookie = browser::set_cookie(state, SESSION_COOKIE, "", 0);
    let mut response = done(
        "Signed out",
        "You are signed out of Sesame.",
        request.redirect.as_deref(),
    );
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

fn done(heading: &str, message: &str, redirect: Option<&str>) -> Response {
    match redirect {
        Some(uri) => respond::see_other(uri),
        None => page(
            StatusCode::OK,
            "logged_out.html",
            minijinja::context! { heading, message },
        ),
    }
}

fn confirm(
    state: &AppState,
    headers: &HeaderMap,
    params: &Params,
    request: &LogoutRequest,
) -> Response {
    let (browser_id, new_browser) = browser::browser_id(headers);
    let carried: Vec<(&str, &str)> = CARRIED
        .iter()
        .filter_map(|k| params.get(k).map(|v| (*k, v)))
        .collect();
    let mut response = page(
        StatusCode::OK,
        "logout.html",
        minijinja::context! {
            csrf_token => browser::csrf_token(&browser_id),
            params => carried,
            client_name => request.client.as_ref().map(|c| c.display_name().to_owned()),
        },
    );
    if new_browser {
        response.headers_mut().append(
            header::SET_COOKIE,
            browser::set_cookie(state, BROWSER_COOKIE, &browser_id, BROWSER_COOKIE_AGE),
        );
    }
    response
}
