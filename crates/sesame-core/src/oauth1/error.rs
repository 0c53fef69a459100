//! OAuth 1.0a failures (RFC 5849 §3.2) as the OAuth Problem Reporting extension names them:
//! a typed problem, advice for the developer, an optional companion parameter, and a cause for
//! the log only. Which HTTP status each class gets is the server's business.

use crate::error::TokenError;
use crate::store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    ParameterAbsent,
    ParameterRejected,
    VersionRejected,
    SignatureMethodRejected,
    ConsumerKeyUnknown,
    ConsumerKeyRejected,
    TimestampRefused,
    NonceUsed,
    SignatureInvalid,
    TokenRejected,
    TokenExpired,
    TokenUsed,
    TokenRevoked,
    PermissionDenied,
    PermissionUnknown,
    /// Not in the extension: Sesame itself failed.
    ServerError,
    /// Not in the extension: the store is away; the request may succeed if retried.
    TemporarilyUnavailable,
}

/// RFC 5849 §3.2's two kinds of refusal, and Sesame's own failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemClass {
    /// Unsupported or missing parameter, unsupported signature method, duplicated parameter.
    Malformed,
    /// Invalid client credentials, invalid or expired token, invalid signature, used nonce.
    Unauthorized,
    ServerError,
    Unavailable,
}

impl Problem {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ParameterAbsent => "parameter_absent",
            Self::ParameterRejected => "parameter_rejected",
            Self::VersionRejected => "version_rejected",
            Self::SignatureMethodRejected => "signature_method_rejected",
            Self::ConsumerKeyUnknown => "consumer_key_unknown",
            Self::ConsumerKeyRejected => "consumer_key_rejected",
            Self::TimestampRefused => "timestamp_refused",
            Self::NonceUsed => "nonce_used",
            Self::SignatureInvalid => "signature_invalid",
            Self::TokenRejected => "token_rejected",
            Self::TokenExpired => "token_expired",
            Self::TokenUsed => "token_used",
            Self::TokenRevoked => "token_revoked",
            Self::PermissionDenied => "permission_denied",
            Self::PermissionUnknown => "permission_unknown",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }

    pub fn class(self) -> ProblemClass {
        match self {
            Self::ParameterAbsent
            | Self::ParameterRejected
            | Self::VersionRejected
            | Self::SignatureMethodRejected => ProblemClass::Malformed,
            Self::ServerError => ProblemClass::ServerError,
            Self::TemporarilyUnavailable => ProblemClass::Unavailable,
            _ => ProblemClass::Unauthorized,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Oauth1Error {
    pub problem: Problem,
    pub advice: String,
    /// A companion parameter of the Problem Reporting extension (`oauth_parameters_absent`,
    /// `oauth_acceptable_timestamps`, `oauth_acceptable_versions`).
    pub detail: Option<(&'static str, String)>,
    /// For the log only, never sent.
    pub cause: Option<String>,
}

impl Oauth1Error {
    pub fn new(problem: Problem, advice: impl Into<String>) -> Self {
        Self {
            problem,
            advice: advice.into(),
            detail: None,
            cause: None,
        }
    }

    /// A required parameter is missing: `parameter_absent` naming it.
    pub fn absent(name: &'static str) -> Self {
        Self {
            detail: Some(("oauth_parameters_absent", name.to_owned())),
            ..Self::new(Problem::ParameterAbsent, format!("{name} is required"))
        }
    }

    /// A failure of Sesame itself: generic advice for the caller, the cause for the log.
    pub fn server(cause: impl std::fmt::Display) -> Self {
        Self {
            cause: Some(cause.to_string()),
            ..Self::new(
                Problem::ServerError,
                "the server encountered an unexpected error",
            )
        }
    }
}

impl From<StoreError> for Oauth1Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(cause) => Self {
                cause: Some(cause),
                ..Self::new(
                    Problem::TemporarilyUnavailable,
                    "the server is temporarily unavailable; try again",
                )
            },
            other => Self::server(other),
        }
    }
}

impl From<TokenError> for Oauth1Error {
    fn from(e: TokenError) -> Self {
        Self::server(e.cause.unwrap_or_else(|| e.description.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc5849_3_2_malformed_requests_and_failed_verification_are_told_apart() {
        for p in [
            Problem::ParameterAbsent,
            Problem::ParameterRejected,
            Problem::SignatureMethodRejected,
        ] {
            assert_eq!(p.class(), ProblemClass::Malformed, "{p:?}");
        }
        for p in [
            Problem::SignatureInvalid,
            Problem::NonceUsed,
            Problem::TokenExpired,
            Problem::ConsumerKeyUnknown,
        ] {
            assert_eq!(p.class(), ProblemClass::Unauthorized, "{p:?}");
        }
        let missing = Oauth1Error::absent("oauth_nonce");
        assert_eq!(missing.problem.as_str(), "parameter_absent");
        assert_eq!(
            missing.detail,
            Some(("oauth_parameters_absent", "oauth_nonce".into()))
        );
    }

    #[test]
    fn store_failures_say_nothing_of_their_cause() {
        let e = Oauth1Error::from(StoreError::Unavailable("db host down".into()));
        assert_eq!(e.problem.class(), ProblemClass::Unavailable);
        assert!(!e.advice.contains("db host"));
        assert_eq!(e.cause.as_deref(), Some("db host down"));
    }
}
