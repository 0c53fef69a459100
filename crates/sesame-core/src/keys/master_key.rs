//! The master key: AES-256-GCM sealing of signing keys at rest.
//!
//! The key id is the associated data, so a sealed key cannot be swapped onto another row.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::fmt;

pub struct MasterKey(LessSafeKey);

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
        Ok(Self(LessSafeKey::new(key)))
    }

    /// nonce || ciphertext || tag
    pub fn seal(&self, kid: &str, plaintext: &[u8]) -> Result<Vec<u8>, MasterKeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| MasterKeyError::Seal)?;
        let mut buf = plaintext.to_vec();
        self.0
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
            .0
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
    fn refuses_keys_of_the_wrong_size() {
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
        assert!(MasterKey::from_base64("not base64!").is_err());
    }
}
