//! `response_type` (RFC 6749 §3.1.1, OAuth 2.0 Multiple Response Type Encoding Practices) and
//! `response_mode` (the same, and OAuth 2.0 Form Post Response Mode).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A response type as the set of what it returns; `token` alone (the OAuth 2.0 implicit grant)
/// is not offered (RFC 9700 §2.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResponseType {
    pub code: bool,
    pub id_token: bool,
    pub token: bool,
}

impl ResponseType {
    pub const SUPPORTED: [&'static str; 6] = [
        "code",
        "id_token",
        "id_token token",
        "code id_token",
        "code token",
        "code id_token token",
    ];

    /// The values are a space-separated set, in any order (Multiple Response Types §5).
    pub fn parse(value: &str) -> Option<Self> {
        let mut rt = Self {
            code: false,
            id_token: false,
            token: false,
        };
        for part in value.split(' ').filter(|p| !p.is_empty()) {
            let slot = match part {
                "code" => &mut rt.code,
                "id_token" => &mut rt.id_token,
                "token" => &mut rt.token,
                _ => return None,
            };
            if *slot {
                return None;
            }
            *slot = true;
        }
        (rt.code || rt.id_token).then_some(rt)
    }

    /// Anything but `code` alone returns something in the front channel (OIDC Core §3.2, §3.3).
    pub fn is_front_channel(self) -> bool {
        self.id_token || self.token
    }

    pub fn default_mode(self) -> ResponseMode {
        if self.is_front_channel() {
            ResponseMode::Fragment
        } else {
            ResponseMode::Query
        }
    }
}

impl fmt::Display for ResponseType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<&str> = [
            (self.code, "code"),
            (self.id_token, "id_token"),
            (self.token, "token"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        f.write_str(&parts.join(" "))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    Query,
    Fragment,
    FormPost,
}

impl ResponseMode {
    pub const SUPPORTED: [&'static str; 3] = ["query", "fragment", "form_post"];

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "query" => Some(Self::Query),
            "fragment" => Some(Self::Fragment),
            "form_post" => Some(Self::FormPost),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_does_not_matter_and_display_is_canonical() {
        let a = ResponseType::parse("token id_token code").unwrap();
        assert_eq!(a, ResponseType::parse("code id_token token").unwrap());
        assert_eq!(a.to_string(), "code id_token token");
        for v in ResponseType::SUPPORTED {
            assert_eq!(ResponseType::parse(v).unwrap().to_string(), v);
        }
    }

    #[test]
    fn unknown_repeated_or_token_alone_are_refused() {
        for v in ["token", "code code", "", "none", "Code"] {
            assert_eq!(ResponseType::parse(v), None, "{v:?}");
        }
    }

    #[test]
    fn front_channel_types_default_to_fragment() {
        assert_eq!(
            ResponseType::parse("code").unwrap().default_mode(),
            ResponseMode::Query
        );
        assert_eq!(
            ResponseType::parse("id_token").unwrap().default_mode(),
            ResponseMode::Fragment
        );
    }
}
