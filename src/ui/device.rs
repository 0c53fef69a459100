//! `/device`: the user's side of the device authorization grant (RFC 8628 §3.3): enter the code,
//! sign in if needed, see the client and scopes, Allow or Deny. Wrong codes are rate limited per
//! browser and per IP address (§5.1), in the store, so every node counts the same guesses.

use super::browser::{self, BROWSER_COOKIE, BROWSER_COOKIE_AGE};
use super::consent::describe;
use super::login::{failure_message, forbidden};
use super::{page, respond};
use crate::state::AppState;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use sesame_core::device::{self, DeviceCode, user_code};
use sesame_core::login;
use sesame_core::secret::SecretHash;
use std::net::SocketAddr;

/// Wrong codes allowed per browser and per address within the throttle window.
const MAX_WRONG_CODES: u32 = 10;

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

struct View {
    browser: String,
    new_browser: bool,
}

impl View {
    /// The device page at one of its stages, with this browser's CSRF token.
    fn render(&self, status: StatusCode, stage: &str, extra: minijinja::Value) -> Response {
        let heading = match stage {
            "done" => "Device connected",
            "confirm" => "Allow access?",
            "login" => "Sign in",
            _ => "Connect a device",
        };
        let context = minijinja::context! {
            stage, heading, csrf_token => browser::csrf_token(&self.browser),
            action => "device", hidden_name => "user_code", ..extra
        };
        page(status, "approve.html", context)
    }
}

fn view(headers: &HeaderMap) -> View {
    let (browser, new_browser) = browser::browser_id(headers);
    View {
        browser,
        new_browser,
    }
}

fn with_browser_cookie(state: &AppState, v: &View, mut response: Response) -> Response {
    if v.new_browser {
        response.headers_mut().append(
            header::SET_COOKIE,
            browser::set_cookie(state, BROWSER_COOKIE, &v.browser, BROWSER_COOKIE_AGE),
        );
    }
    response
}

pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<DeviceQuery>,
) -> Response {
    let v = view(&headers);
    // verification_uri_complete: the code arrives prefilled; the user still presses Continue.
    let shown_code = q
        .user_code
        .as_deref()
        .and_then(user_code::normalize)
        .map(|c| user_code::display(&c));
    let response = v.render(StatusCode::OK, "code", minijinja::context! { shown_code });
    with_browser_cookie(&state, &v, response)
}

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<DeviceForm>,
) -> Response {
    if !browser::csrf_ok(&headers, form.csrf_token.as_deref()) {
        return forbidden();
    }
    let v = view(&headers);
    let provider = &state.provider;
    let keys = [
        format!("device ip {}", peer.ip()),
        format!("device browser {}", base64_hash(&v.browser)),
    ];
    let again = |status, error: &str| {
        v.render(
            status,
            "code",
            minijinja::context! { error, shown_code => form.user_code.trim() },
        )
    };
    for key in &keys {
        match login::throttle_locked(provider, key).await {
            Ok(None) => {}
            Ok(Some(until)) => {
                return again(
                    StatusCode::TOO_MANY_REQUESTS,
                    &too_many(until - provider.now()),
                );
            }
            Err(e) => return respond::render_error(&e.into()),
        }
    }
    let code = match device::find_pending(provider, &form.user_code).await {
        Ok(Some(code)) => code,
        Ok(None) => {
            let mut locked = None;
            for key in &keys {
                match login::throttle_failure(provider, key, MAX_WRONG_CODES).await {
                    Ok(until) => locked = locked.or(until),
                    Err(e) => return respond::render_error(&e.into()),
                }
            }
            if let Some(until) = locked {
                tracing::warn!(ip = %peer.ip(), "device code entry locked after repeated wrong codes");
                return again(
                    StatusCode::TOO_MANY_REQUESTS,
                    &too_many(until - provider.now()),
                );
            }
            return again(
                StatusCode::BAD_REQUEST,
                "That code is not valid: it may be mistyped, expired or already used. Check the code on your device.",
            );
        }
        Err(e) => return respond::render_error(&e),
    };
    let shown_code = user_code::display(&code.user_code);

    // Signing in on this page.
    if let (Some(username), Some(password)) = (&form.username, &form.password) {
        let user = match login::authenticate(provider, username, password).await {
            Ok(Ok(user)) => user,
            Ok(Err(failure)) => {
                let (status, error) = failure_message(provider.now(), username, &failure);
                return v.render(
                    status,
                    "login",
                    minijinja::context! { error, shown_code, username },
                );
            }
            Err(e) => return respond::render_error(&e.into()),
        };
        let (_, cookie) = match browser::start_session(&state, &user.id).await {
            Ok(started) => started,
            Err(e) => return respond::render_error(&e),
        };
        let mut response = confirm(&state, &v, &code, &user.username).await;
        response.headers_mut().append(header::SET_COOKIE, cookie);
        return response;
    }

    let session = match browser::session(&state, &headers).await {
        Ok(s) => s.map(|(s, _)| s),
        Err(e) => return respond::render_error(&e),
    };
    let user = match &session {
        Some(s) => match provider.store().get_user(&s.user_id).await {
            Ok(u) => u.filter(|u| !u.disabled),
            Err(e) => return respond::render_error(&e.into()),
        },
        None => None,
    };
    let (Some(session), Some(user)) = (session, user) else {
        return v.render(StatusCode::OK, "login", minijinja::context! { shown_code });
    };
    let allow = match form.decision.as_deref() {
        None => return confirm(&state, &v, &code, &user.username).await,
        Some("allow") => true,
        Some("deny") => false,
        Some(_) => return again(StatusCode::BAD_REQUEST, "The answer must be Allow or Deny."),
    };
    match device::decide(provider, &code, &user, &session, allow).await {
        Ok(true) => {
            tracing::info!(sub = %user.id, client_id = %code.client_id, allow, "device request answered");
            let message = if allow {
                "Done. You can return to your device; it will continue on its own."
            } else {
                "Access denied. Your device will not be connected."
            };
            v.render(StatusCode::OK, "done", minijinja::context! { message })
        }
        Ok(false) => again(
            StatusCode::BAD_REQUEST,
            "This code has expired or was already answered.",
        ),
        Err(e) => respond::render_error(&e),
    }
}

/// The approval page: the client and what it asks, in words.
async fn confirm(state: &AppState, v: &View, code: &DeviceCode, username: &str) -> Response {
    let client_name = match state.provider.client(&code.client_id).await {
        Ok(Some(c)) => c.display_name().to_owned(),
        Ok(None) => code.client_id.clone(),
        Err(e) => return respond::render_error(&e.into()),
    };
    let scopes: Vec<String> = code.scope.iter().map(describe).collect();
    v.render(
        StatusCode::OK,
        "confirm",
        minijinja::context! { client_name, scopes, username, shown_code => user_code::display(&code.user_code) },
    )
}

fn base64_hash(value: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(SecretHash::of(value).0)
}

fn too_many(seconds: i64) -> String {
    let minutes = (seconds + 59) / 60;
    format!(
        "Too many wrong codes. Wait {minutes} minute{} and try again.",
        if minutes == 1 { "" } else { "s" }
    )
}
