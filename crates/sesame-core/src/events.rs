//! What happened that the operator counts or is warned about, reported by the core as typed
//! events: the server turns them into metrics and log lines (`src/telemetry.rs`), tests record
//! them, and the audit trail keeps them. An event never carries a secret; an account name is the
//! throttle's key, not a password.

use std::net::IpAddr;

/// Why a sign-in with a password was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Wrong username or password (which one is never said).
    Invalid,
    /// The password was right but the account is disabled.
    Disabled,
    /// The account is locked after repeated failures.
    Locked,
    /// The password was right, but the sign-in needs a second factor the caller cannot ask for.
    NeedsSecondFactor,
}

/// Where a throttled guess was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guess {
    /// A password, on any page or the password grant.
    Password,
    /// A device page's user code (RFC 8628 §5.1).
    UserCode,
    /// Client authentication at the token, introspection, revocation and device endpoints.
    ClientAuthentication,
    /// A second factor's code after the password (counted with the account's passwords).
    SecondFactor,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A password sign-in was refused. `account` is the name as typed (lower-cased);
    /// `user_id` the account it named, when one exists and was looked up.
    SignInRefused {
        account: String,
        why: Refusal,
        user_id: Option<String>,
        address: IpAddr,
    },
    /// Repeated wrong guesses locked `key` (an account, or a device page's browser or address)
    /// until `until`.
    Locked {
        guess: Guess,
        key: String,
        until: i64,
    },
    /// A password sign-in succeeded.
    SignedIn { user_id: String, address: IpAddr },
    /// A second factor was proved after the first.
    SecondFactorUsed {
        user_id: String,
        proof: crate::mfa::Proof,
        address: IpAddr,
    },
    /// A passkey answered with a sign counter at or below the stored one: a clone, refused.
    PasskeyCloned {
        user_id: String,
        factor_id: String,
        address: IpAddr,
    },
    /// A second factor's code was wrong or spent, or the account was locked.
    SecondFactorRefused {
        user_id: String,
        locked: bool,
        address: IpAddr,
    },
    /// A user approved scopes for a client on the consent page.
    ConsentGranted {
        user_id: String,
        client_id: String,
        scope: String,
    },
    /// The token endpoint refused a request (a poll told to wait is not a refusal).
    TokenRefused {
        grant_type: String,
        error: &'static str,
        address: IpAddr,
    },
    /// A client revoked a token (RFC 7009).
    TokenRevoked { address: IpAddr },
}

/// Receives the core's events; called inline, so it must be quick and must not fail.
pub trait EventSink: Send + Sync {
    fn record(&self, event: Event);
}

/// Drops every event: the provider's default until the server installs its own.
pub struct Discard;

impl EventSink for Discard {
    fn record(&self, _event: Event) {}
}
