//! Second factors: what a user enrolled besides a password (TOTP authenticators, recovery
//! codes), how strong a sign-in was (`amr`, RFC 8176, and Sesame's `acr` levels), and which
//! level a request needs (the client's `require_mfa`, the global policy, `acr_values` and an
//! essential `acr` in the `claims` request).

pub mod policy;
pub mod recovery;
pub mod totp;
mod verify;

pub use policy::Level;
pub use verify::{SecondFactorFailure, verify};

use serde::{Deserialize, Serialize};

/// RFC 8176 §2 values Sesame asserts in `amr`.
pub mod amr {
    /// A password.
    pub const PWD: &str = "pwd";
    /// A one-time password: a TOTP code, or a recovery code.
    pub const OTP: &str = "otp";
    /// A hardware-bound key: a passkey that cannot leave its authenticator.
    pub const HWK: &str = "hwk";
    /// A software key: a passkey that syncs between devices (backup eligible).
    pub const SWK: &str = "swk";
    /// A user-presence test (RFC 8176 §2): the authenticator was touched or unlocked.
    pub const USER: &str = "user";
    /// More than one factor.
    pub const MFA: &str = "mfa";
}

/// What kind of second factor a [`Factor`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorKind {
    /// An authenticator app's time-based codes (RFC 6238).
    Totp,
    /// A WebAuthn credential (a passkey, or a security key).
    Passkey,
}

impl FactorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::Passkey => "passkey",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Totp, Self::Passkey]
            .into_iter()
            .find(|k| k.as_str() == value)
    }
}

/// A second factor of one user, as stored. A TOTP factor's secret is sealed with the master
/// key when one is set (`crate::sealed`, with the factor's id as its context); a passkey's is
/// the relying party's record of it (public key, counter, backup flags: nothing secret).
#[derive(Clone, PartialEq)]
pub struct Factor {
    /// `fct_` and random: names the factor in the CLI, the API and the account page.
    pub id: String,
    pub user_id: String,
    pub kind: FactorKind,
    /// What the user called it ("Phone").
    pub name: String,
    pub secret: Vec<u8>,
    /// A passkey's credential id (base64url): how a passwordless sign-in finds it.
    pub credential_id: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// The last TOTP step accepted: a code of it or an earlier step is refused (RFC 6238 §5.2).
    pub last_step: Option<i64>,
}

/// Never the secret (without a master key it is the TOTP key itself).
impl std::fmt::Debug for Factor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Factor")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("credential_id", &self.credential_id)
            .field("created_at", &self.created_at)
            .field("last_used_at", &self.last_used_at)
            .field("last_step", &self.last_step)
            .finish_non_exhaustive()
    }
}

impl Factor {
    /// A new TOTP factor for `user_id`, its secret sealed under its new id.
    pub fn totp(
        master: Option<&crate::keys::MasterKey>,
        user_id: &str,
        name: &str,
        secret: &[u8],
        now: i64,
    ) -> Result<Self, crate::error::TokenError> {
        let id = format!("fct_{}", crate::secret::random_token(12));
        let sealed = crate::sealed::seal(master, &id, &totp::base32(secret))?;
        Ok(Self {
            id,
            user_id: user_id.to_owned(),
            kind: FactorKind::Totp,
            name: name.to_owned(),
            secret: sealed,
            credential_id: None,
            created_at: now,
            last_used_at: None,
            last_step: None,
        })
    }

    /// A new passkey factor: `record` is the relying party's JSON record of the credential.
    pub fn passkey(
        user_id: &str,
        name: &str,
        credential_id: &str,
        record: Vec<u8>,
        now: i64,
    ) -> Self {
        Self {
            id: format!("fct_{}", crate::secret::random_token(12)),
            user_id: user_id.to_owned(),
            kind: FactorKind::Passkey,
            name: name.to_owned(),
            secret: record,
            credential_id: Some(credential_id.to_owned()),
            created_at: now,
            last_used_at: None,
            last_step: None,
        }
    }

    /// The TOTP secret, unsealed.
    pub fn totp_secret(
        &self,
        master: Option<&crate::keys::MasterKey>,
    ) -> Result<Vec<u8>, crate::error::TokenError> {
        let text = crate::sealed::open(master, &self.id, &self.secret)?;
        totp::from_base32(&text)
            .ok_or_else(|| crate::error::TokenError::server_error("a TOTP secret is corrupt"))
    }
}

/// A sign-in halfway: the first factor proved, the second still to come. Kept in the pending
/// authorization, so any node continues it, and gone with it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct FirstFactor {
    pub user_id: String,
    /// The first factor's `amr` (`pwd`; none for an upstream provider).
    #[serde(default)]
    pub amr: Vec<String>,
    /// The user has no factor and the request needs two: this sign-in may enrol one (and only
    /// then: a user with a factor proves it, never replaces it).
    #[serde(default)]
    pub may_enrol: bool,
    /// A TOTP secret being enrolled, sealed (context `enrol:<pending id>`), base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrolling: Option<String>,
    /// Set once the second factor is proved by an enrolment: the sign-in's `amr`, to finish
    /// with once the user has read their recovery codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proved: Option<Vec<String>>,
}

/// Never the enrolling secret, in a log line or a panic message.
impl std::fmt::Debug for FirstFactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FirstFactor")
            .field("user_id", &self.user_id)
            .field("amr", &self.amr)
            .field("may_enrol", &self.may_enrol)
            .field("enrolling", &self.enrolling.as_ref().map(|_| "<sealed>"))
            .field("proved", &self.proved)
            .finish()
    }
}

impl FirstFactor {
    /// The `amr` of this sign-in with a one-time code proved as the second factor.
    pub fn with_second(&self) -> Vec<String> {
        self.with(&[amr::OTP])
    }

    /// The `amr` of this sign-in with `second` (RFC 8176 values) proved too.
    pub fn with(&self, second: &[&str]) -> Vec<String> {
        let mut amr = self.amr.clone();
        for value in second.iter().chain(&[amr::MFA]) {
            if !amr.iter().any(|a| a == value) {
                amr.push((*value).to_owned());
            }
        }
        amr
    }
}

/// How a second factor was proved, for the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    Totp,
    RecoveryCode,
    Passkey,
}

impl Proof {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::RecoveryCode => "recovery_code",
            Self::Passkey => "passkey",
        }
    }
}
