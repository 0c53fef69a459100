//! Driving a validated request to its end: decide, and either ask the user (login, consent) or
//! issue. The pages call back in here after each step, on any node:
//!
//! 1. `/authorize` validates, then [`start`] decides; a request that needs the user is parked as
//!    a [`PendingAuthorization`] bound to the browser.
//! 2. A sign-in (password, or an upstream provider) ends in [`signed_in`]: a new session, then
//!    [`resume_after_login`] decides again.
//! 3. The consent page, open only to the user who signed in for the request
//!    ([`consenting_user`]), answers through [`finish_consent`].
//! 4. Issuing takes the pending request from the store atomically, so it completes once.

use super::pending::{PENDING_TTL, PendingAuthorization};
use super::prompt::{Step, decide};
use super::response::{AuthorizationResponse, issue};
use super::{AuthorizationRequest, AuthorizeError};
use crate::client::Client;
use crate::error::{ErrorCode, TokenError};
use crate::provider::Provider;
use crate::secret::{Secret, SecretHash, random_token};
use crate::session::{self, BrowserSession};
use crate::user::{User, active_user};

#[derive(Debug)]
pub enum Next {
    /// Show the login page for this pending authorization id.
    Login(String),
    /// Show the consent page for this pending authorization id.
    Consent(String),
    /// Deliver this response to the client.
    Respond(AuthorizationResponse),
}

/// The user of a session, if they may still sign in.
async fn session_user(
    provider: &Provider,
    session: Option<&BrowserSession>,
) -> Result<Option<User>, TokenError> {
    let Some(session) = session else {
        return Ok(None);
    };
    Ok(active_user(provider.store(), &session.user_id).await?)
}

/// Right after `/authorize`: decide, and park the request in the store if the user must act.
pub async fn start(
    provider: &Provider,
    client: &Client,
    request: AuthorizationRequest,
    session: Option<&BrowserSession>,
    browser_cookie: &str,
) -> Result<Next, AuthorizeError> {
    let issuer = &provider.settings().issuer;
    let user = session_user(provider, session)
        .await
        .map_err(|e| request.error(issuer, e))?;
    let session = session.filter(|_| user.is_some());
    let mut pending = PendingAuthorization {
        id: random_token(24),
        browser: PendingAuthorization::browser_binding(browser_cookie),
        request,
        user_id: None,
        first_factor: None,
        expires_at: provider.now() + PENDING_TTL,
    };
    let next = match plan(
        provider,
        client,
        &pending.request,
        session,
        user.as_ref(),
        false,
    )
    .await?
    {
        Plan::Issue(session, user) => {
            let response = issue(provider, client, &pending.request, user, session)
                .await
                .map_err(|e| pending.request.error(issuer, e))?;
            return Ok(Next::Respond(response));
        }
        Plan::Consent(user) => {
            pending.user_id = Some(user.id.clone());
            Next::Consent(pending.id.clone())
        }
        Plan::Login => Next::Login(pending.id.clone()),
    };
    provider
        .store()
        .insert_pending(&pending)
        .await
        .map_err(|e| pending.request.error(issuer, e.into()))?;
    Ok(next)
}

/// After the login page: the same decision, with the fresh login satisfying `prompt=login`
/// and `max_age`.
pub async fn resume_after_login(
    provider: &Provider,
    client: &Client,
    mut pending: PendingAuthorization,
    session: &BrowserSession,
    user: &User,
) -> Result<Next, AuthorizeError> {
    let issuer = &provider.settings().issuer;
    match plan(
        provider,
        client,
        &pending.request,
        Some(session),
        Some(user),
        true,
    )
    .await?
    {
        Plan::Issue(session, user) => {
            let request = take(provider, &pending.id).await?;
            let response = issue(provider, client, &request, user, session)
                .await
                .map_err(|e| request.error(issuer, e))?;
            Ok(Next::Respond(response))
        }
        Plan::Consent(user) => {
            pending.user_id = Some(user.id.clone());
            // Signed in: what was proved on the way is spent, not to be replayed.
            pending.first_factor = None;
            provider
                .store()
                .update_pending(&pending)
                .await
                .map_err(|e| pending.request.error(issuer, e.into()))?;
            Ok(Next::Consent(pending.id))
        }
        Plan::Login => Ok(Next::Login(pending.id)),
    }
}

/// Consumes the pending authorization: whoever gets it issues, a second attempt is refused.
async fn take(provider: &Provider, id: &str) -> Result<AuthorizationRequest, AuthorizeError> {
    provider
        .store()
        .take_pending(id)
        .await?
        .map(|p| p.request)
        .ok_or_else(|| {
            AuthorizeError::Render(TokenError::invalid_request(
                "this sign-in request was already completed or has expired; start again from the application",
            ))
        })
}

enum Plan<'a> {
    Login,
    Consent(&'a User),
    Issue(&'a BrowserSession, &'a User),
}

