//! `/account`: the signed-in person's own page. Signing in to it is an OpenID Connect sign-in
//! to Sesame as the first-party client `sesame-account`, so it asks for whatever the login
//! page asks (the second factor too); the session it makes is the page's. Today it manages
//! second factors: authenticators (add, remove) and recovery codes (new ones). Every change
//! needs a sign-in from the last [`FRESH`] seconds: a browser left open is not enough.

use super::browser::Browser;
use super::error::PageError;
use super::first_party::FirstParty;
use super::respond::see_other;
use super::{page, second_factor};
use crate::client_address::ClientAddress;
use crate::extract::PageForm;
use crate::manage::{ManageError, Manager};
use crate::state::AppState;
use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sesame_core::audit::{Actor, Origin};
use sesame_core::client::Client;
use sesame_core::mfa::{Level, totp};
use sesame_core::session::{self, BrowserSession};
use sesame_core::user::User;
use std::collections::BTreeMap;

pub const CLIENT_ID: &str = crate::manage::clients::ACCOUNT_CLIENT_ID;
pub const HOME: &str = "/account";
const LOGIN: &str = "/account/login";
const CALLBACK: &str = "/account/callback";
const TOTP: &str = "/account/totp";
const RECOVERY_CODES: &str = "/account/recovery-codes";
const FACTORS: &str = "/account/factors";
pub const ACCOUNT_PASSKEY: &str = "/account/passkey";
pub const ACCOUNT_PASSKEY_OPTIONS: &str = "/account/passkey/options";
/// How recent a sign-in must be to change anything here, in seconds.
const FRESH: i64 = 300;

const ACCOUNT: FirstParty = FirstParty {
    client_id: CLIENT_ID,
    scope: "openid",
    start: HOME,
    callback: CALLBACK,
    cookie: "sesame_account_flow",
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(HOME, get(show))
        .route(LOGIN, get(start))
        .route(CALLBACK, get(callback))
        .route(TOTP, get(new_totp).post(enrol_totp))
        .route(RECOVERY_CODES, post(new_recovery_codes))
        .route("/account/factors/{id}/remove", post(remove_factor))
}

/// The account page's client, registered at every start.
pub fn client(issuer: &str) -> Client {
    super::first_party::client(CLIENT_ID, "Your Sesame account", issuer, CALLBACK)
}

/// The signed-in person, by this browser's session.
pub struct Account {
    pub browser: Browser,
    session: BrowserSession,
    pub user: User,
    address: std::net::IpAddr,
}

impl FromRequestParts<AppState> for Account {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Ok(browser) = Browser::from_request_parts(parts, state).await;
        let ClientAddress(address) = ClientAddress::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|never| match never {});
        let signed_in = session::signed_in(&state.provider, browser.session())
            .await
            .map_err(|e| PageError::Unavailable(e.to_string()).into_response())?;
        let to_login = || see_other(&state.provider.settings().endpoint(LOGIN));
        let Some((session, user)) = signed_in else {
            return Err(to_login());
        };
        // A one-factor session of a user who has a factor since is not theirs to manage it
        // with: signing in again asks for the factor (`authorize::flow`).
        let factors = state
            .provider
            .store()
            .list_factors(&user.id)
            .await
            .map_err(|e| PageError::from(e).into_response())?;
        if Level::of(&session.amr) < Level::Two && !factors.is_empty() {
            return Err(to_login());
        }
        Ok(Self {
            browser,
            session,
            user,
            address,
        })
    }
}

