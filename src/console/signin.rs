//! Signing in to the console: an authorization code flow with PKCE to Sesame itself, as the
//! console's public client, redeemed by the token endpoint's own logic in-process. Whatever the
//! sign-in asks (a password, later a second factor) the console gets for free.

use super::{
    CALLBACK, CLIENT_ID, CONSOLE_AGE, COOKIE, FRESH_SIGN_IN, HOME, cookie_value, not_an_admin,
};
use crate::client_address::ClientAddress;
use crate::state::AppState;
use crate::ui::browser::Browser;
use crate::ui::error::PageError;
use crate::ui::first_party::{FirstParty, payload};
use crate::ui::respond::see_other;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use sesame_core::session;
use sesame_core::user::Role;
use std::collections::BTreeMap;

/// The console as a first-party client.
const CONSOLE: FirstParty = FirstParty {
    client_id: CLIENT_ID,
    scope: "openid",
    start: HOME,
    callback: CALLBACK,
    cookie: "sesame_console_flow",
};

/// `GET /admin/login`: off to `/authorize`, remembering the state and PKCE verifier, asking for
/// a sign-in no older than [`FRESH_SIGN_IN`].
pub async fn start(State(state): State<AppState>) -> Response {
    let started = CONSOLE.start(&state, Some(FRESH_SIGN_IN));
    let mut response = see_other(&started.authorize_url);
    response
        .headers_mut()
        .append(header::SET_COOKIE, started.cookie);
    response
}

/// `GET /admin/callback`: the code redeemed, the signed-in user checked for the admin role,
/// and the console cookie bound to this browser's session.
pub async fn callback(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    browser: Browser,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    let settings = state.provider.settings();
    if let Some(error) = query.get("error") {
        // Only a code of RFC 6749's shape is shown: the query is anyone's to write.
        let code = Some(error.as_str())
            .filter(|e| e.len() <= 40 && e.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
            .unwrap_or("an error");
        return Err(PageError::BadRequest(format!(
            "Signing in to the console did not finish ({code}). Start again at {}.",
            settings.endpoint(HOME)
        )));
    }
    let (code, verifier) = CONSOLE.returned(&state, &headers, &query)?;
    let request = CONSOLE.token_request(&state, &code, &verifier);
    let tokens = CONSOLE
        .redeem(&state, address, &request)
        .await
        .map_err(PageError::from)?;
    // The ID token came straight from the token logic: its subject is who signed in.
    let subject = tokens
        .id_token
        .as_deref()
        .and_then(payload)
        .and_then(|claims| claims["sub"].as_str().map(str::to_owned));
    let signed_in = session::signed_in(&state.provider, browser.session())
        .await
        .map_err(|e| PageError::Unavailable(e.to_string()))?;
    let (Some((_, user)), Some(session_cookie)) = (signed_in, browser.session()) else {
        return Err(PageError::BadRequest(
            "This browser's session ended while signing in. Sign in again.".into(),
        ));
    };
    if subject.as_deref() != Some(user.id.as_str()) {
        return Err(PageError::BadRequest(
            "The sign-in belongs to another session of this browser. Sign in again.".into(),
        ));
    }
    if !user.has_role(Role::Admin) {
        return Ok(not_an_admin(&user));
    }
    let bound = cookie_value(state.provider.csrf(), session_cookie, state.provider.now());
    let mut response = see_other(&settings.endpoint(HOME));
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        state.cookies.set(COOKIE, &bound, CONSOLE_AGE),
    );
    headers.append(header::SET_COOKIE, CONSOLE.forget(&state));
    Ok(response)
}
