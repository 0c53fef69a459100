//! Scope values (RFC 6749 §3.3): space-delimited, case-sensitive tokens of `NQCHAR`s.

use crate::error::TokenError;
use std::fmt;

/// A set of scope tokens in the order first given, without duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(Vec<String>);

/// Scopes that only make sense with a signed-in user (OpenID Connect Core §3.1.2.1, §11).
pub const USER_SCOPES: [&str; 2] = ["openid", "offline_access"];

impl Scopes {
    /// Parses a scope parameter; a token outside `NQCHAR` (%x21 / %x23-5B / %x5D-7E) is refused.
    pub fn parse(value: &str) -> Result<Self, TokenError> {
        let mut out: Vec<String> = Vec::new();
        for token in value.split(' ').filter(|t| !t.is_empty()) {
            if !token.bytes().all(is_nqchar) {
                return Err(TokenError::invalid_scope(
                    "a scope may only contain printable ASCII other than space, \" and \\",
                ));
            }
            if !out.iter().any(|t| t == token) {
                out.push(token.to_owned());
            }
        }
        Ok(Self(out))
    }

    pub fn from_tokens<I: IntoIterator<Item = S>, S: Into<String>>(tokens: I) -> Self {
        let mut out: Vec<String> = Vec::new();
        for t in tokens {
            let t = t.into();
            if !out.contains(&t) {
                out.push(t);
            }
        }
        Self(out)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, token: &str) -> bool {
        self.0.iter().any(|t| t == token)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// The first token of `self` that `allowed` lacks, if any.
    pub fn first_outside(&self, allowed: &Scopes) -> Option<&str> {
        self.iter().find(|t| !allowed.contains(t))
    }

    /// These scopes without the ones in `remove`.
    pub fn without(&self, remove: &[&str]) -> Scopes {
        Scopes(
            self.0
                .iter()
                .filter(|t| !remove.contains(&t.as_str()))
                .cloned()
                .collect(),
        )
    }
}

fn is_nqchar(b: u8) -> bool {
    b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b)
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

impl serde::Serialize for Scopes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Scopes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Scopes::parse(&s).map_err(|e| serde::de::Error::custom(e.description))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_deduplicates_and_keeps_order() {
        let s = Scopes::parse("b a  b api:read").unwrap();
        assert_eq!(s.to_string(), "b a api:read");
    }

    #[test]
    fn refuses_characters_outside_nqchar() {
        assert!(Scopes::parse("a\"b").is_err());
        assert!(Scopes::parse("a\\b").is_err());
        assert!(Scopes::parse("caf\u{e9}").is_err());
        assert!(Scopes::parse("a\tb").is_err());
    }

    #[test]
    fn finds_the_first_scope_outside_the_allowed_set() {
        let allowed = Scopes::parse("a b").unwrap();
        assert_eq!(
            Scopes::parse("a c").unwrap().first_outside(&allowed),
            Some("c")
        );
        assert_eq!(Scopes::parse("b").unwrap().first_outside(&allowed), None);
    }
}
