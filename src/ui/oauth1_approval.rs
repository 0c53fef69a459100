//! `/oauth1/authorize` (RFC 5849 §2.2): the user signs in if needed and approves or denies the
//! client's temporary credentials; the browser then returns to the client's callback with the
//! verifier, or the verifier is shown for `oob` clients.

use super::browser::{self, BROWSER_COOKIE, BROWSER_COOKIE_AGE};
use super::login::{failure_message, forbidden};
use super::{page, respond};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use sesame_core::TokenError;
use sesame_core::login;
use sesame_core::oauth1::Oauth1Token;
use sesame_core::oauth1::flow::{self, Answer};
use sesame_core::user::User;

#[derive(serde::Deserialize)]
pub struct AuthorizeQuery {
    oauth_token: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct AuthorizeForm {
    csrf_token: Option<String>,
    #[serde(default)]
    oauth_token: String,
    username: Option<String>,
    password: Option<String>,
    decision: Option<String>,
}

/// The page at a stage, under /oauth1/ (so the stylesheet is one level up).
fn render(
    browser: &str,
    status: StatusCode,
    stage: &str,
    token: &Oauth1Token,
    extra: minijinja::Value,
) -> Response {
    let heading = match stage {
        "done" => "Done",
        "confirm" => "Allow access?",
        _ => "Sign in",
    };
    page(
        status,
        "approve.html",
        minijinja::context! {
            stage, heading, csrf_token => browser::csrf_token(browser), asset_prefix => "../",
            action => "authorize", hidden_name => "oauth_token", hidden_value => token.token, ..extra
        },
    )
}

async fn pending(state: &AppState, token: &str) -> Result<(Oauth1Token, String), Response> {
    let gone = || {
        respond::render_error(&TokenError::invalid_request(
            "this request is unknown, expired or already answered; start again from the application",
        ))
    };
    let found = flow::pending(&state.provider, token)
        .await
        .map_err(|e| oauth1_failure(&e))?
        .ok_or_else(gone)?;
    let client_name = match state.provider.client(&found.client_id).await {
        Ok(Some(c)) => c.display_name().to_owned(),
        Ok(None) => return Err(gone()),
        Err(e) => return Err(respond::render_error(&e.into())),
    };
    Ok((found, client_name))
}

pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<AuthorizeQuery>,
) -> Response {
    let token = q.oauth_token.unwrap_or_default();
    let (found, client_name) = match pending(&state, &token).await {
        Ok(p) => p,
        Err(page) => return page,
    };
    let (browser_id, new_browser) = browser::browser_id(&headers);
    let mut response = match signed_in(&state, &headers).await {
        Ok(Some(user)) => confirm(&browser_id, &found, &client_name, &user),
        Ok(None) => render(
            &browser_id,
            StatusCode::OK,
            "login",
            &found,
            minijinja::context! { client_name },
        ),
        Err(page) => return page,
    };
    if new_browser {
        response.headers_mut().append(
            header::SET_COOKIE,
            browser::set_cookie(&state, BROWSER_COOKIE, &browser_id, BROWSER_COOKIE_AGE),
        );
    }
    response
}

pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<AuthorizeForm>,
) -> Response {
    if !browser::csrf_ok(&headers, form.csrf_token.as_deref()) {
        return forbidden();
    }
    let (browser_id, _) = browser::browser_id(&headers);
    let (found, client_name) = match pending(&state, &form.oauth_token).await {
        Ok(p) => p,
        Err(page) => return page,
    };
    let provider = &state.provider;
    if let (Some(username), Some(password)) = (&form.username, &form.password) {
        let user = match login::authenticate(provider, username, password).await {
            Ok(Ok(user)) => user,
            Ok(Err(failure)) => {
                let (status, error) = failure_message(provider.now(), username, &failure);
                return render(
                    &browser_id,
                    status,
                    "login",
                    &found,
                    minijinja::context! { error, client_name, username },
                );
            }
            Err(e) => return respond::render_error(&e.into()),
        };
        let (_, cookie) = match browser::start_session(&state, &user.id).await {
            Ok(started) => started,
            Err(e) => return respond::render_error(&e),
        };
        let mut response = confirm(&browser_id, &found, &client_name, &user);
        response.headers_mut().append(header::SET_COOKIE, cookie);
        return response;
    }
    let user = match signed_in(&state, &headers).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            return render(
                &browser_id,
                StatusCode::OK,
                "login",
                &found,
                minijinja::context! { client_name },
            );
        }
        Err(page) => return page,
    };
    let allow = match form.decision.as_deref() {
        Some("allow") => true,
        Some("deny") => false,
        _ => return confirm(&browser_id, &found, &client_name, &user),
    };
    tracing::info!(sub = %user.id, client_id = %found.client_id, allow, "oauth1 request answered");
    match flow::answer(provider, &found, &user, allow).await {
        Ok(Answer::Redirect(to)) => respond::see_other(&to),
        Ok(Answer::ShowVerifier(verifier)) => render(
            &browser_id,
            StatusCode::OK,
            "done",
            &found,
            minijinja::context! { message => format!("Enter this code in {client_name} to finish."), verifier },
        ),
        Ok(Answer::Denied) => render(
            &browser_id,
            StatusCode::OK,
            "done",
            &found,
            minijinja::context! { message => format!("Access denied. {client_name} was not connected.") },
        ),
        Ok(Answer::Gone) => respond::render_error(&TokenError::invalid_request(
            "this request has expired or was already answered",
        )),
        Err(e) => oauth1_failure(&e),
    }
}

/// A store failure behind the page: 503 when the store is away, 500 otherwise.
fn oauth1_failure(e: &sesame_core::oauth1::request::Oauth1Error) -> Response {
    let cause = e.cause.clone().unwrap_or_default();
    respond::render_error(&if e.status == 503 {
        TokenError::temporarily_unavailable(cause)
    } else {
        TokenError::server_error(cause)
    })
}

/// The signed-in user of this browser, if any and still allowed in.
async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Option<User>, Response> {
    let session = browser::session(state, headers)
        .await
        .map_err(|e| respond::render_error(&e))?;
    let Some((session, _)) = session else {
        return Ok(None);
    };
    state
        .provider
        .store()
        .get_user(&session.user_id)
        .await
        .map(|u| u.filter(|u| !u.disabled))
        .map_err(|e| respond::render_error(&e.into()))
}

fn confirm(browser: &str, token: &Oauth1Token, client_name: &str, user: &User) -> Response {
    let scopes = [
        "See your account name, profile and email address",
        "Act on your behalf",
    ];
    render(
        browser,
        StatusCode::OK,
        "confirm",
        token,
        minijinja::context! { client_name, scopes, username => user.username },
    )
}
