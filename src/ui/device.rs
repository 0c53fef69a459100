//! `/device`: the user's side of the device authorization grant (RFC 8628 §3.3): enter the code,
//! sign in if needed, see the client and scopes, Allow or Deny. The code checks and their
//! throttle (§5.1) are `sesame_core::device::verification`.

use super::browser::{self, Browser};
use super::consent::{decision, describe};
use super::error::PageError;
use super::login::refusal;
use super::page;
use crate::client_address::ClientAddress;
use crate::extract::PageForm;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use sesame_core::device::verification::{self, CodeEntry, Guesser};
use sesame_core::device::{DeviceCode, user_code};
use sesame_core::login;
use sesame_core::mfa::policy;
use sesame_core::session;

#[derive(serde::Deserialize)]
pub struct DeviceQuery {
    user_code: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct DeviceForm {
    csrf_token: Option<String>,
    #[serde(default)]
    user_code: String,
    username: Option<String>,
    password: Option<String>,
    decision: Option<String>,
}

/// The device page at one of its stages, with this browser's CSRF token.
fn render(browser: &Browser, status: StatusCode, stage: &str, extra: minijinja::Value) -> Response {
    let heading = match stage {
        "done" => "Device connected",
        "confirm" => "Allow access?",
        "login" => "Sign in",
        _ => "Connect a device",
    };
    let context = minijinja::context! {
        stage, heading, csrf_token => browser.csrf_token(),
        action => "device", hidden_name => "user_code", ..extra
    };
    page(status, "approve.html", context)
}

pub async fn show(browser: Browser, Query(q): Query<DeviceQuery>) -> Response {
    // verification_uri_complete: the code arrives prefilled; the user still presses Continue.
    let shown_code = q
        .user_code
        .as_deref()
        .and_then(user_code::normalize)
        .map(|c| user_code::display(&c));
    let response = render(
        &browser,
        StatusCode::OK,
        "code",
        minijinja::context! { shown_code },
    );
    browser.keep(response)
}

pub async fn submit(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    browser: Browser,
    PageForm(form): PageForm<DeviceForm>,
) -> Result<Response, PageError> {
    if !browser.sent_its_form(form.csrf_token.as_deref()) {
        return Err(PageError::Forgery);
    }
    let provider = &state.provider;
    let again = |status, error: &str| {
        render(
            &browser,
            status,
            "code",
            minijinja::context! { error, shown_code => form.user_code.trim() },
        )
    };
    let guesser = Guesser {
        browser: browser.id(),
        address,
    };
    let code = match verification::enter_code(provider, guesser, &form.user_code).await? {
        CodeEntry::Found(code) => code,
        CodeEntry::Wrong => {
            return Ok(again(
                StatusCode::BAD_REQUEST,
                "That code is not valid: it may be mistyped, expired or already used. Check the \
                 code on your device.",
            ));
        }
        CodeEntry::Locked { until } => {
            let wait = login::retry_in(until, provider.now());
            let message = format!("Too many wrong codes. Try again {wait}.");
            return Ok(again(StatusCode::TOO_MANY_REQUESTS, &message));
        }
    };
    let shown_code = user_code::display(&code.user_code);

    // Signing in on this page.
    if let (Some(username), Some(password)) = (&form.username, &form.password) {
        let requires_mfa = client_requires_mfa(&state, &code.client_id).await?;
        let only_password =
            login::authenticate_password_only(provider, address, username, password, requires_mfa);
        let user = match only_password.await? {
            Ok(user) => user,
            Err(failure) => {
                let (status, error) = refusal(provider.now(), &failure);
                let context = minijinja::context! { error, shown_code, username };
                return Ok(render(&browser, status, "login", context));
            }
        };
        let amr = vec![sesame_core::mfa::amr::PWD.to_owned()];
        let (_, cookie) = session::start(provider, &user.id, amr).await?;
        let browser = browser.signed_in_with(&cookie);
        let response = confirm(&state, &browser, &code, &user.username).await?;
        return Ok(browser::with_session(&state, &cookie, response));
    }

    let Some((session, user)) = session::signed_in(provider, browser.session()).await? else {
        let context = minijinja::context! { shown_code };
        return Ok(render(&browser, StatusCode::OK, "login", context));
    };
    if !policy::session_is_enough(provider, &code.client_id, &session).await? {
        return Err(PageError::NeedsSecondFactor);
    }
    let allow = match form.decision.as_deref() {
        None => return confirm(&state, &browser, &code, &user.username).await,
        answer => decision(answer)?,
    };
    if !verification::decide(provider, &code, &user, &session, allow).await? {
        return Ok(again(
            StatusCode::BAD_REQUEST,
            "This code has expired or was already answered.",
        ));
    }
    tracing::info!(sub = %user.id, client_id = %code.client_id, allow, "device request answered");
    crate::ops::count_decision("device", allow);
    let message = if allow {
        "Done. You can return to your device; it will continue on its own."
    } else {
        "Access denied. Your device will not be connected."
    };
    Ok(render(
        &browser,
        StatusCode::OK,
        "done",
        minijinja::context! { message },
    ))
}

/// The approval page: the client and what it asks, in words.
async fn confirm(
    state: &AppState,
    browser: &Browser,
    code: &DeviceCode,
    username: &str,
) -> Result<Response, PageError> {
    let client_name = match state.provider.client(&code.client_id).await? {
        Some(c) => c.display_name().to_owned(),
        None => code.client_id.clone(),
    };
    let scopes: Vec<String> = code.scope.iter().map(describe).collect();
    Ok(render(
        browser,
        StatusCode::OK,
        "confirm",
        minijinja::context! {
            client_name, scopes, username, shown_code => user_code::display(&code.user_code)
        },
    ))
}

/// Whether the client behind a code asks every sign-in for a second factor.
pub async fn client_requires_mfa(state: &AppState, client_id: &str) -> Result<bool, PageError> {
    let client = state.provider.client(client_id).await?;
    Ok(client.is_some_and(|c| c.metadata.require_mfa))
}
