//! Provider metadata: OpenID Connect Discovery 1.0 §3 and RFC 8414 §2, one document for both.
//!
//! It lists only what this server actually does; each capability extends it as it lands.

use crate::client::AuthMethod;
use crate::client_auth::ASSERTION_ALGORITHMS;
use crate::keys::Algorithm;
use crate::provider::Settings;
use crate::token::SUPPORTED_GRANTS;
use serde_json::{Value, json};

pub fn metadata(settings: &Settings) -> Value {
    let confidential_methods: Vec<&str> = AuthMethod::SUPPORTED
        .iter()
        .filter(|m| **m != AuthMethod::None)
        .map(|m| m.as_str())
        .collect();
    let all_methods: Vec<&str> = AuthMethod::SUPPORTED.iter().map(|m| m.as_str()).collect();
    let grants: Vec<&str> = SUPPORTED_GRANTS.iter().map(|g| g.as_str()).collect();
    let id_token_algs: Vec<&str> = [
        Algorithm::RS256,
        Algorithm::ES256,
        Algorithm::PS256,
        Algorithm::EdDSA,
    ]
    .iter()
    .map(|a| a.as_str())
    .collect();
    json!({
        "issuer": settings.issuer,
        "jwks_uri": settings.endpoint("/jwks"),
        "token_endpoint": settings.endpoint("/token"),
        "introspection_endpoint": settings.endpoint("/introspect"),
        "revocation_endpoint": settings.endpoint("/revoke"),
        "grant_types_supported": grants,
        // No authorization endpoint yet: no response type is served.
        "response_types_supported": [],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": id_token_algs,
        "token_endpoint_auth_methods_supported": confidential_methods,
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "introspection_endpoint_auth_methods_supported": confidential_methods,
        "introspection_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "revocation_endpoint_auth_methods_supported": all_methods,
        "revocation_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_is_exactly_as_configured_and_endpoints_hang_off_it() {
        let m = metadata(&Settings::new("https://id.example.com/tenant"));
        assert_eq!(m["issuer"], "https://id.example.com/tenant");
        assert_eq!(m["token_endpoint"], "https://id.example.com/tenant/token");
        assert_eq!(m["grant_types_supported"], json!(["client_credentials"]));
        assert!(
            !m["token_endpoint_auth_methods_supported"]
                .as_array()
                .unwrap()
                .contains(&json!("none"))
        );
    }
}
