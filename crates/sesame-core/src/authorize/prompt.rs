//! `prompt` (OIDC Core §3.1.2.1) and the decision every authorization request comes to:
//! show the login page, show the consent page, or issue.

use crate::client::Client;
use crate::error::{ErrorCode, TokenError};
use crate::mfa::{Level, policy};
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
/// and `max_age` are satisfied by that login rather than asking again. `two_factors`: the
/// deployment requires them, or the user has a factor their session did not prove.
pub fn decide(
    request: &AuthorizationRequest,
    client: &Client,
    session: Option<&BrowserSession>,
    consented: Option<&Scopes>,
    now: i64,
    just_logged_in: bool,
    two_factors: bool,
) -> Step {
    let prompt = request.prompt;
    // The user who just signed in is not the one the client named: do not hand out their tokens.
    if just_logged_in
        && let (Some(sub), Some(s)) = (request.id_token_hint_sub.as_deref(), session)
        && sub != s.user_id
    {
        return Step::Fail(TokenError::with_code(
            ErrorCode::LoginRequired,
            "the signed-in user is not the one named by id_token_hint",
        ));
    }
    // An id_token_hint naming someone else means the current session is not the one wanted.
    let session = session.filter(|s| {
        request
            .id_token_hint_sub
            .as_deref()
            .is_none_or(|sub| sub == s.user_id)
    });
    // OIDC Core §3.1.2.1: `max_age=0` is `prompt=login`, even for a login this very second.
    let too_old = |s: &BrowserSession| {
        request
            .max_age
            .is_some_and(|m| m == 0 || now - s.auth_time > m)
    };
    // A session signed in on fewer factors than the request needs is stepped up: signed in
    // again. Right after a sign-in that should not happen (the login page asks for what is
    // needed), and if it did the request fails rather than asking forever.
    let needed = policy::needed(request.acr, client.metadata.require_mfa, two_factors);
    let too_weak = |s: &BrowserSession| Level::of(&s.amr) < needed;
    if just_logged_in && session.is_some_and(too_weak) {
        return Step::Fail(TokenError::with_code(
            ErrorCode::UnmetAuthenticationRequirements,
            "the sign-in did not reach the authentication level this request needs",
        ));
    }
    let needs_login = !just_logged_in
        && match session {
            None => true,
            Some(s) => prompt.login || prompt.select_account || too_old(s) || too_weak(s),
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
    let covered = consented.is_some_and(|c| request.consent_items().first_outside(c).is_none());
    // prompt=consent asks even first-party clients' users (OIDC Core §3.1.2.1).
    if prompt.consent || (!client.metadata.skip_consent && !covered) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ClientMetadata;
    use crate::response_type::{ResponseMode, ResponseType};

    fn request(prompt: &str, max_age: Option<i64>) -> AuthorizationRequest {
        AuthorizationRequest {
            client_id: "web".into(),
            redirect_uri: "https://app.example/cb".into(),
            response_type: ResponseType::parse("code").unwrap(),
            response_mode: ResponseMode::Query,
            scope: Scopes::parse("openid email").unwrap(),
            state: None,
            nonce: None,
            code_challenge: None,
            prompt: Prompt::parse(prompt).unwrap(),
            max_age,
            login_hint: None,
            claims: Default::default(),
            id_token_hint_sub: None,
            acr: None,
        }
    }

    fn client(skip_consent: bool) -> Client {
        Client {
            client_id: "web".into(),
            secret_hash: None,
            metadata: ClientMetadata {
                skip_consent,
                ..Default::default()
            },
            created_at: 0,
            updated_at: 0,
        }
    }

    fn session(auth_time: i64) -> BrowserSession {
        BrowserSession {
            sid: "s".into(),
            user_id: "usr_1".into(),
            auth_time,
            expires_at: 10_000,
            amr: vec!["pwd".into()],
        }
    }

    fn code(step: Step) -> Option<ErrorCode> {
        match step {
            Step::Fail(e) => Some(e.code),
            _ => None,
        }
    }

    #[test]
    fn no_session_means_login_or_login_required() {
        let c = client(false);
        assert!(matches!(
            decide(&request("", None), &c, None, None, 100, false, false),
            Step::Login
        ));
        let none = decide(&request("none", None), &c, None, None, 100, false, false);
        assert_eq!(code(none), Some(ErrorCode::LoginRequired));
    }

    #[test]
    fn consent_is_remembered_skipped_for_first_party_and_forced_by_prompt() {
        let s = session(90);
        let all = Scopes::parse("openid email profile").unwrap();
        let part = Scopes::parse("openid").unwrap();
        let r = request("", None);
        assert!(matches!(
            decide(&r, &client(false), Some(&s), Some(&all), 100, false, false),
            Step::Issue
        ));
        assert!(matches!(
            decide(&r, &client(false), Some(&s), Some(&part), 100, false, false),
            Step::Consent
        ));
        assert!(matches!(
            decide(&r, &client(true), Some(&s), None, 100, false, false),
            Step::Issue
        ));
        let forced = request("consent", None);
        assert!(matches!(
            decide(
                &forced,
                &client(false),
                Some(&s),
                Some(&all),
                100,
                false,
                false
            ),
            Step::Consent
        ));
        let none = decide(
            &request("none", None),
            &client(false),
            Some(&s),
            Some(&part),
            100,
            false,
            false,
        );
        assert_eq!(code(none), Some(ErrorCode::ConsentRequired));
    }

    #[test]
    fn prompt_login_and_max_age_are_satisfied_by_a_fresh_login_only() {
        let c = client(true);
        let old = session(10);
        assert!(matches!(
            decide(
                &request("login", None),
                &c,
                Some(&old),
                None,
                100,
                false,
                false
            ),
            Step::Login
        ));
        assert!(matches!(
            decide(
                &request("login", None),
                &c,
                Some(&old),
                None,
                100,
                true,
                false
            ),
            Step::Issue
        ));
        assert!(matches!(
            decide(
                &request("", Some(60)),
                &c,
                Some(&old),
                None,
                100,
                false,
                false
            ),
            Step::Login
        ));
        assert!(matches!(
            decide(
                &request("", Some(100)),
                &c,
                Some(&old),
                None,
                100,
                false,
                false
            ),
            Step::Issue
        ));
        let this_second = session(100);
        assert!(matches!(
            decide(
                &request("", Some(0)),
                &c,
                Some(&this_second),
                None,
                100,
                false,
                false
            ),
            Step::Login
        ));
        assert!(matches!(
            decide(
                &request("", Some(0)),
                &c,
                Some(&this_second),
                None,
                100,
                true,
                false
            ),
            Step::Issue
        ));
        let none = decide(
            &request("none", Some(60)),
            &c,
            Some(&old),
            None,
            100,
            false,
            false,
        );
        assert_eq!(code(none), Some(ErrorCode::LoginRequired));
    }

    #[test]
    fn a_session_on_one_factor_is_stepped_up_when_two_are_needed() {
        let c = client(true);
        let one = session(90);
        let mut two = session(90);
        two.amr = vec!["pwd".into(), "otp".into(), "mfa".into()];
        let mut asks = request("", None);
        asks.acr = Some(Level::Two);
        assert!(matches!(
            decide(&asks, &c, Some(&one), None, 100, false, false),
            Step::Login
        ));
        assert!(matches!(
            decide(&asks, &c, Some(&two), None, 100, false, false),
            Step::Issue
        ));
        let plain = request("", None);
        assert!(matches!(
            decide(&plain, &c, Some(&one), None, 100, false, false),
            Step::Issue
        ));
        // The deployment's policy, and the client's, ask the same without the request.
        assert!(matches!(
            decide(&plain, &c, Some(&one), None, 100, false, true),
            Step::Login
        ));
        let mut strict = client(true);
        strict.metadata.require_mfa = true;
        assert!(matches!(
            decide(&plain, &strict, Some(&one), None, 100, false, false),
            Step::Login
        ));
        let mut silent = request("none", None);
        silent.acr = Some(Level::Two);
        let none = decide(&silent, &c, Some(&one), None, 100, false, false);
        assert_eq!(code(none), Some(ErrorCode::LoginRequired));
        // Right after a sign-in that fell short, the request fails instead of asking forever.
        let fell_short = decide(&asks, &c, Some(&one), None, 100, true, false);
        assert_eq!(
            code(fell_short),
            Some(ErrorCode::UnmetAuthenticationRequirements)
        );
    }

    #[test]
    fn a_hint_for_someone_else_needs_a_new_login() {
        let mut r = request("", None);
        r.id_token_hint_sub = Some("usr_2".into());
        assert!(matches!(
            decide(
                &r,
                &client(true),
                Some(&session(90)),
                None,
                100,
                false,
                false
            ),
            Step::Login
        ));
    }

    #[test]
    fn prompt_values_are_checked() {
        assert!(Prompt::parse("none login").is_err());
        assert!(Prompt::parse("create").is_err());
        assert!(Prompt::parse("login consent").unwrap().consent);
    }
}
