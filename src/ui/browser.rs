//! What identifies a browser: a binding cookie (set on its first visit; pending requests and
//! round trips to upstream providers are tied to it) and the session cookie (set at sign-in).
//! Both hold only random values; the store keeps hashes (`sesame_core::session`). CSRF tokens
//! are keyed by a server secret over both (`sesame_core::csrf`).
//! Their names and attributes: `ui::cookies`.

use super::cookies::CookiePolicy;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::Response;
use sesame_core::csrf::CsrfKey;
use sesame_core::secret::{Secret, random_token};
use std::convert::Infallible;

const BROWSER_COOKIE: &str = "sesame_browser";
const SESSION_COOKIE: &str = "sesame_session";

/// Browsers keep the binding cookie a year: it carries no authority by itself.
const BROWSER_COOKIE_AGE: i64 = 365 * 24 * 3600;

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
