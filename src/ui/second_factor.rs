//! After the first factor (a password, or an upstream provider): a second one when the user
//! has one or the request needs it (`sesame_core::mfa::policy`). `/login/second-factor` takes
//! an authenticator's code or a recovery code; `/login/enrol` enrols an authenticator for a
//! user who must have one and has none (the QR code drawn here, as SVG), then shows the
//! recovery codes once before the sign-in goes on.

use super::browser::Browser;
use super::error::PageError;
use super::page;
use super::respond::{see_other, with_id};
use super::sign_in::{PageQuery, signed_in};
use crate::client_address::ClientAddress;
use crate::extract::PageForm;
use crate::manage::Manager;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sesame_core::audit::{Actor, Origin};
use sesame_core::authorize::pending::{self, PendingAuthorization};
use sesame_core::client::Client;
use sesame_core::endpoints;
use sesame_core::mfa::policy::{self, AfterFirstFactor};
use sesame_core::mfa::{FactorKind, FirstFactor, SecondFactorFailure, totp};
use sesame_core::user::{User, active_user};
use std::sync::Arc;

/// The first factor is proved: sign in now, or ask for (or enrol) the second.
pub async fn after_first_factor(
    state: &AppState,
    browser: &Browser,
    client: &Client,
    mut pending: PendingAuthorization,
    user: &User,
    amr: Vec<String>,
) -> Result<Response, PageError> {
    let provider = &state.provider;
    let needed = policy::needed(
        pending.request.acr,
        client.metadata.require_mfa,
        provider.settings().require_mfa,
    );
    let has_factor = !provider.store().list_factors(&user.id).await?.is_empty();
    let (path, may_enrol) = match policy::after_first_factor(has_factor, needed) {
        AfterFirstFactor::Done => {
            return signed_in(state, browser, client, pending, user, amr).await;
        }
        AfterFirstFactor::Verify => (endpoints::SECOND_FACTOR, false),
        AfterFirstFactor::Enrol => (endpoints::ENROL, true),
    };
    pending.first_factor = Some(FirstFactor {
        user_id: user.id.clone(),
        amr,
        may_enrol,
        enrolling: None,
        proved: None,
    });
    if !provider.store().update_pending(&pending).await? {
        return Err(PageError::RequestGone);
    }
    Ok(see_other(&with_id(provider.settings(), path, &pending.id)))
}

/// The pending request, halfway signed in by this browser, and its user (still allowed in).
async fn halfway(
    state: &AppState,
    browser: &Browser,
    id: Option<&str>,
) -> Result<(PendingAuthorization, Arc<Client>, FirstFactor, User), PageError> {
    let provider = &state.provider;
    let (pending, client) = pending::load(provider, id, browser.binding()).await?;
    let first = pending.first_factor.clone().ok_or(PageError::RequestGone)?;
    let user = active_user(provider.store(), &first.user_id)
        .await?
        .ok_or(PageError::RequestGone)?;
    Ok((pending, client, first, user))
}

#[derive(serde::Deserialize)]
pub struct CodeForm {
    id: Option<String>,
    csrf_token: Option<String>,
    #[serde(default)]
    code: String,
}

/// The page that asks for the second factor: a code box always (recovery codes go there), a
/// passkey button when the user has a passkey.
pub async fn code_page(
    state: &AppState,
    browser: &Browser,
    status: StatusCode,
    pending: &PendingAuthorization,
    client: &Client,
    user_id: &str,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let factors = state.provider.store().list_factors(user_id).await?;
    let has = |kind| factors.iter().any(|f| f.kind == kind);
    let passkey = state.passkeys.is_some() && has(FactorKind::Passkey);
    let context = minijinja::context! {
        id => pending.id, csrf_token => browser.csrf_token(),
        client_name => client.display_name(), error,
        has_totp => has(FactorKind::Totp), has_passkey => passkey,
        code_url => state.provider.settings().endpoint(endpoints::SECOND_FACTOR),
        ..super::passkey_script::form_context(state)
    };
    Ok(match passkey {
        true => super::page_with_script(
            status,
            "second_factor.html",
            context,
            super::passkey_script::SCRIPT,
        ),
        false => page(status, "second_factor.html", context),
    })
}

