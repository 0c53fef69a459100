//! The end of every way of signing in (a password, a second factor, a passkey, an upstream
//! provider): a new session, and the pending authorization request goes on.

use super::browser::{self, Browser};
use super::error::PageError;
use super::respond;
use crate::state::AppState;
use axum::response::Response;
use sesame_core::authorize::flow;
use sesame_core::authorize::pending::PendingAuthorization;
use sesame_core::client::Client;
use sesame_core::session;
use sesame_core::user::User;

/// The query of a page of a pending authorization request: its id.
#[derive(serde::Deserialize)]
pub struct PageQuery {
    pub id: Option<String>,
}

/// After a complete sign-in (`amr` says with which factors): a new session, and the pending
/// authorization request continues.
pub async fn signed_in(
    state: &AppState,
    browser: &Browser,
    client: &Client,
    pending: PendingAuthorization,
    user: &User,
    amr: Vec<String>,
) -> Result<Response, PageError> {
    let provider = &state.provider;
    let old = session::find(provider, browser.session())
        .await?
        .map(|s| s.key);
    let done = flow::signed_in(provider, client, pending, old.as_ref(), user, amr).await?;
    let response = match done.next {
        Ok(next) => respond::next(provider.settings(), next),
        Err(e) => respond::failure(e),
    };
    Ok(browser::with_session(state, &done.cookie, response))
}
