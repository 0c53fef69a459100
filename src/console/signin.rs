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
use crate::ui::respond::see_other;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sesame_core::client_auth::Caller;
use sesame_core::params::Params;
use sesame_core::secret::{SecretHash, random_token};
use sesame_core::session;
use sesame_core::user::Role;
use std::collections::BTreeMap;
use subtle::ConstantTimeEq;

/// Holds `state.verifier` between the start and the callback.
const FLOW_COOKIE: &str = "sesame_console_flow";
const FLOW_AGE: i64 = 600;

/// `GET /admin/login`: off to `/authorize`, remembering the state and PKCE verifier.
pub async fn start(State(state): State<AppState>) -> Response {
    let settings = state.provider.settings();
    let (flow_state, verifier) = (random_token(16), random_token(32));
    let challenge = URL_SAFE_NO_PAD.encode(SecretHash::of(&verifier).0);
    let redirect_uri = settings.endpoint(CALLBACK);
    let max_age = FRESH_SIGN_IN.to_string();
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("max_age", max_age.as_str()),
            ("client_id", CLIENT_ID),
            ("response_type", "code"),
            ("scope", "openid"),
            ("redirect_uri", redirect_uri.as_str()),
            ("state", flow_state.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .finish();
    let authorize = settings.endpoint(sesame_core::endpoints::AUTHORIZE);
    let mut response = see_other(&format!("{authorize}?{query}"));
    let cookie = state
        .cookies
        .set(FLOW_COOKIE, &format!("{flow_state}.{verifier}"), FLOW_AGE);
    response.headers_mut().append(header::SET_COOKIE, cookie);
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
    let remembered = state.cookies.get(&headers, FLOW_COOKIE);
    let (Some((flow_state, verifier)), Some(code), Some(returned)) = (
        remembered.as_deref().and_then(|c| c.split_once('.')),
        query.get("code"),
        query.get("state"),
    ) else {
        return Err(PageError::BadRequest(format!(
            "This is where signing in to the console returns to. Start at {}.",
            settings.endpoint(HOME)
        )));
    };
    // RFC 6749 §10.12: the state this browser sent is the one that came back.
    if !bool::from(returned.as_bytes().ct_eq(flow_state.as_bytes())) {
        return Err(PageError::BadRequest(format!(
            "The sign-in that came back is not the one this browser started. Start again at {}.",
            settings.endpoint(HOME)
        )));
    }
    let redirect_uri = settings.endpoint(CALLBACK);
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("client_id", CLIENT_ID),
            ("code_verifier", verifier),
        ])
        .finish();
    let params = Params::parse(body.as_bytes())
        .map_err(|e| PageError::BadRequest(e.description.into_owned()))?;
    let caller = Caller {
        authorization: None,
        address,
    };
    let (tokens, _) = sesame_core::token::exchange(&state.provider, caller, params)
        .await
        .map_err(PageError::from)?;
    // The ID token came straight from the token logic: its subject is who signed in.
    let subject = tokens
        .id_token
        .as_deref()
        .and_then(crate::ui::demo::payload)
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
    headers.append(header::SET_COOKIE, state.cookies.set(FLOW_COOKIE, "", 0));
    Ok(response)
}
