//! Configuration errors people can act on: which file or environment variable, which key,
//! what is wrong, and for a misspelt key the one that was probably meant.

use figment::error::Actual;
use figment::error::Kind;

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

impl From<figment::Error> for ConfigError {
    fn from(error: figment::Error) -> Self {
        let lines: Vec<String> = error.into_iter().map(|e| explain(&e)).collect();
        Self(lines.join("; "))
    }
}

/// The first key of a table that its type does not have, as `unknown key x (did you mean y?)`.
/// serde's own message lists every field in nested backticks and guesses nothing.
pub fn unknown_key<'a>(
    keys: impl IntoIterator<Item = &'a String>,
    known: &[&'static str],
) -> Option<String> {
    keys.into_iter()
        .find(|k| !known.contains(&k.as_str()))
        .map(|k| unknown(k, known))
}

fn unknown(found: &str, known: &[&str]) -> String {
    let hint = closest(found, known)
        .map(|k| format!(" (did you mean {k}?)"))
        .unwrap_or_default();
    format!("unknown key {found}{hint}; see sesame.example.toml for every key")
}

/// `clients[0].scope`, as a person would write the path.
fn path(segments: &[String]) -> String {
    let mut out = String::new();
    for s in segments {
        if s.bytes().all(|b| b.is_ascii_digit()) && !out.is_empty() {
            out.push_str(&format!("[{s}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(s);
        }
    }
    out
}

/// One error as `where: what`, without figment's profile names (`default.`) or its nested
/// backticks.
fn explain(e: &figment::Error) -> String {
    // An unknown key names itself in the message.
    let segments = match e.kind {
        Kind::UnknownField(..) => &e.path[..e.path.len().saturating_sub(1)],
        _ => &e.path[..],
    };
    let key = path(segments);
    let from_env = e
        .metadata
        .as_ref()
        .is_some_and(|m| m.name.contains("environment variable"));
    let place = if from_env {
        format!(
            "environment variable SESAME_{}",
            segments.join("_").to_uppercase()
        )
    } else {
        let file = e
            .metadata
            .as_ref()
            .and_then(|m| m.source.as_ref())
            .and_then(|s| s.file_path())
            .map(|p| p.display().to_string());
        match (file, key.is_empty()) {
            (Some(file), false) => format!("{file}, key {key}"),
            (Some(file), true) => file,
            (None, false) => format!("key {key}"),
            (None, true) => "configuration".to_owned(),
        }
    };
    format!("{place}: {}", what(&e.kind))
}

fn what(kind: &Kind) -> String {
    match kind {
        Kind::UnknownField(found, expected) => unknown(found, expected),
        Kind::UnknownVariant(found, expected) => {
            format!("{found:?} is not one of {}", expected.join(", "))
        }
        Kind::InvalidType(actual, expected) | Kind::InvalidValue(actual, expected) => {
            format!(
                "expected {}, found {}",
                in_words(expected),
                describe(actual)
            )
        }
        Kind::MissingField(name) => format!("{name} is required"),
        Kind::DuplicateField(name) => format!("{name} is given twice"),
        other => other.to_string(),
    }
}

/// serde's type names as a person reads them.
fn in_words(expected: &str) -> &str {
    match expected {
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "isize" => {
            "a whole number"
        }
        "f32" | "f64" => "a number",
        "a boolean" | "bool" => "true or false",
        other => other,
    }
}

fn describe(actual: &Actual) -> String {
    match actual {
        Actual::Str(s) => format!("the string {s:?}"),
        Actual::Char(c) => format!("the character {c:?}"),
        other => other.to_string(),
    }
}

/// The expected key nearest to `found`, if one is near enough to be a typo.
fn closest<'a>(found: &str, expected: &[&'a str]) -> Option<&'a str> {
    expected
        .iter()
        .map(|k| (strsim::damerau_levenshtein(found, k), *k))
        .filter(|(distance, k)| *distance <= 2.max(k.len() / 4))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_as_written() {
        let p = |s: &[&str]| path(&s.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(p(&["clients", "0", "scope"]), "clients[0].scope");
        assert_eq!(p(&["issuer"]), "issuer");
    }

    #[test]
    fn a_typo_gets_the_key_that_was_meant() {
        assert_eq!(closest("issuerr", &["issuer", "listen"]), Some("issuer"));
        assert_eq!(
            closest("acess_token_ttl", &["access_token_ttl", "id_token_ttl"]),
            Some("access_token_ttl")
        );
        assert_eq!(closest("colour", &["issuer", "listen"]), None);
    }
}
