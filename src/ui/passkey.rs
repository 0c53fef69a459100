//! Passkeys on the pages: "Sign in with a passkey" on the login page (passwordless, a
//! discoverable credential), a passkey as the second factor after the password, and adding
//! one on the account page. The ceremony needs the browser's WebAuthn API, so these forms run
//! one script (allowed by its hash): it asks Sesame for the options, calls the authenticator,
//! and posts the answer with the form; everything else works without it.

use super::account::{Account, codes_page};
use super::browser::Browser;
use super::error::PageError;
use super::page_with_script;
use super::sign_in::signed_in;
use crate::client_address::ClientAddress;
use crate::extract::PageForm;
use crate::passkeys::{PasskeyError, Passkeys, Proved};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sesame_core::authorize::pending;
use sesame_core::events::Event;
use sesame_core::mfa::{Proof, amr};
use sesame_core::user::active_user;
use std::sync::Arc;

use super::account::{ACCOUNT_PASSKEY, ACCOUNT_PASSKEY_OPTIONS};
use super::passkey_script::SCRIPT;

/// A JSON refusal for the script to show.
fn json_error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

fn unavailable() -> Response {
    json_error(
        StatusCode::NOT_FOUND,
        "Passkeys need this Sesame to be served under a domain name (such as localhost).",
    )
}

fn options(ceremony: String, options: serde_json::Value) -> Response {
    Json(serde_json::json!({ "ceremony": ceremony, "options": options })).into_response()
}

#[derive(serde::Deserialize)]
pub struct OptionsForm {
    id: Option<String>,
    csrf_token: Option<String>,
}

/// The options for a sign-in with a passkey: one of the user's, after their password; any
/// discoverable one, before (passwordless).
pub async fn sign_in_options(
    State(state): State<AppState>,
    browser: Browser,
    PageForm(form): PageForm<OptionsForm>,
) -> Result<Response, PageError> {
    if !browser.sent_its_form(form.csrf_token.as_deref()) {
        return Err(PageError::Forgery);
    }
    let Some(passkeys) = state.passkeys.clone() else {
        return Ok(unavailable());
    };
    let provider = &state.provider;
    let (pending, _) = pending::load(provider, form.id.as_deref(), browser.binding()).await?;
    let started = match &pending.first_factor {
        Some(first) => {
            let user = active_user(provider.store(), &first.user_id)
                .await?
                .ok_or(PageError::RequestGone)?;
            let factors = provider.store().list_factors(&user.id).await?;
            passkeys
                .start_authentication(provider, Some((&user, &factors)))
                .await
        }
        None => passkeys.start_authentication(provider, None).await,
    };
    match started {
        Ok((ceremony, o)) => Ok(options(ceremony, o)),
        Err(PasskeyError::Store(e)) => Err(e.into()),
        Err(_) => Ok(json_error(
            StatusCode::CONFLICT,
            "This account has no passkey; use its other factor.",
        )),
    }
}

#[derive(serde::Deserialize)]
pub struct AnswerForm {
    id: Option<String>,
    csrf_token: Option<String>,
    #[serde(default)]
    ceremony: String,
    #[serde(default)]
    credential: String,
    #[serde(default)]
    name: String,
}

/// What a refused passkey says on the page it came from; a clone is audited as such.
fn refusal(
    state: &AppState,
    address: std::net::IpAddr,
    e: PasskeyError,
) -> Result<String, PageError> {
    match e {
        PasskeyError::Refused(why) => Ok(format!("That passkey was not accepted: {why}.")),
        PasskeyError::Cloned { user_id, factor_id } => {
            state.provider.record(Event::PasskeyCloned {
                user_id,
                factor_id,
                address,
            });
            Ok(
                "That passkey looks copied (its counter went back), so it was refused. Remove it \
                on your account page and add it again."
                    .to_owned(),
            )
        }
        PasskeyError::Store(e) => Err(e.into()),
    }
}

/// The login page's passkey answer: the second factor of the user who typed their password,
/// or a passwordless sign-in of whoever the passkey belongs to.
pub async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    browser: Browser,
    PageForm(form): PageForm<AnswerForm>,
) -> Result<Response, PageError> {
    if !browser.sent_its_form(form.csrf_token.as_deref()) {
        return Err(PageError::Forgery);
    }
    let Some(passkeys) = state.passkeys.clone() else {
        return Err(PageError::NotFound(
            "Passkeys are not available here.".into(),
        ));
    };
    let provider = &state.provider;
    let (pending, client) = pending::load(provider, form.id.as_deref(), browser.binding()).await?;
    let expected = pending.first_factor.as_ref().map(|f| f.user_id.clone());
    let proved = passkeys
        .finish_authentication(
            provider,
            &form.ceremony,
            &form.credential,
            expected.as_deref(),
        )
        .await;
    let Proved {
        user_id,
        factor_id,
        amr: said,
    } = match proved {
        Ok(proved) => proved,
        Err(e) => {
            let message = refusal(&state, address, e)?;
            return retry(&state, &browser, pending, &client, &message).await;
        }
    };
    let user = active_user(provider.store(), &user_id)
        .await?
        .ok_or(PageError::RequestGone)?;
    provider.record(Event::SecondFactorUsed {
        user_id: user.id.clone(),
        proof: Proof::Passkey,
        address,
    });
    tracing::info!(sub = %user.id, factor = %factor_id, "signed in with a passkey");
    let amr = match &pending.first_factor {
        Some(first) => first.with(&said),
        // A passkey verifies its user (UV): possession and a PIN or biometric, two factors.
        None => {
            provider.record(Event::SignedIn {
                user_id: user.id.clone(),
                address,
            });
            said.iter()
                .chain(&[amr::MFA])
                .map(|a| (*a).to_owned())
                .collect()
        }
    };
    signed_in(&state, &browser, &client, pending, &user, amr).await
}

