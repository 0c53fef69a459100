//! The one way in for every JWS Sesame receives: client assertions, ID token hints, its own
//! access tokens coming back, upstream ID tokens (and, as they land, request objects, DPoP proofs
//! and software statements). The protected header is read here first, and a token that asks for
//! what Sesame does not implement is refused before any key is looked at.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("not a compact JWS")]
    Malformed,
    /// RFC 7515 §4.1.11: a critical extension the recipient does not understand.
    #[error("the crit header asks for extensions Sesame does not implement")]
    Critical,
    /// RFC 7797: an unencoded payload (`b64: false`) is an extension Sesame does not do.
    #[error("the b64 header is not supported")]
    UnencodedPayload,
}

/// The protected header of the compact JWS `token` (three base64url parts, the first a JSON
/// object), after the checks every incoming JWS gets:
///
/// - RFC 7515 §4.1.11: `crit` names extensions that must be understood to accept the JWS.
///   Sesame implements none, so a token with a `crit` header (well formed or not) is refused.
/// - RFC 7797 §3: `b64` changes what is signed; Sesame does not do it.
pub fn protected_header(token: &str) -> Result<Map<String, Value>, JwsError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError::Malformed);
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| JwsError::Malformed)?;
    let Ok(Value::Object(header)) = serde_json::from_slice::<Value>(&bytes) else {
        return Err(JwsError::Malformed);
    };
    if header.contains_key("crit") {
        return Err(JwsError::Critical);
    }
    if header.contains_key("b64") {
        return Err(JwsError::UnencodedPayload);
    }
    Ok(header)
}

/// A text member of the header.
pub fn text<'a>(header: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    header.get(name).and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn jws(header: Value) -> String {
        let h = URL_SAFE_NO_PAD.encode(header.to_string());
        format!("{h}.e30.c2ln")
    }

    #[test]
    fn rfc7515_4_1_11_any_crit_is_refused_since_sesame_understands_no_extension() {
        for crit in [
            json!(["exp"]),
            json!(["http://example.com/ext"]),
            json!([]),
            json!("x"),
        ] {
            let token = jws(json!({"alg": "ES256", "crit": crit, "exp": 1}));
            assert_eq!(protected_header(&token), Err(JwsError::Critical), "{crit}");
        }
    }

    #[test]
    fn rfc7797_3_unencoded_payloads_are_refused() {
        let token = jws(json!({"alg": "ES256", "b64": false, "crit": ["b64"]}));
        assert!(protected_header(&token).is_err());
        let token = jws(json!({"alg": "ES256", "b64": true}));
        assert_eq!(protected_header(&token), Err(JwsError::UnencodedPayload));
    }

    #[test]
    fn rfc7515_7_1_only_a_compact_jws_with_a_json_object_header_is_read() {
        let ok = jws(json!({"alg": "ES256", "kid": "k"}));
        assert_eq!(text(&protected_header(&ok).unwrap(), "kid"), Some("k"));
        for bad in ["a.b", "a.b.c.d.e", "!!!.e30.c2ln", &jws(json!(["alg"]))] {
            assert_eq!(protected_header(bad), Err(JwsError::Malformed), "{bad}");
        }
    }
}
