//! Signing keys: generation, encryption at rest, the key ring every node signs and verifies with,
//! and the JWKS (RFC 7517) it publishes.
//!
//! Rotation is a row change in the store: a new key becomes the signer for its algorithm and the
//! old one is retired, yet stays published until every token it signed has expired.

mod master_key;
mod ring;
mod signer;

pub use master_key::{MasterKey, MasterKeyError};
pub use ring::KeyRing;
pub use signer::{KeyError, Signer};

use serde::{Deserialize, Serialize};
use std::fmt;

/// JWS algorithms Sesame signs with (RFC 7518 §3, RFC 8037 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
    /// When it stopped signing; `None` while it is its algorithm's signer.
    pub retired_at: Option<i64>,
    /// After this it is no longer published (every token it signed has expired).
    pub publish_until: Option<i64>,
}

impl StoredKey {
    pub fn is_active(&self) -> bool {
        self.retired_at.is_none()
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
            .field("retired_at", &self.retired_at)
            .field("publish_until", &self.publish_until)
            .finish_non_exhaustive()
    }
}
