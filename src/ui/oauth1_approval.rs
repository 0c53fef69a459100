//! `/oauth1/authorize` (RFC 5849 §2.2): the user signs in if needed and approves or denies the
//! client's temporary credentials; the browser then returns to the client's callback with the
//! verifier, or the verifier is shown for `oob` clients (`sesame_core::oauth1::flow`).

use super::browser::{self, Browser};
use super::error::PageError;
use super::login::refusal;
use super::{page, respond};
use crate::client_address::ClientAddress;
use crate::extract::PageForm;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use sesame_core::login;
use sesame_core::oauth1::Oauth1Token;
use sesame_core::oauth1::error::{Oauth1Error, ProblemClass};
use sesame_core::oauth1::flow::{self, Answer};
use sesame_core::session;
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

/// The credentials being approved, and the name of their client.
struct Request {
    token: Oauth1Token,
    client_name: String,
}

/// The page at a stage.
fn render(
    browser: &Browser,
    status: StatusCode,
    stage: &str,
    request: &Request,
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
            stage, heading, csrf_token => browser.csrf_token(),
            action => "authorize", hidden_name => "oauth_token",
            hidden_value => request.token.token, client_name => request.client_name, ..extra
        },
    )
}

/// The store behind the page failed.
fn failed(e: Oauth1Error) -> PageError {
    let cause = e.cause.unwrap_or_default();
    match e.problem.class() {
        ProblemClass::Unavailable => PageError::Unavailable(cause),
        _ => PageError::Internal(cause),
    }
}

async fn pending(state: &AppState, token: &str) -> Result<Request, PageError> {
    let gone = || {
        PageError::BadRequest(
            "This request is unknown, expired or already answered. Start again from the \
             application."
                .into(),
        )
    };
    let token = flow::pending(&state.provider, token)
        .await
        .map_err(failed)?
        .ok_or_else(gone)?;
    let client = state.provider.client(&token.client_id).await?;
    let client_name = client.ok_or_else(gone)?.display_name().to_owned();
    Ok(Request { token, client_name })
}

pub async fn show(
    State(state): State<AppState>,
    browser: Browser,
    Query(q): Query<AuthorizeQuery>,
) -> Result<Response, PageError> {
    let request = pending(&state, q.oauth_token.as_deref().unwrap_or_default()).await?;
    let response = match session::signed_in(&state.provider, browser.session()).await? {
        Some((session, user)) => {
            enough(&state, &request, &session).await?;
            confirm(&browser, &request, &user)
        }
        None => render(&browser, StatusCode::OK, "login", &request, ().into()),
    };
    Ok(browser.keep(response))
}

pub async fn submit(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    browser: Browser,
    PageForm(form): PageForm<AuthorizeForm>,
) -> Result<Response, PageError> {
    if !browser.sent_its_form(form.csrf_token.as_deref()) {
        return Err(PageError::Forgery);
    }
    let request = pending(&state, &form.oauth_token).await?;
    let provider = &state.provider;
    if let (Some(username), Some(password)) = (&form.username, &form.password) {
        let requires_mfa =
            super::device::client_requires_mfa(&state, &request.token.client_id).await?;
        let only_password =
            login::authenticate_password_only(provider, address, username, password, requires_mfa);
        let user = match only_password.await? {
            Ok(user) => user,
            Err(failure) => {
                let (status, error) = refusal(provider.now(), &failure);
                let context = minijinja::context! { error, username };
                return Ok(render(&browser, status, "login", &request, context));
            }
        };
        let amr = vec![sesame_core::mfa::amr::PWD.to_owned()];
        let (_, cookie) = session::start(provider, &user.id, amr).await?;
        let response = confirm(&browser.signed_in_with(&cookie), &request, &user);
        return Ok(browser::with_session(&state, &cookie, response));
    }
    let Some((session, user)) = session::signed_in(provider, browser.session()).await? else {
        return Ok(render(
            &browser,
            StatusCode::OK,
            "login",
            &request,
            ().into(),
        ));
    };
    enough(&state, &request, &session).await?;
    let allow = match form.decision.as_deref() {
        Some("allow") => true,
        Some("deny") => false,
        _ => return Ok(confirm(&browser, &request, &user)),
    };
    let client_id = &request.token.client_id;
    tracing::info!(sub = %user.id, client_id = %client_id, allow, "oauth1 request answered");
    crate::ops::count_decision("oauth1", allow);
    let name = &request.client_name;
    let done = |context| render(&browser, StatusCode::OK, "done", &request, context);
    Ok(
        match flow::answer(provider, &request.token, &user, allow)
            .await
            .map_err(failed)?
        {
            Answer::Redirect(to) => respond::see_other(&to),
            Answer::ShowVerifier(verifier) => done(minijinja::context! {
                message => format!("Enter this code in {name} to finish."), verifier
            }),
            Answer::Denied => done(minijinja::context! {
                message => format!("Access denied. {name} was not connected.")
            }),
            Answer::Gone => {
                return Err(PageError::BadRequest(
                    "This request has expired or was already answered.".into(),
                ));
            }
        },
    )
}

fn confirm(browser: &Browser, request: &Request, user: &User) -> Response {
    let scopes = [
        "See your account name, profile and email address",
        "Act on your behalf",
    ];
    render(
        browser,
        StatusCode::OK,
        "confirm",
        request,
        minijinja::context! { scopes, username => user.username },
    )
}

/// Refused unless the session signed in strongly enough for the consumer (its `require_mfa`,
/// the deployment's, and the user's own factors).
async fn enough(
    state: &AppState,
    request: &Request,
    session: &sesame_core::session::BrowserSession,
) -> Result<(), PageError> {
    let client_id = &request.token.client_id;
    match sesame_core::mfa::policy::session_is_enough(&state.provider, client_id, session).await? {
        true => Ok(()),
        false => Err(PageError::NeedsSecondFactor),
    }
}