pub async fn show_code(
    State(state): State<AppState>,
    browser: Browser,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let (pending, client, _, user) = halfway(&state, &browser, q.id.as_deref()).await?;
    code_page(
        &state,
        &browser,
        StatusCode::OK,
        &pending,
        &client,
        &user.id,
        None,
    )
    .await
}

pub async fn submit_code(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    browser: Browser,
    PageForm(form): PageForm<CodeForm>,
) -> Result<Response, PageError> {
    if !browser.sent_its_form(form.csrf_token.as_deref()) {
        return Err(PageError::Forgery);
    }
    let provider = &state.provider;
    let (pending, client, first, user) = halfway(&state, &browser, form.id.as_deref()).await?;
    match sesame_core::mfa::verify(provider, address, &user, &form.code).await? {
        Ok(_) => {
            let amr = first.with_second();
            signed_in(&state, &browser, &client, pending, &user, amr).await
        }
        Err(failure) => {
            let (status, message) = match failure {
                SecondFactorFailure::Invalid => (
                    StatusCode::UNAUTHORIZED,
                    "That code is not right, or was used already. Type the code your \
                     authenticator shows now, or one of your recovery codes."
                        .to_owned(),
                ),
                SecondFactorFailure::Locked { until } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    format!(
                        "Too many wrong codes and passwords. This account is locked; try again {}.",
                        sesame_core::login::retry_in(until, provider.now())
                    ),
                ),
            };
            let error = Some(message.as_str());
            code_page(&state, &browser, status, &pending, &client, &user.id, error).await
        }
    }
}

/// The secret being enrolled for this pending sign-in: made and kept (sealed) in the pending
/// request the first time, so a reload shows the same QR code.
async fn enrolling_secret(
    state: &AppState,
    pending: &mut PendingAuthorization,
    first: &mut FirstFactor,
) -> Result<Vec<u8>, PageError> {
    let provider = &state.provider;
    let master = provider.master_key();
    let context = format!("enrol:{}", pending.id);
    if let Some(sealed) = &first.enrolling {
        let bytes = URL_SAFE_NO_PAD
            .decode(sealed)
            .map_err(|e| PageError::Internal(e.to_string()))?;
        let text = sesame_core::sealed::open(master, &context, &bytes)
            .map_err(|e| PageError::Internal(e.to_string()))?;
        return totp::from_base32(&text)
            .ok_or_else(|| PageError::Internal("an enrolling TOTP secret is corrupt".into()));
    }
    let secret = totp::generate_secret();
    let sealed = sesame_core::sealed::seal(master, &context, &totp::base32(&secret))
        .map_err(|e| PageError::Internal(e.to_string()))?;
    first.enrolling = Some(URL_SAFE_NO_PAD.encode(sealed));
    pending.first_factor = Some(first.clone());
    if !provider.store().update_pending(pending).await? {
        return Err(PageError::RequestGone);
    }
    Ok(secret)
}

