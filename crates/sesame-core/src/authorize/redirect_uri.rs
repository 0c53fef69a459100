//! Matching a requested `redirect_uri` against the registered ones (RFC 9700 §4.1.3, RFC 8252 §7.3).

use url::Url;

/// Exact string comparison, except that a native app's loopback IP redirect URI may use any
/// port (RFC 8252 §7.3): `http`, host `127.0.0.1` or `[::1]`, same path and query.
pub fn is_registered(requested: &str, registered: &[String]) -> bool {
    registered
        .iter()
        .any(|r| r == requested || loopback_match(requested, r))
}

fn loopback_match(requested: &str, registered: &str) -> bool {
    let (Ok(a), Ok(b)) = (Url::parse(requested), Url::parse(registered)) else {
        return false;
    };
    let is_loopback_ip = |u: &Url| {
        u.scheme() == "http"
            && matches!(u.host_str(), Some("127.0.0.1") | Some("[::1]"))
            && u.username().is_empty()
            && u.password().is_none()
    };
    is_loopback_ip(&a)
        && is_loopback_ip(&b)
        && a.host_str() == b.host_str()
        && a.path() == b.path()
        && a.query() == b.query()
        && a.fragment().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(uris: &[&str]) -> Vec<String> {
        uris.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn exact_match_only_for_web_uris() {
        let r = reg(&["https://app.example/cb"]);
        assert!(is_registered("https://app.example/cb", &r));
        for other in [
            "https://app.example/cb/",
            "https://app.example/cb?x=1",
            "https://app.example:8443/cb",
            "https://APP.example/cb",
            "https://app.example/cb#f",
            "http://app.example/cb",
        ] {
            assert!(!is_registered(other, &r), "{other}");
        }
    }

    #[test]
    fn loopback_ip_may_change_port_only() {
        let r = reg(&["http://127.0.0.1/callback", "http://[::1]:1000/cb"]);
        assert!(is_registered("http://127.0.0.1:53123/callback", &r));
        assert!(is_registered("http://[::1]:9/cb", &r));
        assert!(!is_registered("http://127.0.0.1:53123/other", &r));
        assert!(!is_registered("http://localhost:53123/callback", &r));
        assert!(!is_registered("http://[::1]:9/callback", &r));
        assert!(!is_registered("https://127.0.0.1:5/callback", &r));
        assert!(!is_registered("http://user@127.0.0.1:5/callback", &r));
    }
}
