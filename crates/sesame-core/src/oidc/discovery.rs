//! Provider metadata: OpenID Connect Discovery 1.0 §3 and RFC 8414 §2, one document for both.
//!
//! It lists only what this server actually does; each capability extends it as it lands.

use crate::authorize::DISPLAY_VALUES;
use crate::client::{AuthMethod, GrantType};
use crate::client_auth::ASSERTION_ALGORITHMS;
use crate::endpoints;
use crate::keys::Algorithm;
use crate::keys::jwe::{ContentEncryption, KeyManagement};
use crate::oidc::claims::{SCOPE_CLAIMS, supported_claims};
use crate::provider::Settings;
use crate::response_type::{ResponseMode, ResponseType};
use crate::token::SUPPORTED_GRANTS;
use serde_json::{Value, json};

pub fn metadata(settings: &Settings) -> Value {
    let confidential_methods: Vec<&str> = AuthMethod::SUPPORTED
        .iter()
        .filter(|m| **m != AuthMethod::None)
        .map(|m| m.as_str())
        .collect();
    let all_methods: Vec<&str> = AuthMethod::SUPPORTED.iter().map(|m| m.as_str()).collect();
    let mut grants: Vec<&str> = SUPPORTED_GRANTS.iter().map(|g| g.as_str()).collect();
    // Served at the authorization endpoint rather than the token endpoint.
    grants.push(GrantType::Implicit.as_str());
    let mut scopes = vec!["openid", "offline_access"];
    scopes.extend(SCOPE_CLAIMS.iter().map(|(s, _)| *s));
    let signing_algs: Vec<&str> = Algorithm::ALL.iter().map(|a| a.as_str()).collect();
    let key_management: Vec<&str> = KeyManagement::ALL.iter().map(|a| a.as_str()).collect();
    let content: Vec<&str> = ContentEncryption::ALL.iter().map(|e| e.as_str()).collect();
    let mut document = json!({
        "issuer": settings.issuer,
        "authorization_endpoint": settings.endpoint(endpoints::AUTHORIZE),
        "token_endpoint": settings.endpoint(endpoints::TOKEN),
        "device_authorization_endpoint": settings.endpoint(endpoints::DEVICE_AUTHORIZATION),
        "userinfo_endpoint": settings.endpoint(endpoints::USERINFO),
        "end_session_endpoint": settings.endpoint(endpoints::LOGOUT),
        "jwks_uri": settings.endpoint(endpoints::JWKS),
        "introspection_endpoint": settings.endpoint(endpoints::INTROSPECT),
        "revocation_endpoint": settings.endpoint(endpoints::REVOKE),
        "grant_types_supported": grants,
        "response_types_supported": ResponseType::SUPPORTED,
        "response_modes_supported": ResponseMode::SUPPORTED,
        "scopes_supported": scopes,
        "claims_supported": supported_claims(),
        "claims_parameter_supported": true,
        // Levels (`crate::mfa::policy`): 1 for one factor, 2 for a second on top.
        "acr_values_supported": crate::mfa::policy::SUPPORTED.map(crate::mfa::Level::as_str),
        // OIDC Core §5.6: only normal claims; no aggregated or distributed ones.
        "claim_types_supported": ["normal"],
        "display_values_supported": DISPLAY_VALUES,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "ui_locales_supported": ["en"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": signing_algs,
        "id_token_encryption_alg_values_supported": key_management,
        "id_token_encryption_enc_values_supported": content,
        "userinfo_signing_alg_values_supported": signing_algs,
        "userinfo_encryption_alg_values_supported": key_management,
        "userinfo_encryption_enc_values_supported": content,
        // Public clients (PKCE) authenticate with `none`.
        "token_endpoint_auth_methods_supported": all_methods,
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "introspection_endpoint_auth_methods_supported": confidential_methods,
        "introspection_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "revocation_endpoint_auth_methods_supported": all_methods,
        "revocation_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
    });
    // Only when the operator said which languages the claims are kept in.
    if !settings.claims_locales_supported.is_empty() {
        document["claims_locales_supported"] = json!(settings.claims_locales_supported);
    }
    document
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole document, pinned: a capability that appears or disappears shows in review.
    #[test]
    fn oidc_discovery_3_the_document_lists_exactly_what_sesame_does() {
        insta::assert_json_snapshot!(metadata(&Settings::new("https://id.example.com")));
    }

    #[test]
    fn oidc_discovery_3_claims_locales_are_listed_when_the_operator_names_them() {
        let mut settings = Settings::new("https://id.example.com");
        assert!(
            metadata(&settings)
                .get("claims_locales_supported")
                .is_none()
        );
        settings.claims_locales_supported = vec!["en".into(), "de".into()];
        assert_eq!(
            metadata(&settings)["claims_locales_supported"],
            json!(["en", "de"])
        );
    }

    #[test]
    fn issuer_is_exactly_as_configured_and_endpoints_hang_off_it() {
        let m = metadata(&Settings::new("https://id.example.com/tenant"));
        assert_eq!(m["issuer"], "https://id.example.com/tenant");
        assert_eq!(m["token_endpoint"], "https://id.example.com/tenant/token");
        assert_eq!(
            m["authorization_endpoint"],
            "https://id.example.com/tenant/authorize"
        );
        assert_eq!(
            m["grant_types_supported"],
            json!([
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:device_code",
                "password",
                "implicit"
            ])
        );
        assert_eq!(m["code_challenge_methods_supported"], json!(["S256"]));
        assert!(
            !m["introspection_endpoint_auth_methods_supported"]
                .as_array()
                .unwrap()
                .contains(&json!("none"))
        );
    }
}