/// A QR code of `text` as an SVG document, drawn here: no image service sees the secret.
pub fn qr_svg(text: &str) -> Result<String, PageError> {
    let code =
        qrcode::QrCode::new(text.as_bytes()).map_err(|e| PageError::Internal(e.to_string()))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

/// What the enrolment page shows: the QR code, the secret as text, the code box.
pub fn enrolment_context(
    state: &AppState,
    user: &User,
    secret: &[u8],
) -> Result<minijinja::Value, PageError> {
    let issuer = totp::issuer_label(&state.provider.settings().issuer);
    let uri = totp::otpauth_uri(&issuer, &user.username, secret);
    // Groups of four, as apps that take a typed key show it.
    let text: Vec<String> = totp::base32(secret)
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    Ok(minijinja::context! {
        qr => minijinja::Value::from_safe_string(qr_svg(&uri)?),
        secret => text.join(" "),
        issuer,
    })
}

/// [`halfway`], for a sign-in that may enrol a factor: its user had none when the password
/// was accepted, and still has none (a factor enrolled meanwhile is proved, not added to).
async fn enrolling(
    state: &AppState,
    browser: &Browser,
    id: Option<&str>,
) -> Result<(PendingAuthorization, Arc<Client>, FirstFactor, User), PageError> {
    let (pending, client, first, user) = halfway(state, browser, id).await?;
    let has_factor = !state
        .provider
        .store()
        .list_factors(&user.id)
        .await?
        .is_empty();
    if !first.may_enrol || has_factor {
        return Err(PageError::RequestGone);
    }
    Ok((pending, client, first, user))
}

async fn enrol_page(
    state: &AppState,
    browser: &Browser,
    status: StatusCode,
    id: Option<&str>,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let (mut pending, client, mut first, user) = enrolling(state, browser, id).await?;
    let secret = enrolling_secret(state, &mut pending, &mut first).await?;
    Ok(page(
        status,
        "enrol.html",
        minijinja::context! {
            id => pending.id, csrf_token => browser.csrf_token(),
            client_name => client.display_name(), error,
            action => state.provider.settings().endpoint(endpoints::ENROL),
            ..enrolment_context(state, &user, &secret)?
        },
    ))
}

pub async fn show_enrol(
    State(state): State<AppState>,
    browser: Browser,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    enrol_page(&state, &browser, StatusCode::OK, q.id.as_deref(), None).await
}

pub async fn submit_enrol(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    browser: Browser,
    PageForm(form): PageForm<CodeForm>,
) -> Result<Response, PageError> {
    if !browser.sent_its_form(form.csrf_token.as_deref()) {
        return Err(PageError::Forgery);
    }
    let provider = &state.provider;
    let (mut pending, client, mut first, user) =
        enrolling(&state, &browser, form.id.as_deref()).await?;
    let secret = enrolling_secret(&state, &mut pending, &mut first).await?;
    let Some(step) = totp::matching_step(&secret, &form.code, provider.now()) else {
        let error = "That code does not match. Type the six digits your authenticator app shows \
                     for this account now.";
        let id = Some(pending.id.as_str());
        return enrol_page(&state, &browser, StatusCode::UNAUTHORIZED, id, Some(error)).await;
    };
    let origin = Origin {
        actor: Actor::User(user.id.clone()),
        address: Some(address.to_string()),
    };
    let manager = Manager::for_request(provider, origin);
    let enrolled = manager
        .enrol_totp(&user, "Authenticator app", &secret, Some(step))
        .await?;
    first.enrolling = None;
    first.may_enrol = false;
    first.proved = Some(first.with_second());
    pending.first_factor = Some(first);
    if !provider.store().update_pending(&pending).await? {
        return Err(PageError::RequestGone);
    }
    Ok(page(
        StatusCode::OK,
        "recovery_codes.html",
        minijinja::context! {
            codes => enrolled.recovery_codes.unwrap_or_default(),
            id => pending.id, csrf_token => browser.csrf_token(),
            client_name => client.display_name(),
            action => provider.settings().endpoint(endpoints::ENROLLED),
        },
    ))
}

#[derive(serde::Deserialize)]
pub struct ContinueForm {
    id: Option<String>,
    csrf_token: Option<String>,
}

/// After the recovery codes: the sign-in the enrolment proved goes on.
pub async fn enrolled(
    State(state): State<AppState>,
    browser: Browser,
    PageForm(form): PageForm<ContinueForm>,
) -> Result<Response, PageError> {
    if !browser.sent_its_form(form.csrf_token.as_deref()) {
        return Err(PageError::Forgery);
    }
    let (pending, client, first, user) = halfway(&state, &browser, form.id.as_deref()).await?;
    let amr = first.proved.ok_or(PageError::RequestGone)?;
    signed_in(&state, &browser, &client, pending, &user, amr).await
}
