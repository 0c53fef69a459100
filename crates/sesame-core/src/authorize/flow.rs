//! Driving a validated request to its end (DESIGN §3a): decide, and either ask the user (login,
//! consent) or issue. The pages call back in here after each step, on any node.

use super::pending::{PENDING_TTL, PendingAuthorization};
use super::prompt::{Step, decide};
use super::response::{AuthorizationResponse, issue};
use super::{AuthorizationRequest, AuthorizeError};
use crate::client::Client;
use crate::error::{ErrorCode, TokenError};
use crate::provider::Provider;
use crate::secret::random_token;
use crate::session::BrowserSession;
use crate::user::User;

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
    Ok(provider
        .store()
        .get_user(&session.user_id)
        .await?
        .filter(|u| !u.disabled))
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
    let step = decide(
        request,
        client,
        session,
        consented.as_ref(),
        provider.now(),
        just_logged_in,
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
    issue(provider, client, request, user, session)
        .await
        .map_err(|e| request.error(issuer, e))
}
