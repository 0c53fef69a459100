//! A validated authorization request waiting for the user (DESIGN §3a): saved in the store so
//! any node can continue it, bound to the browser that started it, consumed once.

use super::AuthorizationRequest;
use crate::secret::SecretHash;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

/// How long the user has to sign in and approve, in seconds.
pub const PENDING_TTL: i64 = 600;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingAuthorization {
    /// Random, carried in the page URLs.
    pub id: String,
    /// base64url SHA-256 of the browser cookie: only that browser may continue the request.
    pub browser: String,
    pub request: AuthorizationRequest,
    /// Set once the user has signed in for this request (or had a session): the consent step
    /// is open only to that user, and only after this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    pub expires_at: i64,
}

impl PendingAuthorization {
    pub fn browser_binding(browser_cookie: &str) -> String {
        URL_SAFE_NO_PAD.encode(SecretHash::of(browser_cookie).0)
    }

    /// Whether this browser (by its cookie) is the one that started the request.
    pub fn belongs_to(&self, browser_cookie: Option<&str>) -> bool {
        browser_cookie.is_some_and(|c| {
            Self::browser_binding(c)
                .as_bytes()
                .ct_eq(self.browser.as_bytes())
                .into()
        })
    }
}
