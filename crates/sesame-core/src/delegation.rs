//! A delegation: what a user authorized one client to do at one sign-in, and the single-use or
//! rotating credentials that carry it (authorization codes, refresh tokens). Every token minted
//! under one delegation shares its `delegation_id`, so a replayed code or a reused refresh token
//! revokes them all (RFC 9700 §4.14). ("Grant" is kept for OAuth grant types.)

use crate::oidc::claims::ClaimsRequest;
use crate::scope::Scopes;
use crate::secret::SecretHash;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delegation {
    /// Rows written before the rename carry `grant_id`.
    #[serde(alias = "grant_id")]
    pub delegation_id: String,
    pub client_id: String,
    pub user_id: String,
    pub scope: Scopes,
    /// When the user last authenticated (OIDC Core §2 `auth_time`).
    pub auth_time: i64,
    /// The browser session the delegation came from (OIDC Front-Channel Logout `sid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(default)]
    pub claims: ClaimsRequest,
    /// How the user signed in (the session's `amr`), for the ID tokens of this delegation,
    /// refreshed ones too: a token request never checks a factor again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
}

/// An authorization code as stored: only its SHA-256.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCode {
    pub code_hash: SecretHash,
    pub delegation: Delegation,
    pub data: CodeData,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// What the token request is checked against (RFC 6749 §4.1.3, RFC 7636 §4.6, OIDC Core §3.1.3.6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeData {
    pub redirect_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

/// A refresh token as stored: only its SHA-256. `used_at` is set when it is rotated; presenting
/// it again after that is reuse.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRefreshToken {
    pub token_hash: SecretHash,
    pub delegation: Delegation,
    pub issued_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}