impl Account {
    pub fn manager<'a>(&self, state: &'a AppState) -> Manager<'a> {
        let origin = Origin {
            actor: Actor::User(self.user.id.clone()),
            address: Some(self.address.to_string()),
        };
        Manager::for_request(&state.provider, origin)
    }

    /// Why a change is refused, if it is: a form not from this browser, or a sign-in too old
    /// (then off to sign in again).
    pub fn refusal(&self, state: &AppState, csrf_token: Option<&str>) -> Option<Response> {
        if !self.browser.sent_its_form(csrf_token) {
            return Some(PageError::Forgery.into_response());
        }
        if !self.is_fresh(state) {
            let again = format!("{}?fresh=1", state.provider.settings().endpoint(LOGIN));
            return Some(see_other(&again));
        }
        None
    }

    /// After the user proved a factor they just added (its first code, or the passkey's own
    /// ceremony): this browser's session is replaced by one with that factor in its `amr`,
    /// and `response` carries the new cookie.
    pub async fn signed_in_again(
        &self,
        state: &AppState,
        proved: &[&str],
        response: Response,
    ) -> Result<Response, PageError> {
        let provider = &state.provider;
        let mut amr = self.session.amr.clone();
        for value in proved.iter().chain(&[sesame_core::mfa::amr::MFA]) {
            if !amr.iter().any(|a| a == value) {
                amr.push((*value).to_owned());
            }
        }
        if let Some(old) = session::find(provider, self.browser.session()).await? {
            session::end(provider, &old.key).await?;
        }
        let (_, cookie) = session::start(provider, &self.user.id, amr).await?;
        Ok(super::browser::with_session(state, &cookie, response))
    }

    /// Whether the sign-in is recent enough to change anything ([`FRESH`]).
    pub fn is_fresh(&self, state: &AppState) -> bool {
        state.provider.now() - self.session.auth_time <= FRESH
    }
}

/// Everything the page shows around what changed.
async fn account_page(
    state: &AppState,
    account: &Account,
    status: StatusCode,
    notice: Option<&str>,
) -> Result<Response, PageError> {
    let manager = account.manager(state);
    let factors = manager.factors(&account.user).await?;
    let left = manager
        .store
        .unused_recovery_codes(&account.user.id)
        .await?;
    let settings = state.provider.settings();
    let rows: Vec<minijinja::Value> = factors
        .iter()
        .map(|f| {
            minijinja::context! {
                name => f.name, kind => f.kind.as_str(),
                added => crate::cli::output::time(f.created_at),
                used => f.last_used_at.map(crate::cli::output::time),
                remove_url => crate::console::under(&settings.endpoint(FACTORS), &[&f.id, "remove"]),
            }
        })
        .collect();
    Ok(page(
        status,
        "account.html",
        minijinja::context! {
            wide => true,
            username => account.user.username,
            factors => rows, recovery_codes_left => left, notice,
            csrf_token => account.browser.csrf_token(),
            totp_url => settings.endpoint(TOTP),
            passkey_url => state.passkeys.is_some().then(|| settings.endpoint(ACCOUNT_PASSKEY)),
            recovery_url => settings.endpoint(RECOVERY_CODES),
            logout_url => settings.endpoint(sesame_core::endpoints::LOGOUT),
            signed_in_at => crate::cli::output::time(account.session.auth_time),
        },
    ))
}

pub async fn show(State(state): State<AppState>, account: Account) -> Result<Response, PageError> {
    account_page(&state, &account, StatusCode::OK, None).await
}

#[derive(serde::Deserialize)]
pub struct StartQuery {
    fresh: Option<String>,
}

/// Off to Sesame's sign-in; `fresh` asks for a sign-in no older than [`FRESH`] seconds.
pub async fn start(State(state): State<AppState>, Query(q): Query<StartQuery>) -> Response {
    ACCOUNT.redirect(&state, q.fresh.is_some().then_some(FRESH))
}

pub async fn callback(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    browser: Browser,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    ACCOUNT
        .signed_in_user(&state, address, &browser, &headers, &query)
        .await?;
    let mut response = see_other(&state.provider.settings().endpoint(HOME));
    response
        .headers_mut()
        .append(header::SET_COOKIE, ACCOUNT.forget(&state));
    Ok(response)
}

/// The enrolment page with this secret (new, or the one the refused form carried).
fn totp_page(
    state: &AppState,
    account: &Account,
    status: StatusCode,
    secret: &[u8],
    name: &str,
    error: Option<&str>,
) -> Result<Response, PageError> {
    Ok(page(
        status,
        "enrol.html",
        minijinja::context! {
            csrf_token => account.browser.csrf_token(),
            action => state.provider.settings().endpoint(TOTP),
            ask_name => true, name, error,
            // The key travels with the form (it is on the page already), under a MAC bound to
            // this session: only a key Sesame made is enrolled; the code typed proves the app
            // holds it.
            carried_secret => totp::base32(secret),
            carried_mac => secret_mac(state, account, &totp::base32(secret)),
            ..second_factor::enrolment_context(state, &account.user, secret)?
        },
    ))
}

