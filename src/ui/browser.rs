//! What identifies a browser: a binding cookie (set on its first visit; pending requests, round
//! trips to upstream providers and CSRF tokens are tied to it) and the session cookie (set at
//! sign-in). Both hold only random values; the store keeps hashes (`sesame_core::session`).

use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use sesame_core::csrf;
use sesame_core::secret::{Secret, random_token};
use std::convert::Infallible;

pub const BROWSER_COOKIE: &str = "sesame_browser";
pub const SESSION_COOKIE: &str = "sesame_session";

/// Browsers keep the binding cookie a year: it carries no authority by itself.
const BROWSER_COOKIE_AGE: i64 = 365 * 24 * 3600;

/// The value of a cookie in the request.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
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
fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.provider.settings().issuer.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let v = format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}");
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The browser behind a request: its binding cookie (a new one when it sent none) and its
/// session cookie.
pub struct Browser {
    id: String,
    is_new: bool,
    session: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Browser {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        let (id, is_new) = match cookie(&parts.headers, BROWSER_COOKIE) {
            Some(v) => (v.to_owned(), false),
            None => (random_token(32), true),
        };
        let session = cookie(&parts.headers, SESSION_COOKIE).map(str::to_owned);
        Ok(Self {
            id,
            is_new,
            session,
        })
    }
}

impl Browser {
    /// The binding cookie as the request sent it (`None` on a first visit).
    pub fn binding(&self) -> Option<&str> {
        (!self.is_new).then_some(self.id.as_str())
    }

    /// The binding value, sent or about to be set: what new pending requests are tied to.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn session(&self) -> Option<&str> {
        self.session.as_deref()
    }

    /// The CSRF token for forms shown to this browser.
    pub fn csrf_token(&self) -> String {
        csrf::token(&self.id)
    }

    /// Whether a submitted form carries this browser's CSRF token.
    pub fn sent_its_form(&self, submitted: Option<&str>) -> bool {
        csrf::verify(self.binding(), submitted)
    }

    /// Sets the binding cookie on the response when the browser came without one.
    pub fn keep(&self, state: &AppState, mut response: Response) -> Response {
        if self.is_new {
            let cookie = set_cookie(state, BROWSER_COOKIE, &self.id, BROWSER_COOKIE_AGE);
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
        response
    }
}

/// Sets the cookie of a session just started (its value is only ever in this header).
pub fn with_session(state: &AppState, value: &Secret, mut response: Response) -> Response {
    let ttl = state.provider.settings().session_ttl;
    let cookie = set_cookie(state, SESSION_COOKIE, value.expose(), ttl);
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

/// Deletes the session cookie.
pub fn without_session(state: &AppState, mut response: Response) -> Response {
    let cookie = set_cookie(state, SESSION_COOKIE, "", 0);
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}
