//! What identifies a browser: a binding cookie (set on the first authorization request, which
//! pending requests and CSRF tokens are tied to) and the session cookie (set at login). Both hold
//! only random values; the store keeps hashes.

use crate::state::AppState;
use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sesame_core::TokenError;
use sesame_core::secret::{SecretHash, random_token};
use sesame_core::session::BrowserSession;
use subtle::ConstantTimeEq;

pub const BROWSER_COOKIE: &str = "sesame_browser";
pub const SESSION_COOKIE: &str = "sesame_session";

/// The value of a cookie in the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, and `Secure` unless the issuer is plain
/// HTTP (a loopback development setup). `max_age` 0 deletes the cookie.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.provider.settings().issuer.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let v = format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}");
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The browser cookie of the request, or a new one to set on the response.
pub fn browser_id(headers: &HeaderMap) -> (String, bool) {
    match cookie(headers, BROWSER_COOKIE) {
        Some(v) => (v.to_owned(), false),
        None => (random_token(32), true),
    }
}

/// Browsers keep the binding cookie a year: it carries no authority by itself.
pub const BROWSER_COOKIE_AGE: i64 = 365 * 24 * 3600;

/// The CSRF token for forms shown to this browser: a hash of its binding cookie, which a
/// cross-site page can neither read nor compute.
pub fn csrf_token(browser: &str) -> String {
    URL_SAFE_NO_PAD.encode(SecretHash::of(&format!("sesame-csrf:{browser}")).0)
}

/// Whether a submitted form carries this browser's CSRF token.
pub fn csrf_ok(headers: &HeaderMap, submitted: Option<&str>) -> bool {
    match (cookie(headers, BROWSER_COOKIE), submitted) {
        (Some(browser), Some(token)) => csrf_token(browser)
            .as_bytes()
            .ct_eq(token.as_bytes())
            .into(),
        _ => false,
    }
}

/// The live session of this browser, with the hash it is stored under.
pub async fn session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(BrowserSession, SecretHash)>, TokenError> {
    let Some(value) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = SecretHash::of(value);
    let provider = &state.provider;
    Ok(provider
        .store()
        .get_session(&hash)
        .await?
        .filter(|s| s.expires_at > provider.now())
        .map(|s| (s, hash)))
}

/// Starts a session for `user_id` and returns the cookie to set. A new random id every time,
/// so a session id planted before login is worth nothing after it.
pub async fn start_session(
    state: &AppState,
    user_id: &str,
) -> Result<(BrowserSession, HeaderValue), TokenError> {
    let provider = &state.provider;
    let now = provider.now();
    let ttl = provider.settings().session_ttl;
    let value = random_token(32);
    let session = BrowserSession {
        sid: random_token(16),
        user_id: user_id.to_owned(),
        auth_time: now,
        expires_at: now + ttl,
    };
    provider
        .store()
        .insert_session(&SecretHash::of(&value), &session)
        .await?;
    Ok((session, set_cookie(state, SESSION_COOKIE, &value, ttl)))
}
