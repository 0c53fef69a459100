//! `/consent`: the user approves or denies a client's request (DESIGN §3a step 3).

use super::browser::{self, BROWSER_COOKIE};
use super::login::{PageQuery, forbidden, pending_for};
use super::{page, respond};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use sesame_core::TokenError;
use sesame_core::authorize::pending::PendingAuthorization;
use sesame_core::authorize::{CLAIM_CONSENT_PREFIX, flow};
use sesame_core::client::Client;
use sesame_core::session::BrowserSession;
use sesame_core::user::User;

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

/// The pending request, if this browser's session belongs to the user who reached consent.
async fn checked(
    state: &AppState,
    headers: &HeaderMap,
    id: Option<&str>,
) -> Result<
    (
        PendingAuthorization,
        std::sync::Arc<Client>,
        BrowserSession,
        User,
    ),
    Response,
> {
    let (pending, client) = pending_for(state, headers, id).await?;
    let session = browser::session(state, headers)
        .await
        .map_err(|e| respond::render_error(&e))?;
    let user = match (&session, &pending.user_id) {
        (Some((s, _)), Some(uid)) if &s.user_id == uid => state
            .provider
            .store()
            .get_user(uid)
            .await
            .map_err(|e| respond::render_error(&e.into()))?
            .filter(|u| !u.disabled),
        _ => None,
    };
    match (session, user) {
        (Some((session, _)), Some(user)) => Ok((pending, client, session, user)),
        // Not signed in as the right user (or not yet): sign in first.
        _ => Err(respond::see_other(
            &state
                .provider
                .settings()
                .endpoint(&format!("/login?id={}", pending.id)),
        )),
    }
}

pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    let (pending, client, _, user) = match checked(&state, &headers, q.id.as_deref()).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let scopes: Vec<String> = pending
        .request
        .consent_items()
        .iter()
        .map(describe)
        .collect();
    let csrf_token = browser::cookie(&headers, BROWSER_COOKIE)
        .map(browser::csrf_token)
        .unwrap_or_default();
    page(
        StatusCode::OK,
        "consent.html",
        minijinja::context! {
            id => pending.id,
            csrf_token,
            client_name => client.display_name(),
            username => user.username,
            scopes,
        },
    )
}

pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<ConsentForm>,
) -> Response {
    if !browser::csrf_ok(&headers, form.csrf_token.as_deref()) {
        return forbidden();
    }
    let allow = match form.decision.as_deref() {
        Some("allow") => true,
        Some("deny") => false,
        _ => {
            return respond::render_error(&TokenError::invalid_request(
                "the answer must be Allow or Deny",
            ));
        }
    };
    let (pending, client, session, user) = match checked(&state, &headers, form.id.as_deref()).await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    tracing::info!(sub = %user.id, client_id = %client.client_id, allow, "consent answered");
    match flow::finish_consent(
        &state.provider,
        &client,
        &pending.id,
        &session,
        &user,
        allow,
    )
    .await
    {
        Ok(response) => respond::deliver(&response),
        Err(e) => respond::failure(e),
    }
}
