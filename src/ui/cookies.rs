//! The cookies' names and attributes for this issuer, built and parsed with the `cookie` crate,
//! never by hand. On an https issuer they are `__Host-` cookies (RFC 6265bis §4.1.3.2):
//! `Secure`, `Path=/`, no `Domain`, so a sibling subdomain cannot plant or overwrite them.

use axum::http::{HeaderMap, HeaderValue, header};
use cookie::{Cookie, SameSite};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6265bis_4_1_3_2_https_issuers_get_host_prefixed_secure_cookies() {
        let secure = CookiePolicy::for_issuer("https://id.example.com");
        let set = secure.set("sesame_session", "v", 60);
        let set = set.to_str().unwrap();
        assert!(set.starts_with("__Host-sesame_session=v"), "{set}");
        for part in ["Path=/", "Secure", "HttpOnly", "SameSite=Lax", "Max-Age=60"] {
            assert!(set.contains(part), "{part} in {set}");
        }
        assert!(!set.contains("Domain"), "{set}");
        let plain = CookiePolicy::for_issuer("http://127.0.0.1:8080");
        let set = plain.set("sesame_session", "v", 60);
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
            secure.get(&headers, "sesame_browser").as_deref(),
            Some("real")
        );
        let plain = CookiePolicy::for_issuer("http://127.0.0.1:8080");
        assert_eq!(
            plain.get(&headers, "sesame_browser").as_deref(),
            Some("planted")
        );
    }
}
