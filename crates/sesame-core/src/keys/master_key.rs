//! The master key: AES-256-GCM sealing of signing keys and other secrets at rest, and the
//! secrets derived from it (the CSRF key).
//!
//! The key id is the associated data, so a sealed key cannot be swapped onto another row.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::fmt;

pub struct MasterKey {
    aead: LessSafeKey,
    /// HMAC-SHA256 keyed with the master key, for derived secrets.
    kdf: hmac::Key,
}

#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    #[error(
        "master_key must be 32 bytes encoded in base64 (generate one with `openssl rand -base64 32`)"
    )]
    BadEncoding,
    #[error("decryption failed")]
    Decrypt,
    #[error("encryption failed (no randomness from the operating system?)")]
    Seal,
}

impl MasterKey {
    /// Parses the configured value: 32 bytes in standard base64.
    pub fn from_base64(value: &str) -> Result<Self, MasterKeyError> {
        let bytes = STANDARD
            .decode(value.trim())
            .map_err(|_| MasterKeyError::BadEncoding)?;
        if bytes.len() != 32 {
            return Err(MasterKeyError::BadEncoding);
        }
        let key = UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| MasterKeyError::BadEncoding)?;
        Ok(Self {
            aead: LessSafeKey::new(key),
            kdf: hmac::Key::new(hmac::HMAC_SHA256, &bytes),
        })
    }

    /// A 32-byte secret for `purpose`, derived from the master key (HMAC-SHA256 of the purpose):
    /// the same on every node with the same master key, and nothing to store.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let tag = hmac::sign(
            &self.kdf,
            format!("sesame derived secret: {purpose}").as_bytes(),
        );
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// nonce || ciphertext || tag
    pub fn seal(&self, kid: &str, plaintext: &[u8]) -> Result<Vec<u8>, MasterKeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| MasterKeyError::Seal)?;
        let mut buf = plaintext.to_vec();
        self.aead
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(kid.as_bytes()),
                &mut buf,
            )
            .map_err(|_| MasterKeyError::Seal)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(out)
    }

    pub fn open(&self, kid: &str, sealed: &[u8]) -> Result<Vec<u8>, MasterKeyError> {
        if sealed.len() < NONCE_LEN {
            return Err(MasterKeyError::Decrypt);
        }
        let (nonce, rest) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| MasterKeyError::Decrypt)?;
        let mut buf = rest.to_vec();
        let plain = self
            .aead
            .open_in_place(nonce, Aad::from(kid.as_bytes()), &mut buf)
            .map_err(|_| MasterKeyError::Decrypt)?;
        Ok(plain.to_vec())
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

    #[test]
    fn seals_and_opens_bound_to_the_kid() {
        let m = MasterKey::from_base64(KEY).unwrap();
        let sealed = m.seal("kid-1", b"private key bytes").unwrap();
        assert!(!sealed.windows(7).any(|w| w == b"private"));
        assert_eq!(m.open("kid-1", &sealed).unwrap(), b"private key bytes");
        assert!(m.open("kid-2", &sealed).is_err());
    }

    #[test]
    fn derived_secrets_are_per_purpose_and_stable() {
        let m = MasterKey::from_base64(KEY).unwrap();
        assert_eq!(
            m.derive("csrf"),
            MasterKey::from_base64(KEY).unwrap().derive("csrf")
        );
        assert_ne!(m.derive("csrf"), m.derive("other"));
    }

    #[test]
    fn refuses_keys_of_the_wrong_size() {
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
        assert!(MasterKey::from_base64("not base64!").is_err());
    }
}
