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
use crate::ui::first_party::FirstParty;
use crate::ui::respond::see_other;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
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
    CONSOLE.redirect(&state, Some(FRESH_SIGN_IN))
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
    let user = CONSOLE
        .signed_in_user(&state, address, &browser, &headers, &query)
        .await?;
    let Some(session_cookie) = browser.session() else {
        return Err(PageError::RequestGone);
    };
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