/// The MAC over a key the enrolment page carries, bound to this browser's session.
fn secret_mac(state: &AppState, account: &Account, secret: &str) -> String {
    let bound = format!("sesame-totp\0{secret}");
    state
        .provider
        .csrf()
        .token(&bound, account.browser.session())
}

pub async fn new_totp(
    State(state): State<AppState>,
    account: Account,
) -> Result<Response, PageError> {
    let secret = totp::generate_secret();
    totp_page(
        &state,
        &account,
        StatusCode::OK,
        &secret,
        "Authenticator app",
        None,
    )
}

#[derive(serde::Deserialize)]
pub struct TotpForm {
    csrf_token: Option<String>,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    secret_mac: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    code: String,
}

pub async fn enrol_totp(
    State(state): State<AppState>,
    account: Account,
    PageForm(form): PageForm<TotpForm>,
) -> Result<Response, PageError> {
    if let Some(refused) = account.refusal(&state, form.csrf_token.as_deref()) {
        return Ok(refused);
    }
    let expected = secret_mac(&state, &account, &form.secret);
    let made_here: bool =
        subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), form.secret_mac.as_bytes()).into();
    let secret = totp::from_base32(&form.secret)
        .filter(|s| made_here && s.len() == totp::SECRET_LEN)
        .ok_or_else(|| PageError::BadRequest("The form lost its key. Start again.".into()))?;
    let Some(step) = totp::matching_step(&secret, &form.code, state.provider.now()) else {
        let error = "That code does not match. Type the six digits the app shows now.";
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return totp_page(&state, &account, status, &secret, &form.name, Some(error));
    };
    let manager = account.manager(&state);
    match manager
        .enrol_totp(&account.user, &form.name, &secret, Some(step))
        .await
    {
        Ok(enrolled) => {
            let response = match enrolled.recovery_codes {
                Some(codes) => codes_page(&state, &account, &codes),
                None => see_other(&state.provider.settings().endpoint(HOME)),
            };
            let otp = [sesame_core::mfa::amr::OTP];
            account.signed_in_again(&state, &otp, response).await
        }
        Err(ManageError::Invalid { message, .. }) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            totp_page(
                &state,
                &account,
                status,
                &secret,
                &form.name,
                Some(&message),
            )
        }
        Err(e) => Err(e.into()),
    }
}

pub fn codes_page(state: &AppState, account: &Account, codes: &[String]) -> Response {
    page(
        StatusCode::OK,
        "recovery_codes.html",
        minijinja::context! {
            codes, csrf_token => account.browser.csrf_token(),
            continue_url => state.provider.settings().endpoint(HOME),
        },
    )
}

#[derive(serde::Deserialize)]
pub struct Confirmed {
    csrf_token: Option<String>,
}

pub async fn new_recovery_codes(
    State(state): State<AppState>,
    account: Account,
    PageForm(form): PageForm<Confirmed>,
) -> Result<Response, PageError> {
    if let Some(refused) = account.refusal(&state, form.csrf_token.as_deref()) {
        return Ok(refused);
    }
    let manager = account.manager(&state);
    if manager.factors(&account.user).await?.is_empty() {
        let notice = "Recovery codes come with an authenticator: add one first.";
        return account_page(&state, &account, StatusCode::CONFLICT, Some(notice)).await;
    }
    let codes = manager.replace_recovery_codes(&account.user).await?;
    Ok(codes_page(&state, &account, &codes))
}

pub async fn remove_factor(
    State(state): State<AppState>,
    account: Account,
    Path(id): Path<String>,
    PageForm(form): PageForm<Confirmed>,
) -> Result<Response, PageError> {
    if let Some(refused) = account.refusal(&state, form.csrf_token.as_deref()) {
        return Ok(refused);
    }
    account
        .manager(&state)
        .remove_factor(&account.user, &id)
        .await?;
    Ok(see_other(&state.provider.settings().endpoint(HOME)))
}
