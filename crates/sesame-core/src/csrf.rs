//! CSRF protection of every form Sesame serves: the token is an HMAC, under a server secret, of
//! the browser's binding cookie and its session cookie. A cross-site page can neither read those
//! cookies nor compute the HMAC; a cookie planted by a sibling subdomain is worth nothing
//! without the key; and the token changes with every new session.

use crate::secret::random_token;
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

/// The name of the CSRF key among the server secrets (when no master key derives it).
pub const SECRET_NAME: &str = "csrf";

/// The server secret CSRF tokens are keyed with.
#[derive(Clone)]
pub struct CsrfKey(hmac::Key);

impl CsrfKey {
    pub fn new(secret: &[u8]) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, secret))
    }

    /// A fresh secret to offer the store, for the first node to start.
    pub fn candidate() -> Vec<u8> {
        random_token(32).into_bytes()
    }

    /// The token for forms shown to the browser with these cookies.
    pub fn token(&self, browser: &str, session: Option<&str>) -> String {
        let mut ctx = hmac::Context::with_key(&self.0);
        for part in [browser, "\0", session.unwrap_or("")] {
            ctx.update(part.as_bytes());
        }
        URL_SAFE_NO_PAD.encode(ctx.sign().as_ref())
    }

    /// Whether `submitted` is the token of a browser with these cookies (constant time).
    pub fn verify(
        &self,
        browser: Option<&str>,
        session: Option<&str>,
        submitted: Option<&str>,
    ) -> bool {
        match (browser, submitted) {
            (Some(browser), Some(submitted)) => self
                .token(browser, session)
                .as_bytes()
                .ct_eq(submitted.as_bytes())
                .into(),
            _ => false,
        }
    }
}

impl std::fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfKey(redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_needs_the_token_of_the_browser_and_session_that_send_it() {
        let key = CsrfKey::new(b"a server secret of thirty-two by");
        let mine = key.token("browser-a", Some("session-1"));
        assert!(key.verify(Some("browser-a"), Some("session-1"), Some(&mine)));
        assert!(
            !key.verify(Some("browser-b"), Some("session-1"), Some(&mine)),
            "another browser"
        );
        assert!(
            !key.verify(Some("browser-a"), Some("session-2"), Some(&mine)),
            "rotated with the session"
        );
        assert!(
            !key.verify(Some("browser-a"), None, Some(&mine)),
            "signed out"
        );
        assert!(
            !key.verify(None, Some("session-1"), Some(&mine)),
            "no binding cookie"
        );
        assert!(
            !key.verify(Some("browser-a"), Some("session-1"), None),
            "no token"
        );
        assert!(
            !key.verify(Some("browser-a"), Some("session-1"), Some("")),
            "empty token"
        );
    }

    #[test]
    fn without_the_server_secret_no_token_can_be_computed() {
        let ours = CsrfKey::new(b"a server secret of thirty-two by");
        let planted = CsrfKey::new(b"what an attacker would have to g");
        let forged = planted.token("browser-a", None);
        assert!(!ours.verify(Some("browser-a"), None, Some(&forged)));
    }
}
