//! `/logout` (OpenID Connect RP-Initiated Logout 1.0): end the browser session, then return to
//! a registered post-logout redirect URI or show the signed-out page. Who may be sent where is
//! `sesame_core::oidc::logout`.

use crate::state::AppState;
use crate::ui::browser::{self, Browser};
use crate::ui::error::PageError;
use crate::ui::{page, respond};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use sesame_core::oidc::logout::{self, LogoutRequest};
use sesame_core::params::Params;
use sesame_core::secret::SecretHash;
use sesame_core::session::{self, Presented};

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
    browser: Browser,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    handle(&state, &browser, q.unwrap_or_default().as_bytes(), false).await
}

pub async fn logout_post(
    State(state): State<AppState>,
    browser: Browser,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    if !crate::extract::is_form(&headers) {
        return Err(PageError::BadRequest(
            "A logout request sent by POST must be application/x-www-form-urlencoded.".into(),
        ));
    }
    handle(&state, &browser, &body, true).await
}

async fn handle(
    state: &AppState,
    browser: &Browser,
    raw: &[u8],
    is_post: bool,
) -> Result<Response, PageError> {
    let params = Params::parse(raw)?;
    let request = logout::validate(&state.provider, &params).await?;
    let session = session::find(&state.provider, browser.session()).await?;
    let key = session.as_ref().map(|s| s.key.clone());
    // Our own confirmation form answered.
    if is_post && params.get("decision").is_some() {
        if !browser.sent_its_form(params.get("csrf_token")) {
            return Err(PageError::Forgery);
        }
        if params.get("decision") != Some("logout") {
            let still = "You are still signed in to Sesame.";
            return Ok(done("Still signed in", still, None));
        }
        return end(state, &request, key).await;
    }
    // §2: with a valid hint for this very session (or none left), no need to ask.
    let hinted = request.hint.as_ref().is_some_and(|h| match &session {
        Some(Presented { session: s, .. }) => request.client.as_ref().is_some_and(|c| {
            h.sid.as_deref() == Some(state.provider.sid_for(c, &s.sid).as_str())
                && h.sub == state.provider.subject_for(c, &s.user_id)
        }),
        None => true,
    });
    if hinted || session.is_none() {
        return end(state, &request, key).await;
    }
    Ok(confirm(browser, &params, &request))
}

/// Deletes the session row and the cookie, then goes where the client asked.
async fn end(
    state: &AppState,
    request: &LogoutRequest,
    session: Option<SecretHash>,
) -> Result<Response, PageError> {
    if let Some(key) = session {
        session::end(&state.provider, &key).await?;
    }
    let response = done(
        "Signed out",
        "You are signed out of Sesame.",
        request.redirect.as_deref(),
    );
    Ok(browser::without_session(state, response))
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

fn confirm(browser: &Browser, params: &Params, request: &LogoutRequest) -> Response {
    let carried: Vec<(&str, &str)> = CARRIED
        .iter()
        .filter_map(|k| params.get(k).map(|v| (*k, v)))
        .collect();
    let response = page(
        StatusCode::OK,
        "logout.html",
        minijinja::context! {
            csrf_token => browser.csrf_token(),
            params => carried,
            client_name => request.client.as_ref().map(|c| c.display_name().to_owned()),
        },
    );
    browser.keep(response)
}