/// Back to the page the passkey was tried on, saying why it was refused.
async fn retry(
    state: &AppState,
    browser: &Browser,
    pending: pending::PendingAuthorization,
    client: &sesame_core::client::Client,
    message: &str,
) -> Result<Response, PageError> {
    match &pending.first_factor {
        Some(first) => {
            let status = StatusCode::UNAUTHORIZED;
            let user = first.user_id.clone();
            super::second_factor::code_page(
                state,
                browser,
                status,
                &pending,
                client,
                &user,
                Some(message),
            )
            .await
        }
        None => {
            let status = StatusCode::UNAUTHORIZED;
            super::login::login_page(state, browser, status, &pending, client, "", Some(message))
                .await
        }
    }
}

/// `GET /account/passkey`: the page that adds one.
pub async fn new_passkey(
    State(state): State<AppState>,
    account: Account,
) -> Result<Response, PageError> {
    passkey_page(&state, &account, StatusCode::OK, None)
}

fn passkey_page(
    state: &AppState,
    account: &Account,
    status: StatusCode,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let settings = state.provider.settings();
    Ok(page_with_script(
        status,
        "passkey.html",
        minijinja::context! {
            csrf_token => account.browser.csrf_token(), error,
            available => state.passkeys.is_some(),
            action => settings.endpoint(ACCOUNT_PASSKEY),
            options_url => settings.endpoint(ACCOUNT_PASSKEY_OPTIONS),
            back => settings.endpoint(super::account::HOME),
        },
        SCRIPT,
    ))
}

/// The options for `navigator.credentials.create`, for a fresh sign-in only.
pub async fn registration_options(
    State(state): State<AppState>,
    account: Account,
    PageForm(form): PageForm<OptionsForm>,
) -> Result<Response, PageError> {
    if !account.browser.sent_its_form(form.csrf_token.as_deref()) {
        return Err(PageError::Forgery);
    }
    if !account.is_fresh(&state) {
        return Ok(json_error(
            StatusCode::UNAUTHORIZED,
            "Your sign-in is too old to add a passkey: reload the page to sign in again.",
        ));
    }
    let Some(passkeys) = state.passkeys.clone() else {
        return Ok(unavailable());
    };
    let factors = state
        .provider
        .store()
        .list_factors(&account.user.id)
        .await?;
    match passkeys
        .start_registration(&state.provider, &account.user, &factors)
        .await
    {
        Ok((ceremony, o)) => Ok(options(ceremony, o)),
        Err(PasskeyError::Store(e)) => Err(e.into()),
        Err(PasskeyError::Refused(why)) => Ok(json_error(StatusCode::BAD_REQUEST, &why)),
        // A registration checks no counter: nothing is a clone before it exists.
        Err(PasskeyError::Cloned { .. }) => {
            Err(PageError::Internal("a clone at registration".into()))
        }
    }
}

/// `POST /account/passkey`: the authenticator's answer, registered.
pub async fn add_passkey(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    account: Account,
    PageForm(form): PageForm<AnswerForm>,
) -> Result<Response, PageError> {
    if let Some(refused) = account.refusal(&state, form.csrf_token.as_deref()) {
        return Ok(refused);
    }
    let passkeys: Arc<Passkeys> = state
        .passkeys
        .clone()
        .ok_or_else(|| PageError::NotFound("Passkeys are not available here.".into()))?;
    let name = Some(form.name.trim())
        .filter(|n| !n.is_empty())
        .unwrap_or("Passkey");
    let added = passkeys
        .finish_registration(
            &state.provider,
            &account.user,
            &form.ceremony,
            &form.credential,
            name,
        )
        .await;
    let factor = match added {
        Ok(factor) => factor,
        Err(e) => {
            let message = refusal(&state, address, e)?;
            return passkey_page(
                &state,
                &account,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&message),
            );
        }
    };
    let enrolled = account
        .manager(&state)
        .passkey_added(&account.user, factor)
        .await?;
    let home = state.provider.settings().endpoint(super::account::HOME);
    let response = match enrolled.recovery_codes {
        Some(codes) => codes_page(&state, &account, &codes),
        None => super::respond::see_other(&home),
    };
    // The registration verified the user on the authenticator, as a sign-in with it would.
    account
        .signed_in_again(&state, &[amr::USER], response)
        .await
}

/// The account page's passkey routes (its page links to them).
pub fn account_routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route(ACCOUNT_PASSKEY, get(new_passkey).post(add_passkey))
        .route(ACCOUNT_PASSKEY_OPTIONS, post(registration_options))
}
