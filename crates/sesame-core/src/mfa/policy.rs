//! Which level of authentication a request needs, and whether a sign-in reached it.
//!
//! Sesame's `acr` values (OIDC Core §2) are levels, as Keycloak's are: `1` is one factor (a
//! password, or a sign-in through an upstream provider), `2` is a second factor on top. A
//! client asks with `acr_values` (voluntary: the lowest level it lists that Sesame knows is
//! what it needs) or an essential `acr` claim (a level it lists must be met, or the request
//! fails with `unmet_authentication_requirements`); the client's `require_mfa` and the global
//! `require_mfa` setting ask for `2` whatever the request says.

use super::amr;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Level {
    #[serde(rename = "1")]
    One,
    #[serde(rename = "2")]
    Two,
}

/// Every level, for discovery's `acr_values_supported`.
pub const SUPPORTED: [Level; 2] = [Level::One, Level::Two];

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::One => "1",
            Self::Two => "2",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        SUPPORTED.into_iter().find(|l| l.as_str() == value)
    }

    /// The level a sign-in with these `amr` values reached.
    pub fn of(amr: &[String]) -> Self {
        if amr.iter().any(|a| a == amr::MFA) {
            Self::Two
        } else {
            Self::One
        }
    }

    /// The lowest level among `values` that Sesame knows; `None` if it knows none of them.
    pub fn lowest_of<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        values.into_iter().filter_map(Self::parse).min()
    }
}

/// The level a request needs: the highest of what the request asks (`requested`), what its
/// client requires and what the deployment requires.
pub fn needed(requested: Option<Level>, client_requires_mfa: bool, everyone_mfa: bool) -> Level {
    let policy = if client_requires_mfa || everyone_mfa {
        Level::Two
    } else {
        Level::One
    };
    requested.map_or(policy, |r| r.max(policy))
}

/// Whether `session` signed in strongly enough to act for `client_id` outside an authorization
/// request (the device and OAuth 1.0a approval pages): what the client and the deployment ask,
/// and two factors whenever the user has one (a session from before their enrolment is not).
pub async fn session_is_enough(
    provider: &crate::Provider,
    client_id: &str,
    session: &crate::session::BrowserSession,
) -> Result<bool, crate::store::StoreError> {
    let reached = Level::of(&session.amr);
    if reached == Level::Two {
        return Ok(true);
    }
    let client_requires = provider
        .client(client_id)
        .await?
        .is_some_and(|c| c.metadata.require_mfa);
    let has_factor = !provider
        .store()
        .list_factors(&session.user_id)
        .await?
        .is_empty();
    let two = needed(
        None,
        client_requires,
        provider.settings().require_mfa || has_factor,
    );
    Ok(reached >= two)
}

/// What comes after the first factor (the password, or an upstream provider).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFirstFactor {
    /// Signed in on one factor.
    Done,
    /// Ask for a second factor the user has.
    Verify,
    /// The request needs two factors and the user has none: enrol one now.
    Enrol,
}

/// A user who enrolled a second factor is always asked for it, whatever the request needs:
/// they chose it, and a password alone must not be enough to become them.
pub fn after_first_factor(has_factor: bool, needed: Level) -> AfterFirstFactor {
    match (has_factor, needed) {
        (true, _) => AfterFirstFactor::Verify,
        (false, Level::Two) => AfterFirstFactor::Enrol,
        (false, Level::One) => AfterFirstFactor::Done,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_come_from_amr_and_from_what_is_asked() {
        assert_eq!(Level::of(&["pwd".into()]), Level::One);
        assert_eq!(Level::of(&[]), Level::One);
        assert_eq!(
            Level::of(&["pwd".into(), "otp".into(), "mfa".into()]),
            Level::Two
        );
        assert_eq!(Level::lowest_of(["2", "1"]), Some(Level::One));
        assert_eq!(Level::lowest_of(["gold", "2"]), Some(Level::Two));
        assert_eq!(Level::lowest_of(["gold"]), None);
        assert_eq!(serde_json::to_string(&Level::Two).unwrap(), "\"2\"");
    }

    #[test]
    fn the_strictest_of_request_client_and_deployment_wins() {
        assert_eq!(needed(None, false, false), Level::One);
        assert_eq!(needed(Some(Level::Two), false, false), Level::Two);
        assert_eq!(needed(Some(Level::One), true, false), Level::Two);
        assert_eq!(needed(Some(Level::One), false, true), Level::Two);
        assert_eq!(needed(None, true, false), Level::Two);
    }

    #[test]
    fn an_enrolled_factor_is_always_asked_for() {
        use AfterFirstFactor::*;
        assert_eq!(after_first_factor(true, Level::One), Verify);
        assert_eq!(after_first_factor(true, Level::Two), Verify);
        assert_eq!(after_first_factor(false, Level::Two), Enrol);
        assert_eq!(after_first_factor(false, Level::One), Done);
    }
}
