//! What identifies a browser: a binding cookie (set on its first visit; pending requests and
//! round trips to upstream providers are tied to it) and the session cookie (set at sign-in).
//! Both hold only random values; the store keeps hashes (`sesame_core::session`). CSRF tokens
//! are keyed by a server secret over both (`sesame_core::csrf`).
//!
//! On an https issuer the cookies are `__Host-` cookies (RFC 6265bis §4.1.3.2): `Secure`,
//! `Path=/`, no `Domain`, so a sibling subdomain cannot plant or overwrite them. Cookies are
//! built and parsed with the `cookie` crate, never by hand.

use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use cookie::{Cookie, SameSite};
use sesame_core::csrf::CsrfKey;
use sesame_core::secret::{Secret, random_token};
use std::convert::Infallible;

const BROWSER_COOKIE: &str = "sesame_browser";
const SESSION_COOKIE: &str = "sesame_session";

/// Browsers keep the binding cookie a year: it carries no authority by itself.
const BROWSER_COOKIE_AGE: i64 = 365 * 24 * 3600;

/// The cookies' names and attributes for this issuer.
#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    /// `__Host-` names and `Secure`: on an https issuer. A plain-http issuer is a loopback
    /// development setup, where browsers would refuse both.
    secure: bool,
}

impl CookiePolicy {
    pub fn for_issuer(issuer: &str) -> Self {
        Self {
            secure: issuer.starts_with("https://"),
        }
    }

    fn name(&self, base: &'static str) -> String {
        if self.secure {
            format!("__Host-{base}")
        } else {
            base.to_owned()
        }
    }

    /// The `Set-Cookie` value; `max_age` 0 deletes the cookie.
    pub(crate) fn set(&self, base: &'static str, value: &str, max_age: i64) -> HeaderValue {
        let cookie = Cookie::build((self.name(base), value.to_owned()))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .max_age(cookie::time::Duration::seconds(max_age))
            .build();
        HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// The value of one of our cookies in the request (only under this issuer's name).
    pub(crate) fn get(&self, headers: &HeaderMap, base: &'static str) -> Option<String> {
        let name = self.name(base);
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(Cookie::split_parse)
            .filter_map(Result::ok)
            .find(|c| c.name() == name)
            .map(|c| c.value().to_owned())
            .filter(|v| !v.is_empty() && v.len() <= 128)
    }
}

/// The browser behind a request: its binding cookie (a new one when it sent none), its session
/// cookie, and what its forms' CSRF tokens are keyed with.
pub struct Browser {
    id: String,
    is_new: bool,
    session: Option<String>,
    csrf: CsrfKey,
    cookies: CookiePolicy,
}

impl FromRequestParts<AppState> for Browser {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let cookies = state.cookies;
        let (id, is_new) = match cookies.get(&parts.headers, BROWSER_COOKIE) {
            Some(v) => (v, false),
            None => (random_token(32), true),
        };
        Ok(Self {
            id,
            is_new,
            session: cookies.get(&parts.headers, SESSION_COOKIE),
            csrf: state.provider.csrf().clone(),
            cookies,
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
        self.csrf.token(&self.id, self.session())
    }

    /// Whether a submitted form carries this browser's CSRF token.
    pub fn sent_its_form(&self, submitted: Option<&str>) -> bool {
        self.csrf.verify(self.binding(), self.session(), submitted)
    }

    /// The browser as it is once the session just started is set: its next forms carry it.
    pub fn signed_in_with(mut self, session: &Secret) -> Self {
        self.session = Some(session.expose().to_owned());
        self
    }

    /// Sets the binding cookie on the response when the browser came without one.
    pub fn keep(&self, mut response: Response) -> Response {
        if self.is_new {
            let cookie = self
                .cookies
                .set(BROWSER_COOKIE, &self.id, BROWSER_COOKIE_AGE);
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
        response
    }
}

/// Sets the cookie of a session just started (its value is only ever in this header).
pub fn with_session(state: &AppState, value: &Secret, mut response: Response) -> Response {
    let ttl = state.provider.settings().session_ttl;
    let cookie = state.cookies.set(SESSION_COOKIE, value.expose(), ttl);
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

/// Deletes the session cookie.
pub fn without_session(state: &AppState, mut response: Response) -> Response {
    let cookie = state.cookies.set(SESSION_COOKIE, "", 0);
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6265bis_4_1_3_2_https_issuers_get_host_prefixed_secure_cookies() {
        let secure = CookiePolicy::for_issuer("https://id.example.com");
        let set = secure.set(SESSION_COOKIE, "v", 60);
        let set = set.to_str().unwrap();
        assert!(set.starts_with("__Host-sesame_session=v"), "{set}");
        for part in ["Path=/", "Secure", "HttpOnly", "SameSite=Lax", "Max-Age=60"] {
            assert!(set.contains(part), "{part} in {set}");
        }
        assert!(!set.contains("Domain"), "{set}");
        let plain = CookiePolicy::for_issuer("http://127.0.0.1:8080");
        let set = plain.set(SESSION_COOKIE, "v", 60);
        assert!(!set.to_str().unwrap().contains("Secure"));
    }

    #[test]
    fn only_the_issuers_own_cookie_name_is_read() {
        let secure = CookiePolicy::for_issuer("https://id.example.com");
        let mut headers = HeaderMap::new();
        // A sibling subdomain can set the unprefixed name; it is not read on https.
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("sesame_browser=planted; __Host-sesame_browser=real"),
        );
        assert_eq!(
            secure.get(&headers, BROWSER_COOKIE).as_deref(),
            Some("real")
        );
        let plain = CookiePolicy::for_issuer("http://127.0.0.1:8080");
        assert_eq!(
            plain.get(&headers, BROWSER_COOKIE).as_deref(),
            Some("planted")
        );
    }
}
