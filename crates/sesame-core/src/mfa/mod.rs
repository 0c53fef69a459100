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
    /// More than one factor.
    pub const MFA: &str = "mfa";
}

/// What kind of second factor a [`Factor`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorKind {
    /// An authenticator app's time-based codes (RFC 6238).
    Totp,
}

impl FactorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
        }
    }
}

/// A second factor of one user, as stored. The secret is sealed with the master key when one
/// is set (`crate::sealed`, with the factor's id as its context).
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    /// `fct_` and random: names the factor in the CLI, the API and the account page.
    pub id: String,
    pub user_id: String,
    pub kind: FactorKind,
    /// What the user called it ("Phone").
    pub name: String,
    pub secret: Vec<u8>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// The last TOTP step accepted: a code of it or an earlier step is refused (RFC 6238 §5.2).
    pub last_step: Option<i64>,
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
            created_at: now,
            last_used_at: None,
            last_step: None,
        })
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FirstFactor {
    pub user_id: String,
    /// The first factor's `amr` (`pwd`; none for an upstream provider).
    #[serde(default)]
    pub amr: Vec<String>,
    /// A TOTP secret being enrolled, sealed (context `enrol:<pending id>`), base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrolling: Option<String>,
    /// Set once the second factor is proved by an enrolment: the sign-in's `amr`, to finish
    /// with once the user has read their recovery codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proved: Option<Vec<String>>,
}

impl FirstFactor {
    /// The `amr` of this sign-in with a second factor proved.
    pub fn with_second(&self) -> Vec<String> {
        let mut amr = self.amr.clone();
        for value in [amr::OTP, amr::MFA] {
            if !amr.iter().any(|a| a == value) {
                amr.push(value.to_owned());
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
}

impl Proof {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::RecoveryCode => "recovery_code",
        }
    }
}
