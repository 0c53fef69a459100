//! `/login`: the sign-in page of a pending authorization request.

use super::browser::Browser;
use super::error::PageError;
use super::page;
use super::sign_in::PageQuery;
use crate::client_address::ClientAddress;
use crate::extract::PageForm;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use sesame_core::authorize::pending::{self, PendingAuthorization};
use sesame_core::client::Client;
use sesame_core::login::{self, LoginFailure};

#[derive(serde::Deserialize)]
pub struct LoginForm {
    id: Option<String>,
    csrf_token: Option<String>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// The login page, with the upstream providers one may continue with instead, and a passkey
/// button where passkeys work.
pub async fn login_page(
    state: &AppState,
    browser: &Browser,
    status: StatusCode,
    pending: &PendingAuthorization,
    client: &Client,
    username: &str,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let connections = state.provider.store().list_connections().await?;
    let context = minijinja::context! {
        id => pending.id,
        csrf_token => browser.csrf_token(),
        client_name => client.display_name(),
        username,
        error,
        connections => connections
            .iter()
            .map(|c| minijinja::context! { id => c.id, display_name => c.display_name })
            .collect::<Vec<_>>(),
        // Absolute: the page is also shown at other paths (after a refused passkey).
        login_url => state.provider.settings().endpoint(sesame_core::endpoints::LOGIN),
        federation_url => state.provider.settings().endpoint("/federation/"),
        ..super::passkey_script::form_context(state)
    };
    Ok(match state.passkeys {
        Some(_) => {
            super::page_with_script(status, "login.html", context, super::passkey_script::SCRIPT)
        }
        None => page(status, "login.html", context),
    })
}

pub async fn show(
    State(state): State<AppState>,
    browser: Browser,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let (pending, client) =
        pending::load(&state.provider, q.id.as_deref(), browser.binding()).await?;
    let hint = pending.request.login_hint.clone().unwrap_or_default();
    login_page(
        &state,
        &browser,
        StatusCode::OK,
        &pending,
        &client,
        &hint,
        None,
    )
    .await
}

pub async fn submit(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    browser: Browser,
    PageForm(form): PageForm<LoginForm>,
) -> Result<Response, PageError> {
    // Before anything else: a form from another site signs no one in.
    if !browser.sent_its_form(form.csrf_token.as_deref()) {
        return Err(PageError::Forgery);
    }
    let provider = &state.provider;
    let (pending, client) = pending::load(provider, form.id.as_deref(), browser.binding()).await?;
    let username = form.username.trim();
    let user = match login::authenticate(provider, address, username, &form.password).await? {
        Ok(user) => user,
        Err(failure) => {
            let (status, message) = refusal(provider.now(), &failure);
            let again = Some(message.as_str());
            let mut page =
                login_page(&state, &browser, status, &pending, &client, username, again).await?;
            // Busy: the browser (or a script) may come back in a second.
            if status == StatusCode::SERVICE_UNAVAILABLE {
                page.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from_static("1"),
                );
            }
            return Ok(page);
        }
    };
    tracing::info!(sub = %user.id, client_id = %client.client_id, "password accepted");
    metrics::counter!("sesame_sign_ins_total", "via" => "password").increment(1);
    let amr = vec![sesame_core::mfa::amr::PWD.to_owned()];
    super::second_factor::after_first_factor(&state, &browser, &client, pending, &user, amr).await
}

/// What a page says about a refused sign-in, with its status. A disabled account is answered
/// exactly as a wrong password, or the page would confirm the password to whoever typed it.
pub fn refusal(now: i64, failure: &LoginFailure) -> (StatusCode, String) {
    match failure {
        LoginFailure::Invalid | LoginFailure::Disabled => (
            StatusCode::UNAUTHORIZED,
            "The username or password is not correct.".to_owned(),
        ),
        LoginFailure::Busy => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Sesame is busy checking other sign-ins. Try again in a few seconds.".to_owned(),
        ),
        LoginFailure::NeedsSecondFactor => (
            StatusCode::FORBIDDEN,
            "This account signs in with a second factor, which this page cannot ask for. Sign in \
             on your account page first (/account on this Sesame), then come back here."
                .to_owned(),
        ),
        LoginFailure::Locked { until } => (
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many failed sign-in attempts. This account is locked; try again {}.",
                login::retry_in(*until, now)
            ),
        ),
    }
}
