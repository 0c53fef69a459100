//! `prompt` (OIDC Core §3.1.2.1) and the decision every authorization request comes to:
//! show the login page, show the consent page, or issue.

use crate::client::Client;
use crate::error::{ErrorCode, TokenError};
use crate::scope::Scopes;
use crate::session::BrowserSession;
use serde::{Deserialize, Serialize};

use super::AuthorizationRequest;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
    pub select_account: bool,
}

impl Prompt {
    pub fn parse(value: &str) -> Result<Self, TokenError> {
        let mut p = Self::default();
        for v in value.split(' ').filter(|v| !v.is_empty()) {
            match v {
                "none" => p.none = true,
                "login" => p.login = true,
                "consent" => p.consent = true,
                "select_account" => p.select_account = true,
                _ => {
                    return Err(TokenError::invalid_request(
                        "prompt: only none, login, consent and select_account are supported",
                    ));
                }
            }
        }
        if p.none && (p.login || p.consent || p.select_account) {
            return Err(TokenError::invalid_request(
                "prompt=none cannot be combined with other values",
            ));
        }
        Ok(p)
    }
}

/// What happens next with an authorization request.
#[derive(Debug)]
pub enum Step {
    Login,
    Consent,
    Issue,
    /// `prompt=none` and the user would have had to act.
    Fail(TokenError),
}

/// Decides the next step. `just_logged_in` is true right after the login page, so `prompt=login`
/// and `max_age` are satisfied by that login rather than asking again.
pub fn decide(
    request: &AuthorizationRequest,
    client: &Client,
    session: Option<&BrowserSession>,
    consented: Option<&Scopes>,
    now: i64,
    just_logged_in: bool,
) -> Step {
    let prompt = request.prompt;
    // An id_token_hint naming someone else means the current session is not the one wanted.
    let session = session.filter(|s| {
        request
            .id_token_hint_sub
            .as_deref()
            .is_none_or(|sub| sub == s.user_id)
    });
    let too_old = |s: &BrowserSession| request.max_age.is_some_and(|m| now - s.auth_time > m);
    let needs_login = !just_logged_in
        && match session {
            None => true,
            Some(s) => prompt.login || prompt.select_account || too_old(s),
        };
    if needs_login {
        if prompt.none {
            return Step::Fail(TokenError::with_code(
                ErrorCode::LoginRequired,
                "the user must sign in",
            ));
        }
        return Step::Login;
    }
    let covered = consented.is_some_and(|c| request.scope.first_outside(c).is_none());
    if !client.metadata.skip_consent && (prompt.consent || !covered) {
        if prompt.none {
            return Step::Fail(TokenError::with_code(
                ErrorCode::ConsentRequired,
                "the user must approve this client",
            ));
        }
        return Step::Consent;
    }
    Step::Issue
}