async fn plan<'a>(
    provider: &Provider,
    client: &Client,
    request: &AuthorizationRequest,
    session: Option<&'a BrowserSession>,
    user: Option<&'a User>,
    just_logged_in: bool,
) -> Result<Plan<'a>, AuthorizeError> {
    let issuer = &provider.settings().issuer;
    let consented = match user {
        Some(u) => provider
            .store()
            .get_consent(&u.id, &client.client_id)
            .await
            .map_err(|e| request.error(issuer, e.into()))?,
        None => None,
    };
    // The hint names the user as this client knows them; `decide` compares it with the
    // session's own id. For a pairwise client only its pairwise `sub` may match: were the
    // user's own id accepted too, the client could test guesses of it with prompt=none.
    let local;
    let request = match (&request.id_token_hint_sub, session) {
        (Some(sub), Some(s)) if client.sector().is_some() => {
            let same = *sub == provider.subject_for(client, &s.user_id);
            local = AuthorizationRequest {
                // An empty id is no user's.
                id_token_hint_sub: Some(if same {
                    s.user_id.clone()
                } else {
                    String::new()
                }),
                ..request.clone()
            };
            &local
        }
        _ => request,
    };
    // A one-factor session of a user who has a factor since (it predates their enrolment)
    // is not enough for anything: they sign in again, with it.
    let enrolled_since = match (session, user) {
        (Some(s), Some(u)) if crate::mfa::Level::of(&s.amr) == crate::mfa::Level::One => !provider
            .store()
            .list_factors(&u.id)
            .await
            .map_err(|e| request.error(issuer, e.into()))?
            .is_empty(),
        _ => false,
    };
    let step = decide(
        request,
        client,
        session,
        consented.as_ref(),
        provider.now(),
        just_logged_in,
        provider.settings().require_mfa || enrolled_since,
    );
    Ok(match (step, session, user) {
        (Step::Fail(e), _, _) => return Err(request.error(issuer, e)),
        (Step::Issue, Some(session), Some(user)) => Plan::Issue(session, user),
        (Step::Consent, Some(_), Some(user)) => Plan::Consent(user),
        _ => Plan::Login,
    })
}

/// The user's answer on the consent page. The pending request is consumed either way.
pub async fn finish_consent(
    provider: &Provider,
    client: &Client,
    pending_id: &str,
    session: &BrowserSession,
    user: &User,
    allow: bool,
) -> Result<AuthorizationResponse, AuthorizeError> {
    let issuer = &provider.settings().issuer;
    let request = &take(provider, pending_id).await?;
    if !allow {
        return Err(request.error(
            issuer,
            TokenError::with_code(ErrorCode::AccessDenied, "the user denied the request"),
        ));
    }
    let store = provider.store();
    // Remembered per user and client: what was approved before, plus what was approved now.
    let previous = store
        .get_consent(&user.id, &client.client_id)
        .await
        .map_err(|e| request.error(issuer, e.into()))?
        .unwrap_or_default();
    let merged = crate::scope::Scopes::from_tokens(
        previous
            .iter()
            .chain(request.consent_items().iter())
            .map(str::to_owned),
    );
    store
        .put_consent(&user.id, &client.client_id, &merged, provider.now())
        .await
        .map_err(|e| request.error(issuer, e.into()))?;
    provider.record(crate::events::Event::ConsentGranted {
        user_id: user.id.clone(),
        client_id: client.client_id.clone(),
        scope: merged.to_string(),
    });
    issue(provider, client, request, user, session)
        .await
        .map_err(|e| request.error(issuer, e))
}

/// A sign-in that happened: the new session's cookie value (to set whatever comes next) and
/// what the pending request does now.
#[derive(Debug)]
pub struct SignedIn {
    pub cookie: Secret,
    pub next: Result<Next, AuthorizeError>,
}

/// After a successful sign-in (password or upstream provider, and the second factor when one
/// was asked for; `amr` says which): the browser's old session, of another user perhaps,
/// ends; a new one starts; the pending request continues.
pub async fn signed_in(
    provider: &Provider,
    client: &Client,
    pending: PendingAuthorization,
    old_session: Option<&SecretHash>,
    user: &User,
    amr: Vec<String>,
) -> Result<SignedIn, TokenError> {
    if let Some(old) = old_session {
        session::end(provider, old).await?;
    }
    let (session, cookie) = session::start(provider, &user.id, amr).await?;
    let next = resume_after_login(provider, client, pending, &session, user).await;
    Ok(SignedIn { cookie, next })
}

/// Who may answer the consent page of `pending`: the browser's signed-in user, and only if that
/// is the user who signed in for this request.
pub async fn consenting_user(
    provider: &Provider,
    pending: &PendingAuthorization,
    session_cookie: Option<&str>,
) -> Result<Option<(BrowserSession, User)>, TokenError> {
    let signed_in = session::signed_in(provider, session_cookie).await?;
    Ok(signed_in.filter(|(s, _)| pending.user_id.as_deref() == Some(s.user_id.as_str())))
}
