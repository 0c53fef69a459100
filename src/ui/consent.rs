//! `/consent`: the user approves or denies a client's request, which then completes.

use super::browser::Browser;
use super::error::PageError;
use super::sign_in::PageQuery;
use super::{page, respond};
use crate::extract::PageForm;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use sesame_core::authorize::pending::{self, PendingAuthorization};
use sesame_core::authorize::{CLAIM_CONSENT_PREFIX, flow};
use sesame_core::client::Client;
use sesame_core::endpoints;
use sesame_core::session::BrowserSession;
use sesame_core::user::User;
use std::sync::Arc;

#[derive(serde::Deserialize)]
pub struct ConsentForm {
    id: Option<String>,
    csrf_token: Option<String>,
    decision: Option<String>,
}

/// A scope in words a person can judge.
pub fn describe(scope: &str) -> String {
    match scope {
        "openid" => "Know who you are on Sesame".to_owned(),
        "profile" => "See your name and profile details".to_owned(),
        "email" => "See your email address".to_owned(),
        "address" => "See your postal address".to_owned(),
        "phone" => "See your phone number".to_owned(),
        "offline_access" => {
            "Keep access when you are not using it (until you revoke it)".to_owned()
        }
        other => match other.strip_prefix(CLAIM_CONSENT_PREFIX) {
            Some(claim) => format!("See your {}", claim.replace('_', " ")),
            None => format!("Use the “{other}” permission"),
        },
    }
}

/// The pending request, its client, and the session and user allowed to answer it; a browser
/// not signed in as that user is sent to sign in first.
async fn checked(
    state: &AppState,
    browser: &Browser,
    id: Option<&str>,
) -> Result<Result<(PendingAuthorization, Arc<Client>, BrowserSession, User), Response>, PageError>
{
    let provider = &state.provider;
    let (pending, client) = pending::load(provider, id, browser.binding()).await?;
    Ok(
        match flow::consenting_user(provider, &pending, browser.session()).await? {
            Some((session, user)) => Ok((pending, client, session, user)),
            None => Err(respond::see_other(&respond::with_id(
                provider.settings(),
                endpoints::LOGIN,
                &pending.id,
            ))),
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    browser: Browser,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let (pending, client, _, user) = match checked(&state, &browser, q.id.as_deref()).await? {
        Ok(found) => found,
        Err(sign_in_first) => return Ok(sign_in_first),
    };
    let scopes: Vec<String> = pending
        .request
        .consent_items()
        .iter()
        .map(describe)
        .collect();
    Ok(page(
        StatusCode::OK,
        "consent.html",
        minijinja::context! {
            id => pending.id,
            csrf_token => browser.csrf_token(),
            client_name => client.display_name(),
            username => user.username,
            scopes,
        },
    ))
}

pub async fn submit(
    State(state): State<AppState>,
    browser: Browser,
    PageForm(form): PageForm<ConsentForm>,
) -> Result<Response, PageError> {
    if !browser.sent_its_form(form.csrf_token.as_deref()) {
        return Err(PageError::Forgery);
    }
    let allow = decision(form.decision.as_deref())?;
    let (pending, client, session, user) =
        match checked(&state, &browser, form.id.as_deref()).await? {
            Ok(found) => found,
            Err(sign_in_first) => return Ok(sign_in_first),
        };
    tracing::info!(sub = %user.id, client_id = %client.client_id, allow, "consent answered");
    crate::ops::count_decision("oauth2", allow);
    let answered = flow::finish_consent(
        &state.provider,
        &client,
        &pending.id,
        &session,
        &user,
        allow,
    )
    .await;
    Ok(match answered {
        Ok(response) => respond::deliver(&response),
        Err(e) => respond::failure(e),
    })
}

/// An Allow or Deny button's value (`decision=allow|deny`, the pages' contract).
pub fn decision(value: Option<&str>) -> Result<bool, PageError> {
    match value {
        Some("allow") => Ok(true),
        Some("deny") => Ok(false),
        _ => Err(PageError::BadRequest(
            "The answer must be Allow or Deny.".into(),
        )),
    }
}
