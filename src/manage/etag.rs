//! Entity tags for the admin API's resources (RFC 9110 §8.8.3): a digest of what the caller
//! reads, so a write with a stale `If-Match` is refused instead of silently undoing another
//! operator's change.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A strong ETag of a resource's representation: the first 12 bytes of its SHA-256.
pub fn etag(representation: &serde_json::Value) -> String {
    let digest = sesame_core::secret::SecretHash::of(&representation.to_string());
    format!("\"{}\"", URL_SAFE_NO_PAD.encode(&digest.0[..12]))
}

/// Whether an `If-Match` value (RFC 9110 §13.1.1) matches: `*`, or one of the listed tags.
pub fn matches(if_match: &str, current: &str) -> bool {
    if_match
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag == current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_changes_the_tag_and_only_the_current_tag_matches() {
        let a = etag(&serde_json::json!({"client_name": "A"}));
        let b = etag(&serde_json::json!({"client_name": "B"}));
        assert_ne!(a, b);
        assert!(a.starts_with('"') && a.ends_with('"'));
        assert!(matches(&a, &a));
        assert!(matches(&format!("\"x\", {a}"), &a));
        assert!(matches("*", &a));
        assert!(!matches(&b, &a));
        // A weak tag never matches for If-Match (strong comparison).
        assert!(!matches(&format!("W/{a}"), &a));
    }
}
