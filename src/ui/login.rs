//! `/login`: the sign-in page of a pending authorization request (DESIGN §3a step 3).

use super::browser::{self, BROWSER_COOKIE};
use super::{page, respond};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use sesame_core::authorize::flow;
use sesame_core::authorize::pending::PendingAuthorization;
use sesame_core::client::Client;
use sesame_core::federation::Connection;
use sesame_core::login::{self, LoginFailure};
use sesame_core::{ErrorCode, TokenError};
use std::sync::Arc;

#[derive(serde::Deserialize)]
pub struct PageQuery {
    pub id: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    id: Option<String>,
    csrf_token: Option<String>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// The pending request this browser may continue, with its client.
pub async fn pending_for(
    state: &AppState,
    headers: &HeaderMap,
    id: Option<&str>,
) -> Result<(PendingAuthorization, Arc<Client>), Response> {
    let gone = || {
        respond::render_error(&TokenError::invalid_request(
            "this sign-in request has expired or was already completed; start again from the application",
        ))
    };
    let id = id.filter(|i| i.len() <= 64).ok_or_else(gone)?;
    let provider = &state.provider;
    let pending = provider
        .store()
        .get_pending(id)
        .await
        .map_err(|e| respond::render_error(&e.into()))?
        .filter(|p| p.expires_at > provider.now())
        .ok_or_else(gone)?;
    if !pending.belongs_to(browser::cookie(headers, BROWSER_COOKIE)) {
        return Err(respond::render_error(&TokenError::invalid_request(
            "this sign-in request was started in another browser; start again from the application",
        )));
    }
    let client = provider
        .client(&pending.request.client_id)
        .await
        .map_err(|e| respond::render_error(&e.into()))?
        .ok_or_else(gone)?;
    Ok((pending, client))
}

#[allow(clippy::too_many_arguments)]
fn login_page(
    status: StatusCode,
    pending: &PendingAuthorization,
    client: &Client,
    connections: &[Connection],
    headers: &HeaderMap,
    username: &str,
    error: Option<&str>,
) -> Response {
    let csrf_token = browser::cookie(headers, BROWSER_COOKIE)
        .map(browser::csrf_token)
        .unwrap_or_default();
    page(
        status,
        "login.html",
        minijinja::context! {
            id => pending.id,
            csrf_token,
            client_name => client.display_name(),
            username,
            error,
            connections => connections
                .iter()
                .map(|c| minijinja::context! { id => c.id, display_name => c.display_name })
                .collect::<Vec<_>>(),
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    match pending_for(&state, &headers, q.id.as_deref()).await {
        Ok((pending, client)) => {
            let connections = match state.provider.store().list_connections().await {
                Ok(c) => c,
                Err(e) => return respond::render_error(&e.into()),
            };
            let hint = pending.request.login_hint.clone().unwrap_or_default();
            login_page(
                StatusCode::OK,
                &pending,
                &client,
                &connections,
                &headers,
                &hint,
                None,
            )
        }
        Err(page) => page,
    }
}

pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    // Before anything else: a form from another site signs no one in.
    if !browser::csrf_ok(&headers, form.csrf_token.as_deref()) {
        return forbidden();
    }
    let (pending, client) = match pending_for(&state, &headers, form.id.as_deref()).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let provider = &state.provider;
    let username = form.username.trim();
    let connections = match provider.store().list_connections().await {
        Ok(c) => c,
        Err(e) => return respond::render_error(&e.into()),
    };
    let again = |status, message: &str| {
        login_page(
            status,
            &pending,
            &client,
            &connections,
            &headers,
            username,
            Some(message),
        )
    };
    let user = match login::authenticate(provider, username, &form.password).await {
        Ok(Ok(user)) => user,
        Ok(Err(failure)) => {
            let (status, message) = failure_message(provider.now(), username, &failure);
            return again(status, &message);
        }
        Err(e) => return respond::render_error(&e.into()),
    };
    tracing::info!(sub = %user.id, client_id = %client.client_id, "user signed in");
    signed_in(&state, &headers, &client, pending, &user).await
}

/// After a successful sign-in (password or upstream provider): a new session (the old one, of
/// another user perhaps, ends here), then the pending authorization request continues.
pub async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
    client: &Client,
    pending: PendingAuthorization,
    user: &sesame_core::user::User,
) -> Response {
    let provider = &state.provider;
    if let Ok(Some((_, old))) = browser::session(state, headers).await {
        let _ = provider.store().delete_session(&old).await;
    }
    let (session, cookie) = match browser::start_session(state, &user.id).await {
        Ok(started) => started,
        Err(e) => return respond::render_error(&e),
    };
    let mut response =
        match flow::resume_after_login(provider, client, pending, &session, user).await {
            Ok(next) => respond::next(provider.settings(), next),
            Err(e) => respond::failure(e),
        };
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

/// What the page says about a refused sign-in (and the log and metrics record).
pub fn failure_message(now: i64, username: &str, failure: &LoginFailure) -> (StatusCode, String) {
    metrics::counter!("sesame_login_failures_total").increment(1);
    match failure {
        LoginFailure::Invalid => (
            StatusCode::UNAUTHORIZED,
            "The username or password is not correct.".to_owned(),
        ),
        LoginFailure::Disabled => (
            StatusCode::FORBIDDEN,
            "This account is disabled. Contact your administrator.".to_owned(),
        ),
        LoginFailure::Locked {
            until,
            now: just_locked,
        } => {
            if *just_locked {
                tracing::warn!(account = %login::account_key(username), "account locked after repeated sign-in failures");
                metrics::counter!("sesame_login_lockouts_total").increment(1);
            }
            (StatusCode::TOO_MANY_REQUESTS, locked_message(until - now))
        }
    }
}

fn locked_message(seconds: i64) -> String {
    let minutes = (seconds + 59) / 60;
    format!(
        "Too many failed sign-in attempts. This account is locked; try again in {minutes} minute{}.",
        if minutes == 1 { "" } else { "s" }
    )
}

/// A form without this browser's CSRF token (DESIGN §3): refused, nothing done.
pub fn forbidden() -> Response {
    let mut response = respond::render_error(&TokenError::with_code(
        ErrorCode::AccessDenied,
        "the form was not sent from this browser's Sesame page (missing or wrong CSRF token); reload the page and try again",
    ));
    *response.status_mut() = StatusCode::FORBIDDEN;
    response
}
