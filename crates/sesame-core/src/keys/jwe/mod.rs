//! JSON Web Encryption (RFC 7516) to a client's public key: encrypted ID tokens and UserInfo
//! responses (OIDC Core §10.2, Registration §2). Sesame only ever encrypts; the client decrypts.
//!
//! Compact serialisation only. Key management (RFC 7518 §4): RSA-OAEP-256 and ECDH-ES, direct or
//! with AES key wrap. Content encryption (§5): AES-GCM and AES-CBC with HMAC-SHA-256. All of it
//! on aws-lc-rs; `RSA1_5` and `RSA-OAEP` with SHA-1 are left out on purpose (RFC 8725 §3.2).

mod content;
mod recipient;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::fmt;

pub use recipient::select_key;

/// JWE `alg` values Sesame encrypts a content key with (RFC 7518 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum KeyManagement {
    #[serde(rename = "RSA-OAEP-256")]
    RsaOaep256,
    #[serde(rename = "ECDH-ES")]
    EcdhEs,
    #[serde(rename = "ECDH-ES+A128KW")]
    EcdhEsA128Kw,
    #[serde(rename = "ECDH-ES+A256KW")]
    EcdhEsA256Kw,
}

impl KeyManagement {
    pub const ALL: [KeyManagement; 4] = [
        Self::RsaOaep256,
        Self::EcdhEs,
        Self::EcdhEsA128Kw,
        Self::EcdhEsA256Kw,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RsaOaep256 => "RSA-OAEP-256",
            Self::EcdhEs => "ECDH-ES",
            Self::EcdhEsA128Kw => "ECDH-ES+A128KW",
            Self::EcdhEsA256Kw => "ECDH-ES+A256KW",
        }
    }

    /// The JWK `kty` a recipient key for this algorithm has.
    pub fn key_type(self) -> &'static str {
        match self {
            Self::RsaOaep256 => "RSA",
            _ => "EC",
        }
    }
}

impl fmt::Display for KeyManagement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// JWE `enc` values (RFC 7518 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ContentEncryption {
    /// OIDC Registration §2: the default `enc` when only an `alg` is registered.
    #[default]
    #[serde(rename = "A128CBC-HS256")]
    A128CbcHs256,
    #[serde(rename = "A128GCM")]
    A128Gcm,
    #[serde(rename = "A256GCM")]
    A256Gcm,
}

impl ContentEncryption {
    pub const ALL: [ContentEncryption; 3] = [Self::A128CbcHs256, Self::A128Gcm, Self::A256Gcm];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::A128CbcHs256 => "A128CBC-HS256",
            Self::A128Gcm => "A128GCM",
            Self::A256Gcm => "A256GCM",
        }
    }

    /// The length of the content encryption key, in bytes (RFC 7518 §5.2.3, §5.3).
    pub fn key_len(self) -> usize {
        match self {
            Self::A128CbcHs256 | Self::A256Gcm => 32,
            Self::A128Gcm => 16,
        }
    }
}

impl fmt::Display for ContentEncryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a JWE could not be made: the client's key does not suit the algorithm it registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JweError(pub String);

/// Encrypts `plaintext` to the public JWK `key` (RFC 7516 §5.1). `cty` is `JWT` for a signed
/// token nested inside (RFC 7519 §5.2, OIDC Core §10.2).
pub fn encrypt(
    plaintext: &[u8],
    key: &Value,
    alg: KeyManagement,
    enc: ContentEncryption,
    cty: Option<&str>,
) -> Result<String, JweError> {
    let wrapped = recipient::wrap_content_key(key, alg, enc)?;
    let mut header = Map::new();
    header.insert("alg".into(), json!(alg.as_str()));
    header.insert("enc".into(), json!(enc.as_str()));
    if let Some(kid) = key.get("kid").and_then(Value::as_str) {
        header.insert("kid".into(), json!(kid));
    }
    if let Some(cty) = cty {
        header.insert("cty".into(), json!(cty));
    }
    if let Some(epk) = wrapped.ephemeral_key {
        header.insert("epk".into(), epk);
    }
    let header = URL_SAFE_NO_PAD.encode(Value::Object(header).to_string());
    // §5.1 step 14: the additional authenticated data is the encoded protected header.
    let sealed = content::seal(enc, &wrapped.content_key, plaintext, header.as_bytes())?;
    Ok([
        header,
        URL_SAFE_NO_PAD.encode(&wrapped.encrypted_key),
        URL_SAFE_NO_PAD.encode(&sealed.iv),
        URL_SAFE_NO_PAD.encode(&sealed.ciphertext),
        URL_SAFE_NO_PAD.encode(&sealed.tag),
    ]
    .join("."))
}

fn random_bytes(len: usize) -> Result<Vec<u8>, JweError> {
    let mut out = vec![0u8; len];
    aws_lc_rs::rand::fill(&mut out).map_err(|_| JweError("no randomness".into()))?;
    Ok(out)
}

#[cfg(test)]
mod tests;
