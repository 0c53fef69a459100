//! The one matcher for every URI Sesame sends a browser to on a client's say-so: authorization
//! redirect URIs, OAuth 1.0a callbacks and post-logout redirect URIs.
//!
//! RFC 9700 §4.1.3: the requested URI is compared with the registered one as a string, character
//! for character: no URL parsing, which would equate `HTTP://App` with `http://app`, a default
//! port with none, or an empty path with `/`. The single exception is RFC 8252 §7.3: a native
//! app (a public client) that registered a loopback IP redirect URI may use any port, because it
//! cannot know which one the operating system will give it. Confidential clients, OAuth 1.0a
//! callbacks and post-logout redirects never get it.

use crate::client::Client;

/// What the URI is for, which decides whether the loopback exception may apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `redirect_uri` of an authorization request (RFC 6749 §3.1.2).
    Authorization,
    /// `oauth_callback` of OAuth 1.0a temporary credentials (RFC 5849 §2.1).
    Oauth1Callback,
    /// `post_logout_redirect_uri` (OpenID Connect RP-Initiated Logout §3).
    PostLogout,
}

/// Whether `requested` is one of the URIs `client` registered for `purpose`.
pub fn is_registered(requested: &str, client: &Client, purpose: Purpose) -> bool {
    let (registered, native_app) = match purpose {
        Purpose::Authorization => (&client.metadata.redirect_uris, client.is_public()),
        Purpose::Oauth1Callback => (&client.metadata.redirect_uris, false),
        Purpose::PostLogout => (&client.metadata.post_logout_redirect_uris, false),
    };
    registered
        .iter()
        .any(|r| r == requested || (native_app && same_but_the_loopback_port(requested, r)))
}

/// The loopback hosts of RFC 8252 §7.3, literally (`localhost` is not one, §8.3).
const LOOPBACK: [&str; 2] = ["http://127.0.0.1", "http://[::1]"];

/// RFC 8252 §7.3: both are `http` on the same loopback IP literal, written the same way, with the
/// same path and query character for character; only the port (or its absence) may differ.
fn same_but_the_loopback_port(requested: &str, registered: &str) -> bool {
    let Some(host) = LOOPBACK.iter().find(|h| registered.starts_with(**h)) else {
        return false;
    };
    let (Some(want), Some(got)) = (
        without_port(&registered[host.len()..]),
        requested.strip_prefix(*host).and_then(without_port),
    ) else {
        return false;
    };
    // The path must start right after the authority: nothing like `@evil` or `.evil.example`.
    want == got && (want.is_empty() || want.starts_with('/') || want.starts_with('?'))
}

/// What follows the host: `:port` (1 to 5 digits, a valid port) is taken off; `None` when
/// something else follows that is not a path or query.
fn without_port(rest: &str) -> Option<&str> {
    let Some(after) = rest.strip_prefix(':') else {
        return Some(rest);
    };
    let digits = after.bytes().take_while(u8::is_ascii_digit).count();
    // Five digits at most: `:000080` is port 80 to a parser but not how anyone writes it.
    if !(1..=5).contains(&digits) {
        return None;
    }
    let port = after[..digits].parse::<u16>().ok().filter(|p| *p > 0);
    port.map(|_| &after[digits..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::web_client;

    fn client(public: bool, uris: &[&str]) -> Client {
        let secret = crate::secret::Secret::generate();
        let mut c = web_client("c", (!public).then_some(&secret));
        c.metadata.redirect_uris = uris.iter().map(|s| s.to_string()).collect();
        c.metadata.post_logout_redirect_uris = c.metadata.redirect_uris.clone();
        c
    }

    #[test]
    fn rfc9700_4_1_3_the_string_as_registered_character_for_character() {
        let c = client(false, &["https://app.example/cb"]);
        assert!(is_registered(
            "https://app.example/cb",
            &c,
            Purpose::Authorization
        ));
        for other in [
            "https://app.example/cb/",
            "https://app.example/cb?x=1",
            "https://app.example:443/cb",
            "https://APP.example/cb",
            "HTTPS://app.example/cb",
            "https://app.example/%63b",
            "https://app.example/cb#f",
            "http://app.example/cb",
            "https://app.example/./cb",
        ] {
            assert!(!is_registered(other, &c, Purpose::Authorization), "{other}");
        }
        let root = client(false, &["https://app.example"]);
        assert!(!is_registered(
            "https://app.example/",
            &root,
            Purpose::Authorization
        ));
    }

    #[test]
    fn rfc8252_7_3_a_native_app_may_change_the_loopback_port_only() {
        let c = client(true, &["http://127.0.0.1/callback", "http://[::1]:1000/cb"]);
        let ok = |uri| is_registered(uri, &c, Purpose::Authorization);
        assert!(ok("http://127.0.0.1:53123/callback"));
        assert!(ok("http://127.0.0.1/callback"));
        assert!(ok("http://[::1]:9/cb"));
        assert!(ok("http://[::1]/cb"));
        for other in [
            "http://127.0.0.1:53123/other",
            "http://127.0.0.1:53123/callback/",
            "http://127.0.0.1:53123/Callback",
            "http://localhost:53123/callback",
            "http://[::1]:9/callback",
            "https://127.0.0.1:5/callback",
            "HTTP://127.0.0.1:5/callback",
            "http://user@127.0.0.1:5/callback",
            "http://127.0.0.1:0/callback",
            "http://127.0.0.1:99999/callback",
            "http://127.0.0.1:5@evil.example/callback",
            "http://127.0.0.1.evil.example/callback",
            "http://127.0.0.1:/callback",
            // A port longer than five digits (the rule the fuzz oracle holds the matcher to).
            "http://127.0.0.1:000053123/callback",
        ] {
            assert!(!ok(other), "{other}");
        }
    }

    #[test]
    fn rfc8252_7_3_confidential_clients_oauth1_callbacks_and_logout_get_no_loopback_exception() {
        let confidential = client(false, &["http://127.0.0.1/callback"]);
        let moved = "http://127.0.0.1:5000/callback";
        assert!(!is_registered(moved, &confidential, Purpose::Authorization));
        let native = client(true, &["http://127.0.0.1/callback"]);
        assert!(is_registered(moved, &native, Purpose::Authorization));
        assert!(!is_registered(moved, &native, Purpose::Oauth1Callback));
        assert!(!is_registered(moved, &native, Purpose::PostLogout));
    }

    #[test]
    fn rfc8252_7_3_a_registered_port_zero_is_no_loopback_registration() {
        // Found by the redirect_uri fuzz target (kept as fuzz/corpus/redirect_uri/port_zero).
        let native = client(true, &["http://[::1]:0"]);
        assert!(!is_registered(
            "http://[::1]",
            &native,
            Purpose::Authorization
        ));
        assert!(is_registered(
            "http://[::1]:0",
            &native,
            Purpose::Authorization
        ));
    }
}
