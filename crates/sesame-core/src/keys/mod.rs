//! Signing keys: generation, encryption at rest, the key ring every node signs and verifies with,
//! and the JWKS (RFC 7517) it publishes.
//!
//! Rotation is a row change in the store: a new key is published, becomes the signer for its
//! algorithm at its `activates_at`, and the old one retires at that moment yet stays published
//! until every token it signed has expired. A scheduled rotation publishes the next key a day
//! before it signs, so resource servers' JWKS caches hold it before the first token does.

pub mod jwe;
mod master_key;
mod ring;
mod rotation;
mod signer;

pub use master_key::{MasterKey, MasterKeyError};
pub use ring::KeyRing;
pub use signer::{KeyError, Signer};

use serde::{Deserialize, Serialize};
use std::fmt;

/// How long a scheduled rotation publishes the next key before it signs, in seconds. Resource
/// servers cache the JWKS (Sesame says 60 s, many libraries keep it for hours): a day covers
/// them all, and a resource server that sees an unknown kid re-fetches anyway.
pub const KEY_PUBLISH_AHEAD: i64 = 86_400;

/// JWS algorithms Sesame signs with (RFC 7518 §3, RFC 8037 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Algorithm {
    RS256,
    PS256,
    ES256,
    EdDSA,
}

impl Algorithm {
    pub const ALL: [Algorithm; 4] = [Self::RS256, Self::PS256, Self::ES256, Self::EdDSA];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::PS256 => "PS256",
            Self::ES256 => "ES256",
            Self::EdDSA => "EdDSA",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == value)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A signing key as the store keeps it: PKCS#8 DER, sealed with the master key when one is set.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub kid: String,
    pub alg: Algorithm,
    pub private_key: Vec<u8>,
    pub encrypted: bool,
    pub created_at: i64,
    /// When it starts signing; until then it is published as the next key.
    pub activates_at: i64,
    /// When it stops signing (its successor's `activates_at`); `None` while it is the latest
    /// key of its algorithm.
    pub retired_at: Option<i64>,
    /// After this it is no longer published (every token it signed has expired).
    pub publish_until: Option<i64>,
}

/// Where a key is in its life, at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Published, not signing yet.
    Next,
    /// Signing (and published).
    Active,
    /// Not signing, still published for the tokens it signed.
    Retired,
    /// Neither; the sweep deletes it.
    Expired,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Next => "next",
            Self::Active => "active",
            Self::Retired => "retired",
            Self::Expired => "expired",
        }
    }
}

impl StoredKey {
    /// The latest key of its algorithm (at most one: a unique index), signing or about to.
    pub fn is_latest(&self) -> bool {
        self.retired_at.is_none()
    }

    pub fn state(&self, now: i64) -> KeyState {
        if !self.is_published(now) {
            KeyState::Expired
        } else if self.retired_at.is_some_and(|retired| retired <= now) {
            // Before `activates_at` too: a next key overtaken by `keys rotate` never signs.
            KeyState::Retired
        } else if now < self.activates_at {
            KeyState::Next
        } else {
            KeyState::Active
        }
    }

    pub fn is_published(&self, now: i64) -> bool {
        self.publish_until.is_none_or(|until| until > now)
    }

    /// Generates a fresh key for `alg`, sealed with `master` when given.
    pub fn generate(
        alg: Algorithm,
        master: Option<&MasterKey>,
        now: i64,
    ) -> Result<StoredKey, KeyError> {
        let kid = format!(
            "{}-{}",
            alg.as_str().to_ascii_lowercase(),
            crate::secret::random_token(9)
        );
        let der = signer::generate_pkcs8(alg)?;
        let (private_key, encrypted) = match master {
            Some(m) => (
                m.seal(&kid, &der)
                    .map_err(|e| KeyError(format!("sealing signing key {kid}: {e}")))?,
                true,
            ),
            None => (der, false),
        };
        Ok(StoredKey {
            kid,
            alg,
            private_key,
            encrypted,
            created_at: now,
            activates_at: now,
            retired_at: None,
            publish_until: None,
        })
    }

    /// The PKCS#8 DER, opened with the master key if it was sealed.
    pub fn open(&self, master: Option<&MasterKey>) -> Result<Vec<u8>, KeyError> {
        if !self.encrypted {
            return Ok(self.private_key.clone());
        }
        let master = master.ok_or_else(|| {
            KeyError(format!(
                "signing key {} is encrypted but no master_key is configured",
                self.kid
            ))
        })?;
        master.open(&self.kid, &self.private_key).map_err(|_| {
            KeyError(format!(
                "signing key {} cannot be decrypted with the configured master_key",
                self.kid
            ))
        })
    }
}

impl fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("encrypted", &self.encrypted)
            .field("created_at", &self.created_at)
            .field("activates_at", &self.activates_at)
            .field("retired_at", &self.retired_at)
            .field("publish_until", &self.publish_until)
            .finish_non_exhaustive()
    }
}
