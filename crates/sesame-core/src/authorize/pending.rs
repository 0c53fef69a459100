//! A validated authorization request waiting for the user: saved in the store so any node can
//! continue it (the login, consent and federation pages all do), bound to the browser that
//! started it, consumed once.

use super::AuthorizationRequest;
use crate::client::Client;
use crate::provider::Provider;
use crate::secret::SecretHash;
use crate::store::StoreError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
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
    /// The first factor proved, the second asked for (`crate::mfa`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_factor: Option<crate::mfa::FirstFactor>,
    pub expires_at: i64,
}

impl PendingAuthorization {
    pub fn browser_binding(browser_cookie: &str) -> String {
        URL_SAFE_NO_PAD.encode(SecretHash::of(browser_cookie).0)
    }

    /// Whether this browser (by its cookie) is the one that started the request.
    pub fn belongs_to(&self, browser_cookie: Option<&str>) -> bool {
        Self::binding_matches(&self.browser, browser_cookie)
    }

    /// Whether `binding` (a stored [`Self::browser_binding`]) is this browser's, in constant
    /// time.
    pub fn binding_matches(binding: &str, browser_cookie: Option<&str>) -> bool {
        browser_cookie.is_some_and(|c| {
            Self::browser_binding(c)
                .as_bytes()
                .ct_eq(binding.as_bytes())
                .into()
        })
    }
}

/// Why a page cannot continue a pending request.
#[derive(Debug)]
pub enum PendingError {
    /// Unknown, expired, already completed, or its client is gone.
    Gone,
    /// Started in another browser: only that one may continue it.
    OtherBrowser,
    Store(StoreError),
}

impl From<StoreError> for PendingError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// The pending request `id` that the browser with this binding cookie may continue, and its
/// client.
pub async fn load(
    provider: &Provider,
    id: Option<&str>,
    browser_cookie: Option<&str>,
) -> Result<(PendingAuthorization, Arc<Client>), PendingError> {
    // Ids are 32 characters; anything much longer is not worth a lookup.
    let id = id.filter(|i| i.len() <= 64).ok_or(PendingError::Gone)?;
    let pending = provider
        .store()
        .get_pending(id)
        .await?
        .filter(|p| p.expires_at > provider.now())
        .ok_or(PendingError::Gone)?;
    if !pending.belongs_to(browser_cookie) {
        return Err(PendingError::OtherBrowser);
    }
    let client = provider
        .client(&pending.request.client_id)
        .await?
        .ok_or(PendingError::Gone)?;
    Ok((pending, client))
}
