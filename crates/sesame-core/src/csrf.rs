//! CSRF protection of every form Sesame serves: the token is a hash of the browser's binding
//! cookie, which a cross-site page can neither read nor compute, and a submitted form must carry
//! the token of the browser that sends it.

use crate::secret::SecretHash;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

/// The token to put in forms shown to the browser with this binding cookie.
pub fn token(browser_cookie: &str) -> String {
    URL_SAFE_NO_PAD.encode(SecretHash::of(&format!("sesame-csrf:{browser_cookie}")).0)
}

/// Whether `submitted` is the token of the browser with this cookie (constant time).
pub fn verify(browser_cookie: Option<&str>, submitted: Option<&str>) -> bool {
    match (browser_cookie, submitted) {
        (Some(browser), Some(submitted)) => {
            token(browser).as_bytes().ct_eq(submitted.as_bytes()).into()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_needs_the_token_of_the_browser_that_sends_it() {
        let mine = token("browser-a");
        assert!(verify(Some("browser-a"), Some(&mine)));
        assert!(
            !verify(Some("browser-b"), Some(&mine)),
            "another browser's token"
        );
        assert!(!verify(None, Some(&mine)), "no binding cookie");
        assert!(!verify(Some("browser-a"), None), "no token");
        assert!(!verify(Some("browser-a"), Some("")), "empty token");
        assert_ne!(mine, "browser-a", "the token is not the cookie");
    }
}
