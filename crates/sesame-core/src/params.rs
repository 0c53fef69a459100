//! Request parameters of the form-encoded endpoints, parsed once with the RFC 6749 rules applied.
//!
//! RFC 6749 §3.1 and §3.2: parameters sent without a value are treated as omitted, and request
//! parameters must not be included more than once.

use crate::error::TokenError;
use std::collections::BTreeMap;

/// The largest body the form endpoints read; anything larger is an `invalid_request`.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// Form parameters with duplicates refused and empty values dropped.
#[derive(Debug, Default, Clone)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    /// Parses an `application/x-www-form-urlencoded` body.
    pub fn parse(body: &[u8]) -> Result<Self, TokenError> {
        if body.len() > MAX_FORM_BYTES {
            return Err(TokenError::invalid_request("the request body is too large"));
        }
        let mut map = BTreeMap::new();
        let mut seen = std::collections::HashSet::new();
        for (name, value) in form_urlencoded::parse(body) {
            if !seen.insert(name.clone()) {
                return Err(duplicate(&name));
            }
            // RFC 6749 §3.1: a parameter without a value is as if omitted.
            if !value.is_empty() {
                map.insert(name.into_owned(), value.into_owned());
            }
        }
        Ok(Self(map))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The parameter, or `invalid_request` naming it.
    pub fn require(&self, name: &str) -> Result<&str, TokenError> {
        self.get(name)
            .ok_or_else(|| TokenError::invalid_request(format!("the {name} parameter is missing")))
    }

    /// Removes a parameter (client credentials are taken out before the grant sees the rest).
    pub fn take(&mut self, name: &str) -> Option<String> {
        self.0.remove(name)
    }
}

fn duplicate(name: &str) -> TokenError {
    // Parameter names come from the client; keep the echo short and printable.
    let shown: String = name.chars().filter(|c| !c.is_control()).take(64).collect();
    TokenError::invalid_request(format!("the {shown} parameter was included more than once"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use proptest::prelude::*;

    #[test]
    fn parses_and_decodes() {
        let p = Params::parse(b"grant_type=client_credentials&scope=a+b%3Ac").unwrap();
        assert_eq!(p.get("grant_type"), Some("client_credentials"));
        assert_eq!(p.get("scope"), Some("a b:c"));
    }

    #[test]
    fn duplicated_parameter_is_invalid_request() {
        let e = Params::parse(b"scope=a&scope=b").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert!(e.description.contains("scope"));
    }

    #[test]
    fn empty_value_counts_as_omitted_but_not_twice() {
        let p = Params::parse(b"scope=&grant_type=x").unwrap();
        assert_eq!(p.get("scope"), None);
        assert!(Params::parse(b"scope=a&scope=").is_err());
        assert!(Params::parse(b"scope=&scope=a").is_err());
    }

    #[test]
    fn oversized_body_is_invalid_request() {
        let body = vec![b'a'; MAX_FORM_BYTES + 1];
        assert_eq!(
            Params::parse(&body).unwrap_err().code,
            ErrorCode::InvalidRequest
        );
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = Params::parse(&body);
        }
    }
}
